# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drill's pure model: what a scenario does to what it finds, the stop conditions, the timeline and its figures."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SCENARIOS = ("instance_loss", "az_loss", "database_failover", "bad_release")
TIERS = ("backend", "frontend")


class DrillError(Exception):
    """A drill that cannot be planned or run as asked (a message for the user)."""


def group_name(stack, tier):
    return "%s-%s" % (stack, tier)


def plan(scenario, group=None, subnets=None, az=None, database=None, bad_version=None):
    """The fault a scenario injects, from what it finds (pure).

    ``group``: the tier's Auto Scaling group as DescribeAutoScalingGroups answers it;
    ``subnets``: {subnet id: AZ} of that group's subnets; ``database``: {"kind": "instance"|"cluster", "id": ...}.
    Returns {"scenario", "actions": [{"action", ...}], "restore": [...]}; raises DrillError when the stack cannot take it.
    """
    if scenario not in SCENARIOS:
        raise DrillError("unknown scenario %r (one of %s)" % (scenario, ", ".join(SCENARIOS)))
    if scenario == "database_failover":
        if not database or not database.get("id"):
            raise DrillError("database_failover needs the stack's DB instance or cluster, and found none")
        operation = "failover_db_cluster" if database["kind"] == "cluster" else "reboot_db_instance"
        return {"scenario": scenario, "actions": [{"action": operation, "target": database["id"]}], "restore": []}
    if not group:
        raise DrillError("%s needs the tier's Auto Scaling group, and found none" % scenario)
    in_service = sorted(
        (i for i in group.get("Instances", []) if i.get("LifecycleState") == "InService" and i.get("HealthStatus", "Healthy") == "Healthy"),
        key=lambda i: (i.get("AvailabilityZone", ""), i["InstanceId"]),
    )
    if len(in_service) < 2:
        raise DrillError(
            "%s: group %s has %d healthy instance(s) in service; a drill needs at least 2" % (scenario, group["AutoScalingGroupName"], len(in_service))
        )
    if scenario == "instance_loss":
        return {"scenario": scenario, "actions": [{"action": "terminate_instances", "instances": [in_service[0]["InstanceId"]]}], "restore": []}
    if scenario == "az_loss":
        zones = sorted(set(i.get("AvailabilityZone") for i in in_service))
        if len(zones) < 2:
            raise DrillError("az_loss: every instance of %s is in %s; losing it would lose the tier" % (group["AutoScalingGroupName"], zones[0]))
        zone = az or zones[0]
        if zone not in zones:
            raise DrillError("az_loss: no instance of %s in %s (they are in %s)" % (group["AutoScalingGroupName"], zone, ", ".join(zones)))
        subnets = subnets or {}
        kept = [s for s in group.get("VPCZoneIdentifier", "").split(",") if s and subnets.get(s) != zone]
        removed = [s for s in group.get("VPCZoneIdentifier", "").split(",") if s and subnets.get(s) == zone]
        return {
            "scenario": scenario,
            "az": zone,
            "actions": [
                {"action": "remove_subnets", "group": group["AutoScalingGroupName"], "subnets": kept, "removed": removed},
                {"action": "terminate_instances", "instances": [i["InstanceId"] for i in in_service if i.get("AvailabilityZone") == zone]},
            ],
            "restore": [{"action": "restore_subnets", "group": group["AutoScalingGroupName"], "subnets": group["VPCZoneIdentifier"].split(",")}],
        }
    # bad_release: the group launches a bad version; one instance replaced by it; restored to the version it had
    template = group.get("LaunchTemplate") or {}
    if not bad_version:
        raise DrillError("bad_release needs bad_release_version: a launch template version of %s with the bad image" % group["AutoScalingGroupName"])
    return {
        "scenario": scenario,
        "actions": [
            {"action": "set_version", "group": group["AutoScalingGroupName"], "template": template.get("LaunchTemplateId"), "version": str(bad_version)},
            {"action": "terminate_instances", "instances": [in_service[0]["InstanceId"]]},
        ],
        "restore": [
            {"action": "set_version", "group": group["AutoScalingGroupName"], "template": template.get("LaunchTemplateId"), "version": template.get("Version")},
            {"action": "replace_version", "group": group["AutoScalingGroupName"], "bad_version": str(bad_version)},
        ],
    }


class StopConditions:
    """A named alarm in ALARM, or the synthetic flow's error rate over ``max_error_rate`` in its last window."""

    def __init__(self, alarms=(), max_error_rate=None, min_requests=20):
        self.alarms = list(alarms or [])
        self.max_error_rate = max_error_rate
        self.min_requests = min_requests

    def breach(self, alarm_states, window):
        """The reason the drill must stop, or None. ``alarm_states``: {name: StateValue}; ``window``: (sent, failed)."""
        firing = sorted(name for name in self.alarms if alarm_states.get(name) == "ALARM")
        if firing:
            return "alarm %s in ALARM" % ", ".join(firing)
        sent, failed = window
        if self.max_error_rate is not None and sent >= self.min_requests and failed > self.max_error_rate * sent:
            return "synthetic order flow error rate %.1f %% over %.1f %% (%d of %d)" % (100.0 * failed / sent, 100.0 * self.max_error_rate, failed, sent)
        return None

    def as_dict(self):
        return {"alarms": self.alarms, "max_error_rate": self.max_error_rate, "min_requests": self.min_requests}


class Timeline:
    """Events at seconds since the drill began; the figures are read from it."""

    def __init__(self):
        self.events = []

    def add(self, at, event, detail=""):
        self.events.append({"t_s": round(at, 2), "event": event, "detail": detail})

    def first(self, event):
        return next((e["t_s"] for e in self.events if e["event"] == event), None)


def outage(results, since):
    """(first failure, first acknowledgement after the last failure) among the probe's results sent after ``since``.

    ``results``: (sent, answered, ok, ...); (None, None) without a failure; (first, None) when no order was acknowledged after it.
    """
    later = [r for r in results if r[0] >= since]
    failures = [r for r in later if not r[2]]
    if not failures:
        return None, None
    back = next((r for r in later if r[0] > failures[-1][0] and r[2]), None)
    return failures[0][0], (back[1] if back else None)


def figures(results, injected_at, detected_at, healthy_at):
    """Time to detect (fault -> seen) and time to recover (fault -> capacity back and orders acknowledged again), in seconds."""
    first_fail, back = outage(results, injected_at)
    recovered = None
    if healthy_at is not None and (first_fail is None or back is not None):
        recovered = max(healthy_at, back or healthy_at)
    return {
        "time_to_detect_s": round(detected_at - injected_at, 2) if detected_at is not None else None,
        "time_to_recover_s": round(recovered - injected_at, 2) if recovered is not None else None,
        "order_outage_s": (round(back - first_fail, 2) if back is not None else None) if first_fail is not None else 0.0,
    }
