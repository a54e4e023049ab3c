"""The database tier as RDS Multi-AZ runs it: a primary and a synchronous standby in two AZs, one stable name.

Two PostgreSQL containers, ``hatrading-<stack>-pg-<AZ>`` (volumes ``...-pgdata``), stand for the
two AZs of the stack's Multi-AZ instance (for an Aurora cluster: its writer and first reader,
named by instance id). The standby is a pg_basebackup of the primary and streams from it;
the primary commits synchronously (``synchronous_commit = on``, ``synchronous_standby_names = '*'``)
once the standby streams, so an acknowledged commit is on both.

The stable name is a small haproxy TCP front, ``hatrading-<stack>-postgres`` (network aliases
``postgres`` and the RDS endpoint addresses moto reports), with one server per node: the
primary's is ``ready``, the standby's ``maint``. A front rather than a Docker network alias,
because an alias cannot move between running containers (the promoted node would have to be
disconnected from the network and reconnected), and the front can cut every session of the old
primary at once (``shutdown sessions``), so a client fails fast and reconnects instead of waiting
on a dead peer: what RDS's DNS flip plus the old primary's reboot do.

Each round (:func:`sync`) follows moto as the instances follow Auto Scaling: when the primary AZ moto
reports (``RebootDBInstance(ForceFailover=True)`` swaps it, lab/moto_rds_failover_mend.py; Aurora's
``FailoverDBCluster`` moves the writer) is the standby's, the plane fails over:

1. fence: the old primary's server to ``maint`` and its sessions shut; the old primary stopped
   (fast shutdown, so it can be rewound);
2. promote the standby (``pg_ctl promote -w``: it replays every WAL record it flushed, which with
   synchronous commit includes every acknowledged commit) and let it commit alone
   (``synchronous_standby_names = ''``) until it has a standby again;
3. its server to ``ready``: clients connect again (the RTO ends here);
4. the old primary is recreated as the new standby (``pg_rewind``, else a fresh ``pg_basebackup``);
   once it streams, synchronous commit is on again, and a second failover can follow.

A standby that stops is recreated the same way; while it is away the primary commits alone.
State (nodes, primary, synchronous) in ``.lab/stacks/<stack>/database.json``.
"""

import json
import time

from . import engine

IMAGE = "hatrading/lab-postgres:15"
FRONT_IMAGE = "hatrading/lab-haproxy:2.6"
BACKEND = "primary"
PGDATA = "/var/lib/postgresql/data"


def node_name(stack, key):
    return "hatrading-%s-pg-%s" % (stack, key)


def front_name(stack):
    return engine.postgres_name(stack)  # the name engine.database_url gives the back-ends


def _state_path(stack):
    return engine.stack_dir(stack) / "database.json"


def load_state(stack):
    path = engine.LAB / "stacks" / stack / "database.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def save_state(stack, state):
    _state_path(stack).write_text(json.dumps(state, indent=2, sort_keys=True))


def _tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("TagList", [])}


