#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: compute_autoscaling
short_description: Reconcile one app tier's Auto Scaling group and its target-tracking scaling policies
version_added: 0.1.0
description:
  - Manages the Auto Scaling group C(<stack>-<tier>) across the stack's app subnets of every AZ (or the public
    subnets with O(subnet_layer=public), the seed's placement), launched from the launch template C(<stack>-<tier>)
    pinned to its latest version, attached to the tier's target group, with ELB health checks and a grace period.
  - Target-tracking policies on average CPU and, when O(requests_per_target) is not 0, on ALB requests per target.
  - Optional mixed instances with O(spot_share) percent spot above one on-demand instance.
  - When a new template version appears, the group is pointed at it and, with O(instance_refresh=true), a rolling
    instance refresh starts with the preferences in RV(refresh_preferences) (min healthy percentage, warm-up,
    skip matching instances).
  - The desired capacity is set at creation; afterwards it belongs to the scaling policies and is changed only
    when it falls outside a new min..max. Target groups are only ever attached, so a rerun never deregisters targets.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  tier:
    description: Which app tier.
    type: str
    required: true
    choices: [frontend, backend]
  min_size:
    description: Fewest instances.
    type: int
  max_size:
    description: Most instances.
    type: int
  desired_capacity:
    description: Instances at creation, between O(min_size) and O(max_size).
    type: int
  subnet_layer:
    description: V(app) (private subnets behind the ALB) or V(public) (the seed's placement, needs public IPs).
    type: str
    choices: [app, public]
    default: app
  health_check_grace_period:
    description: Seconds after launch before ELB health checks count.
    type: int
    default: 120
  instance_warmup:
    description: Seconds a new instance needs before its metrics count (defaults to the grace period).
    type: int
  cpu_target:
    description: Average CPU percent the group keeps.
    type: int
    default: 50
  requests_per_target:
    description: ALB requests per target the group keeps; 0 disables that policy.
    type: int
    default: 1000
  spot_share:
    description: Percent of the instances above one on-demand instance that run on spot (0 for none).
    type: int
    default: 0
  spot_instance_types:
    description: Extra instance types for spot capacity (the template's type is always included).
    type: list
    elements: str
    default: []
  instance_type:
    description: The template's instance type, listed first among the mixed-instance overrides.
    type: str
    default: t3.micro
  instance_refresh:
    description: Start a rolling instance refresh when the group moves to a new template version.
    type: bool
    default: true
  refresh_min_healthy_percentage:
    description: Capacity kept in service during an instance refresh.
    type: int
    default: 90
  wait:
    description: Wait for O(min_size) instances in service after a create.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for instances in service or for a deleted group to be gone.
    type: int
    default: 600
extends_documentation_fragment:
  - hatrading.aws.stack
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Back-end group, 2 to 6 instances, 30 % spot
  hatrading.aws.compute_autoscaling:
    stack: prod
    tier: backend
    min_size: 2
    desired_capacity: 2
    max_size: 6
    spot_share: 30
    spot_instance_types: [t3a.micro, t3.small]
    cpu_target: 50
    requests_per_target: 1000
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "update", "kind": "auto_scaling_group", "name": "prod-backend", "fields": ["launch_template_version"]}]
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["~ auto_scaling_group prod-backend (launch_template_version)", "Plan: 0 to create, 1 to update, 0 to delete."]
auto_scaling_group:
  description: Name and pinned template version of the group; empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Group name.
      type: str
      sample: prod-backend
    launch_template_version:
      description: The template version the group launches.
      type: str
      sample: "3"
refresh_preferences:
  description: The instance refresh preferences used when the template version changes.
  returned: when state is present
  type: dict
  sample: {"MinHealthyPercentage": 90, "InstanceWarmup": 120, "SkipMatching": true, "AutoRollback": false}
instance_refresh_id:
  description: ID of the instance refresh started by this run.
  returned: when one was started
  type: str
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils import autoscaling
from ansible_collections.hatrading.aws.plugins.module_utils import compute as model
from ansible_collections.hatrading.aws.plugins.module_utils import ec2
from ansible_collections.hatrading.aws.plugins.module_utils import ec2_compute
from ansible_collections.hatrading.aws.plugins.module_utils import elbv2
from ansible_collections.hatrading.aws.plugins.module_utils.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.stack import TAG_LAYER
from ansible_collections.hatrading.aws.plugins.module_utils.stack import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.stack import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_tags

SETTINGS = (
    "min_size",
    "max_size",
    "desired_capacity",
    "subnet_layer",
    "health_check_grace_period",
    "cpu_target",
    "requests_per_target",
    "spot_share",
    "spot_instance_types",
    "instance_type",
    "refresh_min_healthy_percentage",
    "instance_warmup",
)
PENDING = "(created by this run)"


