# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One app tier's application load balancer, target group and listeners: model, read, apply.

The front-end's ALB is internet-facing in the public subnets, the back-end's internal in the app
subnets; both forward to the tier's target group. Targets are never touched here (the groups
register them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import create_or_adopt
from ansible_collections.hatrading.aws.plugins.module_utils.compute import model
from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list

# where each tier's ALB sits: (subnet layer, security group component)
PLACEMENT = {"frontend": ("public", "alb-public"), "backend": ("app", "alb-internal")}
PENDING = "(created by this run)"

# ---------------------------------------------------------------- model


def desired_target_group(spec, vpc_id):
    return {
        "protocol": "HTTP",
        "port": int(spec["port"]),
        "vpc_id": vpc_id,
        "health_path": spec["health_path"],
        "health_interval": int(spec.get("health_check_interval") or 10),
        "health_timeout": int(spec.get("health_check_timeout") or 5),
        "healthy_threshold": int(spec.get("healthy_threshold") or 3),
        "unhealthy_threshold": int(spec.get("unhealthy_threshold") or 2),
        "matcher": spec.get("health_matcher") or "200",
        "deregistration_delay": int(spec["deregistration_delay"] if spec.get("deregistration_delay") is not None else 30),
        "tags": spec["tags"],
    }


def _found(read):
    """An actual_* reader: None when there is no such resource; ``read(resource, attributes as a dict)`` plus its tags."""

    def actual(resource, attributes, tags):
        if not resource:
            return None
        found = read(resource, dict((a["Key"], a["Value"]) for a in attributes or []))
        found["tags"] = tags
        return found

    return actual


@_found
def actual_target_group(group, attrs):
    return {
        "protocol": group.get("Protocol"),
        "port": group.get("Port"),
        "vpc_id": group.get("VpcId"),
        "health_path": group.get("HealthCheckPath"),
        "health_interval": group.get("HealthCheckIntervalSeconds"),
        "health_timeout": group.get("HealthCheckTimeoutSeconds"),
        "healthy_threshold": group.get("HealthyThresholdCount"),
        "unhealthy_threshold": group.get("UnhealthyThresholdCount"),
        "matcher": (group.get("Matcher") or {}).get("HttpCode"),
        "deregistration_delay": int(attrs["deregistration_delay.timeout_seconds"]) if "deregistration_delay.timeout_seconds" in attrs else None,
        "arn": group["TargetGroupArn"],
        "load_balancers": group.get("LoadBalancerArns") or [],
    }


def desired_load_balancer(spec, subnet_ids, security_group_id):
    return {
        "scheme": "internet-facing" if spec["tier"] == "frontend" else "internal",
        "subnets": sorted(subnet_ids),
        "security_groups": [security_group_id],
        "drop_invalid_header_fields": "true",
        "idle_timeout": str(int(spec.get("idle_timeout") or 60)),
        "tags": spec["tags"],
    }


@_found
def actual_load_balancer(lb, attrs):
    return {
        "scheme": lb.get("Scheme"),
        "subnets": sorted(z["SubnetId"] for z in lb.get("AvailabilityZones") or []),
        "security_groups": sorted(lb.get("SecurityGroups") or []),
        "drop_invalid_header_fields": attrs.get("routing.http.drop_invalid_header_fields.enabled"),
        "idle_timeout": attrs.get("idle_timeout.timeout_seconds"),
        "arn": lb["LoadBalancerArn"],
        "dns_name": lb.get("DNSName"),
        "vpc_id": lb.get("VpcId"),
    }


def desired_listeners(spec, target_group_name):
    """{port: listener}: HTTP forwarding; with a certificate, HTTPS forwarding and HTTP redirected to it."""
    forward = ["forward", target_group_name]
    http_port = int(spec["listener_port"])
    if spec.get("certificate_arn"):
        https_port = int(spec.get("https_port") or 443)
        return {
            http_port: {"protocol": "HTTP", "certificate": None, "ssl_policy": None, "action": ["redirect", "HTTPS", str(https_port)]},
            https_port: {
                "protocol": "HTTPS",
                "certificate": spec["certificate_arn"],
                "ssl_policy": spec.get("ssl_policy") or model.DEFAULT_SSL_POLICY,
                "action": forward,
            },
        }
    return {http_port: {"protocol": "HTTP", "certificate": None, "ssl_policy": None, "action": forward}}


def _action(action, group_names):
    if action.get("Type") == "forward":
        arn = action.get("TargetGroupArn") or next(iter((action.get("ForwardConfig") or {}).get("TargetGroups") or [{}])).get("TargetGroupArn")
        return ["forward", group_names.get(arn, arn)]
    if action.get("Type") == "redirect":
        config = action.get("RedirectConfig") or {}
        return ["redirect", config.get("Protocol"), str(config.get("Port"))]
    return [action.get("Type")]


