# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A drill run: find the targets, inject the fault, watch the stop conditions and the recovery, restore, report.

Every AWS call goes through the AWS layer (``clients.autoscaling``, ``clients.ec2``, ``clients.rds``,
``clients.cloudwatch``, ``clients.elbv2``): the same run works against AWS and the lab.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import DrillError
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import StopConditions
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import Timeline
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import figures
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import group_name
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import plan

ACKS_IN_A_ROW = 5  # acknowledged orders after the last failure that say a database failover is over


def _tag(tags, key):
    return next((t.get("Value") for t in tags or [] if t.get("Key") == key), None)


def find_database(clients, stack, identifier=None, cluster=None):
    """{"kind", "id", "arn"} of the drill's database: the one named, else the stack's (tag hatrading:stack)."""
    if cluster:
        found = clients.rds.describe_db_clusters(DBClusterIdentifier=cluster)
        return {"kind": "cluster", "id": cluster, "arn": found[0]["DBClusterArn"]} if found else None
    if identifier:
        found = clients.rds.describe_db_instances(DBInstanceIdentifier=identifier)
        return {"kind": "instance", "id": identifier, "arn": found[0]["DBInstanceArn"]} if found else None
    for db in clients.rds.describe_db_instances():
        if _tag(db.get("TagList"), "hatrading:stack") == stack and not db.get("DBClusterIdentifier"):
            return {"kind": "instance", "id": db["DBInstanceIdentifier"], "arn": db["DBInstanceArn"]}
    for db in clients.rds.describe_db_clusters():
        if _tag(db.get("TagList"), "hatrading:stack") == stack:
            return {"kind": "cluster", "id": db["DBClusterIdentifier"], "arn": db["DBClusterArn"]}
    return None


