"""observability.alerts: the workspace's alert manager is ACTIVE and sends to the stack's SNS topic; the report's line."""

from ansible_collections.hatrading.aws.plugins.module_utils.audit import model
from ansible_collections.hatrading.aws.plugins.module_utils.observability import model as observability
from ansible_collections.hatrading.aws.plugins.module_utils.report import read as report_read
from ansible_collections.hatrading.aws.plugins.module_utils.report import text as report_text

WORKSPACE = {"workspaceId": "ws-1", "alias": "prod-prometheus", "status": {"statusCode": "ACTIVE"}}


def definition(topic="prod-alarms", status="ACTIVE"):
    config = observability.alert_manager_config({"stack": "prod"}, "us-east-1", "arn:aws:sns:us-east-1:123456789012:%s" % topic)
    return {"status": {"statusCode": status}, "data": observability.alert_manager_text(config).encode("utf-8")}


def alerts(found):
    snapshot = {"stack": "prod", "amp_workspace": WORKSPACE, "amp_rules": None, "scrape_config": None, "amp_alert_manager": found}
    (finding,) = [f for f in model.audit_observability(snapshot) if f["check"] == "observability.alerts"]
    return finding


def test_an_active_definition_naming_the_stacks_topic_passes():
    finding = alerts(definition())
    assert finding["status"] == model.PASS and finding["detail"] == "alert manager ACTIVE, to SNS topic prod-alarms"


def test_no_definition_another_topic_or_a_failed_one_warns():
    assert alerts(None)["status"] == model.WARN and "fire nowhere" in alerts(None)["detail"]
    assert alerts(definition(topic="other-alarms"))["status"] == model.WARN
    failed = alerts(definition(status="CREATION_FAILED"))
    assert failed["status"] == model.WARN and "prod-alarms" in failed["fix"]


def test_the_report_names_the_topic():
    part = {"workspace": "prod-prometheus", "status": "ACTIVE", "rules_namespace": None, "agent_configuration": True}
    routed = report_text.observability_lines(dict(part, alert_topics=report_read.alert_topics(definition())))
    assert "  alerts: to SNS topic prod-alarms" in routed
    assert "  alerts: routed nowhere (no alert manager definition)" in report_text.observability_lines(dict(part, alert_topics=[]))
