# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Roll an app tier's instances onto its group's launch template version without losing capacity.

Which instances are stale is pure (:func:`stale_instances`, :func:`plan_roll`); :class:`Roller`
carries a plan out with one of two strategies:

``replace`` (surge, then drain), per batch of ``batch_size`` instances:
  1. raise the desired capacity by the batch (and the max size with it, for the roll only);
  2. wait until that many new instances are in service and healthy in the target group;
  3. deregister the batch's old instances and wait for the drain (the deregistration delay);
  4. detach them from the group, lowering the desired capacity back, and terminate them.
  Capacity never drops below the desired capacity the roll started from. Scaling processes that
  would fight the roll (AZRebalance, AlarmNotification, ScheduledActions) are suspended for its
  length and resumed afterwards, also when it fails.

``refresh``: AWS's instance refresh (StartInstanceRefresh with MinHealthyPercentage and
SkipMatching), waited for through DescribeInstanceRefreshes.

An instance's version is its EC2 tag ``aws:ec2launchtemplate:version``, set at launch (on AWS
and in moto): the Auto Scaling record is not enough, moto reports the default version there.

The module compute_rolling_update is :func:`run_roll`: the tier runner's steps (validate before
any call, a Clients cache, the Outcome and its exit) with the roll's own failure report, which
also names the tier being rolled and returns the per-tier results so far.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import INTERRUPTION
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Interrupted
from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.compute import model
from ansible_collections.hatrading.aws.plugins.module_utils.compute.template import launch_template
from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import Outcome
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import Run
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import aws_errors
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import exit_with
from ansible_collections.hatrading.aws.plugins.module_utils.drill.probe import OrderFlow
from ansible_collections.hatrading.aws.plugins.module_utils.compute import rollback

VERSION_TAG = "aws:ec2launchtemplate:version"
# processes that would fight a roll: rebalancing terminates, scaling changes the desired capacity
ROLL_SUSPENDS = ("AZRebalance", "AlarmNotification", "ScheduledActions")
STRATEGIES = ("replace", "refresh")


# ---------------------------------------------------------------- model


def launched_versions(ec2_instances):
    """instance id -> the template version it was launched from (None when untagged)."""
    found = {}
    for instance in ec2_instances:
        tags = dict((t["Key"], t.get("Value", "")) for t in instance.get("Tags") or [])
        found[instance["InstanceId"]] = tags.get(VERSION_TAG)
    return found


def wanted_version(group, template):
    """The version the group launches now, as a number string ($Latest and $Default resolved)."""
    spec = group.get("LaunchTemplate") or ((group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}).get("LaunchTemplateSpecification") or {}
    version = str(spec.get("Version") or "$Default")
    if version == "$Latest":
        return str((template or {}).get("LatestVersionNumber"))
    if version == "$Default":
        return str((template or {}).get("DefaultVersionNumber"))
    return version


def in_service(group):
    return sorted(i["InstanceId"] for i in group.get("Instances") or [] if i.get("LifecycleState") == "InService")


def stale_instances(group, launched, wanted):
    """In-service instances launched from another version than ``wanted``, in a stable order."""
    return [i for i in in_service(group) if launched.get(i) != wanted]


def batches(ids, size):
    size = max(1, min(int(size), 20))  # DetachInstances takes 20 instances at most
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def plan_roll(group_name, stale, launched, wanted):
    """One change per instance to replace: before and after name the template versions."""
    return Plan(
        [
            Change(
                UPDATE,
                "instance",
                instance_id,
                before={"launch_template_version": launched.get(instance_id)},
                after={"launch_template_version": wanted},
                fields=["launch_template_version"],
                ref=group_name,
            )
            for instance_id in stale
        ]
    )


def validate_params(params):
    """Errors in the module's options (no AWS call), each naming the option."""
    errors = validate_stack_name(params["stack"], "stack")
    if not 1 <= params["batch_size"] <= 20:
        errors.append("batch_size: %d; replace 1 to 20 instances at a time" % params["batch_size"])
    if not 0 <= params["min_healthy_percentage"] <= 100:
        errors.append("min_healthy_percentage: %d is outside 0-100" % params["min_healthy_percentage"])
    for option in ("wait_timeout", "poll_interval"):
        if params[option] < 1:
            errors.append("%s: %d; give 1 second or more" % (option, params[option]))
    if len(set(params["tiers"])) != len(params["tiers"]):
        errors.append("tiers: %s lists a tier twice" % ", ".join(params["tiers"]))
    return errors


