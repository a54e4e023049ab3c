"""hatrading.aws.stack_monitoring against moto: alarms, dashboard, topic and log groups of a stack.

The network and compute tiers are built first with their own modules; the monitoring tier finds
them by name and stack tag. moto stores alarms but never evaluates them (they stay
INSUFFICIENT_DATA): what is asserted here is what the API holds, not that an alarm fires.
"""

import json

import pytest

MODULE = "hatrading.aws.stack_monitoring"
STACK = "it-mon"
ALARMS_WITHOUT_DB = {
    "%s-%s-%s" % (STACK, tier, metric)
    for tier in ("frontend", "backend")
    for metric in ("alb-5xx", "target-5xx", "latency-p99", "unhealthy-hosts", "healthy-hosts", "cpu-high", "memory-high", "disk-high")
}
LOG_GROUPS = ["/hatrading/%s/%s/%s" % (STACK, tier, kind) for tier in ("backend", "frontend") for kind in ("container", "host")]


@pytest.fixture(scope="module")
def stack(moto, ansible):
    """Network (one NAT) and both app tiers of STACK, built once for the tests of this file."""
    moto.reset()
    network = ansible.module("hatrading.aws.stack_network", {"stack": STACK, "vpc_cidr": "10.47.0.0/16", "nat_mode": "single", "resilience": "cost"})
    assert network["rc"] == 0, network
    compute = ansible.module("hatrading.aws.stack_compute", both_tiers(STACK))
    assert compute["rc"] == 0, compute
    return network


def both_tiers(stack):
    """Both app tiers, one instance each (as tests/integration/test_stack_compute.py builds them)."""
    tiers = []
    for tier, port in (("backend", 8081), ("frontend", 8080)):
        tiers.append(
            {
                "tier": tier,
                "load_balancer": {"port": port},
                "launch_template": {"image": "127.0.0.1:5001/hatrading/%s:1.0.0" % tier, "port": port},
                "auto_scaling_group": {"min_size": 1, "desired_capacity": 1, "max_size": 2, "instance_refresh": False},
            }
        )
    return {"stack": stack, "tiers": tiers}


def alarms_by_name(moto):
    return {a["AlarmName"]: a for a in moto.client("cloudwatch").describe_alarms(AlarmNamePrefix=STACK + "-")["MetricAlarms"]}


