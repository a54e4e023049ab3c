"""The topic policy statement that lets the observability tier's alert manager (AMP) publish to the alarm topic."""

import json

from ansible_collections.hatrading.aws.plugins.module_utils.monitoring import model

STACK = "demo"
TOPIC = "arn:aws:sns:us-east-1:123456789012:demo-alarms"
WORKSPACE = "arn:aws:aps:us-east-1:123456789012:workspace/ws-1"
OURS = {"hatrading:stack": STACK, "hatrading:tier": "monitoring", "Name": "demo-alarms"}
DEFAULT_POLICY = json.dumps(
    {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{"Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "SNS:Publish", "Resource": TOPIC}],
    }
)


def found(workspace=None):
    empty = {"load_balancer": None, "target_group": None, "auto_scaling_group": None}
    tiers = dict((tier, dict(empty)) for tier in model.APP_TIERS)
    return {"tiers": tiers, "nat_gateways": [], "amp_workspace": "demo-prometheus" if workspace else None, "amp_workspace_arn": workspace}


def topic(policy):
    return {"arn": TOPIC, "attributes": {"Policy": policy}, "tags": OURS, "subscriptions": []}


def plan(workspace, policy, kms_key=""):
    want, _notes = model.desired_monitoring({"stack": STACK, "region": "us-east-1", "kms_key": kms_key}, found(workspace), TOPIC)
    have = model.actual_monitoring(STACK, {"topic": topic(policy)})
    made = model.plan_monitoring(STACK, want, have)
    return made, have, model.plan_notes(made, have, kms_key)


def test_only_the_stacks_workspace_of_this_account_may_publish():
    statement = model.amp_publish_statement(TOPIC, WORKSPACE)
    assert statement["Principal"] == {"Service": "aps.amazonaws.com"}
    assert statement["Action"] == ["sns:GetTopicAttributes", "sns:Publish"] and statement["Resource"] == TOPIC
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": WORKSPACE}, "StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_a_workspace_adds_the_statement_and_keeps_the_others():
    made, have, _notes = plan(WORKSPACE, DEFAULT_POLICY)
    (change,) = made.of("sns_topic", "update")
    assert change.fields == ["amp_statement"]
    policy = json.loads(model.with_amp_statement(have["sns_topic"]["demo-alarms"]["policy"], change.after["amp_statement"], TOPIC))
    assert [s["Sid"] for s in policy["Statement"]] == ["__default_statement_ID", model.AMP_STATEMENT_SID]
    assert model.amp_statement_of(json.dumps(policy)) == change.after["amp_statement"]


def test_a_rerun_finding_the_statement_plans_nothing_even_with_a_single_action_string():
    statement = dict(model.amp_publish_statement(TOPIC, WORKSPACE), Action=["sns:Publish", "sns:GetTopicAttributes"])
    policy = json.loads(DEFAULT_POLICY)
    policy["Statement"].append(statement)
    made, _have, _notes = plan(WORKSPACE, json.dumps(policy))
    assert made.of("sns_topic") == []


def test_without_the_workspace_the_statement_goes():
    policy = json.loads(model.with_amp_statement(DEFAULT_POLICY, model.amp_publish_statement(TOPIC, WORKSPACE), TOPIC))
    made, have, _notes = plan(None, json.dumps(policy))
    (change,) = made.of("sns_topic", "update")
    assert change.fields == ["amp_statement"] and change.after["amp_statement"] == {}
    left = json.loads(model.with_amp_statement(have["sns_topic"]["demo-alarms"]["policy"], {}, TOPIC))
    assert [s["Sid"] for s in left["Statement"]] == ["__default_statement_ID"]
    assert plan(None, DEFAULT_POLICY)[0].of("sns_topic") == []


def test_a_new_topic_gets_the_statement_with_its_arn():
    statement = model.amp_publish_statement(model.TOPIC_PLACEHOLDER, WORKSPACE)
    policy = json.loads(model.with_amp_statement(DEFAULT_POLICY, statement, TOPIC))
    assert policy["Statement"][-1]["Resource"] == TOPIC


def test_an_encrypted_topic_says_the_key_must_let_amp_use_it():
    _made, _have, notes = plan(WORKSPACE, DEFAULT_POLICY, kms_key="alias/demo-alarms")
    assert any("alias/demo-alarms" in note and "aps.amazonaws.com" in note and "kms:GenerateDataKey*" in note for note in notes), notes
    assert not any("aps.amazonaws.com" in note for note in plan(WORKSPACE, DEFAULT_POLICY)[2])
