# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One app tier's Auto Scaling group, warm pool and target-tracking policies: read, plan, apply.

Used by the modules compute_autoscaling (one tier) and stack_compute (every tier in one run).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils import autoscaling
from ansible_collections.hatrading.aws.plugins.module_utils import compute as model
from ansible_collections.hatrading.aws.plugins.module_utils import ec2_compute
from ansible_collections.hatrading.aws.plugins.module_utils import elbv2
from ansible_collections.hatrading.aws.plugins.module_utils.compute_network import NetworkView
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags

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
    "warm_pool",
)
PENDING = "(created by this run)"


def group_tags(tags):
    return [{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in sorted(tags.items())]


class GroupApplier(Applier):
    def __init__(self, client, params, refs, have_group):
        self.client = client
        self.params = params
        self.refs = refs
        self.group = have_group
        self.refresh_id = None
        self.warnings = []

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

    def create_auto_scaling_group(self, change):
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
        self._collect_metrics(change.name)
        self.group = dict(want)
        if self.params["wait"]:
            autoscaling.wait(self.client, "GroupInService", self.params["wait_timeout"], AutoScalingGroupNames=[change.name])

    def update_auto_scaling_group(self, change):
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
        if "metrics" in fields:
            self._collect_metrics(change.name)
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

    def _collect_metrics(self, name):
        # never disabled by a rerun (moto lacks DisableMetricsCollection; collecting costs nothing)
        self.client.enable_metrics_collection(
            AutoScalingGroupName=name, Metrics=list(model.GROUP_METRICS), Granularity=model.METRICS_GRANULARITY, aws_retry=True
        )

    def delete_auto_scaling_group(self, change):
        self.client.delete_auto_scaling_group(AutoScalingGroupName=change.name, ForceDelete=True, aws_retry=True)
        autoscaling.wait(self.client, "GroupDeleted", self.params["wait_timeout"], AutoScalingGroupNames=[change.name])
        self.group = None

    def create_scaling_policy(self, change):
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

    update_scaling_policy = create_scaling_policy  # put_scaling_policy creates or replaces

    def create_warm_pool(self, change):
        want = change.after
        params = dict(MinSize=want["min_size"], PoolState=want["pool_state"], InstanceReusePolicy={"ReuseOnScaleIn": want["reuse_on_scale_in"]})
        params["MaxGroupPreparedCapacity"] = want["max_prepared_capacity"]
        self.client.put_warm_pool(AutoScalingGroupName=change.ref, aws_retry=True, **params)

    update_warm_pool = create_warm_pool  # put_warm_pool creates or replaces

    def delete_warm_pool(self, change):
        # ForceDelete: the pool's instances go without waiting for their lifecycle actions
        self.client.delete_warm_pool(AutoScalingGroupName=change.ref, ForceDelete=True, aws_retry=True)

    def delete_scaling_policy(self, change):
        self.client.delete_policy(AutoScalingGroupName=change.ref, PolicyName=change.name, aws_retry=True)


ARGUMENT_SPEC = dict(
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
    warm_pool=dict(
        type="dict",
        # no defaults here: an empty mapping means no warm pool (model.desired_warm_pool fills them in)
        options=dict(
            min_size=dict(type="int"),
            max_prepared_capacity=dict(type="int"),
            pool_state=dict(type="str", choices=list(model.WARM_POOL_STATES)),
            reuse_on_scale_in=dict(type="bool"),
        ),
    ),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=600),
)
REQUIRED_IF = [("state", "present", ["min_size", "max_size", "desired_capacity"])]
RETRIES = {"autoscaling": autoscaling.LAUNCH_RETRY}


def validate(params):
    """Errors in the settings of one tier (no AWS call)."""
    if params["state"] != "present":
        return []
    return model.validate_tier(dict((key, params[key]) for key in SETTINGS), lambda option: option)


def read(client, elb_client, ec2_client, network, params, n, present):
    found = {"group": autoscaling.describe_group(client, n["auto_scaling_group"])}
    found["policies"] = autoscaling.describe_policies(client, n["auto_scaling_group"]) if found["group"] else []
    if not present:
        return found
    found["subnets"] = network.subnets(params["subnet_layer"])
    found["template"] = ec2_compute.describe_launch_template(ec2_client, n["launch_template"])
    groups = elbv2.describe_target_groups(elb_client, [n["target_group"]])
    found["target_group"] = groups[0] if groups else None
    found["load_balancer"] = None
    if params["requests_per_target"] and found["target_group"] and found["target_group"].get("LoadBalancerArns"):
        found["load_balancer"] = found["target_group"]["LoadBalancerArns"][0]
    return found


def reconcile(clients, params, check_mode, network=None):
    """Plan and (unless ``check_mode``) apply one tier's group, warm pool and policies; returns (plan, result fields, warnings).

    Raises model.ComputeError when the subnets, the launch template or the target group are missing.
    """
    stack, tier = params["stack"], params["tier"]
    present = params["state"] == "present"
    n = model.names(stack, tier)
    client, elb_client, ec2_client = clients("autoscaling"), clients("elbv2"), clients("ec2")
    network = network or NetworkView(ec2_client, stack)
    refs = {}
    have = read(client, elb_client, ec2_client, network, params, n, present)
    if present:
        needed = (
            ("the %s subnets" % params["subnet_layer"], have["subnets"]),
            ("launch template " + n["launch_template"], have["template"]),
            ("target group " + n["target_group"], have["target_group"]),
        )
        missing = [what for what, ok in needed if not ok]
        if missing and not check_mode:
            raise model.ComputeError(
                "%s of stack %s not found; run the network tier, compute_launch_template and compute_load_balancer first" % (", ".join(missing), stack)
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
        plan.extend(model.plan_warm_pool(n["auto_scaling_group"], model.desired_warm_pool(params.get("warm_pool")), model.actual_warm_pool(have["group"])))
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
    applier = GroupApplier(client, params, refs, have["group"])
    plan.apply(applier.handlers(), check_mode=check_mode)

    result = dict(auto_scaling_group={})
    if present:
        version = refs["template_version"]
        if check_mode:  # what the group runs now
            version = str((model.actual_group(have["group"], {}) or {}).get("launch_template_version") or version)
        result["auto_scaling_group"] = dict(name=n["auto_scaling_group"], launch_template_version=version)
        result["refresh_preferences"] = model.refresh_preferences(params)
        if params.get("warm_pool"):
            result["warm_pool"] = model.desired_warm_pool(params["warm_pool"])
    if applier.refresh_id:
        result["instance_refresh_id"] = applier.refresh_id
    return plan, result, applier.warnings
