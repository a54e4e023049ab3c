"""The monitoring tier as plain functions: validation, wanted alarms, the dashboard body, plans."""

import json

import pytest
from ansible_collections.hatrading.aws.plugins.module_utils.monitoring import model
from ansible_collections.hatrading.aws.plugins.module_utils.validators import check

STACK = "demo"
TOPIC = "arn:aws:sns:us-east-1:123456789012:demo-alarms"
OURS = {"hatrading:stack": STACK, "hatrading:tier": "monitoring"}


def found(database=None, nats=(("demo-nat-us-east-1a", "nat-1"),), tiers=("frontend", "backend")):
    def tier(name, short, kind):
        return {
            "load_balancer": "app/demo-alb-%s/abc" % kind,
            "target_group": "targetgroup/demo-tg-%s/def" % short,
            "auto_scaling_group": "demo-%s" % name,
        }

    everything = {"frontend": tier("frontend", "fe", "pub"), "backend": tier("backend", "be", "int")}
    empty = {"load_balancer": None, "target_group": None, "auto_scaling_group": None}
    return {
        "tiers": {name: everything[name] if name in tiers else empty for name in model.APP_TIERS},
        "database": database,
        "nat_gateways": list(nats),
    }


def cfg(**extra):
    return dict({"stack": STACK, "region": "us-east-1"}, **extra)


# ---------------------------------------------------------------- validation


def test_defaults_are_valid():
    assert model.validate_monitoring(cfg()) == []


@pytest.mark.parametrize(
    "settings, variable",
    [
        ({"stack": "Bad_Name"}, "monitoring_stack"),
        ({"state": "absent"}, "monitoring_confirm_delete"),
        ({"state": "absent", "confirm_delete": "other"}, "monitoring_confirm_delete"),
        ({"kms_key": "not a key"}, "monitoring_kms_key"),
        ({"subscriptions": [{"protocol": "sms", "endpoint": "+15550100"}]}, "monitoring_subscriptions[0].protocol"),
        ({"subscriptions": [{"protocol": "https", "endpoint": "http://x"}]}, "monitoring_subscriptions[0].endpoint"),
        ({"subscriptions": [{"protocol": "email", "endpoint": "a@b.io"}, {"protocol": "email", "endpoint": "a@b.io"}]}, "monitoring_subscriptions[1]"),
        ({"subscriptions": [{"protocol": "email", "endpoint": "a@b.io", "extra": 1}]}, "monitoring_subscriptions[0]"),
        ({"thresholds": {"cpu_percent": 0}}, "monitoring_thresholds.cpu_percent"),
        ({"thresholds": {"latency_p99_seconds": "fast"}}, "monitoring_thresholds.latency_p99_seconds"),
        ({"thresholds": {"frontend": {"nope": 1}}}, "monitoring_thresholds.frontend.nope"),
        ({"thresholds": {"frontend": 3}}, "monitoring_thresholds.frontend"),
        # the role's variables (validate reads its argument spec): one per threshold, then tier_thresholds
        ({"tier_thresholds": {}, "cpu_percent": 150.0}, "monitoring_cpu_percent"),
        ({"tier_thresholds": {"backend": {"disk_percent": 0}}}, "monitoring_tier_thresholds.backend.disk_percent"),
        ({"tier_thresholds": {"nope": 1}}, "monitoring_tier_thresholds.nope"),
        ({"period": 45}, "monitoring_period"),
        ({"period": 30}, "monitoring_period"),
        ({"evaluation_periods": 0}, "monitoring_evaluation_periods"),
        ({"period": 3600, "evaluation_periods": 25}, "monitoring_evaluation_periods"),
        ({"datapoints_to_alarm": 6}, "monitoring_datapoints_to_alarm"),
        ({"log_retention_days": 10}, "monitoring_log_retention_days"),
        ({"tags": {"aws:x": "y"}}, "monitoring_tags"),
    ],
)
def test_bad_settings_name_the_variable(settings, variable):
    errors = model.validate_monitoring(dict(cfg(), **settings), "monitoring_")
    assert errors and any(error.startswith(variable) for error in errors), errors