def group_tags(tags):
    return [{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in sorted(tags.items())]


class GroupApplier:
    def __init__(self, module, client, params, refs, have_group):
        self.module = module
        self.client = client
        self.params = params
        self.refs = refs
        self.group = have_group
        self.refresh_id = None
        self.warnings = []

    def handlers(self):
        return {
            ("auto_scaling_group", CREATE): self.create_group,
            ("auto_scaling_group", UPDATE): self.update_group,
            ("auto_scaling_group", DELETE): self.delete_group,
            ("scaling_policy", CREATE): self.put_policy,
            ("scaling_policy", UPDATE): self.put_policy,
            ("scaling_policy", DELETE): self.delete_policy,
        }

    def _template(self, want):
        spec = {"LaunchTemplateId": self.refs["template_id"], "Version": want["launch_template_version"]}
        if not want.get("instances_distribution"):
            return {"LaunchTemplate": spec}
        types = [self.params["instance_type"]] + [t for t in want["instance_types"] if t != self.params["instance_type"]]
        return {
            "MixedInstancesPolicy": {
                "LaunchTemplate": {"LaunchTemplateSpecification": spec, "Overrides": [{"InstanceType": t} for t in types]},
                "InstancesDistribution": want["instances_distribution"],
            }
        }

    def create_group(self, change):
        want = change.after
        self.client.create_auto_scaling_group(
            AutoScalingGroupName=change.name,
            MinSize=want["min_size"],
            MaxSize=want["max_size"],
            DesiredCapacity=want["desired_capacity"],
            VPCZoneIdentifier=",".join(want["subnets"]),
            HealthCheckType=want["health_check_type"],
            HealthCheckGracePeriod=want["health_check_grace_period"],
            TargetGroupARNs=[self.refs["target_groups"][name] for name in want["target_groups"]],
            Tags=group_tags(want["tags"]),
            CapacityRebalance=bool(want.get("instances_distribution")),
            aws_retry=True,
            **self._template(want),
        )
        self.group = dict(want)
        if self.params["wait"]:
            autoscaling.wait(self.client, "GroupInService", self.params["wait_timeout"], AutoScalingGroupNames=[change.name])

    def update_group(self, change):
        want, fields = change.after, set(change.fields)
        params = {}
        if fields & {"launch_template", "launch_template_version", "instance_types", "instances_distribution"}:
            params.update(self._template(self.refs["want"]))
        names = {
            "min_size": "MinSize",
            "max_size": "MaxSize",
            "desired_capacity": "DesiredCapacity",
            "health_check_type": "HealthCheckType",
            "health_check_grace_period": "HealthCheckGracePeriod",
        }
        for field, key in names.items():
            if field in fields:
                params[key] = want[field]
        if "subnets" in fields:
            params["VPCZoneIdentifier"] = ",".join(want["subnets"])
        if params:
            self.client.update_auto_scaling_group(AutoScalingGroupName=change.name, aws_retry=True, **params)
        if "target_groups" in fields:
            arns = [self.refs["target_groups"][name] for name in want["target_groups"]]
            self.client.attach_load_balancer_target_groups(AutoScalingGroupName=change.name, TargetGroupARNs=arns, aws_retry=True)
        if "tags" in fields:
            tags = missing_tags(self.refs["want"]["tags"], change.ref["tags"])
            tags = [dict(tag, ResourceId=change.name, ResourceType="auto-scaling-group") for tag in group_tags(tags)]
            self.client.create_or_update_tags(Tags=tags, aws_retry=True)
        self.group = dict(change.ref, **want)
        if "launch_template_version" in fields and self.params["instance_refresh"] and change.ref.get("instances"):
            self.refresh_id, warning = autoscaling.start_instance_refresh(self.client, change.name, model.refresh_preferences(self.params))
            if warning:
                self.warnings.append(warning)

    def delete_group(self, change):
        self.client.delete_auto_scaling_group(AutoScalingGroupName=change.name, ForceDelete=True, aws_retry=True)
        autoscaling.wait(self.client, "GroupDeleted", self.params["wait_timeout"], AutoScalingGroupNames=[change.name])
        self.group = None

    def put_policy(self, change):
        spec = change.after
        metric = {"PredefinedMetricType": spec["metric"]}
        if spec["label"]:
            metric["ResourceLabel"] = self.refs["resource_label"]
        self.client.put_scaling_policy(
            AutoScalingGroupName=change.ref,
            PolicyName=change.name,
            PolicyType="TargetTrackingScaling",
            EstimatedInstanceWarmup=spec["warmup"],
            TargetTrackingConfiguration={"PredefinedMetricSpecification": metric, "TargetValue": spec["target"]},
            aws_retry=True,
        )

    def delete_policy(self, change):
        self.client.delete_policy(AutoScalingGroupName=change.ref, PolicyName=change.name, aws_retry=True)


def read(client, elb_client, ec2_client, params, n, present):
    found = {"group": autoscaling.describe_group(client, n["auto_scaling_group"])}
    found["policies"] = autoscaling.describe_policies(client, n["auto_scaling_group"]) if found["group"] else []
    if not present:
        return found
    subnets = ec2.describe_subnets(ec2_client, stack_filters(params["stack"], "network") + [{"Name": "tag:%s" % TAG_LAYER, "Values": [params["subnet_layer"]]}])
    found["subnets"] = sorted(s["SubnetId"] for s in subnets)
    found["template"] = ec2_compute.describe_launch_template(ec2_client, n["launch_template"])
    groups = elbv2.describe_target_groups(elb_client, [n["target_group"]])
    found["target_group"] = groups[0] if groups else None
    found["load_balancer"] = None
    if params["requests_per_target"] and found["target_group"] and found["target_group"].get("LoadBalancerArns"):
        found["load_balancer"] = found["target_group"]["LoadBalancerArns"][0]
    return found


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", default={}),
        tier=dict(type="str", required=True, choices=list(model.APP_TIERS)),
        min_size=dict(type="int"),
        max_size=dict(type="int"),
        desired_capacity=dict(type="int"),
        subnet_layer=dict(type="str", choices=list(model.SUBNET_LAYERS), default="app"),
        health_check_grace_period=dict(type="int", default=120),
        instance_warmup=dict(type="int"),
        cpu_target=dict(type="int", default=50),
        requests_per_target=dict(type="int", default=1000),
        spot_share=dict(type="int", default=0),
        spot_instance_types=dict(type="list", elements="str", default=[]),
        instance_type=dict(type="str", default="t3.micro"),
        instance_refresh=dict(type="bool", default=True),
        refresh_min_healthy_percentage=dict(type="int", default=90),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
    )
    required_if = [("state", "present", ["min_size", "max_size", "desired_capacity"])]
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True, required_if=required_if)
    params = module.params
    present = params["state"] == "present"
    errors = validate_stack_name(params["stack"]) + validate_tags(params["tags"], "tags")
    if present:
        errors += model.validate_tier(dict((key, params[key]) for key in SETTINGS), lambda option: option)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid Auto Scaling settings: " + "; ".join(errors), errors=errors)

    stack, tier = params["stack"], params["tier"]
    n = model.names(stack, tier)
    retry = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["ScalingActivityInProgress", "ResourceContention"])
    client = module.client("autoscaling", retry_decorator=retry)
    elb_client = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff(retries=8))
    ec2_client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff(retries=8))
    refs = {}
    try:
        have = read(client, elb_client, ec2_client, params, n, present)
        group_names = {}
        if present:
            needed = (
                ("the %s subnets" % params["subnet_layer"], have["subnets"]),
                ("launch template " + n["launch_template"], have["template"]),
                ("target group " + n["target_group"], have["target_group"]),
            )
            missing = [what for what, ok in needed if not ok]
            if missing and not module.check_mode:
                module.fail_json(
                    msg="%s of stack %s not found; run the network tier, compute_launch_template and compute_load_balancer first" % (", ".join(missing), stack)
                )
            template = have["template"] or {"LaunchTemplateId": PENDING, "LatestVersionNumber": PENDING}
            target_group = have["target_group"] or {"TargetGroupArn": PENDING}
            group_names = {target_group["TargetGroupArn"]: n["target_group"]}
            refs = {
                "template_id": template["LaunchTemplateId"],
                "template_version": str(template["LatestVersionNumber"]),
                "target_groups": {n["target_group"]: target_group["TargetGroupArn"]},
            }
            refs["resource_label"] = model.resource_label(have["load_balancer"], target_group["TargetGroupArn"]) if have["load_balancer"] else None
            want = model.desired_group(
                dict(params, tags=model.tier_tags(stack, tier, n["auto_scaling_group"], params["tags"])),
                {"name": n["launch_template"], "version": template["LatestVersionNumber"]},
                have["subnets"] or [PENDING],
                [n["target_group"]],
            )
            refs["want"] = want
            plan = Plan(model.plan_group(n["auto_scaling_group"], want, model.actual_group(have["group"], group_names)))
            spec = dict(params)
            if not refs["resource_label"]:
                spec["requests_per_target"] = 0  # no ALB in front (yet): CPU only
            want_policies = model.desired_policies(spec, n, refs["resource_label"])
            have_policies = model.actual_policies(have["policies"])
            plan.extend(model.plan_policies(n["auto_scaling_group"], want_policies, have_policies, n["auto_scaling_group"] + "-"))
        else:
            plan = Plan()
            if have["group"]:
                plan.extend([Change(DELETE, "auto_scaling_group", n["auto_scaling_group"], before=model.actual_group(have["group"], {}))])
        applier = GroupApplier(module, client, params, refs, have["group"])
        plan.apply(applier.handlers(), check_mode=module.check_mode)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, botocore.exceptions.WaiterError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the %s Auto Scaling group of stack %s" % (tier, stack))

    for warning in applier.warnings:
        module.warn(warning)
    result = dict(changed=plan.changed, plan=plan.as_list(), plan_text=plan.render(), auto_scaling_group={})
    if present:
        version = refs["template_version"]
        if module.check_mode:  # what the group runs now
            version = str((model.actual_group(have["group"], {}) or {}).get("launch_template_version") or version)
        result["auto_scaling_group"] = dict(name=n["auto_scaling_group"], launch_template_version=version)
        result["refresh_preferences"] = model.refresh_preferences(params)
    if applier.refresh_id:
        result["instance_refresh_id"] = applier.refresh_id
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