def test_check_create_rerun_change_delete(moto, ansible, stack):
    # a customer managed key (CloudWatch cannot publish to a topic under the AWS managed alias/aws/sns)
    key = moto.client("kms").create_key(Description="alarms")["KeyMetadata"]["Arn"]
    args = {"stack": STACK, "kms_key": key, "subscriptions": [{"protocol": "email", "endpoint": "oncall@example.com"}], "tags": {"team": "trading"}}
    cw, sns, logs = moto.client("cloudwatch"), moto.client("sns"), moto.client("logs")

    # check mode: the whole plan, not one mutating call
    moto.forget_calls()
    planned = ansible.module(MODULE, args, check=True)
    assert planned["rc"] == 0 and planned["changed"], planned
    assert moto.mutating_calls() == []
    kinds = {(step["kind"], step["action"]) for step in planned["plan"]}
    assert kinds == {("sns_topic", "create"), ("subscription", "create"), ("log_group", "create"), ("metric_alarm", "create"), ("dashboard", "create")}
    assert any("it-mon-database not found" in note for note in planned["notes"]), planned["notes"]
    assert alarms_by_name(moto) == {}

    # create
    moto.forget_calls()
    built = ansible.module(MODULE, args, diff=True)
    assert built["rc"] == 0 and built["changed"], built
    topic_arn = built["monitoring"]["topic_arn"]
    nat_alarm = "%s-network-nat-port-allocation-%s" % (
        STACK,
        stack["network"]["nat_gateways"] and sorted(stack["network"]["nat_gateways"])[0][len(STACK) + 5 :],
    )
    alarms = alarms_by_name(moto)
    assert set(alarms) == ALARMS_WITHOUT_DB | {nat_alarm}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [topic_arn] and alarm["OKActions"] == [topic_arn], alarm
        tags = {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]}
        assert tags["hatrading:stack"] == STACK and tags["hatrading:tier"] == "monitoring" and tags["team"] == "trading", tags
    elb = moto.client("elbv2")
    lb_arn = elb.describe_load_balancers(Names=[STACK + "-alb-pub"])["LoadBalancers"][0]["LoadBalancerArn"]
    tg_arn = elb.describe_target_groups(Names=[STACK + "-tg-fe"])["TargetGroups"][0]["TargetGroupArn"]
    healthy = alarms[STACK + "-frontend-healthy-hosts"]
    assert {d["Name"]: d["Value"] for d in healthy["Dimensions"]} == {
        "LoadBalancer": lb_arn.split(":loadbalancer/")[1],
        "TargetGroup": tg_arn[tg_arn.index("targetgroup/") :],
    }
    assert healthy["ComparisonOperator"] == "LessThanThreshold" and healthy["Threshold"] == 1.0 and healthy["TreatMissingData"] == "breaching"
    errors = alarms[STACK + "-frontend-alb-5xx"]
    assert errors["MetricName"] == "HTTPCode_ELB_5XX_Count" and errors["Statistic"] == "Sum" and errors["TreatMissingData"] == "notBreaching"
    latency = alarms[STACK + "-backend-latency-p99"]
    assert latency["ExtendedStatistic"] == "p99" and latency["Threshold"] == 1.0
    memory = alarms[STACK + "-backend-memory-high"]
    assert memory["Namespace"] == "hatrading/" + STACK and memory["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": STACK + "-backend"}]
    assert alarms[nat_alarm]["Namespace"] == "AWS/NATGateway" and alarms[nat_alarm]["MetricName"] == "ErrorPortAllocation"

    attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert attributes["KmsMasterKeyId"] == key
    subs = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", "oncall@example.com")]

    body = json.loads(cw.get_dashboard(DashboardName="hatrading-" + STACK)["DashboardBody"])
    alarm_widget = [w for w in body["widgets"] if w["type"] == "alarm"][0]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(a["AlarmArn"] for a in alarms.values())
    titles = [w["properties"].get("title") for w in body["widgets"] if w["type"] == "metric"]
    assert "frontend requests" in titles and "backend in-service instances" in titles and "NAT port allocation errors" in titles

    groups = {g["logGroupName"]: g for g in logs.describe_log_groups(logGroupNamePrefix="/hatrading/%s/" % STACK)["logGroups"]}
    assert sorted(groups) == LOG_GROUPS and {g["retentionInDays"] for g in groups.values()} == {30}
    assert logs.list_tags_for_resource(resourceArn=groups[LOG_GROUPS[0]]["logGroupArn"])["tags"]["hatrading:stack"] == STACK

    # rerun: nothing to do, no mutating call
    moto.forget_calls()
    again = ansible.module(MODULE, args)
    assert again["rc"] == 0 and not again["changed"] and again["plan"] == [], again
    assert moto.mutating_calls() == []
    assert [c["operation"] for c in moto.calls() if c["operation"] == "DescribeAlarms"] == ["DescribeAlarms"]

    # one threshold changed: exactly one PutMetricAlarm
    moto.forget_calls()
    changed = ansible.module(MODULE, dict(args, thresholds={"frontend": {"cpu_percent": 70}}), diff=True)
    assert changed["rc"] == 0 and changed["changed"], changed
    assert changed["plan"] == [{"action": "update", "kind": "metric_alarm", "name": STACK + "-frontend-cpu-high", "fields": ["threshold"]}]
    assert [c["operation"] for c in moto.mutating_calls()] == ["PutMetricAlarm"]
    assert alarms_by_name(moto)[STACK + "-backend-cpu-high"]["Threshold"] == 80.0
    assert alarms_by_name(moto)[STACK + "-frontend-cpu-high"]["Threshold"] == 70.0
    assert changed["diff"]["after"]["metric_alarm/%s-frontend-cpu-high" % STACK]["threshold"] == 70.0

    # a database appears: its alarms are added; the subscription is swapped, never re-subscribed
    moto.client("rds").create_db_instance(
        DBInstanceIdentifier=STACK + "-database",
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="dbadmin",
        MasterUserPassword="not-a-real-secret-1",
        Tags=[{"Key": "hatrading:stack", "Value": STACK}, {"Key": "hatrading:tier", "Value": "database"}],
    )
    moto.forget_calls()
    swapped = dict(args, thresholds={"frontend": {"cpu_percent": 70}}, subscriptions=[{"protocol": "https", "endpoint": "https://hooks.example.com/alarms"}])
    grown = ansible.module(MODULE, swapped)
    assert grown["rc"] == 0 and grown["changed"], grown
    db_alarms = {STACK + "-database-" + m for m in ("cpu-high", "freeable-memory-low", "connections-high", "free-storage-low")}
    assert db_alarms <= set(alarms_by_name(moto))
    storage = alarms_by_name(moto)[STACK + "-database-free-storage-low"]
    assert storage["Threshold"] == 2.0 * 1024**3 and storage["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": STACK + "-database"}]
    subs = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("https", "https://hooks.example.com/alarms")]
    operations = sorted(c["operation"] for c in moto.mutating_calls())
    assert operations == ["PutDashboard"] + ["PutMetricAlarm"] * 4 + ["Subscribe", "Unsubscribe"], operations

    # an alarm with our prefix but not our tags is never deleted
    cw.put_metric_alarm(
        AlarmName=STACK + "-someone-elses",
        MetricName="CPUUtilization",
        Namespace="AWS/EC2",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )

    # absent: confirmation needed, then everything but the log groups goes
    refused = ansible.module(MODULE, {"stack": STACK, "state": "absent"})
    assert refused["rc"] != 0 and "confirm_delete" in refused["msg"], refused
    moto.forget_calls()
    gone = ansible.module(MODULE, {"stack": STACK, "state": "absent", "confirm_delete": STACK})
    assert gone["rc"] == 0 and gone["changed"], gone
    assert set(alarms_by_name(moto)) == {STACK + "-someone-elses"}
    assert cw.list_dashboards(DashboardNamePrefix="hatrading-" + STACK)["DashboardEntries"] == []
    assert [t for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":%s-alarms" % STACK)] == []
    kept = logs.describe_log_groups(logGroupNamePrefix="/hatrading/%s/" % STACK)["logGroups"]
    assert sorted(g["logGroupName"] for g in kept) == LOG_GROUPS
    assert [c["operation"] for c in moto.mutating_calls() if c["operation"] == "DeleteAlarms"] == ["DeleteAlarms"]

    # absent again: nothing left to do
    moto.forget_calls()
    twice = ansible.module(MODULE, {"stack": STACK, "state": "absent", "confirm_delete": STACK, "delete_log_groups": True})
    assert twice["rc"] == 0 and [s["kind"] for s in twice["plan"]] == ["log_group"] * 4, twice
    assert logs.describe_log_groups(logGroupNamePrefix="/hatrading/%s/" % STACK)["logGroups"] == []


@pytest.mark.parametrize(
    "args, variable",
    [
        ({"subscriptions": [{"protocol": "email", "endpoint": "not-an-address"}]}, "subscriptions[0].endpoint"),
        ({"thresholds": {"cpu_percent": 150}}, "thresholds.cpu_percent"),
        ({"thresholds": {"cpu": 50}}, "thresholds.cpu"),
        ({"log_retention_days": 42}, "log_retention_days"),
        ({"evaluation_periods": 2, "datapoints_to_alarm": 3}, "datapoints_to_alarm"),
        ({"tags": {"hatrading:tier": "x"}}, "tags"),
    ],
)
def test_bad_input_fails_before_any_call(moto, ansible, args, variable):
    moto.forget_calls()
    result = ansible.module(MODULE, dict({"stack": STACK}, **args))
    assert result["rc"] != 0 and variable in result["msg"], result
    assert moto.calls() == []