def test_role_thresholds_at_their_defaults_are_valid():
    defaults = dict((key, float(spec[0])) for key, spec in model.THRESHOLDS.items())
    assert model.validate_monitoring(dict(cfg(tier_thresholds={"frontend": {"latency_p99_seconds": 0.3}}), **defaults), "monitoring_") == []


def test_absent_with_confirmation_is_valid_whatever_else():
    assert model.validate_monitoring({"stack": STACK, "state": "absent", "confirm_delete": STACK, "period": 7}) == []


def test_registered_validator():
    message, errors = check("monitoring", {"stack": STACK, "log_retention_days": 2}, "monitoring_")
    assert errors and "monitoring_log_retention_days" in message


# ---------------------------------------------------------------- wanted alarms


def test_every_alarm_of_a_full_stack():
    alarms, notes = model.desired_alarms(cfg(), found({"engine": "rds", "instance": "demo-database"}), TOPIC)
    expected = {"demo-%s-%s" % (t, m) for t in model.APP_TIERS for m in ("alb-5xx", "target-5xx", "latency-p99", "unhealthy-hosts", "healthy-hosts")}
    expected |= {"demo-%s-%s" % (t, m) for t in model.APP_TIERS for m in ("cpu-high", "memory-high", "disk-high")}
    expected |= {"demo-database-" + m for m in ("cpu-high", "freeable-memory-low", "connections-high", "free-storage-low")}
    expected |= {"demo-network-nat-port-allocation-us-east-1a"}
    assert set(alarms) == expected
    assert notes == []
    for name, spec in alarms.items():
        assert spec["alarm_actions"] == [TOPIC] and spec["ok_actions"] == [TOPIC], name
        assert spec["tags"]["hatrading:stack"] == STACK and spec["tags"]["hatrading:tier"] == "monitoring" and spec["tags"]["Name"] == name


def test_missing_data_per_alarm_kind():
    alarms = model.desired_alarms(cfg(), found(), TOPIC)[0]
    assert alarms["demo-frontend-alb-5xx"]["treat_missing_data"] == "notBreaching"
    assert alarms["demo-frontend-target-5xx"]["treat_missing_data"] == "notBreaching"
    assert alarms["demo-frontend-healthy-hosts"]["treat_missing_data"] == "breaching"
    assert alarms["demo-frontend-healthy-hosts"]["comparison"] == "LessThanThreshold"
    assert alarms["demo-network-nat-port-allocation-us-east-1a"]["treat_missing_data"] == "notBreaching"
    assert alarms["demo-backend-cpu-high"]["treat_missing_data"] == "missing"


def test_latency_is_a_p99_and_agent_metrics_use_the_stack_namespace():
    alarms = model.desired_alarms(cfg(), found(), TOPIC)[0]
    latency = alarms["demo-backend-latency-p99"]
    assert latency["extended_statistic"] == "p99" and latency["statistic"] is None and latency["dimensions"] == [["LoadBalancer", "app/demo-alb-int/abc"]]
    memory = alarms["demo-frontend-memory-high"]
    assert memory["namespace"] == "hatrading/demo" and memory["metric"] == "mem_used_percent"
    assert alarms["demo-frontend-disk-high"]["metric"] == "disk_used_percent"


def test_thresholds_shared_then_per_tier():
    settings = cfg(thresholds={"cpu_percent": 75, "backend": {"cpu_percent": 60}, "db_free_storage_gib": 5})
    alarms = model.desired_alarms(settings, found({"engine": "rds", "instance": "demo-database"}), TOPIC)[0]
    assert alarms["demo-frontend-cpu-high"]["threshold"] == 75.0
    assert alarms["demo-backend-cpu-high"]["threshold"] == 60.0
    assert alarms["demo-database-free-storage-low"]["threshold"] == 5.0 * 1024**3


