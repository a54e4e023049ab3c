"""A Multi-AZ database that really fails over: RebootDBInstance(ForceFailover=True) against the lab's moto, orders flowing.

`dataplane.py up` runs the database tier as a primary and a synchronous standby behind one stable
name (lab/plane/database.py) and a back-end instance that reaches it by that name. A bounded order
flow goes to the back-end's loopback port while the test asks moto for a failover, twice (the old
primary must come back as the standby for the second one to work). Measured each time:

- RTO: from the first failed order to the first acknowledged order after it;
- RPO: acknowledged orders missing from the new primary (and from the rebuilt standby).

    LAB_DIR=/work/lab-shared .venv/bin/pytest -q -s tests/lab/test_db_failover.py   # -s prints the figures
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from labkit import http, wait_until
from plane import database, engine

CLI = Path(__file__).resolve().parents[2] / "lab" / "dataplane.py"
RTO_GOAL_S = 35.0
DB = "multi-az-db"


def cli(moto, *args):
    env = dict(os.environ, **moto.env())
    proc = subprocess.run([sys.executable, str(CLI), *args], env=env, capture_output=True, text=True, timeout=400, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


class OrderFlow(threading.Thread):
    """Orders one after another to one back-end (loopback), each recorded with its send and answer times; bounded."""

    def __init__(self, url, symbol, max_orders=4000, max_seconds=150):
        super().__init__(daemon=True)
        self.url, self.symbol = url, symbol
        self.max_orders, self.max_seconds = max_orders, max_seconds
        self.results = []  # (sent, answered, order id or None)
        self.halt = threading.Event()

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        for _n in range(self.max_orders):
            if self.halt.is_set() or time.monotonic() > deadline:
                return
            sent = time.monotonic()
            try:
                status, _headers, body = http(self.url + "/orders", "POST", {"symbol": self.symbol, "side": "buy", "price": "10", "quantity": 1}, timeout=5)
                order_id = body["order"]["id"] if status == 201 else None
            except OSError:  # the back-end closed the connection: its database call failed
                order_id = None
            self.results.append((sent, time.monotonic(), order_id))
            time.sleep(0.05)

    def acknowledged(self):
        return [r[2] for r in self.results if r[2]]

    def acks_after(self, moment):
        return sum(1 for sent, _answered, order_id in self.results if order_id and sent > moment)

    def stop(self):
        self.halt.set()
        self.join(10)


def recovery(results, since):
    """(RTO seconds, failed orders) for the orders sent after `since`: first failure's send -> next acknowledgement's answer."""
    later = [r for r in results if r[0] >= since]
    first_failure = next((i for i, r in enumerate(later) if r[2] is None), None)
    if first_failure is None:
        return 0.0, 0
    recovered = next((r for r in later[first_failure:] if r[2]), None)
    assert recovered is not None, "no order acknowledged after the first failure"
    failed = sum(1 for r in later if r[2] is None)
    return recovered[1] - later[first_failure][0], failed


def rows(stack, key):
    return set(database.psql(stack, key, "SELECT id FROM orders").split())


def one_failover(stack, rds, backend_url, symbol, expected_primary, expected_standby):
    """Orders flowing, ForceFailover asked of moto, the lab follows: RTO and RPO measured and asserted; returns the figures."""
    flow = OrderFlow(backend_url, symbol)
    flow.start()
    try:
        wait_until("orders acknowledged before the failover", lambda: len(flow.acknowledged()) >= 20, timeout=30)
        asked = time.monotonic()
        answer = rds.reboot_db_instance(DBInstanceIdentifier=DB, ForceFailover=True)["DBInstance"]
        assert (answer["AvailabilityZone"], answer["SecondaryAvailabilityZone"]) == (expected_primary, expected_standby)
        wait_until("the plane to promote %s" % expected_primary, lambda: database.load_state(stack)["primary"] == expected_primary, timeout=60)
        promoted = time.monotonic()
        wait_until("orders acknowledged after the failover", lambda: flow.acks_after(promoted) >= 20, timeout=60)
    finally:
        flow.stop()
    rto, failed = recovery(flow.results, asked)
    acknowledged = set(flow.acknowledged())
    lost = acknowledged - rows(stack, expected_primary)
    assert database.psql(stack, expected_primary, "SELECT pg_is_in_recovery()") == "f"
    # the old primary comes back as the synchronous standby, with every acknowledged order
    wait_until("the old primary back as the synchronous standby", lambda: database.load_state(stack)["synchronous"], timeout=120)
    assert database.psql(stack, expected_standby, "SELECT pg_is_in_recovery()") == "t"
    wait_until("the standby to replay", lambda: acknowledged <= rows(stack, expected_standby), timeout=30)
    timings = database.load_state(stack)["failovers"][-1]
    figure = {
        "failover": "%s -> %s" % (expected_standby, expected_primary),
        "rto_s": round(rto, 2),
        "rpo_orders_lost": len(lost),
        "orders_acknowledged": len(acknowledged),
        "orders_failed": failed,
        "plane_name_moved_s": timings["name_moved_s"],
        "standby_back_s": timings["standby_back_s"],
        "standby_rebuilt_by": timings["standby_rebuilt_by"],
    }
    print("\ndatabase failover: %s" % json.dumps(figure))
    assert lost == set(), "acknowledged orders lost: %s" % sorted(lost)[:5]
    assert rto <= RTO_GOAL_S, figure
    return figure


def test_force_failover_moves_the_name_with_rto_and_rpo(aws, stack):
    rds = aws.moto.client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName=stack, DBSubnetGroupDescription="two AZs", SubnetIds=aws.subnets)
    rds.create_db_instance(
        DBInstanceIdentifier=DB,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="trading",
        MasterUserPassword="unused-in-the-lab",
        DBSubnetGroupName=stack,
        AvailabilityZone="us-east-1a",
        MultiAZ=True,
        Tags=[{"Key": "hatrading:stack", "Value": stack}],
    )
    image = engine.registry_ref("hatrading/backend:1.1.0")
    aws.group("back", "backend", aws.launch_template("back", "docker run -d -p 8081:8081 %s\n" % image), 1)

    report = json.loads(cli(aws.moto, "up", "--stack", stack, "--json", "--interval", "0.5"))
    db = report["database"]
    assert (db["primary"], db["synchronous"], db["rds"]) == ("us-east-1a", True, DB)
    assert {n["node"]: n["role"] for n in db["nodes"]} == {"us-east-1a": "primary", "us-east-1b": "standby (sync)"}
    endpoint = rds.describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0]["Endpoint"]["Address"]
    assert endpoint in db["aliases"]
    (backend,) = report["instances"]
    assert http(backend["url"] + "/health")[2]["store"] == "postgresql"
    assert database.psql(stack, "us-east-1a", "SHOW synchronous_standby_names") == "*"
    assert database.psql(stack, "us-east-1a", "SHOW synchronous_commit") == "on"

    container_id = engine.inspect("container", backend["container"])[0]["Id"]
    figures = [
        one_failover(stack, rds, backend["url"], "FO1", "us-east-1b", "us-east-1a"),
        one_failover(stack, rds, backend["url"], "FO2", "us-east-1a", "us-east-1b"),  # the rebuilt standby fails over too
    ]

    # the back-end reconnected by itself: the same container, never restarted
    (after,) = engine.inspect("container", backend["container"])
    assert (after["Id"], after["RestartCount"], after["State"]["Running"]) == (container_id, 0, True)
    # moto and the lab agree: two failovers, back where it began
    final = rds.describe_db_instances(DBInstanceIdentifier=DB)["DBInstances"][0]
    assert (final["AvailabilityZone"], final["SecondaryAvailabilityZone"]) == ("us-east-1a", "us-east-1b")
    status = cli(aws.moto, "status", "--stack", stack)
    assert "us-east-1a           primary" in status and "us-east-1b           standby (sync)" in status
    print("database failovers: %s" % json.dumps(figures))


def through_front(stack, node, sql):
    """SQL through the stable name (the haproxy front), from inside a node's container, with the login it keeps."""
    script = 'PGPASSFILE=/tmp/.pgpass psql -X -q "host=$1 port=5432 user=$POSTGRES_USER dbname=$POSTGRES_DB connect_timeout=5" -v ON_ERROR_STOP=1 -tAc "$2"'
    return engine.docker("exec", database.node_name(stack, node), "sh", "-c", script, "psql", "postgres", sql)


