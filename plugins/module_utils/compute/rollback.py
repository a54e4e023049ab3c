# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alarm-gated rollout: each batch of a rolling update bakes under watch, and a breach rolls it back.

:class:`BatchGuard` is the hook compute/roll.py's Roller calls once a batch's new instances are healthy
in the target groups (before the old ones are drained): for ``bake_time`` seconds it watches the
tier's alarms and the error rate of a synthetic order flow (drill/probe.py) and raises
:class:`Breach` (hosts and reason) on the first breach. :func:`roll_back` then takes the batch's new
instances out (the old ones were never drained), puts the group back on the previous launch
template version, and rolls any instance of earlier batches back to it with the same surge-then-drain roll.
Reads and writes go through the AWS layer (``clients.cloudwatch``, ``clients.autoscaling``...).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.hatrading.aws.plugins.module_utils.compute import model
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import StopConditions


class Breach(model.ComputeError):
    """A batch that failed its bake: ``hosts`` (its new instances), ``reason``, and when it was seen."""

    def __init__(self, group, hosts, reason, seen_at, first_bad_at):
        super().__init__("%s: batch %s breached during its bake: %s" % (group, ", ".join(hosts), reason))
        self.group, self.hosts, self.reason, self.seen_at, self.first_bad_at = group, list(hosts), reason, seen_at, first_bad_at


class BatchGuard:
    """Watches one batch for ``bake_time`` seconds: alarms in ALARM, or the flow's error rate since the batch went live."""

    def __init__(self, clients, bake_time=60, alarms=(), flow=None, max_error_rate=0.05, min_requests=10, poll=1.0, clock=time.monotonic, sleep=time.sleep):
        self.clients, self.bake_time, self.flow, self.poll = clients, bake_time, flow, poll
        self.stop = StopConditions(alarms, max_error_rate if flow else None, min_requests)
        self.clock, self.sleep = clock, sleep
        self.baked = []  # (group, hosts, seconds) of each batch that passed

    def alarm_states(self):
        if not self.stop.alarms:
            return {}
        return dict((a["AlarmName"], a["StateValue"]) for a in self.clients.cloudwatch.describe_alarms(AlarmNames=self.stop.alarms))

    def __call__(self, group, batch, fresh):
        live = self.clock()
        while True:
            window = (0, 0)
            if self.flow:
                since = [r for r in self.flow.snapshot() if r[0] >= live]
                window = (len(since), sum(1 for r in since if not r[2]))
            reason = self.stop.breach(self.alarm_states(), window)
            if reason:
                first_bad = next((r[0] for r in self.flow.snapshot() if r[0] >= live and not r[2]), None) if self.flow else None
                raise Breach(group, fresh, reason, self.clock(), first_bad)
            if self.clock() - live >= self.bake_time:
                self.baked.append((group, list(fresh), round(self.clock() - live, 1)))
                return
            self.sleep(self.poll)


def take_out(clients, group, hosts, max_size):
    """The failed batch's new instances out of the target groups and the group (desired capacity back down), terminated."""
    found = clients.autoscaling.groups_named([group])[0]
    for arn in found.get("TargetGroupARNs") or []:
        clients.elbv2.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": i} for i in hosts])
    clients.autoscaling.detach_instances(AutoScalingGroupName=group, InstanceIds=hosts, ShouldDecrementDesiredCapacity=True)
    clients.ec2.terminate_instances(InstanceIds=hosts)
    if found["MaxSize"] != max_size:
        clients.autoscaling.update_auto_scaling_group(AutoScalingGroupName=group, MaxSize=max_size)


def previous_version(launched, stale, wanted):
    """The version the roll started from: the one most of the stale instances run (not ``wanted``)."""
    counts = {}
    for instance in stale:
        version = launched.get(instance)
        if version and version != wanted:
            counts[version] = counts.get(version, 0) + 1
    return max(sorted(counts), key=lambda v: counts[v]) if counts else None


def set_version(clients, group, template, version):
    spec = dict((k, v) for k, v in (template or {}).items() if k in ("LaunchTemplateId", "LaunchTemplateName"))
    spec["Version"] = str(version)
    if "LaunchTemplateId" in spec and "LaunchTemplateName" in spec:
        del spec["LaunchTemplateName"]
    clients.autoscaling.update_auto_scaling_group(AutoScalingGroupName=group, LaunchTemplate=spec)


def roll_back(clients, params, tier, group, launched, stale, wanted, breach, read_tier, roller):
    """The failed batch out, the group back on the version the roll started from, earlier batches rolled back to it.

    ``read_tier`` and ``roller`` are compute/roll.py's (passed in: that module imports this one).
    """
    name = group["AutoScalingGroupName"]
    take_out(clients, name, breach.hosts, group["MaxSize"])
    out_at = time.monotonic()
    version = previous_version(launched, stale, wanted)
    if version is None:
        raise model.ComputeError("%s; no previous launch template version to roll back to" % breach)
    set_version(clients, name, group.get("LaunchTemplate"), version)
    now, now_launched, _wanted = read_tier(clients, params["stack"], tier)
    reverter = roller(clients, params["wait_timeout"], params["poll_interval"])
    back = [i for i in sorted(i["InstanceId"] for i in now.get("Instances") or [] if i.get("LifecycleState") == "InService") if now_launched.get(i) != version]
    if back:
        reverter.replace(now, back, params["batch_size"])
    return {
        "hosts": breach.hosts,
        "reason": breach.reason,
        "version": version,
        "bad_version": wanted,
        "reverted": reverter.replaced,
        "first_bad_answer_to_rollback_s": round(out_at - breach.first_bad_at, 2) if breach.first_bad_at is not None else None,
        "detected_to_rollback_s": round(out_at - breach.seen_at, 2),
        "rollback_done_s": round(time.monotonic() - breach.seen_at, 2),
    }