def test_aurora_alarms_on_the_cluster_and_each_reader():
    db = {"engine": "aurora", "cluster": "demo-database", "writers": ["demo-database-1"], "readers": ["demo-database-2", "demo-database-3"]}
    alarms, notes = model.desired_alarms(cfg(), found(db), TOPIC)
    assert alarms["demo-database-cpu-high"]["dimensions"] == [["DBClusterIdentifier", "demo-database"]]
    lag = alarms["demo-database-replica-lag-2"]
    assert lag["metric"] == "AuroraReplicaLag" and lag["dimensions"] == [["DBInstanceIdentifier", "demo-database-2"]] and lag["threshold"] == 1000.0
    assert "demo-database-replica-lag-3" in alarms and "demo-database-free-storage-low" not in alarms
    assert any("Aurora storage" in note for note in notes)


def test_what_does_not_exist_is_skipped_with_a_note():
    alarms, notes = model.desired_alarms(cfg(), found(nats=(), tiers=("backend",)), TOPIC)
    assert not [name for name in alarms if name.startswith("demo-frontend-")]
    assert not [name for name in alarms if name.startswith(("demo-database-", "demo-network-"))]
    assert len(notes) == 4 and any("demo-alb-pub not found" in n for n in notes) and any("demo-database not found" in n for n in notes)


# ---------------------------------------------------------------- what is watched


def test_watched_resources_only_of_the_stack():
    tags = {"hatrading:stack": STACK}
    raw = {
        "load_balancers": [
            {"LoadBalancerName": "demo-alb-pub", "LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/demo-alb-pub/1a"},
            {"LoadBalancerName": "demo-alb-int", "LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/demo-alb-int/2b"},
        ],
        "target_groups": [{"TargetGroupName": "demo-tg-fe", "TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/demo-tg-fe/3c"}],
        "elb_tags": {
            "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/demo-alb-pub/1a": tags,
            "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/demo-alb-int/2b": {"hatrading:stack": "other"},
            "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/demo-tg-fe/3c": tags,
        },
        "auto_scaling_groups": [{"AutoScalingGroupName": "demo-frontend", "Tags": [{"Key": "hatrading:stack", "Value": STACK}]}],
        "db_clusters": [],
        "db_instances": [{"DBInstanceIdentifier": "demo-database", "DBInstanceStatus": "available"}],
        "nat_gateways": [
            {"NatGatewayId": "nat-2", "State": "available", "Tags": [{"Key": "Name", "Value": "demo-nat-b"}]},
            {"NatGatewayId": "nat-1", "State": "deleted", "Tags": [{"Key": "Name", "Value": "demo-nat-a"}]},
        ],
    }
    seen = model.watched_resources(STACK, raw)
    assert seen["tiers"]["frontend"] == {
        "load_balancer": "app/demo-alb-pub/1a",
        "target_group": "targetgroup/demo-tg-fe/3c",
        "auto_scaling_group": "demo-frontend",
    }
    assert seen["tiers"]["backend"] == {"load_balancer": None, "target_group": None, "auto_scaling_group": None}
    assert seen["database"] == {"engine": "rds", "instance": "demo-database"}
    assert seen["nat_gateways"] == [("demo-nat-b", "nat-2")]


# ---------------------------------------------------------------- dashboard


def test_dashboard_rows_per_tier_and_the_alarms():
    db = {"engine": "rds", "instance": "demo-database"}
    body = model.dashboard_body(STACK, "eu-west-1", found(db), ["demo-b", "demo-a"], "123456789012")
    rows = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    assert rows == ["## frontend", "## backend", "## database", "## network", "## alarms", model.dashboard_marker(STACK)]
    assert model.dashboard_is_ours(body, STACK) and not model.dashboard_is_ours(body, "demo-2")
    metrics = [w for w in body["widgets"] if w["type"] == "metric"]
    assert {w["properties"]["region"] for w in metrics} == {"eu-west-1"}
    titles = [w["properties"]["title"] for w in metrics]
    for tier in model.APP_TIERS:
        for what in ("requests", "latency", "5XX", "targets", "in-service instances", "CPU", "memory and disk (worst instance)"):
            assert "%s %s" % (tier, what) in titles
    assert "database free storage" in titles and "NAT port allocation errors" in titles
    alarm = [w for w in body["widgets"] if w["type"] == "alarm"][0]["properties"]["alarms"]
    assert alarm == ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:demo-a", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:demo-b"]
    for widget in body["widgets"]:  # inside the 24-column grid, nothing overlapping a row title
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= 24


