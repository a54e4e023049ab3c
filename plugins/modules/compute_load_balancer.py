#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: compute_load_balancer
short_description: Reconcile one app tier's application load balancer, target group and listeners
version_added: 0.1.0
description:
  - For O(tier=frontend), a public (internet-facing) ALB C(<stack>-alb-pub) in the stack's public subnets with the
    C(<stack>-alb-public) security group; for O(tier=backend), an internal ALB C(<stack>-alb-int) in the app subnets
    with C(<stack>-alb-internal). Subnets and groups are found by the stack's tags.
  - A target group C(<stack>-tg-fe) or C(<stack>-tg-be) with a health path, healthy/unhealthy thresholds and a
    deregistration delay for fast, safe rolling updates (30 s by default instead of AWS's 300 s).
  - An HTTP listener forwarding to the target group; with O(certificate_arn), an HTTPS listener forwarding to it and
    the HTTP listener redirecting to HTTPS.
  - Targets are never registered or deregistered here (the Auto Scaling group does that), so a rerun never drains
    an instance. Invalid headers are dropped by the ALB.
  - Port, protocol and VPC of a target group and the scheme of an ALB cannot change in place; the module refuses
    rather than replaces them.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  tier:
    description: Which app tier the ALB serves.
    type: str
    required: true
    choices: [frontend, backend]
  port:
    description: Port of the tier's instances (the target group's port).
    type: int
  health_path:
    description: Path the ALB probes on each instance, starting with a slash.
    type: str
    default: /health
  health_matcher:
    description: HTTP codes of a healthy answer.
    type: str
    default: "200"
  health_check_interval:
    description: Seconds between probes.
    type: int
    default: 10
  health_check_timeout:
    description: Seconds before a probe fails; shorter than O(health_check_interval).
    type: int
    default: 5
  healthy_threshold:
    description: Probes in a row that make a target healthy.
    type: int
    default: 3
  unhealthy_threshold:
    description: Probes in a row that make a target unhealthy.
    type: int
    default: 2
  deregistration_delay:
    description: Seconds a leaving target keeps serving its open requests.
    type: int
    default: 30
  listener_port:
    description: HTTP listener port.
    type: int
    default: 80
  certificate_arn:
    description: ACM certificate for an HTTPS listener; HTTP then redirects to HTTPS.
    type: str
  https_port:
    description: HTTPS listener port.
    type: int
    default: 443
  ssl_policy:
    description: TLS policy of the HTTPS listener.
    type: str
    default: ELBSecurityPolicy-TLS13-1-2-2021-06
  idle_timeout:
    description: ALB idle timeout in seconds.
    type: int
    default: 60
  wait_timeout:
    description: Seconds to wait for a deleted ALB to be gone before its target group is deleted.
    type: int
    default: 600
extends_documentation_fragment:
  - hatrading.aws.stack
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Public ALB with HTTPS in front of the front-end
  hatrading.aws.compute_load_balancer:
    stack: prod
    tier: frontend
    port: 8080
    health_path: /health
    certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666

- name: Internal ALB in front of the back-end
  hatrading.aws.compute_load_balancer:
    stack: prod
    tier: backend
    port: 8081
    listener_port: 80
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "create", "kind": "target_group", "name": "prod-tg-fe"}]
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ target_group prod-tg-fe", "Plan: 1 to create, 0 to update, 0 to delete."]
load_balancer:
  description: The ALB after the changes (in check mode, as found); empty when there is none.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the ALB.
      type: str
    name:
      description: Name of the ALB.
      type: str
      sample: prod-alb-pub
    dns_name:
      description: DNS name of the ALB.
      type: str
      sample: prod-alb-pub-1234.us-east-1.elb.amazonaws.com
    scheme:
      description: V(internet-facing) or V(internal).
      type: str
target_group:
  description: The target group after the changes; empty when there is none.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the target group.
      type: str
    name:
      description: Name of the target group.
      type: str
      sample: prod-tg-fe
resource_label:
  description: The C(ALBRequestCountPerTarget) resource label of the ALB and target group, for scaling policies.
  returned: when both exist
  type: str
  sample: app/prod-alb-pub/50dc6c495c0c9188/targetgroup/prod-tg-fe/73e2d6bc24d8a067