def actual_listeners(listeners, group_names):
    have = {}
    for listener in listeners or []:
        actions = sorted(listener.get("DefaultActions") or [], key=lambda a: a.get("Order", 0))
        certificates = [c["CertificateArn"] for c in listener.get("Certificates") or [] if c.get("CertificateArn")]
        https = listener.get("Protocol") == "HTTPS"
        have[listener["Port"]] = {
            "protocol": listener.get("Protocol"),
            "certificate": certificates[0] if certificates else None,
            "ssl_policy": listener.get("SslPolicy") if https else None,
            "action": _action(actions[0], group_names) if actions else [],
            "arn": listener["ListenerArn"],
        }
    return have


LB_FIELDS = ("subnets", "security_groups", "drop_invalid_header_fields", "idle_timeout")
TG_FIELDS = ("health_path", "health_interval", "health_timeout", "healthy_threshold", "unhealthy_threshold", "matcher", "deregistration_delay")
LISTENER_FIELDS = ("protocol", "certificate", "ssl_policy", "action")


def _fixed(kind, name, want, have, fields):
    for field in fields:
        if want.get(field) != have.get(field):
            raise model.ComputePlanError(
                "%s %s has %s %s but %s is wanted; it cannot change in place. Delete it (compute_state=absent) and run again"
                % (kind, name, field, have.get(field), want.get(field))
            )


def _update(kind, name, want, have, fields):
    changed = [f for f in fields if want.get(f) != have.get(f)]
    if missing_tags(want.get("tags") or {}, have.get("tags") or {}):
        changed.append("tags")
    if not changed:
        return []
    before = dict((f, have.get(f)) for f in changed)
    after = dict((f, want.get(f)) for f in changed)
    return [Change(UPDATE, kind, name, before=before, after=after, fields=changed, ref=have)]


def plan_load_balancer(n, want_lb, have_lb, want_tg, have_tg, want_listeners, have_listeners):
    """Target group first (listeners forward to it), then the ALB, then its listeners. Targets are never touched."""
    changes = []
    tg_name, lb_name = n["target_group"], n["load_balancer"]
    if have_tg is None:
        changes.append(Change(CREATE, "target_group", tg_name, after=want_tg))
    else:
        _fixed("target_group", tg_name, want_tg, have_tg, ("protocol", "port", "vpc_id"))
        changes += _update("target_group", tg_name, want_tg, have_tg, TG_FIELDS)
    if have_lb is None:
        changes.append(Change(CREATE, "load_balancer", lb_name, after=want_lb))
        have_listeners = {}
    else:
        _fixed("load_balancer", lb_name, want_lb, have_lb, ("scheme",))
        changes += _update("load_balancer", lb_name, want_lb, have_lb, LB_FIELDS)
    for port, want in sorted(want_listeners.items()):
        have = have_listeners.get(port)
        label = "%s:%d" % (lb_name, port)
        if have is None:
            changes.append(Change(CREATE, "listener", label, after=dict(want, port=port)))
        else:
            fields = [f for f in LISTENER_FIELDS if want.get(f) != have.get(f)]
            if fields:
                changes.append(Change(UPDATE, "listener", label, before=have, after=dict(want, port=port), fields=fields, ref=have))
    for port, have in sorted(have_listeners.items()):
        if port not in want_listeners:
            changes.append(Change(DELETE, "listener", "%s:%d" % (lb_name, port), before=have, ref=have))
    return changes


def plan_load_balancer_teardown(n, have_lb, have_tg):
    changes = []
    if have_lb is not None:
        changes.append(Change(DELETE, "load_balancer", n["load_balancer"], before=have_lb, ref=have_lb))
    if have_tg is not None:
        changes.append(Change(DELETE, "target_group", n["target_group"], before=have_tg, ref=have_tg))
    return changes


def resource_label(load_balancer_arn, target_group_arn):
    """The ALBRequestCountPerTarget label: app/<lb>/<id>/targetgroup/<tg>/<id>."""
    return "%s/%s" % (load_balancer_arn.split(":loadbalancer/", 1)[1], target_group_arn.split(":", 5)[5])


