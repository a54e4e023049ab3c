"""hatrading.aws.stack_observability against moto: check mode, create, rerun, one change, teardown, bad input.

moto 5.2.6 implements AMP workspaces and rule groups namespaces (and SSM for the agent's configuration) but no
managed scraper and no Grafana: those calls are covered with Stubber in tests/unit/observability/.
"""

import json
import re
from pathlib import Path

import pytest
import yaml

STACK = "obst"
WORKSPACE, RULES, PARAMETER = STACK + "-prometheus", STACK + "-rules", "/hatrading/%s/observability/scrape-config" % STACK
ROLE_FILES = Path(__file__).resolve().parents[2] / "roles" / "observability" / "files"
RULE_FILES = dict((path.name, path.read_text()) for path in sorted((ROLE_FILES / "rules").glob("*.yml")))


def observability(ansible, check=False, diff=False, **args):
    options = dict({"stack": STACK, "region": "us-east-1", "tags": {"owner": "t"}, "rule_files": RULE_FILES}, **args)
    # Ansible templates a module's arguments: the rules' own {{ $labels... }} are kept raw (the role's file lookups are unsafe text)
    options["rule_files"] = dict((name, "{%% raw %%}%s{%% endraw %%}" % text) for name, text in options["rule_files"].items())
    return ansible.module("hatrading.aws.stack_observability", options, check=check, diff=diff)


def operations(calls):
    """Each call's operation; AMP's REST calls ("PUT /workspaces/ws-.../...") with the workspace ID as {id}."""
    return [re.sub(r"ws-[0-9a-f-]+", "{id}", call["operation"]) for call in calls]


def workspace_of(moto):
    found = list(moto.client("amp").list_workspaces(alias=WORKSPACE)["workspaces"])
    assert len(found) <= 1, found
    return found[0] if found else None


@pytest.fixture
def built(fresh_moto, ansible):
    result = observability(ansible)
    assert result["rc"] == 0 and result["changed"], result.get("msg")
    fresh_moto.forget_calls()
    return result


def test_check_mode_plans_and_creates_nothing(fresh_moto, ansible):
    result = observability(ansible, check=True, diff=True)
    assert result["rc"] == 0 and result["changed"], result.get("msg")
    assert [(s["action"], s["kind"], s["name"]) for s in result["plan"]] == [
        ("create", "workspace", WORKSPACE),
        ("create", "rules", RULES),
        ("create", "alert_manager", WORKSPACE),
        ("create", "scrape_config", PARAMETER),
    ]
    groups = result["diff"]["after"]["rules/%s" % RULES]["data"]["groups"]
    assert [g["name"] for g in groups] == ["trading-recording", "trading-alerts"]
    assert fresh_moto.mutating_calls() == []
    assert workspace_of(fresh_moto) is None


def test_create_makes_the_workspace_its_rules_and_the_agent_configuration(built, moto):
    workspace = workspace_of(moto)
    assert workspace["tags"] == {"hatrading:stack": STACK, "hatrading:tier": "observability", "Name": WORKSPACE, "owner": "t"}
    assert built["observability"]["workspace_id"] == workspace["workspaceId"]
    amp = moto.client("amp")
    namespace = amp.describe_rule_groups_namespace(workspaceId=workspace["workspaceId"], name=RULES)["ruleGroupsNamespace"]
    rules = yaml.safe_load(namespace["data"])
    assert [rule.get("alert") or rule.get("record") for group in rules["groups"] for rule in group["rules"]] == [
        "job:hatrading_orders:rate1m",
        "job:hatrading_matches:rate1m",
        "job:hatrading_errors:rate1m",
        "job:hatrading_order_ack_seconds:p99_5m",
        "BackendDown",
        "BackendMetricsAbsent",
        "OrderAckLatencyHigh",
        "OrderErrorsHigh",
    ]
    config = yaml.safe_load(moto.client("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"])
    endpoint = amp.describe_workspace(workspaceId=workspace["workspaceId"])["workspace"]["prometheusEndpoint"]
    assert config["remote_write"] == [{"url": endpoint + "api/v1/remote_write", "sigv4": {"region": "us-east-1"}}]
    job = config["scrape_configs"][0]
    # each back-end instance's agent scrapes only itself and labels its series with its instance ID and AZ
    assert job["metrics_path"] == "/metrics" and job["static_configs"] == [{"targets": ["127.0.0.1:8081"]}]
    assert config["global"]["external_labels"] == {"stack": STACK, "instance_id": "${HATRADING_INSTANCE_ID}", "az": "${HATRADING_AVAILABILITY_ZONE}"}


