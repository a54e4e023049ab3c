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
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.waiter import WaiterModel
    from botocore.waiter import create_waiter_with_client
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.hatrading.aws.plugins.module_utils import autoscaling
from ansible_collections.hatrading.aws.plugins.module_utils import compute as model
from ansible_collections.hatrading.aws.plugins.module_utils import ec2_compute
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan

VERSION_TAG = "aws:ec2launchtemplate:version"
# processes that would fight a roll: rebalancing terminates, scaling changes the desired capacity
ROLL_SUSPENDS = ("AZRebalance", "AlarmNotification", "ScheduledActions")
STRATEGIES = ("replace", "refresh")


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


def _waiter_model(count=0):
    """Waiters botocore lacks: at least ``count`` in-service instances (known only at run time), a finished refresh."""
    waiters = {
        "version": 2,
        "waiters": {
            "InServiceAtLeast": {
                "operation": "DescribeAutoScalingGroups",
                "delay": 5,
                "maxAttempts": 120,
                "acceptors": [
                    {
                        "matcher": "path",
                        "expected": True,
                        "state": "success",
                        "argument": "length(AutoScalingGroups[0].Instances[?LifecycleState=='InService']) >= `%d`" % int(count),
                    }
                ],
            },
            "RefreshDone": {
                "operation": "DescribeInstanceRefreshes",
                "delay": 15,
                "maxAttempts": 240,
                "acceptors": [
                    {"matcher": "path", "expected": "Successful", "state": "success", "argument": "InstanceRefreshes[0].Status"},
                    {"matcher": "path", "expected": "Failed", "state": "failure", "argument": "InstanceRefreshes[0].Status"},
                    {"matcher": "path", "expected": "Cancelled", "state": "failure", "argument": "InstanceRefreshes[0].Status"},
                    {"matcher": "path", "expected": "RollbackSuccessful", "state": "failure", "argument": "InstanceRefreshes[0].Status"},
                ],
            },
        },
    }
    return WaiterModel(waiters)


def _config(timeout, delay):
    delay = max(1, int(delay))
    return {"Delay": delay, "MaxAttempts": max(1, int(timeout) // delay)}


class Roller:
    """Carries out the roll of one group; ``clients(service)`` gives retried boto3 clients."""

    def __init__(self, clients, timeout=900, delay=5):
        self.asg = clients("autoscaling")
        self.elb = clients("elbv2")
        self.ec2 = clients("ec2")
        self.timeout = timeout
        self.delay = delay
        self.replaced = []
        self.refresh_id = None
        self.warnings = []

    def _group(self, name):
        group = autoscaling.describe_group(self.asg, name)
        if group is None:
            raise model.ComputeError("Auto Scaling group %s is gone" % name)
        return group

    def replace(self, group, stale, batch_size):
        name = group["AutoScalingGroupName"]
        desired, max_size = group["DesiredCapacity"], group["MaxSize"]
        target_groups = group.get("TargetGroupARNs") or []
        already = set(p["ProcessName"] for p in group.get("SuspendedProcesses") or [])
        suspend = [p for p in ROLL_SUSPENDS if p not in already]
        if suspend:
            self.asg.suspend_processes(AutoScalingGroupName=name, ScalingProcesses=suspend, aws_retry=True)
        current_max = max_size
        finished = False
        try:
            for batch in batches(stale, batch_size):
                before = set(in_service(self._group(name)))
                surge = desired + len(batch)
                if surge > current_max:
                    self.asg.update_auto_scaling_group(AutoScalingGroupName=name, MaxSize=surge, aws_retry=True)
                    current_max = surge
                self.asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=surge, HonorCooldown=False, aws_retry=True)
                waiter = create_waiter_with_client("InServiceAtLeast", _waiter_model(surge), self.asg)
                waiter.wait(AutoScalingGroupNames=[name], WaiterConfig=_config(self.timeout, self.delay))
                fresh = sorted(set(in_service(self._group(name))) - before)
                for arn in target_groups:
                    self.elb.get_waiter("target_in_service").wait(
                        TargetGroupArn=arn, Targets=[{"Id": i} for i in fresh], WaiterConfig=_config(self.timeout, self.delay)
                    )
                for arn in target_groups:
                    self.elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": i} for i in batch], aws_retry=True)
                for arn in target_groups:
                    self.elb.get_waiter("target_deregistered").wait(
                        TargetGroupArn=arn, Targets=[{"Id": i} for i in batch], WaiterConfig=_config(self.timeout, self.delay)
                    )
                # detached in one call, then terminated: terminating them one by one from inside the group would let
                # each termination's capacity change re-register the rest of the batch (moto does exactly that)
                self.asg.detach_instances(AutoScalingGroupName=name, InstanceIds=batch, ShouldDecrementDesiredCapacity=True, aws_retry=True)
                self.ec2.terminate_instances(InstanceIds=batch, aws_retry=True)
                self.replaced += [{"old": old, "new": new} for old, new in zip(batch, fresh)]
            finished = True
        finally:
            if current_max != max_size:
                if finished:
                    self.asg.update_auto_scaling_group(AutoScalingGroupName=name, MaxSize=max_size, aws_retry=True)
                else:
                    self.warnings.append("the roll of %s stopped mid-batch: its max size stays raised until the extra instances are gone" % name)
            if suspend:
                self.asg.resume_processes(AutoScalingGroupName=name, ScalingProcesses=suspend, aws_retry=True)

    def refresh(self, group, preferences):
        name = group["AutoScalingGroupName"]
        self.refresh_id, warning = autoscaling.start_instance_refresh(self.asg, name, preferences)
        if warning:
            self.warnings.append(warning)
        waiter = create_waiter_with_client("RefreshDone", _waiter_model(), self.asg)
        params = {"AutoScalingGroupName": name}
        if self.refresh_id:
            params["InstanceRefreshIds"] = [self.refresh_id]
        waiter.wait(WaiterConfig=_config(self.timeout, self.delay), **params)


def read_tier(asg, ec2_client, stack, tier):
    """(group, launched versions, wanted version) of one tier; raises ComputeError when the group is missing."""
    name = model.names(stack, tier)["auto_scaling_group"]
    group = autoscaling.describe_group(asg, name)
    if group is None:
        raise model.ComputeError("Auto Scaling group %s of stack %s not found; deploy the compute tier first" % (name, stack))
    template = None
    spec = group.get("LaunchTemplate") or {}
    if str(spec.get("Version") or "$Default").startswith("$"):
        template = ec2_compute.describe_launch_template(ec2_client, spec.get("LaunchTemplateName") or model.names(stack, tier)["launch_template"])
    ids = in_service(group)
    launched = launched_versions(ec2_compute.describe_instances(ec2_client, ids)) if ids else {}
    return group, launched, wanted_version(group, template)