# ---------------------------------------------------------------- read


def read_tier(clients, stack, tier):
    """(group, launched versions, wanted version) of one tier; raises ComputeError when the group is missing."""
    n = names.compute(stack, tier)
    group = clients.autoscaling.group_named(n["auto_scaling_group"])
    if group is None:
        raise model.ComputeError("Auto Scaling group %s of stack %s not found; deploy the compute tier first" % (n["auto_scaling_group"], stack))
    template = None
    spec = group.get("LaunchTemplate") or {}
    if str(spec.get("Version") or "$Default").startswith("$"):
        template = launch_template(clients, spec.get("LaunchTemplateName") or n["launch_template"])
    ids = in_service(group)
    reservations = clients.ec2.describe_instances(InstanceIds=ids) if ids else []
    launched = launched_versions(instance for reservation in reservations for instance in reservation.get("Instances", []))
    return group, launched, wanted_version(group, template)


# ---------------------------------------------------------------- apply


class Roller:
    """Carries out the roll of one group through ``clients`` (an ``_aws.clients.Clients``)."""

    def __init__(self, clients, timeout=900, delay=5, guard=None):
        self.guard = guard  # called with (group, batch, fresh) once a batch's new instances are healthy; raises to stop (rollback.py)
        self.asg = clients.autoscaling
        self.elb = clients.elbv2
        self.ec2 = clients.ec2
        self.timeout = timeout
        self.delay = max(1, int(delay))
        self.replaced = []
        self.refresh_id = None
        self.warnings = []

    def _group(self, name):
        group = self.asg.group_named(name)
        if group is None:
            raise model.ComputeError("Auto Scaling group %s is gone" % name)
        return group

    def replace(self, group, stale, batch_size):
        name = group["AutoScalingGroupName"]
        already = set(p["ProcessName"] for p in group.get("SuspendedProcesses") or [])
        suspend = [p for p in ROLL_SUSPENDS if p not in already]
        if suspend:
            self.asg.suspend_processes(AutoScalingGroupName=name, ScalingProcesses=suspend)
        state = {"max": group["MaxSize"], "finished": False}
        try:
            for batch in batches(stale, batch_size):
                self._replace_batch(group, batch, state)
            state["finished"] = True
        finally:
            if state["max"] != group["MaxSize"]:
                if state["finished"]:
                    self.asg.update_auto_scaling_group(AutoScalingGroupName=name, MaxSize=group["MaxSize"])
                else:
                    self.warnings.append("the roll of %s stopped mid-batch: its max size stays raised until the extra instances are gone" % name)
            if suspend:
                self.asg.resume_processes(AutoScalingGroupName=name, ScalingProcesses=suspend)

    def _replace_batch(self, group, batch, state):
        name, target_groups = group["AutoScalingGroupName"], group.get("TargetGroupARNs") or []
        before = set(in_service(self._group(name)))
        surge = group["DesiredCapacity"] + len(batch)
        if surge > state["max"]:
            self.asg.update_auto_scaling_group(AutoScalingGroupName=name, MaxSize=surge)
            state["max"] = surge
        self.asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=surge, HonorCooldown=False)
        # the desired capacity is the surge now: wait until that many are in service
        self.asg.wait("DesiredInService", self.timeout, self.delay, AutoScalingGroupNames=[name])
        fresh = sorted(set(in_service(self._group(name))) - before)
        for arn in target_groups:
            self.elb.wait("target_in_service", self.timeout, self.delay, TargetGroupArn=arn, Targets=[{"Id": i} for i in fresh])
        if self.guard:
            self.guard(name, batch, fresh)
        for arn in target_groups:
            self.elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": i} for i in batch])
        for arn in target_groups:
            self.elb.wait("target_deregistered", self.timeout, self.delay, TargetGroupArn=arn, Targets=[{"Id": i} for i in batch])
        # detached in one call, then terminated: terminating them one by one from inside the group would let
        # each termination's capacity change re-register the rest of the batch (moto does exactly that)
        self.asg.detach_instances(AutoScalingGroupName=name, InstanceIds=batch, ShouldDecrementDesiredCapacity=True)
        self.ec2.terminate_instances(InstanceIds=batch)
        self.replaced += [{"old": old, "new": new} for old, new in zip(batch, fresh)]

    def refresh(self, group, preferences):
        name = group["AutoScalingGroupName"]
        self.refresh_id, warning = self.asg.start_rolling_refresh(name, preferences)
        if warning:
            self.warnings.append(warning)
        params = {"AutoScalingGroupName": name}
        if self.refresh_id:
            params["InstanceRefreshIds"] = [self.refresh_id]
        self.asg.wait("RefreshDone", self.timeout, self.delay, **params)


