"""hatrading.aws.failover_drill against moto, with a loopback order service standing for the front door.

moto answers at once (a terminated group member is replaced and healthy at the next describe), so
these check the drill's logic, its AWS calls, its stop conditions, its restore and its report; the
lab drills (tests/lab/test_failover_drills.py, `make drill`) measure it with real containers under load.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

MODULE = "hatrading.aws.failover_drill"
FAST = {"order_rate": 20, "warmup": 1, "poll_interval": 0.5, "settle": 1, "duration": 30, "error_window": 3, "min_requests": 5}


class OrderService:
    """POST /orders answers 201 with a new id (or 500 while ``failing()``); GET /orders?ids= answers the known ones."""

    def __init__(self, failing=lambda: False):
        self.orders, self.failing, self.lock = {}, failing, threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if owner.failing():
                    return self.answer(500, {"error": "bad release"})
                with owner.lock:
                    order = {"id": "o%d" % (len(owner.orders) + 1), "client_order_id": body["client_order_id"]}
                    owner.orders[order["id"]] = order
                return self.answer(201, {"order": order, "trades": []})

            def do_GET(self):
                ids = parse_qs(self.path.partition("?")[2]).get("ids", [""])[0].split(",")
                return self.answer(200, {"orders": [owner.orders[i] for i in ids if i in owner.orders]})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def orders():
    service = OrderService()
    yield service
    service.close()


def deploy(ansible, stack, size=2):
    assert ansible.module("hatrading.aws.stack_network", {"stack": stack, "vpc_cidr": "10.49.0.0/16", "nat_mode": "none", "resilience": "cost"})["rc"] == 0
    tier = {
        "tier": "backend",
        "load_balancer": {"port": 8081, "deregistration_delay": 0},
        "launch_template": {"image": "127.0.0.1:5001/hatrading/backend:1.0.0", "port": 8081},
        "auto_scaling_group": {"min_size": size, "desired_capacity": size, "max_size": size + 2, "instance_refresh": False},
    }
    built = ansible.module("hatrading.aws.stack_compute", {"stack": stack, "tiers": [tier]})
    assert built["rc"] == 0, built.get("msg")
    return tier


def group(moto, name):
    return moto.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def zones(moto, name):
    return sorted(i["AvailabilityZone"] for i in group(moto, name)["Instances"])


def test_alarm_stop_then_instance_loss_then_az_loss(fresh_moto, ansible, orders, tmp_path):
    """One stack (a deploy is most of the time), three drills in turn."""
    deploy(ansible, "dr-one")
    name = "dr-one-backend"
    before = set(i["InstanceId"] for i in group(fresh_moto, name)["Instances"])

    # a named alarm in ALARM: the drill stops before the fault, nothing is injected
    cloudwatch = fresh_moto.client("cloudwatch")
    alarm = dict(MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB", Statistic="Sum", Period=60, EvaluationPeriods=1)
    cloudwatch.put_metric_alarm(AlarmName="dr-one-5xx", Threshold=1, ComparisonOperator="GreaterThanThreshold", **alarm)
    cloudwatch.set_alarm_state(AlarmName="dr-one-5xx", StateValue="ALARM", StateReason="drill test")
    stopped = ansible.module(MODULE, dict(FAST, stack="dr-one", scenario="instance_loss", order_url=orders.url, stop_alarms=["dr-one-5xx"]))
    assert stopped["rc"] == 0 and stopped["report"]["state"] == "stopped", stopped.get("msg")
    assert stopped["report"]["stop_condition"] == "alarm dr-one-5xx in ALARM"
    assert set(i["InstanceId"] for i in group(fresh_moto, name)["Instances"]) == before
    cloudwatch.set_alarm_state(AlarmName="dr-one-5xx", StateValue="OK", StateReason="drill test")

    # instance loss: planned in check mode, then run with the alarm watched (OK now)
    planned = ansible.module(MODULE, {"stack": "dr-one", "scenario": "instance_loss"}, check=True)
    assert planned["rc"] == 0 and planned["report"]["state"] == "planned"
    (victim,) = planned["report"]["plan"]["actions"][0]["instances"]
    assert victim in before
    done = ansible.module(
        MODULE, dict(FAST, stack="dr-one", scenario="instance_loss", order_url=orders.url, stop_alarms=["dr-one-5xx"], report_dir=str(tmp_path))
    )
    assert done["rc"] == 0, (done.get("msg"), done.get("report"))
    report = done["report"]
    assert report["state"] == "completed" and report["stop_condition"] is None
    assert report["capacity_after"] == "2/2 healthy"
    assert report["orders"]["acknowledged"] == report["requests"]["sent"] > 10 and report["orders"]["lost"] == 0
    assert report["time_to_detect_s"] is not None and report["time_to_recover_s"] is not None
    after = set(i["InstanceId"] for i in group(fresh_moto, name)["Instances"])
    assert victim not in after and len(after) == 2
    assert [e["event"] for e in report["timeline"]][:3] == ["drill started", "synthetic order flow started", "instances terminated"]
    assert json.loads((tmp_path / "dr-one-instance_loss.json").read_text())["state"] == "completed"
    assert "| orders acknowledged / lost |" in (tmp_path / "dr-one-instance_loss.md").read_text()

    # AZ loss: the replacement goes to the AZ left; the subnets are back afterwards
    subnets_before = group(fresh_moto, name)["VPCZoneIdentifier"]
    assert zones(fresh_moto, name) == ["us-east-1a", "us-east-1b"]  # the lab's Auto Scaling spreads the group
    done = ansible.module(MODULE, dict(FAST, stack="dr-one", scenario="az_loss", az="us-east-1a", order_url=orders.url, audit=True))
    assert done["rc"] == 0 and done["report"]["state"] == "completed", done.get("msg")
    audit = done["report"]["audit"]  # stack_audit's checks on the stack the drill left: the group spread over AZs again needs no fix
    assert audit["passed"] and audit["summary"]["fail"] == 0 and audit["summary"]["pass"] > 0 and audit["failed"] == [], audit
    assert "| HA audit after the drill | passed: " in done["markdown"]
    assert done["report"]["plan"]["az"] == "us-east-1a"
    assert zones(fresh_moto, name) == ["us-east-1b", "us-east-1b"]
    assert group(fresh_moto, name)["VPCZoneIdentifier"] == subnets_before
    events = [e["event"] for e in done["report"]["timeline"]]
    assert events.index("subnets taken out") < events.index("instances terminated") < events.index("subnets restored")


def test_database_failover_moves_the_primary(fresh_moto, ansible, orders):
    rds = fresh_moto.client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="dr-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="trading",
        MasterUserPassword="unused-in-moto",
        AvailabilityZone="us-east-1a",
        MultiAZ=True,
        Tags=[{"Key": "hatrading:stack", "Value": "dr-db"}],
    )
    done = ansible.module(MODULE, dict(FAST, stack="dr-db", scenario="database_failover", order_url=orders.url))
    assert done["rc"] == 0 and done["report"]["state"] == "completed", done.get("msg")
    assert done["report"]["target"] == "dr-db" and done["report"]["orders"]["lost"] == 0
    assert rds.describe_db_instances(DBInstanceIdentifier="dr-db")["DBInstances"][0]["AvailabilityZone"] != "us-east-1a"
    assert "failover seen" in [e["event"] for e in done["report"]["timeline"]]


def test_bad_release_trips_the_error_rate_and_is_restored(fresh_moto, ansible):
    tier = deploy(ansible, "dr-bad")
    name = "dr-bad-backend"
    bad = dict(tier, launch_template=dict(tier["launch_template"], environment={"BAD_RELEASE": "1"}))
    assert ansible.module("hatrading.aws.stack_compute", {"stack": "dr-bad", "tiers": [bad]})["rc"] == 0
    assert ansible.module("hatrading.aws.stack_compute", {"stack": "dr-bad", "tiers": [tier]})["rc"] == 0  # the group back on a good version
    good_version = group(fresh_moto, name)["LaunchTemplate"]["Version"]
    assert good_version == "3"

    def on_version(version):  # the version AWS tags each instance with at launch
        ids = [i["InstanceId"] for i in group(fresh_moto, name)["Instances"]]
        found = fresh_moto.client("ec2").describe_instances(InstanceIds=ids)["Reservations"]
        tags = [dict((t["Key"], t["Value"]) for t in i["Tags"]) for r in found for i in r["Instances"]]
        return [t["aws:ec2launchtemplate:version"] for t in tags].count(version)

    def failing():  # the front door fails orders while an instance of version 2 is in the group
        return on_version("2") > 0

    service = OrderService(failing)
    try:
        # the drill ends when the stop condition fires (13 s on a quiet machine): the bound only spares a loaded CI machine
        bad_release = dict(FAST, stack="dr-bad", scenario="bad_release", bad_release_version="2", order_url=service.url, max_error_rate=0.1, duration=120)
        done = ansible.module(MODULE, bad_release)
    finally:
        service.close()
    report = done["report"]
    assert done["rc"] == 0 and report["state"] == "stopped", (done.get("msg"), report.get("requests"), report.get("timeline"))
    assert report["stop_condition"].startswith("synthetic order flow error rate")
    assert report["time_to_detect_s"] is not None and report["requests"]["failed"] > 0
    now = group(fresh_moto, name)
    assert now["LaunchTemplate"]["Version"] == good_version
    assert len(now["Instances"]) == 2 and on_version("2") == 0  # the bad one replaced (the other keeps the version 1 it launched with)


ACTIONS = {
    "instance_loss": ["aws:ec2:terminate-instances"],
    "az_loss": ["aws:ec2:terminate-instances", "aws:network:disrupt-connectivity"],
    "database_failover": ["aws:rds:reboot-db-instances"],
    "bad_release": ["aws:ssm:send-command"],
}


def test_fis_experiment_templates_created_in_moto_and_read_back(fresh_moto, ansible):
    stack = "dr-fis"
    deploy(ansible, stack)
    fresh_moto.client("rds").create_db_instance(
        DBInstanceIdentifier="dr-fis-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="trading",
        MasterUserPassword="unused-in-moto",
        MultiAZ=True,
        Tags=[{"Key": "hatrading:stack", "Value": stack}],
    )
    front = fresh_moto.client("elbv2").describe_load_balancers()["LoadBalancers"][0]["LoadBalancerName"]
    fis = fresh_moto.client("fis")
    made_ids = []
    for scenario, action_ids in ACTIONS.items():
        args = {"stack": stack, "scenario": scenario, "mode": "template", "fis_role_arn": "arn:aws:iam::123456789012:role/fis"}
        args.update(stop_alarms=["dr-fis-5xx"], load_balancer=front, bad_release_version="1")
        made = ansible.module(MODULE, args)
        assert made["rc"] == 0 and made["changed"], made.get("msg")
        read = fis.get_experiment_template(id=made["experiment_template"]["id"])["experimentTemplate"]
        assert [s["value"].rsplit(":", 1)[1] for s in read["stopConditions"]] == ["dr-fis-5xx", "dr-fis-drill-error-rate"], scenario
        assert all(s["source"] == "aws:cloudwatch:alarm" for s in read["stopConditions"])
        assert sorted(a["actionId"] for a in read["actions"].values()) == action_ids
        assert read["tags"]["hatrading:drill"] == scenario
        made_ids.append(read["id"])
    alarm = fresh_moto.client("cloudwatch").describe_alarms(AlarmNames=["dr-fis-drill-error-rate"])["MetricAlarms"]
    assert alarm and alarm[0]["Threshold"] == 0.2
    # a rerun updates the same template rather than making a second one
    again = ansible.module(MODULE, dict(args, stop_alarms=[]))
    assert again["rc"] == 0 and again["experiment_template"]["id"] == made_ids[-1]
    assert len(fis.list_experiment_templates()["experimentTemplates"]) == len(ACTIONS)
    assert [s["value"].rsplit(":", 1)[1] for s in fis.get_experiment_template(id=made_ids[-1])["experimentTemplate"]["stopConditions"]] == [
        "dr-fis-drill-error-rate"
    ]
