"""The alert manager definition, pure: the wanted configuration, its checks, its comparison as parsed YAML, the plan."""

import pytest
import yaml

from ansible_collections.hatrading.aws.plugins.module_utils.observability import model

WORKSPACE_ARN = "arn:aws:aps:eu-west-1:123456789012:workspace/ws-1"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:prod-alarms"


def cfg(**settings):
    return dict({"stack": "prod", "state": "present", "tags": {}, "rule_files": {}}, **settings)


def have_with(data, status="ACTIVE"):
    raw = {"workspace": {"workspaceId": "ws-1", "arn": WORKSPACE_ARN, "tags": {}}, "alert_manager": {"data": data, "status": {"statusCode": status}}}
    return model.actual_observability("prod", raw)


def wanted(**settings):
    return model.desired_observability(cfg(**settings), "eu-west-1", workspace_arn=WORKSPACE_ARN)


def test_every_alert_goes_to_the_stacks_topic_grouped_by_its_name():
    config = wanted()["alert_manager"]["prod-prometheus"]["config"]
    assert config["route"] == {"receiver": "sns", "group_by": ["alertname"], "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}
    (receiver,) = config["receivers"]
    (sns,) = receiver["sns_configs"]
    assert receiver["name"] == "sns"
    assert sns["topic_arn"] == TOPIC_ARN and sns["sigv4"] == {"region": "eu-west-1"}
    assert sns["attributes"]["stack"] == "prod" and "prod" in sns["subject"]
    assert model.alert_topic_of(config) == [TOPIC_ARN]


def test_the_topic_arn_waits_for_the_workspaces_account_and_keeps_its_partition():
    assert model.alarm_topic_arn("prod", "us-east-1") == "arn:aws:sns:us-east-1:<account>:prod-alarms"
    china = "arn:aws-cn:aps:cn-north-1:123456789012:workspace/ws-1"
    assert model.alarm_topic_arn("prod", "cn-north-1", china) == "arn:aws-cn:sns:cn-north-1:123456789012:prod-alarms"


def test_the_definition_is_amps_yaml_with_the_configuration_as_text():
    config = wanted()["alert_manager"]["prod-prometheus"]["config"]
    text = model.alert_manager_text(config)
    outer = yaml.safe_load(text)
    assert list(outer) == ["alertmanager_config"] and isinstance(outer["alertmanager_config"], str)
    assert model.alert_manager_of(text.encode("utf-8")) == config


def test_a_rerun_finding_the_same_configuration_reformatted_plans_nothing():
    want = wanted()
    config = want["alert_manager"]["prod-prometheus"]["config"]
    # another layout of the same YAML (flow style, other key order): no change
    reformatted = yaml.safe_dump({"alertmanager_config": yaml.safe_dump(config, default_flow_style=True, sort_keys=False)})
    have = have_with(reformatted.encode("utf-8"))
    assert model.plan_observability(want, have).of("alert_manager", "update") == []


def test_a_changed_interval_is_one_update_of_the_config():
    want = wanted(alert_repeat_interval="12h")
    have = have_with(model.alert_manager_text(wanted()["alert_manager"]["prod-prometheus"]["config"]))
    (change,) = model.plan_observability(want, have).of("alert_manager", "update")
    assert change.fields == ["config"] and change.after["config"]["route"]["repeat_interval"] == "12h"


@pytest.mark.parametrize("status, fields", [("CREATION_FAILED", ["status"]), ("UPDATE_FAILED", ["status"]), ("ACTIVE", [])])
def test_a_definition_amp_refused_is_made_again(status, fields):
    have = have_with(model.alert_manager_text(wanted()["alert_manager"]["prod-prometheus"]["config"]), status=status)
    changes = model.plan_observability(wanted(), have).of("alert_manager", "update")
    assert [change.fields for change in changes] == ([fields] if fields else [])


def test_a_broken_definition_is_replaced():
    have = have_with(b"alertmanager_config: '{'\n")
    assert have["alert_manager"]["prod-prometheus"]["config"] is None
    assert model.plan_observability(wanted(), have).of("alert_manager", "update")


def test_a_new_workspace_creates_the_definition_after_its_rules():
    plan = model.plan_observability(wanted(), model.actual_observability("prod", {"workspace": None}))
    kinds = [change.kind for change in plan.changes]
    assert kinds.index("workspace") < kinds.index("rules") < kinds.index("alert_manager")


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"alert_group_wait": "soon"}, "observability_alert_group_wait: 'soon' is not an Alertmanager duration"),
        ({"alert_group_interval": "0s"}, "observability_alert_group_interval: '0s' is not an Alertmanager duration above zero"),
        ({"alert_repeat_interval": "1m"}, "observability_alert_repeat_interval: shorter than observability_alert_group_interval"),
    ],
)
def test_bad_timings_name_the_variable(settings, message):
    errors = model.validate_observability(cfg(**settings), "observability_")
    assert any(error.startswith(message) for error in errors), errors


def test_durations():
    assert model.duration_seconds("1h30m") == 5400 and model.duration_seconds("30s") == 30
    assert model.duration_seconds("30") is None and model.duration_seconds(30) is None
