"""The nosql tier's pure functions: checks naming the variable, the wanted state, the plan and its order."""

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.nosql import model

KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"


def cfg(**settings):
    return dict({"stack": "prod", "state": "present", "tags": {}, "region": "us-east-1"}, **settings)


def test_sound_settings_pass():
    assert model.validate_nosql(cfg(billing_mode="provisioned", replica_regions=["us-west-2"], replica_kms_keys={"us-west-2": "alias/k"})) == []


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"billing_mode": "fast"}, "nosql_billing_mode: 'fast' is not a billing mode"),
        ({"billing_mode": "provisioned", "write_capacity_min": 0}, "nosql_write_capacity_min, nosql_write_capacity_max: 0..100"),
        ({"billing_mode": "provisioned", "target_utilization": 95}, "nosql_target_utilization: 95"),
        ({"session_ttl_attribute": "session_id"}, "nosql_session_ttl_attribute: 'session_id'"),
        ({"kms_key": "my key"}, "nosql_kms_key: 'my key' is not a KMS key"),
        ({"replica_regions": ["mars"]}, "nosql_replica_regions: 'mars' is not an AWS region"),
        ({"replica_regions": ["us-east-1"]}, "nosql_replica_regions: us-east-1 is the stack's own region"),
        ({"replica_regions": ["us-west-2", "us-west-2"]}, "nosql_replica_regions: a region is listed twice"),
        ({"replica_kms_keys": {"eu-west-1": "alias/k"}}, "nosql_replica_kms_keys: eu-west-1 is not among nosql_replica_regions"),
        ({"stack": "Bad_Stack"}, "nosql_stack: 'Bad_Stack' is not a valid stack name"),
        ({"state": "absent", "confirm_delete": "other"}, "nosql_confirm_delete: deleting the nosql tier of stack prod needs nosql_confirm_delete=prod"),
    ],
)
def test_bad_settings_name_the_variable(settings, message):
    errors = model.validate_nosql(cfg(**settings), "nosql_")
    assert any(error.startswith(message) for error in errors), errors


def test_on_demand_wants_no_scaling_and_ttl_only_on_sessions():
    want = model.desired_nosql(cfg(), KEY)
    assert sorted(want["table"]) == ["prod-market", "prod-sessions"]
    assert want["table"]["prod-sessions"]["billing_mode"] == "PAY_PER_REQUEST" and want["table"]["prod-sessions"]["capacity"] is None
    assert want["ttl"] == {"prod-sessions": {"enabled": True, "attribute": "expires_at"}}
    assert want["scalable_target"] == {} == want["scaling_policy"]
    assert want["table"]["prod-market"]["tags"] == {"hatrading:stack": "prod", "hatrading:tier": "nosql", "Name": "prod-market"}


def test_provisioned_wants_a_target_and_a_policy_per_table_and_dimension():
    want = model.desired_nosql(cfg(billing_mode="provisioned", read_capacity_max=40, target_utilization=50), KEY)
    assert want["scalable_target"]["prod-market/read"] == {"min": 5, "max": 40}
    assert want["scaling_policy"]["prod-market-write-target"] == {
        "target": "prod-market/write",
        "metric": "DynamoDBWriteCapacityUtilization",
        "target_value": 50.0,
    }
    assert len(want["scalable_target"]) == len(want["scaling_policy"]) == 4


def empty_have():
    return model.actual_nosql("prod", {"tables": {}, "tags": {}, "backups": {}, "ttl": {}, "scalable_targets": [], "scaling_policies": []})


def built_have(**table):
    want = model.desired_nosql(cfg(), KEY)
    have = empty_have()
    for name, spec in want["table"].items():
        have["table"][name] = dict(spec, arn="arn:aws:dynamodb:us-east-1:123456789012:table/" + name, status="ACTIVE", **table)
        have["point_in_time_recovery"][name] = {"enabled": True}
    have["ttl"]["prod-sessions"] = {"enabled": True, "attribute": "expires_at"}
    return have


def test_a_new_stack_plans_tables_then_backups_then_expiry():
    plan = model.plan_nosql(model.desired_nosql(cfg(), KEY), empty_have())
    assert [str(c) for c in plan.changes] == [
        "+ table prod-sessions",
        "+ table prod-market",
        "~ point_in_time_recovery prod-sessions (enabled)",
        "~ point_in_time_recovery prod-market (enabled)",
        "~ ttl prod-sessions (attribute, enabled)",
    ]


def test_what_matches_plans_nothing_and_other_tags_are_left_alone():
    have = built_have()
    have["table"]["prod-market"]["tags"] = dict(have["table"]["prod-market"]["tags"], team="x")
    assert model.plan_nosql(model.desired_nosql(cfg(), KEY), have).changes == []


def test_replicas_key_and_protection_are_table_updates():
    want = model.desired_nosql(cfg(replica_regions=["us-west-2"], deletion_protection=False), "arn:aws:kms:us-east-1:123456789012:key/other")
    (change,) = model.plan_nosql(want, built_have()).of("table")[:1]
    assert change.fields == ["deletion_protection", "kms_key", "replicas", "stream"]


def test_a_key_schema_cannot_change():
    have = built_have()
    have["table"]["prod-market"]["key"] = "ticker"
    with pytest.raises(model.NosqlError, match="a key cannot change"):
        model.plan_nosql(model.desired_nosql(cfg(), KEY), have)


def test_switching_to_on_demand_drops_the_scaling_before_the_billing_changes():
    provisioned = cfg(billing_mode="provisioned")
    have = built_have(billing_mode="PROVISIONED")
    for name, spec in model.desired_nosql(provisioned, KEY)["scalable_target"].items():
        have["scalable_target"][name] = spec
    for name, spec in model.desired_nosql(provisioned, KEY)["scaling_policy"].items():
        have["scaling_policy"][name] = spec
    steps = [(c.action, c.kind) for c in model.plan_nosql(model.desired_nosql(cfg(), KEY), have).changes]
    assert steps == [("delete", "scaling_policy")] * 4 + [("delete", "scalable_target")] * 4 + [("update", "table")] * 2


def test_teardown_keeps_the_tables_unless_told_and_honours_protection():
    have = built_have()
    assert model.plan_teardown(cfg(state="absent"), have).changes == []
    assert model.plan_notes(cfg(state="absent"), have) == [
        "table prod-market kept with its data (delete_tables=false)",
        "table prod-sessions kept with its data (delete_tables=false)",
    ]
    with pytest.raises(model.NosqlError, match="deletion_protection: table prod-market is protected"):
        model.plan_teardown(cfg(state="absent", delete_tables=True), have)
    plan = model.plan_teardown(cfg(state="absent", delete_tables=True, deletion_protection=False, backup_before_delete=False), have)
    assert [str(c) for c in plan.changes] == [
        "~ table prod-market (deletion_protection)",
        "~ table prod-sessions (deletion_protection)",
        "- table prod-market",
        "- table prod-sessions",
    ]
    assert plan.of("table", "delete")[0].ref == {"backup": False}
