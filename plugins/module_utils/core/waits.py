# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for long creates started earlier: one look at each, how long AWS usually takes, the progress line.

``site.yml`` starts the database and the NAT gateways without waiting and waits only where a later
step needs them (hatrading.aws.stack_wait). Pure functions here; the reads are in :func:`look`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

try:
    from botocore.exceptions import WaiterError
except ImportError:  # handled by AnsibleAWSModule
    WaiterError = Exception

# Minutes AWS usually takes (low, high), as reported in issue 13 (docs/lab.md gives the sources).
TYPICAL_MINUTES = {
    "nat_gateway": (1.5, 2),
    "db_instance_multi_az": (15, 20),
    "db_instance": (4, 6),
    "db_cluster": (10, 10),
    "distribution": (3, 5),
}
KINDS = ("db_instances", "db_clusters", "nat_gateways", "distributions")
READY = {"db_instance": ("available",), "db_cluster": ("available",), "nat_gateway": ("available",), "distribution": ("Deployed",)}
# States a create never leaves by itself: waiting on would only run into the timeout.
BROKEN = {
    "db_instance": ("failed", "incompatible-network", "incompatible-parameters", "incompatible-restore", "storage-full", "deleting"),
    "db_cluster": ("failed", "inaccessible-encryption-credentials", "deleting"),
    "nat_gateway": ("failed", "deleting", "deleted"),
    "distribution": (),
}


def look(clients, wanted):
    """``[{kind, id, state, ready, typical, endpoint?}]`` for ``wanted`` ({option: [ids]}): one read per kind."""
    found = []
    if wanted.get("db_instances"):
        answer = clients.rds.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": list(wanted["db_instances"])}])
        dbs = dict((db["DBInstanceIdentifier"], db) for db in answer)
        for identifier in wanted["db_instances"]:
            db = dbs.get(identifier) or {}
            kind = "db_instance_multi_az" if db.get("MultiAZ") else "db_instance"
            found.append(_entry("db_instance", identifier, db.get("DBInstanceStatus"), kind, (db.get("Endpoint") or {}).get("Address")))
    if wanted.get("db_clusters"):
        answer = clients.rds.describe_db_clusters(Filters=[{"Name": "db-cluster-id", "Values": list(wanted["db_clusters"])}])
        clusters = dict((cluster["DBClusterIdentifier"], cluster) for cluster in answer)
        for identifier in wanted["db_clusters"]:
            cluster = clusters.get(identifier) or {}
            found.append(_entry("db_cluster", identifier, cluster.get("Status"), "db_cluster", cluster.get("Endpoint")))
    if wanted.get("nat_gateways"):
        nats = dict((nat["NatGatewayId"], nat) for nat in clients.ec2.describe_nat_gateways(NatGatewayIds=list(wanted["nat_gateways"])))
        for identifier in wanted["nat_gateways"]:
            found.append(_entry("nat_gateway", identifier, (nats.get(identifier) or {}).get("State"), "nat_gateway"))
    for identifier in wanted.get("distributions") or []:
        distribution = clients.cloudfront._distribution(Id=identifier).get("Distribution") or {}
        found.append(_entry("distribution", identifier, distribution.get("Status"), "distribution", distribution.get("DomainName")))
    return found


# botocore's waiter for each kind (service, waiter, parameter name, whether it takes a list): one look waits on them
WAITERS = {
    "db_instance": ("rds", "db_instance_available", "DBInstanceIdentifier", False),
    "db_cluster": ("rds", "db_cluster_available", "DBClusterIdentifier", False),
    "nat_gateway": ("ec2", "nat_gateway_available", "NatGatewayIds", True),
    "distribution": ("cloudfront", "distribution_deployed", "Id", False),
}


def wait_one_look(clients, wanted, window, delay, now=time.monotonic):
    """One look of ``window`` seconds: read; wait on botocore's waiters for what is not ready while the window lasts; read.

    A waiter that runs out of the window (or sees a failure state) ends the look: the last read says which.
    """
    entries = look(clients, wanted)
    deadline = now() + window
    pending = [entry for entry in entries if not entry["ready"] and not broken([entry])]
    if not pending or broken(entries):
        return entries
    for entry in pending:
        left = deadline - now()
        if left < delay:
            break
        service, waiter, key, as_list = WAITERS[entry["kind"]]
        try:
            getattr(clients, service).wait(waiter, left, delay, **{key: [entry["id"]] if as_list else entry["id"]})
        except WaiterError:
            break
    return look(clients, wanted)


def _entry(kind, identifier, state, typical_kind, endpoint=None):
    entry = {"kind": kind, "id": identifier, "state": state or "missing", "ready": state in READY[kind], "typical": list(TYPICAL_MINUTES[typical_kind])}
    if endpoint:
        entry["endpoint"] = endpoint
    return entry


def broken(entries):
    """The entries no wait can help: gone, or in a state a create never leaves by itself."""
    return [entry for entry in entries if entry["state"] == "missing" or entry["state"] in BROKEN[entry["kind"]]]


def clock(seconds):
    """4:10 for 250 s; 1:02:03 past an hour."""
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    return ("%d:%02d:%02d" % (hours, rest // 60, rest % 60)) if hours else ("%d:%02d" % (rest // 60, rest % 60))


def minutes(typical):
    low, high = typical
    text = ("%g" % low) if low == high else ("%g-%g" % (low, high))
    return "about %s min" % text


def progress_line(name, entry, elapsed):
    """``waiting for demo-database (creating, 4:10 of about 15-20 min)``."""
    return "waiting for %s (%s, %s of %s)" % (name, entry["state"], clock(elapsed), minutes(entry["typical"]))


def timeline_lines(marks, creates, now):
    """The deploy's timeline: each step from its mark to the next, then each long create and its wait.

    ``marks``: ``[{name, at}]`` in order (``at``: seconds since the epoch), the last one's span ends at ``now``.
    ``creates``: ``[{name, started, result}]``: ``result`` is the registered stack_wait (skipped or absent when
    nothing was waited for), ``started`` when the create began (empty when nothing was started).
    """
    marks = [mark for mark in marks if mark.get("at") not in (None, "")]
    if not marks:
        return []
    zero = float(marks[0]["at"])
    width = max([len(str(mark["name"])) for mark in marks] + [len(str(create["name"])) for create in creates] + [4])
    lines = ["timeline (m:ss from the deploy's start, real time)"]
    for mark, following in zip(marks, marks[1:] + [{"at": now}]):
        start = float(mark["at"]) - zero
        lines.append("  %-*s  started %7s  ran %7s" % (width, mark["name"], clock(start), clock(float(following["at"]) - float(mark["at"]))))
    for create in creates:
        if create.get("started") in (None, ""):
            continue
        started = float(create["started"]) - zero
        result = create.get("result") or {}
        resources = result.get("resources") or []
        ready = [entry.get("ready_after") for entry in resources if entry.get("ready_after") is not None]
        if result.get("skipped") or not resources:
            how = create.get("not_waited") or "ready when started, or not waited for"
            lines.append("  %-*s  started %7s  %s" % (width, create["name"], clock(started), how))
            continue
        took = ("ready after %s" % clock(max(ready))) if ready and len(ready) == len(resources) else "not ready"
        lines.append("  %-*s  started %7s  %s, waited %s" % (width, create["name"], clock(started), took, clock(result.get("waited") or 0)))
    lines.append("  %-*s  %s" % (width, "total", clock(now - zero)))
    return lines
