"""The local data plane: real containers and load balancers that follow what the control plane (moto) says.

    python lab/dataplane.py images                    # base image (debootstrap, cached), app images, pushed to 127.0.0.1:5001
    python lab/dataplane.py up --stack demo           # engine, registry, images, network, PostgreSQL pair, reconcile, watcher; prints the front door
                                                      # (--no-database-standby: one PostgreSQL, no failover)
    python lab/dataplane.py reconcile --stack demo [--watch SECONDS] [--interval 0.5]
    python lab/dataplane.py status --stack demo [--json]
    python lab/dataplane.py url --stack demo          # the front door's URL only
    python lab/dataplane.py down --stack demo         # watcher, containers, network; then registry and dockerd (by pid)

With the observability tier deployed (its AMP workspace in moto), a real Prometheus scrapes the back-end
containers and evaluates the tier's rules: lab/plane/prometheus.py.

The database tier is a PostgreSQL primary and synchronous standby behind one stable name; a round
fails it over when moto says so (RebootDBInstance ForceFailover, FailoverDBCluster): lab/plane/database.py.

The control plane is reached with boto3 the usual way: AWS_ENDPOINT_URL (moto on loopback),
AWS_DEFAULT_REGION, credentials from the environment. If AWS_ENDPOINT_URL is unset and
.lab/endpoint exists (written by lab/demo.sh), that endpoint is used.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plane import balancer, database, engine, instances, prometheus  # noqa: E402


def session(region):
    if not os.environ.get("AWS_ENDPOINT_URL"):
        endpoint_file = engine.LAB / "endpoint"
        if endpoint_file.exists():
            os.environ["AWS_ENDPOINT_URL"] = endpoint_file.read_text().strip()
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.session.Session(region_name=region)


def rds_aliases(aws, stack):
    """Endpoint addresses of the stack's RDS instances: the lab PostgreSQL answers to them on the stack network."""
    try:
        rds = aws.client("rds")
        aliases = []
        for db in rds.describe_db_instances()["DBInstances"]:
            tags = {t["Key"]: t["Value"] for t in db.get("TagList", [])}
            if tags.get("hatrading:stack") == stack and db.get("Endpoint", {}).get("Address"):
                aliases.append(db["Endpoint"]["Address"])
        return aliases
    except Exception:  # noqa: BLE001  (no RDS in the stack, or moto without it: the alias "postgres" remains)
        return []


def step(aws, stack, database_url, login=None):
    """One round: the database pair (a failover moto asked for), instance containers, then the load balancers' servers."""
    result = {}
    if login is not None:
        result["database"] = database.sync(aws, stack, login)
    changes = instances.reconcile(aws, stack, database_url, keep=balancer.server_instances(stack))
    servers = balancer.sync(aws, stack, live=set(changes["instances"]))
    # a real Prometheus when the stack has the observability tier's workspace (lab/plane/prometheus.py)
    return dict(result, instances=changes, balancers=servers, prometheus=prometheus.sync(aws, stack))


def loop(aws, stack, database_url, seconds, interval, login=None):
    """Rounds every `interval` seconds for `seconds` seconds (None: until SIGTERM)."""
    stop = {"now": False}

    def on_term(_signum, _frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_term)
    deadline = None if seconds is None else time.monotonic() + seconds
    last = None
    while not stop["now"] and (deadline is None or time.monotonic() < deadline):
        try:
            last = step(aws, stack, database_url, login)
            moved = last["instances"]["created"] or last["instances"]["removed"] or any(s for b in last["balancers"].values() for s in b.values())
            moved = moved or last.get("database")
            if moved:
                engine.log("%s %s" % (time.strftime("%H:%M:%S"), json.dumps(last, sort_keys=True)))
        except Exception as exc:  # noqa: BLE001  (a watcher survives one bad round: moto restarting, a container racing)
            engine.log("round failed: %s" % exc)
        time.sleep(interval)
    return last


def watcher_pidfile(stack):
    return engine.stack_dir(stack) / "watch.pid"