def plan_present(params, n, have):
    stack, tier = params["stack"], params["tier"]
    spec = model.step_settings("load_balancer", params)
    spec.update(tier=tier, tags=model.tier_tags(stack, tier, n["load_balancer"], params["tags"]))
    want_tg = desired_target_group(dict(spec, tags=model.tier_tags(stack, tier, n["target_group"], params["tags"])), have["vpc_id"])
    want_lb = desired_load_balancer(spec, have["subnets"], have["security_group"])
    want_listeners = desired_listeners(spec, n["target_group"])
    return Plan(plan_load_balancer(n, want_lb, have["lb"], want_tg, have["tg"], want_listeners, have["listeners"]))


# ---------------------------------------------------------------- read


def read(clients, view, stack, tier, n, with_network):
    """The ALB, its target group, their tags, attributes and listeners, and the network they sit in."""
    found = {"subnets": [], "security_group": None, "vpc_id": None}
    if with_network:
        layer, group = PLACEMENT[tier]
        found["subnets"] = view.subnet_ids(layer)
        found["vpc_id"] = view.vpc_id(layer)
        found["security_group"] = view.security_group_id(names.network(stack)["security_group"](group))
    elbv2 = clients.elbv2
    lb, tg = view.app_resource("load_balancer", n["load_balancer"]), view.app_resource("target_group", n["target_group"])
    tags = view.app_elb_tags([x for x in (lb and lb["LoadBalancerArn"], tg and tg["TargetGroupArn"]) if x])
    lb_attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"]).get("Attributes", []) if lb else []
    tg_attributes = elbv2.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"]).get("Attributes", []) if tg else []
    found["lb"] = actual_load_balancer(lb, lb_attributes, tags.get(lb and lb["LoadBalancerArn"], {}))
    found["tg"] = actual_target_group(tg, tg_attributes, tags.get(tg and tg["TargetGroupArn"], {}))
    group_names = {tg["TargetGroupArn"]: n["target_group"]} if tg else {}
    found["listeners"] = actual_listeners(elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"]), group_names) if lb else {}
    return found


# ---------------------------------------------------------------- apply


class BalancerApplier(Applier):
    def __init__(self, clients, n, have, timeout):
        self.client = clients.elbv2
        self.n = n
        self.timeout = timeout
        self.lb_arn = have["lb"] and have["lb"]["arn"]
        self.tg_arn = have["tg"] and have["tg"]["arn"]
        self.lb = have["lb"]
        self.warnings = []

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
        self.client.modify_target_group_attributes(TargetGroupArn=arn, Attributes=attributes)

    def create_target_group(self, change):
        want = change.after
        # AWS answers a retry with the same settings with the group; with other settings, "already exists": adopted
        made = create_or_adopt(
            self.client.create_target_group,
            Name=change.name,
            Protocol=want["protocol"],
            Port=want["port"],
            VpcId=want["vpc_id"],
            TargetType="instance",
            Tags=tag_list(want["tags"]),
            **self._health(want),
        )
        if made is None:
            return self._adopt("target_group", change.name, want)
        self.tg_arn = made["TargetGroups"][0]["TargetGroupArn"]
        self._set_delay(self.tg_arn, want["deregistration_delay"])
        return None

    def _adopt(self, kind, name, want):
        """A target group or ALB of that name exists (a create retried after a lost answer, or another run): read it, update what differs."""
        elbv2 = self.client
        if kind == "target_group":
            found = elbv2.target_groups_named([name])[0]
            arn = self.tg_arn = found["TargetGroupArn"]
            attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn).get("Attributes", [])
            have = actual_target_group(found, attributes, elbv2.tags_of([arn]).get(arn, {}))
            fixed, fields = ("protocol", "port", "vpc_id"), TG_FIELDS
        else:
            found = elbv2.load_balancers_named([name])[0]
            arn = self.lb_arn = found["LoadBalancerArn"]
            attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn).get("Attributes", [])
            have = self.lb = actual_load_balancer(found, attributes, elbv2.tags_of([arn]).get(arn, {}))
            fixed, fields = ("scheme",), LB_FIELDS
        _fixed(kind, name, want, have, fixed)
        label = "%s %s" % (kind.replace("_", " "), name)
        self.warnings.append("%s already existed when this run created it (a create whose answer was lost, retried): adopted" % label)
        for update in _update(kind, name, want, have, fields):
            getattr(self, "update_" + kind)(update)

    def update_target_group(self, change):
        want = change.after
        health = set(change.fields) - {"deregistration_delay", "tags"}
        if health:
            self.client.modify_target_group(TargetGroupArn=self.tg_arn, **self._health(dict(change.ref, **want)))
        if "deregistration_delay" in change.fields:
            self._set_delay(self.tg_arn, want["deregistration_delay"])
        if "tags" in change.fields:
            self.client.add_tags(ResourceArns=[self.tg_arn], Tags=tag_list(missing_tags(want["tags"], change.before["tags"])))

    def delete_target_group(self, change):
        self.client.delete_target_group(TargetGroupArn=change.ref["arn"])
        self.tg_arn = None

    # -- load balancer
    def _attributes(self, want):
        return [
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": want["drop_invalid_header_fields"]},
            {"Key": "idle_timeout.timeout_seconds", "Value": want["idle_timeout"]},
        ]

    def create_load_balancer(self, change):
        want = change.after
        # AWS answers a retry with the same settings with the ALB; with other settings, "already exists": adopted
        made = create_or_adopt(
            self.client.create_load_balancer,
            Name=change.name,
            Subnets=want["subnets"],
            SecurityGroups=want["security_groups"],
            Scheme=want["scheme"],
            Type="application",
            IpAddressType="ipv4",
            Tags=tag_list(want["tags"]),
        )
        if made is None:
            return self._adopt("load_balancer", change.name, want)
        created = made["LoadBalancers"][0]
        self.lb_arn = created["LoadBalancerArn"]
        self.lb = {"arn": self.lb_arn, "dns_name": created["DNSName"], "scheme": created["Scheme"]}
        self.client.modify_load_balancer_attributes(LoadBalancerArn=self.lb_arn, Attributes=self._attributes(want))
        return None

    def update_load_balancer(self, change):
        want = change.after
        if "subnets" in change.fields:
            self.client.set_subnets(LoadBalancerArn=self.lb_arn, Subnets=want["subnets"])
        if "security_groups" in change.fields:
            self.client.set_security_groups(LoadBalancerArn=self.lb_arn, SecurityGroups=want["security_groups"])
        if set(change.fields) & {"drop_invalid_header_fields", "idle_timeout"}:
            self.client.modify_load_balancer_attributes(LoadBalancerArn=self.lb_arn, Attributes=self._attributes(dict(change.ref, **want)))
        if "tags" in change.fields:
            self.client.add_tags(ResourceArns=[self.lb_arn], Tags=tag_list(missing_tags(want["tags"], change.before["tags"])))

    def delete_load_balancer(self, change):
        self.client.delete_load_balancer(LoadBalancerArn=change.ref["arn"])
        self.client.wait("load_balancers_deleted", self.timeout, LoadBalancerArns=[change.ref["arn"]])
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
        self.client.create_listener(LoadBalancerArn=self.lb_arn, **self._listener(change.after))

    def update_listener(self, change):
        self.client.modify_listener(ListenerArn=change.ref["arn"], **self._listener(change.after))

    def delete_listener(self, change):
        self.client.delete_listener(ListenerArn=change.ref["arn"])