def alert_manager_of(moto):
    """The definition moto holds: its status and the Alertmanager configuration (AMP's YAML holds it as text)."""
    workspace = workspace_of(moto)
    found = moto.client("amp").describe_alert_manager_definition(workspaceId=workspace["workspaceId"])["alertManagerDefinition"]
    return found["status"]["statusCode"], yaml.safe_load(yaml.safe_load(found["data"])["alertmanager_config"])


def test_create_routes_every_alert_to_the_stacks_sns_topic(built, moto):
    status, config = alert_manager_of(moto)
    account = workspace_of(moto)["arn"].split(":")[4]
    assert status == "ACTIVE"
    assert config["route"] == {"receiver": "sns", "group_by": ["alertname"], "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}
    (sns,) = config["receivers"][0]["sns_configs"]
    # the monitoring tier's topic, by name: it need not exist yet (the registry runs observability first)
    assert sns["topic_arn"] == "arn:aws:sns:us-east-1:%s:%s-alarms" % (account, STACK)
    assert sns["sigv4"] == {"region": "us-east-1"}


def test_another_repeat_interval_is_one_put_of_the_definition(built, moto, ansible):
    result = observability(ansible, alert_repeat_interval="12h")
    assert result["rc"] == 0 and result["changed"], result.get("msg")
    assert [(s["action"], s["kind"], s.get("fields")) for s in result["plan"]] == [("update", "alert_manager", ["config"])]
    assert operations(moto.mutating_calls()) == ["PUT /workspaces/{id}/alertmanager/definition"]
    assert alert_manager_of(moto)[1]["route"]["repeat_interval"] == "12h"
    moto.forget_calls()
    again = observability(ansible, alert_repeat_interval="12h")
    assert again["rc"] == 0 and not again["changed"] and moto.mutating_calls() == [], again


def test_rerun_changes_nothing_and_only_reads(built, moto, ansible):
    again = observability(ansible)
    assert again["rc"] == 0 and not again["changed"] and again["plan"] == [], again
    assert moto.mutating_calls() == []
    # the call budget of a rerun (docs/observability.md): four AMP reads (REST: recorded by method and path), two SSM reads
    recorded = sorted(operations(moto.calls()))
    expected = [
        "GET /workspaces",
        "GET /workspaces/{id}",
        "GET /workspaces/{id}/rulegroupsnamespaces/" + RULES,
        "GET /workspaces/{id}/alertmanager/definition",
        "GetParameter",
        "ListTagsForResource",
    ]
    assert recorded == sorted(expected)


def test_a_changed_rule_file_is_one_put(built, moto, ansible):
    changed = dict(RULE_FILES, **{"extra.yml": "groups:\n  - name: extra\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n"})
    result = observability(ansible, rule_files=changed)
    assert result["rc"] == 0 and result["changed"], result.get("msg")
    assert [(s["action"], s["kind"], s.get("fields")) for s in result["plan"]] == [("update", "rules", ["data"])]
    assert operations(moto.mutating_calls()) == ["PUT /workspaces/{id}/rulegroupsnamespaces/" + RULES]


def test_another_scrape_interval_rewrites_the_parameter(built, moto, ansible):
    result = observability(ansible, scrape_interval=15)
    assert result["rc"] == 0 and result["changed"], result.get("msg")
    assert operations(moto.mutating_calls()) == ["PutParameter"]
    config = yaml.safe_load(moto.client("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"])
    assert config["global"]["scrape_interval"] == "15s"


def test_absent_keeps_the_workspace_unless_told(built, moto, ansible):
    refused = observability(ansible, state="absent")
    assert refused["rc"] != 0 and "confirm_delete" in refused["msg"]
    assert moto.mutating_calls() == []
    kept = observability(ansible, state="absent", confirm_delete=STACK)
    assert kept["rc"] == 0 and kept["changed"], kept
    # the alert manager is configuration, no data: it goes with the collector
    assert [(s["action"], s["kind"]) for s in kept["plan"]] == [("delete", "scrape_config"), ("delete", "alert_manager")]
    assert sorted(operations(moto.mutating_calls())) == ["DELETE /workspaces/{id}/alertmanager/definition", "DeleteParameter"]
    assert kept["notes"] == ["Prometheus workspace %s kept with its metrics (delete_workspaces=false)" % WORKSPACE]
    assert workspace_of(moto) is not None
    with pytest.raises(moto.client("amp").exceptions.ResourceNotFoundException):
        alert_manager_of(moto)
    moto.forget_calls()
    again = observability(ansible, state="absent", confirm_delete=STACK)
    assert again["rc"] == 0 and not again["changed"] and moto.mutating_calls() == [], again
    gone = observability(ansible, state="absent", confirm_delete=STACK, delete_workspaces=True)
    assert gone["rc"] == 0 and gone["changed"], gone
    assert [(s["action"], s["kind"]) for s in gone["plan"]] == [("delete", "rules"), ("delete", "workspace")]
    assert workspace_of(moto) is None


def test_bad_input_fails_before_any_call_naming_the_option(fresh_moto, ansible):
    broken = {"broken.yml": "groups:\n  - name: trading-alerts\n    rules:\n      - expr: up\n"}
    result = observability(ansible, rule_files=dict(RULE_FILES, **broken), scrape_port=70000)
    assert result["rc"] != 0
    assert "rule_files: broken.yml: group trading-alerts: each rule needs an expr and one of alert or record" in result["msg"], result["msg"]
    assert "scrape_port" in result["msg"]
    assert fresh_moto.calls() == []


def test_a_managed_scraper_without_the_eks_cluster_fails_before_any_change(fresh_moto, ansible):
    planned = observability(ansible, check=True, collector="managed_scraper")
    assert planned["rc"] == 0 and "does not exist yet" in planned["notes"][0], planned
    failed = observability(ansible, collector="managed_scraper")
    assert failed["rc"] != 0 and "deploy the eks tier first" in failed["msg"], failed
    assert fresh_moto.mutating_calls() == []


def test_the_audit_reads_the_workspace_its_rules_and_the_collector(built, moto, ansible):
    report = ansible.module("hatrading.aws.stack_audit", {"stack": STACK, "region": "us-east-1", "tiers": ["observability"], "fail_on": "warn"})
    assert report["rc"] == 0 and report["passed"], report
    checks = sorted((f["check"], f["resource"], f["status"]) for f in report["findings"])
    assert checks == [
        ("observability.alerts", WORKSPACE, "pass"),
        ("observability.az_spread", WORKSPACE, "pass"),
        ("observability.backups", WORKSPACE, "skip"),
        ("observability.collector", WORKSPACE, "pass"),
        ("observability.rules", WORKSPACE, "pass"),
    ]
    assert moto.mutating_calls() == []


def test_the_report_lists_and_draws_the_workspace(built, moto, ansible):
    report = ansible.module("hatrading.aws.stack_report", {"stack": STACK, "region": "us-east-1"})
    assert report["rc"] == 0, report.get("msg")
    assert "Prometheus (AMP): workspace %s ACTIVE (regional: AMP keeps its data in 3 AZs)" % WORKSPACE in report["lines"]
    assert "  rules %s: 2 groups, 4 recording and 4 alerting rules" % RULES in report["lines"]
    assert "  collector: the agent's scrape configuration in SSM" in report["lines"]
    priced = [e["item"] for e in report["cost"]["estimate"]["items"] if e["group"] == "observability"]
    assert priced == ["Prometheus samples ingested", "Prometheus storage and queries"]  # no Grafana: the report reads none
    assert "  alerts: to SNS topic %s-alarms" % STACK in report["lines"]
    svg = report["html"][report["html"].index("<svg") : report["html"].index("</svg>")]
    assert "workspace " + WORKSPACE in svg and "rules " + RULES in svg
    assert {f["check"] for f in report["audit"]["findings"] if f["tier"] == "observability"} >= {"observability.az_spread", "observability.rules"}
    assert moto.mutating_calls() == []


def test_the_monitoring_tier_alarms_on_the_workspaces_active_series(built, moto, ansible):
    result = ansible.module("hatrading.aws.stack_monitoring", {"stack": STACK, "region": "us-east-1", "thresholds": {"observability_active_series": 500000}})
    assert result["rc"] == 0, result.get("msg")
    alarms = moto.client("cloudwatch").describe_alarms(AlarmNamePrefix=STACK + "-observability-")["MetricAlarms"]
    assert [(a["AlarmName"], a["Namespace"], a["MetricName"], a["Threshold"]) for a in alarms] == [
        (STACK + "-observability-active-series", "AWS/Usage", "ResourceCount", 500000.0)
    ]
    dimensions = dict((d["Name"], d["Value"]) for d in alarms[0]["Dimensions"])
    assert dimensions == {"Service": "Prometheus", "Type": "Resource", "Resource": "ActiveSeries", "Class": "None"}


def test_the_monitoring_tier_lets_the_workspace_publish_its_alerts_to_the_topic(built, moto, ansible):
    """Observability runs first and names the topic by its ARN; monitoring then grants AMP sns:Publish on it."""
    monitoring = {"stack": STACK, "region": "us-east-1"}
    made = ansible.module("hatrading.aws.stack_monitoring", monitoring)
    assert made["rc"] == 0, made.get("msg")
    topic_arn = made["monitoring"]["topic_arn"]
    (sns,) = alert_manager_of(moto)[1]["receivers"][0]["sns_configs"]
    assert sns["topic_arn"] == topic_arn  # the ARN observability made from the name is the topic's
    sns_client = moto.client("sns")
    policy = json.loads(sns_client.get_topic_attributes(TopicArn=topic_arn)["Attributes"]["Policy"])
    (granted,) = [s for s in policy["Statement"] if s.get("Principal") == {"Service": "aps.amazonaws.com"}]
    assert sorted(granted["Action"]) == ["sns:GetTopicAttributes", "sns:Publish"] and granted["Resource"] == topic_arn
    assert granted["Condition"]["ArnEquals"] == {"aws:SourceArn": workspace_of(moto)["arn"]}
    assert len(policy["Statement"]) >= 2  # AWS's default statement kept (CloudWatch's alarms publish through it)
    moto.forget_calls()
    again = ansible.module("hatrading.aws.stack_monitoring", monitoring)
    assert again["rc"] == 0 and moto.mutating_calls() == [], again.get("plan")
    # the workspace gone, the next monitoring run takes the statement back
    gone = observability(ansible, state="absent", confirm_delete=STACK, delete_workspaces=True)
    assert gone["rc"] == 0, gone.get("msg")
    moto.forget_calls()
    after = ansible.module("hatrading.aws.stack_monitoring", monitoring)
    assert after["rc"] == 0, after.get("msg")
    # with the workspace's alarm and dashboard row, which go too
    assert [(s["action"], s.get("fields")) for s in after["plan"] if s["kind"] == "sns_topic"] == [("update", ["amp_statement"])]
    assert operations(moto.mutating_calls()).count("SetTopicAttributes") == 1
    left = json.loads(sns_client.get_topic_attributes(TopicArn=topic_arn)["Attributes"]["Policy"])
    assert [s for s in left["Statement"] if s.get("Principal") == {"Service": "aps.amazonaws.com"}] == []