def start_watcher(args):
    pidfile = watcher_pidfile(args.stack)
    if engine._pid_alive(pidfile):
        return int(pidfile.read_text())
    argv = [sys.executable, str(Path(__file__).resolve()), "watch", "--stack", args.stack, "--region", args.region, "--interval", str(args.interval)]
    if args.database:
        argv.append("--database")
    if not args.database_standby:
        argv.append("--no-database-standby")
    with open(engine.LAB / "logs" / ("watch-%s.log" % args.stack), "ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, env=dict(os.environ))
    pidfile.write_text(str(proc.pid))
    engine.log("watcher started (pid %d, every %.1f s; log %s)" % (proc.pid, args.interval, engine.LAB / "logs" / ("watch-%s.log" % args.stack)))
    return proc.pid


def report(stack):
    return {
        "stack": stack,
        "front_door": balancer.front_door(stack),
        "instances": instances.instance_report(stack),
        "load_balancers": balancer.balancer_report(stack),
        "database": database.report(stack),
        "prometheus": prometheus.url(stack),
    }


def print_report(data):
    print("\nstack %s: instances as containers" % data["stack"])
    print("  %-21s %-9s %-11s %-40s %-8s %-10s %-8s %s" % ("instance", "tier", "az", "container", "state", "health", "version", "url"))
    for row in data["instances"]:
        print(
            "  %-21s %-9s %-11s %-40s %-8s %-10s %-8s %s"
            % (row["instance_id"], row["tier"], row["az"], row["container"], row["state"], row["health"], row["version"], row["url"])
        )
    db = data.get("database")
    if db:
        mode = "synchronous" if db["synchronous"] else "asynchronous"
        print("  database %s (RDS %s) behind %s, aliases %s:" % (mode, db["rds"], db["front"], ", ".join(db["aliases"])))
        for node in db["nodes"]:
            print("    %-20s %-15s %-40s %s" % (node["node"], node["role"], node["container"], node["state"]))
        for done in db["failovers"][-3:]:
            print(
                "    failover %s -> %s at %s: name moved in %.1f s, standby back in %.1f s"
                % (done["from"], done["to"], done["at"], done["name_moved_s"], done["standby_back_s"])
            )
    for alb in data["load_balancers"]:
        doors = ", ".join("%d -> %s" % (d["listener"], d["url"]) for d in alb["front_doors"]) or "not published (internal)"
        print("  ALB %s (%s) in %s: %s" % (alb["alb"], alb["scheme"], alb["container"], doors))
        for backend, servers in sorted(alb["servers"].items()):
            print("    %s: %s" % (backend, ", ".join("%s %s" % (s["server"], s["status"]) for s in servers) or "no servers"))
    if data.get("prometheus"):
        print("  Prometheus (the observability tier's workspace): %s" % data["prometheus"])
    print("\nfront door: %s" % (data["front_door"] or "none (no internet-facing ALB with a listener yet)"))


def cmd_images(args):
    engine.start_engine()
    engine.start_registry()
    print(json.dumps(engine.build_images(push=True), indent=2))
    return 0


def cmd_up(args):
    engine.start_engine()
    engine.start_registry()
    engine.build_images(push=True)
    aws = session(args.region)
    engine.ensure_network(args.stack)
    database_url = None
    login = None
    if args.database:
        login = engine.database_login(args.stack, aws)
        if args.database_standby:
            database.ensure(aws, args.stack, login, args.region)
        else:
            engine.ensure_postgres(args.stack, rds_aliases(aws, args.stack), login)
        database_url = engine.database_url(args.stack, login)
    step(aws, args.stack, database_url, login)
    for spec in instances.instance_report(args.stack):
        engine.wait_healthy(spec["container"], 60)
    step(aws, args.stack, database_url, login)
    if not args.no_watch:
        start_watcher(args)
    data = report(args.stack)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_report(data)
    return 0


def cmd_reconcile(args):
    aws = session(args.region)
    login = engine.database_login(args.stack, aws) if args.database else None
    database_url = engine.database_url(args.stack, login) if login else None
    if args.watch:
        result = loop(aws, args.stack, database_url, args.watch, args.interval, login)
    else:
        result = step(aws, args.stack, database_url, login)
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


def cmd_watch(args):
    aws = session(args.region)
    login = engine.database_login(args.stack, aws) if args.database else None
    database_url = engine.database_url(args.stack, login) if login else None
    loop(aws, args.stack, database_url, None, args.interval, login)
    return 0


def cmd_status(args):
    if not engine.engine_running():
        print("lab engine not running (%s)" % engine.SOCKET)
        return 1
    data = report(args.stack)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_report(data)
    return 0


def cmd_url(args):
    """Only the front door's URL (for scripts): exit 1 when there is none."""
    door = balancer.front_door(args.stack) if engine.engine_running() else None
    if door:
        print(door)
    return 0 if door else 1


def cmd_down(args):
    if engine.engine_running():
        removed = engine.remove_stack(args.stack)
        engine.log("stack %s: %d containers removed" % (args.stack, len(removed)))
    else:
        engine._stop_pid(engine.LAB / "stacks" / args.stack / "watch.pid", "watcher %s" % args.stack)
    if not args.keep_engine:
        engine.stop_registry()
        engine.stop_engine()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("images", "up", "reconcile", "watch", "status", "url", "down"):
        one = sub.add_parser(name)
        one.add_argument("--stack", default=os.environ.get("HATRADING_STACK", "demo"))
        one.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
        one.add_argument("--interval", type=float, default=1.0, help="seconds between rounds when watching")
        one.add_argument("--json", action="store_true")
        one.add_argument("--database", action=argparse.BooleanOptionalAction, default=True, help="local PostgreSQL for the back-end (default on)")
        one.add_argument(
            "--database-standby",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="the database as a primary and a synchronous standby that fail over as RDS Multi-AZ does (default on)",
        )
        if name == "reconcile":
            one.add_argument("--watch", type=float, metavar="SECONDS", help="keep reconciling for this many seconds")
        if name == "up":
            one.add_argument("--no-watch", action="store_true", help="do not leave a watcher running")
        if name == "down":
            one.add_argument("--keep-engine", action="store_true", help="leave dockerd and the registry running")
    args = parser.parse_args(argv)
    handler = globals()["cmd_%s" % args.command]
    try:
        return handler(args)
    except engine.LabError as exc:
        print("lab: error: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
