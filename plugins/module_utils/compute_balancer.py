# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One app tier's application load balancer, target group and listeners: read, plan, apply.

Used by the modules compute_load_balancer (one tier) and stack_compute (every tier in one run).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils import compute as model
from ansible_collections.hatrading.aws.plugins.module_utils import elbv2
from ansible_collections.hatrading.aws.plugins.module_utils.compute_network import NetworkView
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
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


ARGUMENT_SPEC = dict(
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
REQUIRED_IF = [("state", "present", ["port"])]
# a listener or target group still in use while the ALB goes away
RETRIES = {"elbv2": AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["ResourceInUse"])}


def validate(params):
    """Errors in the settings of one tier (no AWS call)."""
    if params["state"] != "present":
        return []
    return model.validate_tier(dict((key, params[key]) for key in SETTINGS), lambda option: option)


def read(client, network, stack, tier, n, with_network):
    """The ALB, its target group, their tags, attributes and listeners, and the network they sit in."""
    found = {"subnets": [], "security_group": None, "vpc_id": None}
    if with_network:
        layer, group = PLACEMENT[tier]
        found["subnets"] = network.subnets(layer)
        found["vpc_id"] = network.vpc_id(layer)
        found["security_group"] = network.security_group("%s-%s" % (stack, group))
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


def reconcile(clients, params, check_mode, network=None):
    """Plan and (unless ``check_mode``) apply one tier's load balancer; returns (plan, result fields).

    ``clients(service)`` gives a boto3 client; ``network`` a NetworkView shared with other steps of the run.
    Raises model.ComputeError when the network is missing or the plan cannot be carried out.
    """
    stack, tier = params["stack"], params["tier"]
    present = params["state"] == "present"
    n = model.names(stack, tier)
    client = clients("elbv2")
    network = network or NetworkView(clients("ec2"), stack)
    have = read(client, network, stack, tier, n, with_network=present)
    if present:
        layer, group = PLACEMENT[tier]
        if check_mode and not (have["subnets"] and have["security_group"]):
            # the network is planned in the same check run: plan against what it will create
            have.update(subnets=have["subnets"] or [PENDING], security_group=have["security_group"] or PENDING, vpc_id=have["vpc_id"] or PENDING)
        if not have["subnets"] or not have["security_group"]:
            missing = "the %s subnets or the %s-%s security group of stack %s" % (layer, stack, group, stack)
            raise model.ComputeError(missing + " were not found; build the network first")
        spec = dict((key, params[key]) for key in SETTINGS + ("health_matcher", "ssl_policy", "idle_timeout"))
        spec.update(tier=tier, tags=model.tier_tags(stack, tier, n["load_balancer"], params["tags"]))
        want_tg = model.desired_target_group(dict(spec, tags=model.tier_tags(stack, tier, n["target_group"], params["tags"])), have["vpc_id"])
        want_lb = model.desired_load_balancer(spec, have["subnets"], have["security_group"])
        want_listeners = model.desired_listeners(spec, n["target_group"])
        plan = Plan(model.plan_load_balancer(n, want_lb, have["lb"], want_tg, have["tg"], want_listeners, have["listeners"]))
    else:
        plan = Plan(model.plan_load_balancer_teardown(n, have["lb"], have["tg"]))
    applier = BalancerApplier(client, n, have, params["wait_timeout"])
    plan.apply(applier.handlers(), check_mode=check_mode)

    result = dict(load_balancer={}, target_group={})
    if applier.lb:
        result["load_balancer"] = dict(arn=applier.lb_arn, name=n["load_balancer"], dns_name=applier.lb["dns_name"], scheme=applier.lb["scheme"])
        result["url"] = "http://%s:%d" % (applier.lb["dns_name"], params["listener_port"])
    if applier.tg_arn:
        result["target_group"] = dict(arn=applier.tg_arn, name=n["target_group"])
    if applier.lb_arn and applier.tg_arn:
        result["resource_label"] = model.resource_label(applier.lb_arn, applier.tg_arn)
    return plan, result