def test_dashboard_is_deterministic_and_json():
    first = model.dashboard_body(STACK, "us-east-1", found(), ["demo-x"], "1")
    assert first == model.dashboard_body(STACK, "us-east-1", found(), ["demo-x"], "1")
    assert json.loads(json.dumps(first)) == first


def test_dashboard_skips_what_is_missing():
    body = model.dashboard_body(STACK, "us-east-1", found(nats=(), tiers=("backend",)), [], "1")
    rows = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    assert rows == ["## backend", model.dashboard_marker(STACK)]


def test_aurora_dashboard_shows_replica_lag():
    db = {"engine": "aurora", "cluster": "demo-database", "writers": ["demo-database-1"], "readers": ["demo-database-2"]}
    body = model.dashboard_body(STACK, "us-east-1", found(db), [], "1")
    lag = [w for w in body["widgets"] if w["type"] == "metric" and w["properties"]["title"] == "database replica lag"][0]
    assert lag["properties"]["metrics"] == [["AWS/RDS", "AuroraReplicaLag", "DBInstanceIdentifier", "demo-database-2"]]


# ---------------------------------------------------------------- plans


def as_described(want):
    """What describe answers would give back once ``want`` exists (round trip through the actual_* readers)."""
    alarms = []
    for name, spec in want["metric_alarm"].items():
        alarm = {
            "AlarmName": name,
            "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + name,
            "AlarmDescription": spec["description"],
            "Namespace": spec["namespace"],
            "MetricName": spec["metric"],
            "Dimensions": [{"Name": k, "Value": v} for k, v in spec["dimensions"]],
            "Period": spec["period"],
            "EvaluationPeriods": spec["evaluation_periods"],
            "DatapointsToAlarm": spec["datapoints_to_alarm"],
            "ComparisonOperator": spec["comparison"],
            "Threshold": spec["threshold"],
            "TreatMissingData": spec["treat_missing_data"],
            "ActionsEnabled": True,
            "AlarmActions": spec["alarm_actions"],
            "OKActions": spec["ok_actions"],
            "InsufficientDataActions": [],
        }
        alarm.update({"ExtendedStatistic": spec["extended_statistic"]} if spec["extended_statistic"] else {"Statistic": spec["statistic"]})
        alarms.append(alarm)
    raw = {
        "topic": {"arn": TOPIC, "attributes": {"KmsMasterKeyId": ""}, "tags": dict(want["sns_topic"]["demo-alarms"]["tags"]), "subscriptions": []},
        "alarms": alarms,
        "dashboard": json.dumps(want["dashboard"]["hatrading-demo"]["body"]),
        "log_groups": [{"logGroupName": name, "retentionInDays": spec["retention_days"]} for name, spec in want["log_group"].items()],
        "log_group_tags": {name: spec["tags"] for name, spec in want["log_group"].items()},
    }
    return model.actual_monitoring(STACK, raw)


def test_nothing_exists_plans_everything():
    want = model.desired_monitoring(cfg(subscriptions=[{"protocol": "email", "endpoint": "a@b.io"}]), found())[0]
    have = model.actual_monitoring(STACK, {})
    plan = model.plan_monitoring(STACK, want, have)
    kinds = [c.kind for c in plan.changes]
    assert kinds[:3] == ["sns_topic", "subscription", "log_group"] and kinds[-1] == "dashboard"
    assert plan.summary() == {"create": 1 + 1 + 4 + len(want["metric_alarm"]) + 1, "update": 0, "delete": 0}
    assert want["metric_alarm"]["demo-frontend-alb-5xx"]["alarm_actions"] == [model.TOPIC_PLACEHOLDER]


def test_rerun_plans_nothing():
    want = model.desired_monitoring(cfg(), found({"engine": "rds", "instance": "demo-database"}), TOPIC)[0]
    assert model.plan_monitoring(STACK, want, as_described(want)).changes == []