url:
  description: Where the tier answers (first listener).
  returned: when the ALB exists
  type: str
  sample: http://prod-alb-int-1234.us-east-1.elb.amazonaws.com:80
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils import compute as model
from ansible_collections.hatrading.aws.plugins.module_utils import ec2
from ansible_collections.hatrading.aws.plugins.module_utils import elbv2
from ansible_collections.hatrading.aws.plugins.module_utils.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.stack import TAG_LAYER
from ansible_collections.hatrading.aws.plugins.module_utils.stack import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.stack import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.stack import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_tags
from ansible_collections.hatrading.aws.plugins.module_utils.waiters import wait

SETTINGS = (
    "port",
    "health_path",
    "health_check_interval",
    "health_check_timeout",
    "healthy_threshold",
    "unhealthy_threshold",
    "deregistration_delay",
    "listener_port",
    "certificate_arn",
    "https_port",
)
PLACEMENT = {"frontend": ("public", "alb-public"), "backend": ("app", "alb-internal")}
PENDING = "(created by this run)"


def read(client, ec2_client, stack, tier, n, with_network):
    """The ALB, its target group, their tags, attributes and listeners, and the network they sit in."""
    found = {"subnets": [], "security_group": None, "vpc_id": None}
    if with_network:
        layer, group = PLACEMENT[tier]
        subnets = ec2.describe_subnets(ec2_client, stack_filters(stack, "network") + [{"Name": "tag:%s" % TAG_LAYER, "Values": [layer]}])
        found["subnets"] = sorted(s["SubnetId"] for s in subnets)
        found["vpc_id"] = subnets[0]["VpcId"] if subnets else None
        groups = ec2.describe_security_groups(ec2_client, stack_filters(stack, "network") + [{"Name": "tag:Name", "Values": ["%s-%s" % (stack, group)]}])
        found["security_group"] = groups[0]["GroupId"] if groups else None
    lbs = elbv2.describe_load_balancers(client, [n["load_balancer"]])
    tgs = elbv2.describe_target_groups(client, [n["target_group"]])
    lb, tg = (lbs[0] if lbs else None), (tgs[0] if tgs else None)
    arns = [x for x in (lb and lb["LoadBalancerArn"], tg and tg["TargetGroupArn"]) if x]
    tags = elbv2.describe_tags(client, arns) if arns else {}
    lb_attributes = elbv2.describe_load_balancer_attributes(client, lb["LoadBalancerArn"]) if lb else []
    tg_attributes = elbv2.describe_target_group_attributes(client, tg["TargetGroupArn"]) if tg else []
    found["lb"] = model.actual_load_balancer(lb, lb_attributes, tags.get(lb and lb["LoadBalancerArn"], {}))
    found["tg"] = model.actual_target_group(tg, tg_attributes, tags.get(tg and tg["TargetGroupArn"], {}))
    group_names = {tg["TargetGroupArn"]: n["target_group"]} if tg else {}
    found["listeners"] = model.actual_listeners(elbv2.describe_listeners(client, lb["LoadBalancerArn"]), group_names) if lb else {}
    return found