def test_aurora_failover_db_cluster_promotes_the_reader(aws, stack):
    rds = aws.moto.client("rds")
    tags = [{"Key": "hatrading:stack", "Value": stack}]
    cluster = rds.create_db_cluster(
        DBClusterIdentifier="aurora-db", Engine="aurora-postgresql", MasterUsername="trading", MasterUserPassword="unused-in-the-lab", Tags=tags
    )["DBCluster"]
    for name, zone in (("aurora-db-0", "us-east-1a"), ("aurora-db-1", "us-east-1b")):
        member = {"DBClusterIdentifier": "aurora-db", "Engine": "aurora-postgresql", "DBInstanceClass": "db.r6g.large"}
        rds.create_db_instance(DBInstanceIdentifier=name, AvailabilityZone=zone, Tags=tags, **member)
    db = json.loads(cli(aws.moto, "up", "--stack", stack, "--json", "--interval", "0.5"))["database"]
    assert (db["rds"], db["primary"], db["synchronous"]) == ("aurora-db", "aurora-db-0", True)
    assert cluster["Endpoint"] in db["aliases"]
    # a commit acknowledged by the writer, through the stable name
    through_front(stack, "aurora-db-1", "CREATE TABLE marks (id int PRIMARY KEY); INSERT INTO marks VALUES (1)")
    assert through_front(stack, "aurora-db-1", "SELECT pg_is_in_recovery()") == "f"

    rds.failover_db_cluster(DBClusterIdentifier="aurora-db")
    wait_until("the plane to promote the reader", lambda: database.load_state(stack)["primary"] == "aurora-db-1", timeout=60)
    assert database.psql(stack, "aurora-db-1", "SELECT pg_is_in_recovery()") == "f"
    assert through_front(stack, "aurora-db-1", "INSERT INTO marks VALUES (2) RETURNING id") == "2"  # the name moved to the new writer
    wait_until("the old writer back as the synchronous standby", lambda: database.load_state(stack)["synchronous"], timeout=120)
    wait_until("the standby to replay", lambda: database.psql(stack, "aurora-db-0", "SELECT count(*) FROM marks") == "2", timeout=30)
    assert database.psql(stack, "aurora-db-0", "SELECT pg_is_in_recovery()") == "t"