def test_one_threshold_one_update():
    want = model.desired_monitoring(cfg(), found(), TOPIC)[0]
    have = as_described(want)
    changed = model.desired_monitoring(cfg(thresholds={"frontend": {"latency_p99_seconds": 0.5}}), found(), TOPIC)[0]
    plan = model.plan_monitoring(STACK, changed, have)
    assert [str(c) for c in plan.changes] == ["~ metric_alarm demo-frontend-latency-p99 (threshold)"]
    assert plan.diff()["after"]["metric_alarm/demo-frontend-latency-p99"]["threshold"] == 0.5


def test_stale_alarms_deleted_only_when_tagged_ours():
    want = model.desired_monitoring(cfg(), found({"engine": "rds", "instance": "demo-database"}), TOPIC)[0]
    have = as_described(want)
    smaller = model.desired_monitoring(cfg(), found(), TOPIC)[0]  # the database is gone
    stale = model.stale_alarm_candidates(smaller, have)
    assert stale == sorted(name for name in want["metric_alarm"] if name.startswith("demo-database-"))
    tags = {name: OURS for name in stale}
    tags[stale[0]] = {"hatrading:stack": "demo-2", "hatrading:tier": "monitoring"}  # demo-2's alarms share the prefix demo-
    plan = model.plan_monitoring(STACK, smaller, have, tags)
    assert sorted(c.name for c in plan.of("metric_alarm", "delete")) == stale[1:]
    assert [c.name for c in plan.of("dashboard", "update")] == ["hatrading-demo"]


def test_topic_key_and_missing_tags_update_the_topic():
    want = model.desired_monitoring(cfg(kms_key="alias/demo-alarms"), found(), TOPIC)[0]
    have = as_described(want)
    have["sns_topic"]["demo-alarms"]["tags"].pop("hatrading:tier")
    plan = model.plan_monitoring(STACK, want, have)
    assert [str(c) for c in plan.changes] == ["~ sns_topic demo-alarms (kms_key, tags)"]


def test_subscriptions_added_and_removed_never_resubscribed():
    wanted = [{"protocol": "email", "endpoint": "a@b.io"}, {"protocol": "https", "endpoint": "https://h"}]
    want = model.desired_monitoring(cfg(subscriptions=wanted), found(), TOPIC)[0]
    have = as_described(want)
    have["subscription"] = {
        "email:a@b.io": {"protocol": "email", "endpoint": "a@b.io", "arn": "PendingConfirmation"},
        "email:old@b.io": {"protocol": "email", "endpoint": "old@b.io", "arn": TOPIC + ":1"},
    }
    plan = model.plan_monitoring(STACK, want, have)
    assert [str(c) for c in plan.changes] == ["+ subscription %s" % model.subscription_key("https", "https://h"), "- subscription email:old@b.io"]
    notes = model.plan_notes(plan, have, "alias/x")
    assert notes == ["subscriptions waiting for their owner to confirm: email:a@b.io"]


@pytest.mark.parametrize("key", ["alias/aws/sns", "arn:aws:kms:us-east-1:123456789012:alias/aws/sns"])
def test_the_aws_managed_key_is_refused_naming_the_variable(key):
    errors = model.validate_monitoring({"stack": STACK, "kms_key": key}, prefix="monitoring_")
    assert [e for e in errors if e.startswith("monitoring_kms_key:")] and "cloudwatch.amazonaws.com" in errors[0]
    assert model.validate_monitoring({"stack": STACK, "kms_key": "alias/demo-alarms"}, prefix="monitoring_") == []
    assert model.DEFAULT_KMS_KEY == ""


def test_log_group_retention_and_tags():
    want = model.desired_monitoring(cfg(log_retention_days=90), found(), TOPIC)[0]
    have = as_described(want)
    group = "/hatrading/demo/frontend/host"
    have["log_group"][group] = {"retention_days": None, "tags": {}}  # made by the agent: never expires, untagged
    plan = model.plan_monitoring(STACK, want, have)
    assert [str(c) for c in plan.changes] == ["~ log_group %s (retention_days, tags)" % group]