class BalancerApplier(Applier):
    def __init__(self, client, n, have, timeout):
        self.client = client
        self.n = n
        self.timeout = timeout
        self.lb_arn = have["lb"] and have["lb"]["arn"]
        self.tg_arn = have["tg"] and have["tg"]["arn"]
        self.lb = have["lb"]

    # -- target group
    def _health(self, want):
        return dict(
            HealthCheckProtocol="HTTP",
            HealthCheckPort="traffic-port",
            HealthCheckPath=want["health_path"],
            HealthCheckIntervalSeconds=want["health_interval"],
            HealthCheckTimeoutSeconds=want["health_timeout"],
            HealthyThresholdCount=want["healthy_threshold"],
            UnhealthyThresholdCount=want["unhealthy_threshold"],
            Matcher={"HttpCode": want["matcher"]},
        )

    def _set_delay(self, arn, seconds):
        attributes = [{"Key": "deregistration_delay.timeout_seconds", "Value": str(seconds)}]
        self.client.modify_target_group_attributes(TargetGroupArn=arn, Attributes=attributes, aws_retry=True)

    def create_target_group(self, change):
        want = change.after
        group = self.client.create_target_group(
            Name=change.name,
            Protocol=want["protocol"],
            Port=want["port"],
            VpcId=want["vpc_id"],
            TargetType="instance",
            Tags=tag_list(want["tags"]),
            aws_retry=True,
            **self._health(want),
        )["TargetGroups"][0]
        self.tg_arn = group["TargetGroupArn"]
        self._set_delay(self.tg_arn, want["deregistration_delay"])

    def update_target_group(self, change):
        want = change.after
        health = set(change.fields) - {"deregistration_delay", "tags"}
        if health:
            full = dict(change.ref, **want)
            self.client.modify_target_group(TargetGroupArn=self.tg_arn, aws_retry=True, **self._health(full))
        if "deregistration_delay" in change.fields:
            self._set_delay(self.tg_arn, want["deregistration_delay"])
        if "tags" in change.fields:
            self.client.add_tags(ResourceArns=[self.tg_arn], Tags=tag_list(missing_tags(want["tags"], change.before["tags"])), aws_retry=True)

    def delete_target_group(self, change):
        elbv2.ignore_not_found(self.client.delete_target_group, TargetGroupArn=change.ref["arn"], aws_retry=True)
        self.tg_arn = None

    # -- load balancer
    def _attributes(self, want):
        return [
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": want["drop_invalid_header_fields"]},
            {"Key": "idle_timeout.timeout_seconds", "Value": want["idle_timeout"]},
        ]

    def create_load_balancer(self, change):
        want = change.after
        self.lb = self.client.create_load_balancer(
            Name=change.name,
            Subnets=want["subnets"],
            SecurityGroups=want["security_groups"],
            Scheme=want["scheme"],
            Type="application",
            IpAddressType="ipv4",
            Tags=tag_list(want["tags"]),
            aws_retry=True,
        )["LoadBalancers"][0]
        self.lb_arn = self.lb["LoadBalancerArn"]
        self.lb = {"arn": self.lb_arn, "dns_name": self.lb["DNSName"], "scheme": self.lb["Scheme"]}
        self.client.modify_load_balancer_attributes(LoadBalancerArn=self.lb_arn, Attributes=self._attributes(want), aws_retry=True)

    def update_load_balancer(self, change):
        want = change.after
        if "subnets" in change.fields:
            self.client.set_subnets(LoadBalancerArn=self.lb_arn, Subnets=want["subnets"], aws_retry=True)
        if "security_groups" in change.fields:
            self.client.set_security_groups(LoadBalancerArn=self.lb_arn, SecurityGroups=want["security_groups"], aws_retry=True)
        if set(change.fields) & {"drop_invalid_header_fields", "idle_timeout"}:
            self.client.modify_load_balancer_attributes(LoadBalancerArn=self.lb_arn, Attributes=self._attributes(dict(change.ref, **want)), aws_retry=True)
        if "tags" in change.fields:
            self.client.add_tags(ResourceArns=[self.lb_arn], Tags=tag_list(missing_tags(want["tags"], change.before["tags"])), aws_retry=True)

    def delete_load_balancer(self, change):
        elbv2.ignore_not_found(self.client.delete_load_balancer, LoadBalancerArn=change.ref["arn"], aws_retry=True)
        wait(self.client, "load_balancers_deleted", self.timeout, LoadBalancerArns=[change.ref["arn"]])
        self.lb_arn = self.lb = None

    # -- listeners
    def _listener(self, want):
        action = want["action"]
        if action[0] == "redirect":
            actions = [{"Type": "redirect", "RedirectConfig": {"Protocol": action[1], "Port": action[2], "StatusCode": "HTTP_301"}}]
        else:
            actions = [{"Type": "forward", "TargetGroupArn": self.tg_arn}]
        params = dict(Protocol=want["protocol"], Port=want["port"], DefaultActions=actions)
        if want["protocol"] == "HTTPS":
            params.update(Certificates=[{"CertificateArn": want["certificate"]}], SslPolicy=want["ssl_policy"])
        return params

    def create_listener(self, change):
        self.client.create_listener(LoadBalancerArn=self.lb_arn, aws_retry=True, **self._listener(change.after))

    def update_listener(self, change):
        self.client.modify_listener(ListenerArn=change.ref["arn"], aws_retry=True, **self._listener(change.after))

    def delete_listener(self, change):
        elbv2.ignore_not_found(self.client.delete_listener, ListenerArn=change.ref["arn"], aws_retry=True)


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", default={}),
        tier=dict(type="str", required=True, choices=list(model.APP_TIERS)),
        port=dict(type="int"),
        health_path=dict(type="str", default="/health"),
        health_matcher=dict(type="str", default="200"),
        health_check_interval=dict(type="int", default=10),
        health_check_timeout=dict(type="int", default=5),
        healthy_threshold=dict(type="int", default=3),
        unhealthy_threshold=dict(type="int", default=2),
        deregistration_delay=dict(type="int", default=30),
        listener_port=dict(type="int", default=80),
        certificate_arn=dict(type="str"),
        https_port=dict(type="int", default=443),
        ssl_policy=dict(type="str", default=model.DEFAULT_SSL_POLICY),
        idle_timeout=dict(type="int", default=60),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True, required_if=[("state", "present", ["port"])])
    params = module.params
    present = params["state"] == "present"
    errors = validate_stack_name(params["stack"]) + validate_tags(params["tags"], "tags")
    if present:
        errors += model.validate_tier(dict((key, params[key]) for key in SETTINGS), lambda option: option)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid load balancer settings: " + "; ".join(errors), errors=errors)

    stack, tier = params["stack"], params["tier"]
    n = model.names(stack, tier)
    client = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["ResourceInUse"]))
    ec2_client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff(retries=8))
    try:
        have = read(client, ec2_client, stack, tier, n, with_network=present)
        if present:
            layer, group = PLACEMENT[tier]
            if module.check_mode and not (have["subnets"] and have["security_group"]):
                # the network is planned in the same check run: plan against what it will create
                have.update(subnets=have["subnets"] or [PENDING], security_group=have["security_group"] or PENDING, vpc_id=have["vpc_id"] or PENDING)
            if not have["subnets"] or not have["security_group"]:
                module.fail_json(
                    msg="the %s subnets or the %s-%s security group of stack %s were not found; build the network first" % (layer, stack, group, stack)
                )
            spec = dict((key, params[key]) for key in SETTINGS + ("health_matcher", "ssl_policy", "idle_timeout"))
            spec.update(tier=tier, tags=model.tier_tags(stack, tier, n["load_balancer"], params["tags"]))
            want_tg = model.desired_target_group(dict(spec, tags=model.tier_tags(stack, tier, n["target_group"], params["tags"])), have["vpc_id"])
            want_lb = model.desired_load_balancer(spec, have["subnets"], have["security_group"])
            want_listeners = model.desired_listeners(spec, n["target_group"])
            plan = Plan(model.plan_load_balancer(n, want_lb, have["lb"], want_tg, have["tg"], want_listeners, have["listeners"]))
        else:
            plan = Plan(model.plan_load_balancer_teardown(n, have["lb"], have["tg"]))
        applier = BalancerApplier(client, n, have, params["wait_timeout"])
        plan.apply(applier.handlers(), check_mode=module.check_mode)
    except model.ComputePlanError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, botocore.exceptions.WaiterError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the %s load balancer of stack %s" % (tier, stack))

    result = dict(changed=plan.changed, plan=plan.as_list(), plan_text=plan.render(), load_balancer={}, target_group={})
    if applier.lb:
        result["load_balancer"] = dict(arn=applier.lb_arn, name=n["load_balancer"], dns_name=applier.lb["dns_name"], scheme=applier.lb["scheme"])
        result["url"] = "http://%s:%d" % (applier.lb["dns_name"], params["listener_port"])
    if applier.tg_arn:
        result["target_group"] = dict(arn=applier.tg_arn, name=n["target_group"])
    if applier.lb_arn and applier.tg_arn:
        result["resource_label"] = model.resource_label(applier.lb_arn, applier.tg_arn)
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