def reconcile(clients, view, params, run):
    """Plan and (unless check mode) apply one tier's load balancer; returns (plan, result fields, warnings).

    ``view``: the StackView shared with the other steps of the run.
    Raises ComputeError when the network is missing or the plan cannot be carried out.
    """
    stack, tier = params["stack"], params["tier"]
    present = params["state"] == "present"
    n = names.compute(stack, tier)
    have = read(clients, view, stack, tier, n, with_network=present)
    if present:
        layer, group = PLACEMENT[tier]
        if run.check_mode and not (have["subnets"] and have["security_group"]):
            # the network is planned in the same check run: plan against what it will create
            have.update(subnets=have["subnets"] or [PENDING], security_group=have["security_group"] or PENDING, vpc_id=have["vpc_id"] or PENDING)
        if not have["subnets"] or not have["security_group"]:
            missing = "the %s subnets or the %s security group of stack %s" % (layer, names.network(stack)["security_group"](group), stack)
            raise model.ComputeError(missing + " were not found; build the network first")
        plan = plan_present(params, n, have)
    else:
        plan = Plan(plan_load_balancer_teardown(n, have["lb"], have["tg"]))
    applier = BalancerApplier(clients, n, have, params["wait_timeout"])
    plan.apply(applier.handlers(), check_mode=run.check_mode)
    return plan, result(applier, n, params["listener_port"]), applier.warnings


def result(applier, n, listener_port):
    found = dict(load_balancer={}, target_group={})
    if applier.lb:
        found["load_balancer"] = dict(arn=applier.lb_arn, name=n["load_balancer"], dns_name=applier.lb["dns_name"], scheme=applier.lb["scheme"])
        found["url"] = "http://%s:%d" % (applier.lb["dns_name"], listener_port)
    if applier.tg_arn:
        found["target_group"] = dict(arn=applier.tg_arn, name=n["target_group"])
    if applier.lb_arn and applier.tg_arn:
        found["resource_label"] = resource_label(applier.lb_arn, applier.tg_arn)
    return found