def test_teardown_keeps_log_groups_unless_asked():
    want = model.desired_monitoring(cfg(subscriptions=[{"protocol": "email", "endpoint": "a@b.io"}]), found(), TOPIC)[0]
    have = as_described(want)
    have["subscription"] = {"email:a@b.io": {"protocol": "email", "endpoint": "a@b.io", "arn": TOPIC + ":1"}}
    tags = {name: OURS for name in have["metric_alarm"]}
    plan = model.plan_teardown(STACK, have, tags)
    assert {c.kind for c in plan.changes} == {"metric_alarm", "dashboard", "subscription", "sns_topic"}
    assert [c.kind for c in plan.changes][-3:] == ["dashboard", "subscription", "sns_topic"]
    assert plan.summary()["delete"] == len(have["metric_alarm"]) + 3
    everything = model.plan_teardown(STACK, have, tags, delete_log_groups=True)
    assert len(everything.of("log_group", "delete")) == 4


def test_teardown_leaves_alarms_not_tagged_ours():
    want = model.desired_monitoring(cfg(), found(), TOPIC)[0]
    have = as_described(want)
    plan = model.plan_teardown(STACK, have, {})
    assert plan.of("metric_alarm") == []


def test_webhook_tokens_stay_out_of_plan_names():
    key = model.subscription_key("https", "https://user:s3cret@hooks.example.com/services/T000/B000/XXXXSECRET")
    assert key.startswith("https:https://hooks.example.com/#") and "s3cret" not in key and "XXXXSECRET" not in key
    assert model.subscription_key("email", "oncall@example.com") == "email:oncall@example.com"


def test_someone_elses_topic_and_dashboard_are_never_taken_over_or_deleted():
    want = model.desired_monitoring(cfg(), found(), TOPIC)[0]
    foreign_topic = as_described(want)
    foreign_topic["sns_topic"]["demo-alarms"]["tags"] = {"team": "payments"}
    with pytest.raises(model.MonitoringError, match="topic demo-alarms exists but is not this stack's"):
        model.plan_monitoring(STACK, want, foreign_topic)
    teardown = model.plan_teardown(STACK, foreign_topic, {})
    assert [c.kind for c in teardown.changes if c.kind in ("sns_topic", "subscription")] == []

    foreign_dashboard = as_described(want)
    foreign_dashboard["dashboard"]["hatrading-demo"] = {"body": {"widgets": [{"type": "text", "properties": {"markdown": "# the payments team"}}]}}
    with pytest.raises(model.MonitoringError, match="dashboard hatrading-demo exists but was not made by this tier"):
        model.plan_monitoring(STACK, want, foreign_dashboard)
    assert [c.kind for c in model.plan_teardown(STACK, foreign_dashboard, {}).changes if c.kind == "dashboard"] == []
    assert [c.kind for c in model.plan_teardown(STACK, as_described(want), {}).changes if c.kind == "dashboard"] == ["dashboard"]


def test_nosql_tables_get_throttle_alarms_only_when_they_exist():
    raw = {"dynamodb_tables": [{"TableName": "demo-sessions", "TableStatus": "ACTIVE"}, {"TableName": "other-sessions", "TableStatus": "ACTIVE"}]}
    assert model.watched_resources(STACK, raw)["dynamodb_tables"] == ["demo-sessions"]
    without, notes = model.desired_alarms(cfg(), found(), TOPIC)
    assert not any("throttles" in name for name in without) and not any("nosql" in note for note in notes)
    alarms, _notes = model.desired_alarms(cfg(thresholds={"nosql_throttled_requests": 5}), dict(found(), dynamodb_tables=["demo-sessions"]), TOPIC)
    reads = alarms["demo-nosql-read-throttles-sessions"]
    assert reads["namespace"] == "AWS/DynamoDB" and reads["metric"] == "ReadThrottleEvents" and reads["dimensions"] == [["TableName", "demo-sessions"]]
    assert reads["threshold"] == 5.0 and reads["treat_missing_data"] == "notBreaching" and reads["tags"]["hatrading:component"] == "nosql"
    assert alarms["demo-nosql-write-throttles-sessions"]["metric"] == "WriteThrottleEvents"
