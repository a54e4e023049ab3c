"""hatrading.aws.stack_nosql against moto: check mode, create, rerun, one change, provisioned scaling, teardown, bad input.

moto 5.2.6 gaps (covered with Stubber in tests/unit/nosql/test_nosql_calls.py): UpdateTable ignores
SSESpecification and ReplicaUpdates (no replica ever shows in DescribeTable), and tables are ACTIVE at once.
"""

import pytest

STACK = "nosqlt"
SESSIONS, MARKET = STACK + "-sessions", STACK + "-market"
KEY_ALIAS = "alias/%s-database" % STACK


def nosql(ansible, check=False, diff=False, **args):
    return ansible.module("hatrading.aws.stack_nosql", dict({"stack": STACK, "region": "us-east-1", "tags": {"owner": "t"}}, **args), check=check, diff=diff)


def operations(calls):
    return [call["operation"] for call in calls]


@pytest.fixture
def stack_key(fresh_moto):
    kms = fresh_moto.client("kms")
    key = kms.create_key(Description="the stack's key")["KeyMetadata"]
    kms.create_alias(AliasName=KEY_ALIAS, TargetKeyId=key["KeyId"])
    fresh_moto.forget_calls()
    return key["Arn"]


@pytest.fixture
def built(stack_key, fresh_moto, ansible):
    result = nosql(ansible)
    assert result["rc"] == 0 and result["changed"], result
    fresh_moto.forget_calls()
    return result


def test_check_mode_plans_and_creates_nothing(stack_key, fresh_moto, ansible):
    result = nosql(ansible, check=True, diff=True)
    assert result["rc"] == 0 and result["changed"], result
    assert [(s["action"], s["kind"], s["name"]) for s in result["plan"]] == [
        ("create", "table", SESSIONS),
        ("create", "table", MARKET),
        ("update", "point_in_time_recovery", SESSIONS),
        ("update", "point_in_time_recovery", MARKET),
        ("update", "ttl", SESSIONS),
    ]
    assert result["diff"]["after"]["table/%s" % SESSIONS]["kms_key"] == stack_key
    assert fresh_moto.mutating_calls() == []
    assert fresh_moto.client("dynamodb").list_tables()["TableNames"] == []