def roll_tier(clients, params, run, outcome, tier):
    """Plan one tier's roll into ``outcome`` and, unless check mode, carry it out."""
    group, launched, wanted = read_tier(clients, params["stack"], tier)
    name = group["AutoScalingGroupName"]
    stale = stale_instances(group, launched, wanted)
    outcome.plan.extend(plan_roll(name, stale, launched, wanted).changes)
    outcome.result["tiers"][tier] = dict(auto_scaling_group=name, launch_template_version=wanted, replaced=[], refresh_id=None)
    if not stale or run.check_mode:
        return
    serving = len(in_service(group))
    if serving < group["DesiredCapacity"]:
        raise ShortGroup("%s has %d of %d instances in service; not rolling a group that is short already" % (name, serving, group["DesiredCapacity"]))
    guard = None
    if guarded(params):
        guard = rollback.BatchGuard(clients, params["bake_time"], params["rollback_alarms"], outcome.flow, params["max_error_rate"], params["min_requests"])
    roller = Roller(clients, params["wait_timeout"], params["poll_interval"], guard=guard)
    try:
        if params["strategy"] == "replace":
            try:
                roller.replace(group, stale, params["batch_size"])
            except rollback.Breach as breach:
                back = rollback.roll_back(clients, params, tier, group, launched, stale, wanted, breach, read_tier, Roller)
                outcome.result["tiers"][tier]["rollback"] = back
                raise model.ComputeError("%s; rolled back to launch template version %s" % (breach, back["version"])) from None
        else:
            preferences = {"MinHealthyPercentage": params["min_healthy_percentage"], "InstanceWarmup": params["instance_warmup"], "SkipMatching": True}
            roller.refresh(group, preferences)
    finally:
        outcome.warnings += roller.warnings
        outcome.result["tiers"][tier].update(replaced=roller.replaced, refresh_id=roller.refresh_id)


class ShortGroup(model.ComputeError):
    """A group already short of its desired capacity is not rolled (reported without the per-tier results)."""


def guarded(params):
    """A bake per batch (and a rollback on a breach): asked for by bake_time, rollback_alarms or order_url, with strategy replace."""
    return params["strategy"] == "replace" and bool(params.get("bake_time") or params.get("rollback_alarms") or params.get("order_url"))


def reconcile(clients, params, run, outcome):
    """Every tier of ``params["tiers"]`` in turn; ``outcome.step`` names the tier being rolled."""
    outcome.result["tiers"] = {}
    for tier in params["tiers"]:
        outcome.step = tier
        roll_tier(clients, params, run, outcome, tier)


def run_roll(argument_spec):
    """main() of compute_rolling_update."""
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    errors = validate_params(params)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid rolling update settings: " + "; ".join(errors), errors=errors)
    outcome = Outcome()
    outcome.flow = None
    if guarded(params) and params.get("order_url") and not module.check_mode:
        outcome.flow = OrderFlow(params["order_url"], "ROLL", params["order_rate"], max_seconds=params["wait_timeout"] * 4)
        outcome.flow.start()
    INTERRUPTION.listen()  # SIGTERM: stop between AWS calls and say what was done
    try:
        reconcile(Clients(module), params, Run(module.check_mode, module.region), outcome)
    except Interrupted as error:
        extra = {"requests": stop_flow(outcome.flow)} if outcome.flow else {}
        module.fail_json(msg=str(error), plan=outcome.plan.as_list(), tiers=outcome.result.get("tiers", {}), **extra)
    except ShortGroup as error:
        module.fail_json(msg=str(error), plan=outcome.plan.as_list())
    except model.ComputeError as error:
        extra = {"requests": stop_flow(outcome.flow)} if outcome.flow else {}
        module.fail_json(msg=str(error), plan=outcome.plan.as_list(), tiers=outcome.result.get("tiers", {}), **extra)
    except aws_errors() as error:
        failure = "Failed to roll the %s tier of stack %s" % (outcome.step, params["stack"])
        module.fail_json_aws(error, msg=failure, plan=outcome.plan.as_list(), tiers=outcome.result.get("tiers", {}))
    if outcome.flow:
        outcome.result["requests"] = stop_flow(outcome.flow)
    exit_with(module, outcome)


def stop_flow(flow):
    flow.stop()
    return flow.totals()
