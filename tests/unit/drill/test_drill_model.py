"""The drill's pure model: plans, stop conditions, figures, FIS templates, the report's Markdown."""

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.drill import fis
from ansible_collections.hatrading.aws.plugins.module_utils.drill import report
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import DrillError
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import StopConditions
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import figures
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import outage
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import plan


def instance(iid, az, state="InService"):
    return {"InstanceId": iid, "AvailabilityZone": az, "LifecycleState": state, "HealthStatus": "Healthy"}


GROUP = {
    "AutoScalingGroupName": "s-backend",
    "VPCZoneIdentifier": "subnet-a,subnet-b",
    "LaunchTemplate": {"LaunchTemplateId": "lt-1", "Version": "3"},
    "Instances": [instance("i-2", "us-east-1b"), instance("i-1", "us-east-1a"), instance("i-3", "us-east-1a", "Pending")],
}
SUBNETS = {"subnet-a": "us-east-1a", "subnet-b": "us-east-1b"}


def test_instance_loss_takes_one_healthy_instance():
    assert plan("instance_loss", group=GROUP)["actions"] == [{"action": "terminate_instances", "instances": ["i-1"]}]


def test_az_loss_takes_the_subnets_out_first_and_restores_them():
    planned = plan("az_loss", group=GROUP, subnets=SUBNETS, az="us-east-1a")
    assert planned["actions"][0] == {"action": "remove_subnets", "group": "s-backend", "subnets": ["subnet-b"], "removed": ["subnet-a"]}
    assert planned["actions"][1] == {"action": "terminate_instances", "instances": ["i-1"]}  # the pending one is not counted
    assert planned["restore"] == [{"action": "restore_subnets", "group": "s-backend", "subnets": ["subnet-a", "subnet-b"]}]


def test_az_loss_refused_when_the_tier_is_in_one_az():
    one_az = dict(GROUP, Instances=[instance("i-1", "us-east-1a"), instance("i-2", "us-east-1a")])
    with pytest.raises(DrillError, match="would lose the tier"):
        plan("az_loss", group=one_az, subnets=SUBNETS)


def test_a_group_of_one_is_refused():
    with pytest.raises(DrillError, match="at least 2"):
        plan("instance_loss", group=dict(GROUP, Instances=[instance("i-1", "us-east-1a")]))


def test_database_failover_instance_or_cluster():
    assert plan("database_failover", database={"kind": "instance", "id": "db"})["actions"] == [{"action": "reboot_db_instance", "target": "db"}]
    assert plan("database_failover", database={"kind": "cluster", "id": "c"})["actions"] == [{"action": "failover_db_cluster", "target": "c"}]
    with pytest.raises(DrillError):
        plan("database_failover", database=None)


def test_bad_release_sets_the_version_and_restores_the_previous_one():
    planned = plan("bad_release", group=GROUP, bad_version=4)
    assert planned["actions"][0]["version"] == "4" and planned["restore"][0]["version"] == "3"
    assert planned["restore"][1] == {"action": "replace_version", "group": "s-backend", "bad_version": "4"}


def test_stop_conditions():
    stop = StopConditions(["a", "b"], max_error_rate=0.1, min_requests=10)
    assert stop.breach({"a": "OK", "b": "ALARM"}, (0, 0)) == "alarm b in ALARM"
    assert stop.breach({}, (9, 9)) is None  # too few requests to judge
    assert stop.breach({}, (20, 2)) is None
    assert stop.breach({}, (20, 3)).startswith("synthetic order flow error rate 15.0 %")


def test_outage_and_figures():
    results = [(0, 0.1, True), (1, 1.1, False), (2, 2.1, False), (3, 3.1, True), (4, 4.1, True)]
    assert outage(results, 0.5) == (1, 3.1)
    figure = figures(results, injected_at=0.5, detected_at=1.5, healthy_at=2.5)
    assert figure == {"time_to_detect_s": 1.0, "time_to_recover_s": 2.6, "order_outage_s": 2.1}
    assert figures([(0, 0.1, True)], 0, None, 5)["order_outage_s"] == 0.0
    assert figures([(0, 0.1, False)], 0, None, 5)["time_to_recover_s"] is None  # orders never came back


def test_fis_template_carries_the_stop_conditions():
    made = fis.template("instance_loss", "s", "arn:role", "us-east-1", "123", alarms=["s-5xx"], group="s-backend")
    assert made["stopConditions"] == [{"source": "aws:cloudwatch:alarm", "value": "arn:aws:cloudwatch:us-east-1:123:alarm:s-5xx"}]
    assert made["targets"]["Instances"]["resourceTags"] == {"aws:autoscaling:groupName": "s-backend"}
    assert fis.template("instance_loss", "s", "arn:role", "us-east-1", "123", group="g")["stopConditions"] == [{"source": "none"}]
    cluster = fis.template("database_failover", "s", "r", "us-east-1", "1", database={"kind": "cluster", "id": "c", "arn": "arn:c"})
    assert cluster["actions"]["failover"]["actionId"] == "aws:rds:failover-db-cluster"


def test_error_rate_alarm_is_metric_math_over_the_front_door():
    alarm = fis.error_rate_alarm("s", "app/s-alb/abc", 0.05)
    assert alarm["Threshold"] == 0.05 and [m["Id"] for m in alarm["Metrics"]][-1] == "rate"
    assert sum(1 for m in alarm["Metrics"] if m.get("ReturnData")) == 1


def test_markdown_report():
    text = report.as_markdown(
        {
            "scenario": "instance_loss",
            "stack": "s",
            "state": "completed",
            "time_to_detect_s": 1.0,
            "time_to_recover_s": None,
            "requests": {"sent": 10, "failed": 1, "failed_percent": 10.0},
            "orders": {"acknowledged": 9, "lost": 0},
            "timeline": [{"t_s": 0.0, "event": "drill started", "detail": "x"}],
        }
    )
    assert "| time to recover | n/a |" in text and "| 10 / 1 (10.0 %) |" in text and "| 0.0 | drill started | x |" in text


def test_markdown_shows_the_audit_after_the_drill():
    base = {"scenario": "az_loss", "stack": "s", "state": "completed", "timeline": []}
    assert "HA audit" not in report.as_markdown(base)  # no audit asked
    counts = {"pass": 20, "warn": 3, "fail": 0, "skip": 0}
    passed = report.as_markdown(dict(base, audit={"summary": counts, "passed": True, "failed": []}))
    assert "| HA audit after the drill | passed: 20 pass, 3 warn, 0 fail, 0 skip |" in passed
    failed = {"check": "compute.group_min_size", "resource": "s-frontend", "detail": "min_size 1", "fix": "..."}
    text = report.as_markdown(dict(base, audit={"summary": dict(counts, fail=1), "passed": False, "failed": [failed]}))
    assert "FAILED: 20 pass, 3 warn, 1 fail" in text and "| audit failed: compute.group_min_size | s-frontend: min_size 1 |" in text
