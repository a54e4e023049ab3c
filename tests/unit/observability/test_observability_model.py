"""The observability tier's pure functions: checks naming the variable, the wanted state, the plan and its order."""

from pathlib import Path

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.observability import model

FILES = Path(__file__).resolve().parents[3] / "roles" / "observability" / "files"
RULES = dict((p.name, p.read_text()) for p in sorted((FILES / "rules").glob("*.yml")))
DASHBOARDS = dict((p.name, p.read_text()) for p in sorted((FILES / "dashboards").glob("*.json")))
ENDPOINT = "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/"


def cfg(**settings):
    return dict({"stack": "prod", "state": "present", "tags": {}, "rule_files": RULES, "dashboards": DASHBOARDS}, **settings)


def test_the_role_files_pass():
    assert model.validate_observability(cfg(grafana_enabled=True)) == []


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"collector": "sidecar"}, "observability_collector: 'sidecar' is not a collector"),
        ({"scrape_interval": 10}, "observability_scrape_interval: 10 is not a scrape interval"),
        ({"scrape_port": 0}, "observability_scrape_port"),
        ({"rule_files": {"a.yml": "groups: ["}}, "observability_rule_files: a.yml is not YAML"),
        ({"rule_files": {"a.yml": "rules: []"}}, "observability_rule_files: a.yml has no 'groups' list"),
        ({"rule_files": dict(RULES, **{"b.yml": RULES["trading.yml"]})}, "observability_rule_files: trading.yml: group trading-recording is also in b.yml"),
        ({"rule_files": {"a.yml": "groups: [{name: g, rules: [{alert: A, record: r, expr: up}]}]"}}, "observability_rule_files: a.yml: group g: each rule"),
        ({"grafana_enabled": True, "dashboards": {"d.json": "{"}}, "observability_dashboards: d.json is not JSON"),
        ({"grafana_enabled": True, "dashboards": {"d.json": '{"title": "x"}'}}, "observability_dashboards: d.json: a dashboard needs a uid"),
        ({"grafana_enabled": True, "grafana_authentication": "LDAP"}, "observability_grafana_authentication: 'LDAP'"),
        ({"wait_timeout": -1}, "observability_wait_timeout: -1"),
        ({"stack": "Bad_Stack"}, "observability_stack: 'Bad_Stack' is not a valid stack name"),
        ({"state": "absent", "confirm_delete": "other"}, "observability_confirm_delete: deleting the observability tier of stack prod"),
    ],
)
def test_bad_settings_name_the_variable(settings, message):
    errors = model.validate_observability(cfg(**settings), "observability_")
    assert any(error.startswith(message) for error in errors), errors


def test_dashboards_are_checked_only_with_grafana():
    assert model.validate_observability(cfg(dashboards={"d.json": "{"})) == []


def test_the_rules_of_every_file_go_to_one_namespace_in_file_order():
    extra = "groups:\n  - name: a-first\n    rules:\n      - record: x:up\n        expr: up\n"
    document = model.rules_document(dict(RULES, **{"zz.yml": extra}))
    assert [g["name"] for g in document["groups"]] == ["trading-recording", "trading-alerts", "a-first"]


def test_the_agent_configuration_scrapes_only_its_own_instance_and_writes_to_the_workspace():
    config = model.scrape_config(cfg(scrape_port=9100), "us-east-1", ENDPOINT)
    [job] = config["scrape_configs"]
    # each back-end instance's agent scrapes itself: no discovery, so N agents never scrape a series N times
    assert job == {"job_name": "backend", "metrics_path": "/metrics", "scrape_interval": "30s", "static_configs": [{"targets": ["127.0.0.1:9100"]}]}
    assert config["global"]["external_labels"] == {"stack": "prod", "instance_id": "${HATRADING_INSTANCE_ID}", "az": "${HATRADING_AVAILABILITY_ZONE}"}
    assert config["remote_write"] == [{"url": ENDPOINT + "api/v1/remote_write", "sigv4": {"region": "us-east-1"}}]
    assert model.scrape_config(cfg(), "us-east-1")["remote_write"][0]["url"] == model.PENDING_ENDPOINT


def test_the_managed_scraper_keeps_the_back_end_pods_and_has_no_remote_write():
    config = model.scrape_config(cfg(collector="managed_scraper"), "us-east-1")
    assert "remote_write" not in config
    assert config["scrape_configs"][0]["relabel_configs"][0] == {"source_labels": ["__meta_kubernetes_pod_label_app"], "regex": "backend", "action": "keep"}


def empty():
    return model.actual_observability("prod", {"workspace": None})


def test_a_new_stack_plans_the_workspace_first_and_grafana_last():
    want = model.desired_observability(cfg(grafana_enabled=True), "us-east-1")
    plan = model.plan_observability(want, empty())
    assert [(c.action, c.kind) for c in plan.changes] == [
        ("create", "workspace"),
        ("create", "rules"),
        ("create", "alert_manager"),
        ("create", "scrape_config"),
        ("create", "grafana_workspace"),
        ("create", "dashboards"),
    ]


def test_the_dashboards_digest_changes_with_a_dashboard_and_with_the_endpoint():
    want = model.desired_observability(cfg(grafana_enabled=True), "us-east-1", ENDPOINT)["dashboards"]["prod-grafana"]
    moved = model.desired_observability(cfg(grafana_enabled=True), "us-east-1", ENDPOINT + "x/")["dashboards"]["prod-grafana"]
    edited = DASHBOARDS["trading.json"].replace("Trading back-end", "Trading")
    renamed = model.desired_observability(cfg(grafana_enabled=True, dashboards={"trading.json": edited}), "us-east-1", ENDPOINT)["dashboards"]["prod-grafana"]
    assert len({want["digest"], moved["digest"], renamed["digest"]}) == 3
    assert want["uids"] == ["hatrading-trading"]


def test_switching_the_collector_deletes_the_old_one():
    have = model.actual_observability("prod", {"workspace": None, "scrape_config": {"value": "global: {}\n", "tags": {}}})
    want = model.desired_observability(cfg(collector="none"), "us-east-1")
    plan = model.plan_observability(want, have)
    assert [(c.action, c.kind) for c in plan.changes][0] == ("delete", "scrape_config")


def test_a_teardown_keeps_the_workspaces_unless_told():
    raw = {
        "workspace": {"workspaceId": "ws-1", "arn": "arn:aws:aps:us-east-1:1:workspace/ws-1", "tags": {}},
        "rules": {"data": b"groups: []\n", "tags": {}},
        "scrape_config": {"value": "global: {}\n", "tags": {}},
        "alert_manager": {"data": b"alertmanager_config: 'route: {receiver: sns}'\n", "status": {"statusCode": "ACTIVE"}},
    }
    have = model.actual_observability("prod", raw)
    kept = model.plan_teardown(cfg(state="absent"), have)
    # the alert manager is configuration, no data: it goes with the collector
    assert [(c.action, c.kind) for c in kept.changes] == [("delete", "scrape_config"), ("delete", "alert_manager")]
    assert model.plan_notes(cfg(state="absent"), have) == ["Prometheus workspace prod-prometheus kept with its metrics (delete_workspaces=false)"]
    gone = model.plan_teardown(cfg(state="absent", delete_workspaces=True), have)
    order = [("delete", "scrape_config"), ("delete", "alert_manager"), ("delete", "rules"), ("delete", "workspace")]
    assert [(c.action, c.kind) for c in gone.changes] == order