def test_create_builds_encrypted_protected_tables_with_pitr_and_ttl(built, stack_key, moto):
    dynamodb = moto.client("dynamodb")
    assert built["nosql"]["tables"] == {"sessions": SESSIONS, "market": MARKET}
    assert sorted(built["nosql"]["existing"]) == [MARKET, SESSIONS]
    for table, key in ((SESSIONS, "session_id"), (MARKET, "symbol")):
        found = dynamodb.describe_table(TableName=table)["Table"]
        assert found["KeySchema"] == [{"AttributeName": key, "KeyType": "HASH"}]
        assert found["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert found["SSEDescription"]["KMSMasterKeyArn"] == stack_key
        assert found["DeletionProtectionEnabled"] is True
        tags = dict((t["Key"], t["Value"]) for t in dynamodb.list_tags_of_resource(ResourceArn=found["TableArn"])["Tags"])
        assert tags == {"hatrading:stack": STACK, "hatrading:tier": "nosql", "Name": table, "owner": "t"}
        pitr = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    ttl = dynamodb.describe_time_to_live(TableName=SESSIONS)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_rerun_changes_nothing_and_only_reads(built, moto, ansible):
    again = nosql(ansible)
    assert again["rc"] == 0 and not again["changed"] and again["plan"] == [], again
    assert moto.mutating_calls() == []
    # the call budget of a rerun (docs/nosql.md): four reads per table, two for the scaling, one for the key
    per_table = ["DescribeContinuousBackups", "DescribeTable", "DescribeTimeToLive", "ListTagsOfResource"]
    assert sorted(operations(moto.calls())) == sorted(per_table * 2 + ["DescribeKey", "DescribeScalableTargets", "DescribeScalingPolicies"])


def test_provisioned_registers_target_tracking_and_a_rerun_is_quiet(built, moto, ansible):
    result = nosql(ansible, billing_mode="provisioned", read_capacity_min=2, read_capacity_max=50, target_utilization=60)
    assert result["rc"] == 0 and result["changed"], result
    steps = [(s["action"], s["kind"]) for s in result["plan"]]
    assert steps.count(("create", "scalable_target")) == 4 and steps.count(("create", "scaling_policy")) == 4
    assert ("update", "table") in steps
    scaling = moto.client("application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]
    read_targets = [t for t in targets if t["ScalableDimension"] == "dynamodb:table:ReadCapacityUnits"]
    assert sorted(t["ResourceId"] for t in read_targets) == ["table/" + MARKET, "table/" + SESSIONS]
    assert {(t["MinCapacity"], t["MaxCapacity"]) for t in read_targets} == {(2, 50)}
    policies = scaling.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    assert {p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] for p in policies} == {60.0}
    assert moto.client("dynamodb").describe_table(TableName=MARKET)["Table"]["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    moto.forget_calls()
    again = nosql(ansible, billing_mode="provisioned", read_capacity_min=2, read_capacity_max=50, target_utilization=60)
    assert again["rc"] == 0 and not again["changed"], again
    assert moto.mutating_calls() == []
    back = nosql(ansible)  # on demand again: the scaling goes first, then the billing mode
    assert back["rc"] == 0 and back["changed"], back
    assert scaling.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"] == []


def test_one_change_is_one_call(built, moto, ansible):
    result = nosql(ansible, point_in_time_recovery=False)
    assert result["rc"] == 0 and result["changed"]
    assert operations(moto.mutating_calls()) == ["UpdateContinuousBackups", "UpdateContinuousBackups"]


def test_absent_keeps_the_tables_unless_told(built, moto, ansible):
    refused = nosql(ansible, state="absent")
    assert refused["rc"] != 0 and "confirm_delete" in refused["msg"]
    kept = nosql(ansible, state="absent", confirm_delete=STACK)
    assert kept["rc"] == 0 and not kept["changed"], kept
    assert kept["notes"] == ["table %s kept with its data (delete_tables=false)" % t for t in (MARKET, SESSIONS)]
    assert moto.mutating_calls() == []
    protected = nosql(ansible, state="absent", confirm_delete=STACK, delete_tables=True)
    assert protected["rc"] != 0 and "deletion_protection" in protected["msg"], protected
    assert moto.mutating_calls() == []
    gone = nosql(ansible, state="absent", confirm_delete=STACK, delete_tables=True, deletion_protection=False)
    assert gone["rc"] == 0 and gone["changed"], gone
    assert len(gone["nosql"]["backups"]) == 2 and gone["nosql"]["existing"] == []
    dynamodb = moto.client("dynamodb")
    assert dynamodb.list_tables()["TableNames"] == []
    assert sorted(b["TableName"] for b in dynamodb.list_backups()["BackupSummaries"]) == [MARKET, SESSIONS]


def test_bad_input_fails_before_any_call_naming_the_option(fresh_moto, ansible):
    result = nosql(ansible, billing_mode="provisioned", read_capacity_min=50, read_capacity_max=10, replica_regions=["us-east-1"])
    assert result["rc"] != 0
    assert "read_capacity_min, read_capacity_max" in result["msg"] and "replica_regions: us-east-1 is the stack's own region" in result["msg"]
    assert fresh_moto.calls() == []


def test_a_missing_stack_key_fails_outside_check_mode(fresh_moto, ansible):
    planned = nosql(ansible, check=True)
    assert planned["rc"] == 0 and planned["changed"] and "not found yet" in planned["notes"][0]
    failed = nosql(ansible)
    assert failed["rc"] != 0 and "kms_key: the stack's key %s not found" % KEY_ALIAS in failed["msg"]
    assert fresh_moto.mutating_calls() == []


def test_the_audit_reads_the_tables_backups_and_protection(built, moto, ansible):
    report = ansible.module("hatrading.aws.stack_audit", {"stack": STACK, "region": "us-east-1", "tiers": ["nosql"], "fail_on": "warn"})
    assert report["rc"] == 0 and report["passed"], report
    checks = sorted((f["check"], f["resource"], f["status"]) for f in report["findings"])
    assert checks == sorted(
        (check, table, "pass") for table in (SESSIONS, MARKET) for check in ("nosql.az_spread", "nosql.point_in_time_recovery", "nosql.deletion_protection")
    )
    assert moto.mutating_calls() == []


def test_the_report_lists_and_draws_the_tables(built, moto, ansible):
    report = ansible.module("hatrading.aws.stack_report", {"stack": STACK, "region": "us-east-1"})
    assert report["rc"] == 0, report
    assert "DynamoDB: 2 tables (regional, each kept in 3 AZs by DynamoDB)" in report["lines"]
    assert "  table %s ACTIVE, PAY_PER_REQUEST, point-in-time recovery on, deletion protection on" % MARKET in report["lines"]
    svg = report["html"][report["html"].index("<svg") : report["html"].index("</svg>")]
    assert "table " + SESSIONS in svg and "table " + MARKET in svg
    assert {f["check"] for f in report["audit"]["findings"] if f["tier"] == "nosql"} == {
        "nosql.az_spread",
        "nosql.point_in_time_recovery",
        "nosql.deletion_protection",
    }
    assert moto.mutating_calls() == []


def test_the_monitoring_tier_alarms_on_throttled_requests(built, moto, ansible):
    result = ansible.module("hatrading.aws.stack_monitoring", {"stack": STACK, "region": "us-east-1"})
    assert result["rc"] == 0, result
    alarms = moto.client("cloudwatch").describe_alarms(AlarmNamePrefix=STACK + "-nosql-")["MetricAlarms"]
    assert sorted((a["AlarmName"], a["MetricName"]) for a in alarms) == [
        (STACK + "-nosql-read-throttles-market", "ReadThrottleEvents"),
        (STACK + "-nosql-read-throttles-sessions", "ReadThrottleEvents"),
        (STACK + "-nosql-write-throttles-market", "WriteThrottleEvents"),
        (STACK + "-nosql-write-throttles-sessions", "WriteThrottleEvents"),
    ]
