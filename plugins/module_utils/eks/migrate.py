# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moving the front-end's traffic from the Auto Scaling group to the EKS pods, in steps, under watch.

The public ALB's listeners forward to two weighted target groups: the compute tier's ``<stack>-tg-fe`` and
``<stack>-tg-eks`` (target type ip: the AWS Load Balancer Controller registers the front-end pods in it, through
the TargetGroupBinding this run returns). No traffic moves to EKS before that target group has
``min_healthy_targets`` healthy targets: a weighted share of an empty target group is a share of 503s.
Each step sets the EKS weight, then bakes for ``bake_time`` seconds watching the same kind of alarms as the
rolling update (by default the monitoring tier's alarms on the public ALB and the cluster); one in ALARM
puts every listener back on the weights the run started from and fails, naming the alarm.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_settings
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import StopConditions
from ansible_collections.hatrading.aws.plugins.module_utils.eks import manifests
from ansible_collections.hatrading.aws.plugins.module_utils.eks import model


class MigrationError(TierError):
    """A step that breached its bake (traffic is back where it started), or a stack without the compute tier."""


def validate_params(params):
    errors = validate_stack_settings(model.settings_of(params), "")
    steps = params.get("steps") or []
    if not steps or any(not isinstance(w, int) or isinstance(w, bool) or not 1 <= w <= 100 for w in steps) or steps != sorted(set(steps)):
        errors.append("steps: %r must be rising EKS weights from 1 to 100, such as [10, 25, 50, 100]" % (steps,))
    for option, low in (("bake_time", 0), ("frontend_port", 1), ("min_healthy_targets", 1)):
        if not isinstance(params.get(option), int) or params[option] < low:
            errors.append("%s: %r must be a whole number, %d or more" % (option, params.get(option), low))
    if not model.HEALTH_PATH.match(params.get("health_path") or ""):
        errors.append("health_path: %r must be a path starting with /" % params.get("health_path"))
    if not model.DNS_LABEL.match(params.get("namespace") or ""):
        errors.append("namespace: %r must be a Kubernetes namespace name (lower-case letters, digits and dashes)" % params.get("namespace"))
    return errors


def healthy_targets(clients, target_group_arn):
    """How many targets of the group the ALB reports healthy."""
    health = clients.elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
    return sum(1 for d in health if d["TargetHealth"]["State"] == "healthy")


def binding(params, lb, eks_arn):
    """The TargetGroupBinding that puts the front-end pods in the EKS target group (None before the group exists)."""
    if not eks_arn:
        return None
    return manifests.target_group_binding(params["stack"], params["namespace"], eks_arn, params["frontend_port"], lb.get("SecurityGroups") or [])


def forward_weights(listener):
    """{target group ARN: weight} of a listener's default forward action, or None when it does not forward."""
    for action in listener.get("DefaultActions") or []:
        if action.get("Type") != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
        if groups:
            return dict((g["TargetGroupArn"], int(g.get("Weight", 1))) for g in groups)
        return {action["TargetGroupArn"]: 1}
    return None


def eks_share(weights, eks_arn):
    total = sum(weights.values())
    return int(round(100.0 * weights.get(eks_arn, 0) / total)) if total else 0


def reconcile(clients, params, run, outcome, sleep=time.sleep, clock=time.monotonic):
    stack = params["stack"]
    n = names.eks(stack)
    view = StackView(clients, stack)
    lb, asg_group = view.load_balancer("frontend"), view.target_group("frontend")
    if not lb or not asg_group:
        raise MigrationError(
            "stack %s has no public ALB %s with target group %s: deploy the compute tier first" % (stack, n["load_balancer"], n["asg_target_group"])
        )
    found = clients.elbv2.target_groups_named([n["target_group"]])
    eks_arn = found[0]["TargetGroupArn"] if found else None
    listeners = [
        lis for lis in clients.elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"]) if asg_group["TargetGroupArn"] in (forward_weights(lis) or {})
    ]
    start = eks_share(forward_weights(listeners[0]), eks_arn) if listeners and eks_arn else 0
    wanted = [0] if params.get("rollback") else [w for w in params["steps"] if w > start]
    if params.get("rollback") and start == 0:
        wanted = []
    if not eks_arn:
        outcome.plan.extend([Change(CREATE, "target_group", n["target_group"], after={"target_type": "ip", "port": params["frontend_port"]})])
    outcome.plan.extend(
        Change(UPDATE, "listener_weights", "%s eks %d%%" % (n["load_balancer"], w), before={"eks": start}, after={"eks": w}, fields=["weights"]) for w in wanted
    )
    outcome.result["migration"] = {
        "start_percent": start,
        "steps": wanted,
        "listeners": [lis["ListenerArn"] for lis in listeners],
        "alarms": _alarms(params, n),
        "target_group_binding": binding(params, lb, eks_arn),
    }
    if run.check_mode and any(w > start for w in wanted):
        healthy = healthy_targets(clients, eks_arn) if eks_arn else 0
        if healthy < params["min_healthy_targets"]:
            outcome.warnings.append(_too_few(n["target_group"], healthy, params["min_healthy_targets"]))
    applier = MigrationApplier(clients, params, lb, listeners, asg_group["TargetGroupArn"], eks_arn, start, sleep, clock, outcome.result["migration"])
    try:
        outcome.plan.apply(applier.handlers(), check_mode=run.check_mode)
    finally:
        outcome.result["migration"]["done"] = applier.done
    if applier.breach:
        outcome.result["migration"].update(rolled_back_to=start, breach=applier.breach[1])
        raise MigrationError("EKS weight %d%%: %s; every listener is back at %d%% EKS" % (applier.breach[0], applier.breach[1], start))


def _too_few(target_group, healthy, needed):
    return (
        "target group %s has %d healthy targets, %d needed before any traffic moves to EKS: apply migration.target_group_binding "
        "(the AWS Load Balancer Controller registers the front-end pods) and run again once the pods pass their health check" % (target_group, healthy, needed)
    )


def _alarms(params, n):
    return list(params.get("rollback_alarms") or n["watched_alarms"])


def _bake(clients, guard, bake_time, poll, sleep, clock):
    began = clock()
    while True:
        states = dict((a["AlarmName"], a["StateValue"]) for a in clients.cloudwatch.describe_alarms(AlarmNames=guard.alarms)) if guard.alarms else {}
        reason = guard.breach(states, (0, 0))
        if reason or clock() - began >= bake_time:
            return reason
        sleep(poll)


class MigrationApplier(Applier):
    """The EKS target group, then one listener-weights step after another, each baked under watch."""

    def __init__(self, clients, params, lb, listeners, asg_arn, eks_arn, start, sleep, clock, report):
        self.clients, self.params, self.lb, self.listeners = clients, params, lb, listeners
        self.asg_arn, self.eks_arn, self.start = asg_arn, eks_arn, start
        self.report = report  # the result's "migration": the binding is there as soon as the group exists
        self.n = names.eks(params["stack"])
        self.guard = StopConditions(_alarms(params, self.n), None)
        self.sleep, self.clock = sleep, clock
        self.done, self.breach = [], None

    def create_target_group(self, change):
        tags = stack_tags(self.params["stack"], model.TIER, change.name, self.params.get("tags"))
        created = self.clients.elbv2.create_target_group(
            Name=change.name,
            Protocol="HTTP",
            Port=self.params["frontend_port"],
            VpcId=self.lb["VpcId"],
            TargetType="ip",
            HealthCheckPath=self.params["health_path"],
            Tags=tag_list(tags),
        )
        self.eks_arn = created["TargetGroups"][0]["TargetGroupArn"]
        self.report["target_group_binding"] = binding(self.params, self.lb, self.eks_arn)

    def update_listener_weights(self, change):
        if self.breach:
            return  # an earlier step breached: traffic is back where it started, the rest is not taken
        weight = change.after["eks"]
        if weight > self.start and not self.done:  # the first move towards EKS: are there pods to take it?
            healthy = healthy_targets(self.clients, self.eks_arn)
            if healthy < self.params["min_healthy_targets"]:
                raise MigrationError(_too_few(self.n["target_group"], healthy, self.params["min_healthy_targets"]))
        self._set(weight)
        if weight < self.start:
            self.done.append(weight)
            return  # a move back (rollback=true) is not baked: it is what a breach would do
        reason = _bake(self.clients, self.guard, self.params["bake_time"], self.params.get("poll_interval", 5), self.sleep, self.clock)
        if reason:
            self._set(self.start)
            self.breach = (weight, reason)
            return
        self.done.append(weight)

    def _set(self, percent):
        groups = [{"TargetGroupArn": self.asg_arn, "Weight": 100 - percent}, {"TargetGroupArn": self.eks_arn, "Weight": percent}]
        action = {"Type": "forward", "ForwardConfig": {"TargetGroups": groups, "TargetGroupStickinessConfig": {"Enabled": False}}}
        for listener in self.listeners:
            self.clients.elbv2.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[action])