def database_primary(clients, database):
    """Where the writer is now: the instance's AZ, or the cluster's writer member."""
    if database["kind"] == "cluster":
        members = clients.rds.describe_db_clusters(DBClusterIdentifier=database["id"])[0].get("DBClusterMembers", [])
        return next((m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter")), None), "available"
    found = clients.rds.describe_db_instances(DBInstanceIdentifier=database["id"])[0]
    return found.get("AvailabilityZone"), found.get("DBInstanceStatus")


class Drill:
    """One scenario against one stack; :meth:`run` returns the report (a dict)."""

    def __init__(
        self,
        clients,
        stack,
        scenario,
        tier="backend",
        az=None,
        db_instance=None,
        db_cluster=None,
        bad_release_version=None,
        stop=None,
        flow=None,
        warmup=5.0,
        duration=300.0,
        poll=2.0,
        window=10.0,
        settle=5.0,
        clock=time.monotonic,
        sleep=time.sleep,
    ):
        self.clients, self.stack, self.scenario, self.tier = clients, stack, scenario, tier
        self.az, self.db_instance, self.db_cluster, self.bad_release_version = az, db_instance, db_cluster, bad_release_version
        self.stop = stop or StopConditions()
        self.flow = flow
        self.warmup, self.duration, self.poll, self.window, self.settle = warmup, duration, poll, window, settle
        # A drill watches AWS and its own order flow together and times both (detect, recover); no botocore waiter
        # can, so it polls every ``poll`` seconds within the bounded ``duration``. Tests pass a fake clock and sleep.
        self.clock, self.sleep = clock, sleep
        self.timeline = Timeline()
        self.began = None

    # -- reading
    def now(self):
        return self.clock() - self.began

    def note(self, event, detail=""):
        self.timeline.add(self.now(), event, detail)

    def group(self):
        found = self.clients.autoscaling.groups_named([group_name(self.stack, self.tier)])
        return found[0] if found else None

    def subnet_zones(self, group):
        ids = [s for s in (group or {}).get("VPCZoneIdentifier", "").split(",") if s]
        return {s["SubnetId"]: s["AvailabilityZone"] for s in self.clients.ec2.describe_subnets(SubnetIds=ids)} if ids else {}

    def versions(self, ids):
        """Instance id -> launch template version, from the EC2 tag AWS sets at launch (what the rolling update reads too)."""
        found = {}
        if not ids:
            return found
        for reservation in self.clients.ec2.describe_instances(InstanceIds=sorted(ids)):
            for instance in reservation["Instances"]:
                found[instance["InstanceId"]] = _tag(instance.get("Tags"), "aws:ec2launchtemplate:version")
        return found

    def on_version(self, group, version):
        ids = [i["InstanceId"] for i in group.get("Instances", []) if i.get("LifecycleState") in ("Pending", "InService")]
        return sorted(i for i, v in self.versions(ids).items() if v == str(version))

    def healthy_instances(self, group, exclude=(), bad_version=None):
        """The group's instances in service, healthy, not ``exclude``d, not on ``bad_version``, and healthy in each target group."""
        ok = [
            i["InstanceId"]
            for i in group.get("Instances", [])
            if i.get("LifecycleState") == "InService" and i.get("HealthStatus") == "Healthy" and i["InstanceId"] not in exclude
        ]
        if bad_version is not None:
            bad = set(self.on_version(group, bad_version))
            ok = [i for i in ok if i not in bad]
        for arn in group.get("TargetGroupARNs", []):
            health = self.clients.elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            in_target = set(d["Target"]["Id"] for d in health if d["TargetHealth"]["State"] == "healthy")
            ok = [i for i in ok if i in in_target]
        return ok

    def alarm_states(self):
        if not self.stop.alarms:
            return {}
        return dict((a["AlarmName"], a["StateValue"]) for a in self.clients.cloudwatch.describe_alarms(AlarmNames=self.stop.alarms))

    def breach(self):
        window = self.flow.window(self.window, self.stop.min_requests) if self.flow else (0, 0)
        return self.stop.breach(self.alarm_states(), window)

    def orders_back(self, injected):
        """When orders were acknowledged again after a database failover, or None while not yet.

        The database plane may fail orders a few seconds after the API call, so "back" needs
        ACKS_IN_A_ROW acknowledgements after the last failure, or a whole ``window`` without one.
        """
        if not self.flow:
            return self.clock()
        after = [r for r in self.flow.snapshot() if r[0] >= injected]
        failed = [n for n, r in enumerate(after) if not r[2]]
        if failed:
            tail = after[failed[-1] + 1 :]
            return tail[0][1] if len(tail) >= ACKS_IN_A_ROW else None
        return self.clock() if after and self.clock() - injected >= self.window else None

    # -- writing
    def apply(self, action):
        kind = action["action"]
        if kind == "terminate_instances":
            self.clients.ec2.terminate_instances(InstanceIds=action["instances"])
            self.note("instances terminated", ", ".join(action["instances"]))
        elif kind in ("remove_subnets", "restore_subnets"):
            self.clients.autoscaling.update_auto_scaling_group(AutoScalingGroupName=action["group"], VPCZoneIdentifier=",".join(action["subnets"]))
            self.note("subnets %s" % ("taken out" if kind == "remove_subnets" else "restored"), ", ".join(action.get("removed") or action["subnets"]))
        elif kind == "set_version":
            self.clients.autoscaling.update_auto_scaling_group(
                AutoScalingGroupName=action["group"], LaunchTemplate={"LaunchTemplateId": action["template"], "Version": action["version"]}
            )
            self.note("group launches version %s" % action["version"], action["group"])
        elif kind == "replace_version":
            bad = self.on_version(self.group(), action["bad_version"])
            if bad:
                self.clients.ec2.terminate_instances(InstanceIds=bad)
            self.note("bad-version instances replaced", ", ".join(bad) or "none left")
        elif kind == "reboot_db_instance":
            answer = self.clients.rds.reboot_db_instance(DBInstanceIdentifier=action["target"], ForceFailover=True)
            self.note("RebootDBInstance ForceFailover", "%s: primary now %s" % (action["target"], answer.get("AvailabilityZone")))
        elif kind == "failover_db_cluster":
            self.clients.rds.failover_db_cluster(DBClusterIdentifier=action["target"])
            self.note("FailoverDBCluster", action["target"])
        else:
            raise DrillError("unknown action %r" % kind)

    # -- the run
    def prepare(self):
        database = None
        group = None
        if self.scenario == "database_failover":
            database = find_database(self.clients, self.stack, self.db_instance, self.db_cluster)
        else:
            group = self.group()
        planned = plan(self.scenario, group=group, subnets=self.subnet_zones(group), az=self.az, database=database, bad_version=self.bad_release_version)
        return planned, group, database

    def run(self):
        self.began = self.clock()
        planned, group, database = self.prepare()
        self.note("drill started", "%s on %s" % (self.scenario, database["id"] if database else group["AutoScalingGroupName"]))
        desired = group["DesiredCapacity"] if group else None
        killed = set(i for a in planned["actions"] if a["action"] == "terminate_instances" for i in a["instances"])
        primary_before = database_primary(self.clients, database)[0] if database else None
        if self.flow:
            self.flow.start()
            self.note("synthetic order flow started", "%s, %.0f orders/s" % (self.flow.url, self.flow.rate))
            self.sleep(self.warmup)
        stopped = self.breach()
        if stopped:
            self.note("stop condition fired before the fault", stopped)
            return self.finish(planned, group, database, None, None, None, stopped, desired, killed)
        injected = self.clock()
        for action in planned["actions"]:
            self.apply(action)
        self.note("fault injected")
        detected = healthy = None
        deadline = injected + self.duration
        while self.clock() < deadline:
            stopped = self.breach()
            if stopped:
                detected = detected or self.clock()
                self.note("stop condition fired", stopped)
                break
            if database:
                primary, status = database_primary(self.clients, database)
                if detected is None and primary != primary_before:
                    detected = self.clock()
                    self.note("failover seen", "primary %s -> %s" % (primary_before, primary))
                back = self.orders_back(injected)
                if detected and status == "available" and back is not None:
                    healthy = back
                    self.note("orders acknowledged again", "%d in a row after the last failure" % ACKS_IN_A_ROW if self.flow else "")
                    break
            else:
                current = self.group()
                members = set(i["InstanceId"] for i in current.get("Instances", []))
                # a bad release is detected by its stop condition, not by the replacement the drill itself caused
                loss_seen = self.scenario != "bad_release" and (killed - members or members - set(i["InstanceId"] for i in group["Instances"]))
                if detected is None and loss_seen:
                    detected = self.clock()
                    self.note("loss seen by the group", "replacements: %s" % ", ".join(sorted(members - set(i["InstanceId"] for i in group["Instances"]))))
                bad = self.bad_release_version if self.scenario == "bad_release" else None
                if detected and bad is None and len(self.healthy_instances(current, exclude=killed)) >= desired:
                    healthy = self.clock()
                    self.note("desired healthy capacity back", "%s/%s" % (desired, desired))
                    break
            self.sleep(self.poll)
        else:
            self.note("drill duration over", "%.0f s" % self.duration)
        return self.finish(planned, group, database, injected, detected, healthy, stopped, desired, killed)

    def finish(self, planned, group, database, injected, detected, healthy, stopped, desired, killed):
        for action in planned["restore"]:
            self.apply(action)
        if planned["restore"] and group:
            # the stack is restored when the group is back to its desired healthy capacity, none on the bad version
            bad = self.bad_release_version if self.scenario == "bad_release" else None
            deadline = self.clock() + self.duration
            while self.clock() < deadline:
                if len(self.healthy_instances(self.group(), exclude=killed, bad_version=bad)) >= desired:
                    self.note("stack restored", "%s/%s healthy%s" % (desired, desired, ", none on version %s" % bad if bad else ""))
                    healthy = healthy if healthy and not bad else self.clock()
                    break
                self.sleep(self.poll)
            else:
                self.note("restore not complete", "after %.0f s" % self.duration)
        if self.flow:
            self.sleep(self.settle)  # orders after the recovery, so an outage's end is seen
            self.flow.stop()
            self.note("synthetic order flow stopped")
        results = self.flow.snapshot() if self.flow else []
        figure = figures(results, injected, detected, healthy) if injected is not None else {}
        capacity = None
        if group:
            capacity = "%s/%s healthy" % (len(self.healthy_instances(self.group(), exclude=killed)), desired)
        lost = self.flow.lost() if self.flow else None
        acknowledged = len(self.flow.acknowledged()) if self.flow else 0
        state = "stopped" if stopped else ("completed" if healthy else "failed")
        report = {
            "stack": self.stack,
            "scenario": self.scenario,
            "target": database["id"] if database else (group or {}).get("AutoScalingGroupName"),
            "plan": planned,
            "state": state,
            "stop_condition": stopped,
            "stop_conditions": self.stop.as_dict(),
            "capacity_after": capacity,
            "requests": self.flow.totals() if self.flow else {"sent": 0, "failed": 0, "failed_percent": 0.0},
            "requests_during_fault": self.flow.totals(since=injected) if self.flow and injected is not None else None,
            "orders": {"acknowledged": acknowledged, "lost": len(lost) if lost is not None else None, "lost_ids": (lost or [])[:20]},
            "invariants": None if lost is None else ("every acknowledged order found" if not lost else "%d acknowledged orders missing" % len(lost)),
            "timeline": self.timeline.events,
        }
        report.update(figure)
        return report