def topology(session, stack, region):
    """What RDS reports for the stack's database: {"kind", "id", "keys": [primary, standby], "primary", "aliases"}.

    A Multi-AZ instance: its AZ and SecondaryAvailabilityZone. An Aurora cluster: its writer and
    first reader. Neither (no database tier in moto): two AZs of the region, no RDS to follow.
    """
    rds = session.client("rds")
    try:
        clusters = [c for c in rds.describe_db_clusters()["DBClusters"] if _tags(c).get("hatrading:stack") == stack]
        instances = [i for i in rds.describe_db_instances()["DBInstances"] if _tags(i).get("hatrading:stack") == stack]
    except Exception:  # noqa: BLE001  (an endpoint without RDS: the lab's own pair)
        clusters, instances = [], []
    for cluster in clusters:
        members = cluster.get("DBClusterMembers") or []
        writer = [m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter")]
        readers = [m["DBInstanceIdentifier"] for m in members if not m.get("IsClusterWriter")]
        if writer and readers:
            aliases = [cluster.get("Endpoint"), cluster.get("ReaderEndpoint")]
            aliases += [i["Endpoint"]["Address"] for i in instances if i.get("DBClusterIdentifier") == cluster["DBClusterIdentifier"] and i.get("Endpoint")]
            return {"kind": "cluster", "id": cluster["DBClusterIdentifier"], "keys": [writer[0], readers[0]], "primary": writer[0], "aliases": _clean(aliases)}
    for instance in instances:
        if instance.get("DBClusterIdentifier"):
            continue
        zone, standby = instance.get("AvailabilityZone"), instance.get("SecondaryAvailabilityZone")
        aliases = _clean([(instance.get("Endpoint") or {}).get("Address")])
        if zone and standby and zone != standby:
            return {"kind": "instance", "id": instance["DBInstanceIdentifier"], "keys": [zone, standby], "primary": zone, "aliases": aliases}
        zone = zone or region + "a"
        other = region + ("b" if not zone.endswith("b") else "a")
        return {"kind": "instance", "id": instance["DBInstanceIdentifier"], "keys": [zone, other], "primary": zone, "aliases": aliases}
    return {"kind": None, "id": None, "keys": [region + "a", region + "b"], "primary": region + "a", "aliases": []}


def _clean(names):
    return sorted({n for n in names if n})


def desired_primary(session, stack, state):
    """The node moto says is primary now (None when moto says nothing about this pair)."""
    if not state.get("id"):
        return None
    found = topology(session, stack, state["region"])
    if found["id"] != state["id"] or found["primary"] not in state["keys"]:
        return None
    return found["primary"]


# --------------------------------------------------------------------------- nodes


def _running(name):
    found = engine.inspect("container", name)
    return bool(found) and found[0]["State"]["Running"]


def start_node(stack, key, password, login, primary_key=None):
    """(Re)create a node's container on its volume: a primary, or a standby of ``primary_key``."""
    name = node_name(stack, key)
    if engine.inspect("container", name):
        engine.docker("rm", "-f", name)
    user, _password, dbname = login
    argv = ["run", "-d", "--init", "--name", name, "--network", engine.network_name(stack), "--network-alias", name]
    argv += ["--label", "hatrading.stack=%s" % stack, "--label", "hatrading.lab-role=database-node", "--label", "hatrading.db-node=%s" % key]
    argv += ["-e", "POSTGRES_USER=%s" % user, "-e", "POSTGRES_DB=%s" % dbname, "-e", "NODE_NAME=%s" % key]
    argv += ["--env-file", str(engine._secret_env_file(stack, password))]
    if primary_key:
        argv += ["-e", "PRIMARY_HOST=%s" % node_name(stack, primary_key)]
    argv += ["-v", "%s-pgdata:%s" % (name, PGDATA), IMAGE]
    engine.docker(*argv)
    engine.log("database node %s started as %s" % (name, "standby of %s" % primary_key if primary_key else "primary"))
    return name


def psql(stack, key, sql, timeout=30):
    """One SQL statement on a node over its local socket, as the database user; stdout (unaligned, tuples only)."""
    script = 'psql -X -h /tmp -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v ON_ERROR_STOP=1 -tAc "$1"'
    return engine.docker("exec", node_name(stack, key), "sh", "-c", script, "psql", sql, timeout=timeout)


def standby_streaming(stack, state):
    """The standby's sync_state on the primary ('sync', 'async', or None when it does not stream)."""
    standby = _standby(state)
    try:
        answer = psql(stack, state["primary"], "SELECT sync_state FROM pg_stat_replication WHERE application_name = '%s' AND state = 'streaming'" % standby)
    except engine.LabError:
        return None
    return answer.splitlines()[0] if answer else None


def set_synchronous(stack, key, on):
    value = "'*'" if on else "''"
    psql(stack, key, "ALTER SYSTEM SET synchronous_standby_names = %s" % value)
    psql(stack, key, "SELECT pg_reload_conf()")


def _standby(state):
    return next(k for k in state["keys"] if k != state["primary"])


# --------------------------------------------------------------------------- the stable name


def render_front(state):
    lines = [
        "# generated by lab/plane/database.py: the database tier's stable name, routed to the primary only",
        "global",
        "    stats socket /run/alb/admin.sock mode 600 level admin",
        "    stats timeout 10s",
        "resolvers docker",
        "    nameserver dns 127.0.0.11:53",
        "    hold valid 1s",
        "    timeout resolve 1s",
        "defaults",
        "    mode tcp",
        "    timeout connect 2s",
        "    timeout client 1h",
        "    timeout server 1h",
        "frontend postgres",
        "    bind :5432",
        "    default_backend %s" % BACKEND,
        "backend %s" % BACKEND,
    ]
    for key in state["keys"]:
        # a recreated node has a new address: the resolvers follow it
        lines.append("    server %s %s:5432 resolvers docker init-addr last,libc,none disabled" % (key, node_name(state["stack"], key)))
    return "\n".join(lines) + "\n"


def ensure_front(stack, state):
    """The front's container (recreated if its config changed or it stopped); returns its runtime API."""
    from .balancer import RuntimeAPI  # noqa: PLC0415  (one runtime API client for every haproxy of the lab)

    home = engine.stack_dir(stack) / "database-front"
    home.mkdir(parents=True, exist_ok=True)
    config = render_front(state)
    digest = engine.digest(config)
    name = front_name(stack)
    found = engine.inspect("container", name)
    if not (found and found[0]["State"]["Running"] and found[0]["Config"]["Labels"].get("hatrading.front-config") == digest):
        if found:
            engine.docker("rm", "-f", name)
        (home / "haproxy.cfg").write_text(config)
        (home / "admin.sock").unlink(missing_ok=True)
        argv = ["run", "-d", "--init", "--name", name, "--network", engine.network_name(stack), "--network-alias", "postgres"]
        for alias in state["aliases"]:
            argv += ["--network-alias", alias]
        argv += ["--label", "hatrading.stack=%s" % stack, "--label", "hatrading.lab-role=database", "--label", "hatrading.front-config=%s" % digest]
        argv += ["-v", "%s:/run/alb" % home, FRONT_IMAGE]
        engine.docker(*argv)
        engine._wait_for("database front %s runtime API" % name, (home / "admin.sock").exists, 30)
        engine.log("database front %s started (aliases: %s)" % (name, ", ".join(["postgres"] + state["aliases"])))
    return RuntimeAPI(home / "admin.sock")


def route(api, state):
    """The primary's server ready, the other in maint (idempotent)."""
    servers = api.servers(BACKEND)
    for key in state["keys"]:
        want_ready = key == state["primary"]
        is_maint = bool(servers.get(key, {}).get("admin_state", 1) & 0x05)  # forced (CLI) or configured (disabled) maintenance
        if want_ready and is_maint:
            api.ok("set server %s/%s state ready" % (BACKEND, key))
        elif not want_ready and not is_maint:
            api.ok("set server %s/%s state maint" % (BACKEND, key))
            api("shutdown sessions server %s/%s" % (BACKEND, key))


# --------------------------------------------------------------------------- up, rounds, failover


def ensure(session, stack, login, region, timeout=180):
    """Bring the pair and its front up (idempotent); waits until the standby commits synchronously."""
    state = load_state(stack)
    if state is None:
        found = topology(session, stack, region)
        state = {"stack": stack, "region": region, "kind": found["kind"], "id": found["id"], "keys": found["keys"]}
        state.update(primary=found["primary"], aliases=found["aliases"], synchronous=False, failovers=[])
        save_state(stack, state)
    _user, password, _db = login
    if not _running(node_name(stack, state["primary"])):
        start_node(stack, state["primary"], password, login)
    engine.wait_healthy(node_name(stack, state["primary"]), timeout)
    api = ensure_front(stack, state)
    route(api, state)
    _ensure_standby(stack, state, login, timeout)
    return state


def _ensure_standby(stack, state, login, timeout):
    """Recreate a standby that is not running; turn synchronous commit on once it streams."""
    standby = _standby(state)
    if not _running(node_name(stack, standby)):
        if state["synchronous"]:  # no standby to wait for: the primary commits alone meanwhile
            set_synchronous(stack, state["primary"], False)
            state["synchronous"] = False
            save_state(stack, state)
        start_node(stack, standby, login[1], login, primary_key=state["primary"])
    if state["synchronous"]:
        return
    deadline = time.monotonic() + timeout
    while standby_streaming(stack, state) is None:
        if time.monotonic() > deadline:
            raise engine.LabError("standby %s does not stream: %s" % (standby, engine.container_logs(node_name(stack, standby), 20)))
        time.sleep(0.3)
    set_synchronous(stack, state["primary"], True)
    engine._wait_for("standby %s synchronous" % standby, lambda: standby_streaming(stack, state) == "sync", 30)
    state["synchronous"] = True
    save_state(stack, state)
    engine.log("database: %s primary, %s synchronous standby" % (state["primary"], standby))


def failover(stack, state, login):
    """Promote the standby and move the stable name to it, then make the old primary the new standby; returns the timings."""
    old, new = state["primary"], _standby(state)
    if not state["synchronous"]:
        engine.log("database: failover to %s deferred: it is not a synchronous standby yet" % new)
        return None
    began = time.monotonic()
    api = ensure_front(stack, state)
    api.ok("set server %s/%s state maint" % (BACKEND, old))
    api("shutdown sessions server %s/%s" % (BACKEND, old))
    engine.docker("stop", "-t", "20", node_name(stack, old), check=False, timeout=60)
    fenced = time.monotonic()
    if psql(stack, new, "SELECT pg_is_in_recovery()") == "t":  # a round that failed half-way may have promoted it already
        engine.docker("exec", node_name(stack, new), "pg_ctl", "promote", "-w", "-t", "60", "-D", PGDATA, timeout=90)
    set_synchronous(stack, new, False)
    state.update(primary=new, synchronous=False)
    route(api, state)
    save_state(stack, state)  # after the name moved: a reader of the state finds the name on the new primary
    opened = time.monotonic()
    # pg_rewind reads the source's timeline from its control file, which a promotion updates only at the next
    # checkpoint: without one, the old primary is rewound onto the old timeline and cannot follow the new one
    # (PostgreSQL's pg_rewind docs; PostgreSQL 15.18 showed it on a second failover in a row)
    psql(stack, new, "CHECKPOINT")
    _ensure_standby(stack, state, login, 180)
    rebuilt = "pg_basebackup" if "copying the primary afresh" in engine.container_logs(node_name(stack, old), 200) else "pg_rewind"
    timings = {
        "from": old,
        "to": new,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "fence_s": round(fenced - began, 2),
        "promote_s": round(opened - fenced, 2),
        "name_moved_s": round(opened - began, 2),
        "standby_back_s": round(time.monotonic() - opened, 2),
        "standby_rebuilt_by": rebuilt,
    }
    state["failovers"] = (state.get("failovers") or [])[-9:] + [timings]
    save_state(stack, state)
    engine.log("database: failover %s -> %s: %s" % (old, new, json.dumps(timings)))
    return timings


def sync(session, stack, login):
    """One round: fail over when moto says the standby's AZ is primary now; keep the standby and the front up."""
    state = load_state(stack)
    if state is None:
        return None
    if desired_primary(session, stack, state) == _standby(state):
        return {"failover": failover(stack, state, login)}
    api = ensure_front(stack, state)
    route(api, state)
    if not _running(node_name(stack, state["primary"])):
        return {"primary_down": state["primary"]}  # not a failover moto asked for: nothing to follow
    _ensure_standby(stack, state, login, 180)
    return {}


def report(stack):
    """The pair as the status table shows it: one row per node, and the front."""
    state = load_state(stack)
    if state is None:
        return None
    rows = []
    for key in state["keys"]:
        found = engine.inspect("container", node_name(stack, key))
        running = bool(found) and found[0]["State"]["Running"]
        role = "primary" if key == state["primary"] else ("standby (sync)" if state["synchronous"] else "standby")
        status = found[0]["State"]["Status"] if found else "absent"
        rows.append({"node": key, "container": node_name(stack, key), "role": role, "state": status, "running": running})
    return {
        "front": front_name(stack),
        "aliases": ["postgres"] + state["aliases"],
        "rds": state["id"],
        "primary": state["primary"],
        "synchronous": state["synchronous"],
        "nodes": rows,
        "failovers": state.get("failovers") or [],
    }


def volumes(stack):
    state = load_state(stack)
    return ["%s-pgdata" % node_name(stack, key) for key in (state or {}).get("keys", [])]
