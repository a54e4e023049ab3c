"""stack_observability's applier against botocore Stubber: the calls moto 5.2.6 lacks (managed scrapers, Grafana).

Stubber checks each request against the real AMP and Grafana models. The dashboards go to a Grafana HTTP API:
here a server on loopback that records what it is sent.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils._aws.grafana import GrafanaHttp
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.observability import apply
from ansible_collections.hatrading.aws.plugins.module_utils.observability import model

FILES = Path(__file__).resolve().parents[3] / "roles" / "observability" / "files"
DASHBOARDS = dict((p.name, p.read_text()) for p in sorted((FILES / "dashboards").glob("*.json")))
WORKSPACE_ARN = "arn:aws:aps:us-east-1:123456789012:workspace/ws-1"
ENDPOINT = "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/"
CLUSTER = {"name": "prod-eks", "arn": "arn:aws:eks:us-east-1:123456789012:cluster/prod-eks", "resourcesVpcConfig": {"subnetIds": ["subnet-a", "subnet-b"]}}


class FakeView:
    def eks_cluster(self):
        return CLUSTER


@pytest.fixture
def aws():
    made, stubbers = {}, {}
    for service in ("amp", "grafana", "sts"):
        made[service] = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        stubbers[service] = Stubber(made[service])
        stubbers[service].activate()
    yield Clients(make=made.get), stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def applier(clients, grafana=None, **settings):
    cfg = dict({"stack": "prod", "state": "present", "tags": {}, "wait_timeout": 60, "_endpoint": ENDPOINT}, **settings)
    have = model.actual_observability("prod", {"workspace": {"workspaceId": "ws-1", "arn": WORKSPACE_ARN, "tags": {}}})
    if grafana:
        have["grafana_workspace"]["prod-grafana"] = grafana
    return apply.ObservabilityApplier(clients, cfg, "us-east-1", have, view=FakeView(), grafana_http=GrafanaHttp)


def test_a_managed_scraper_scrapes_the_cluster_into_the_workspace_and_is_waited_for(aws):
    clients, stubs = aws
    cfg = {"stack": "prod", "collector": "managed_scraper"}
    spec = model.desired_observability(cfg, "us-east-1", ENDPOINT, "prod-eks")["scraper"]["prod-scraper"]
    blob = model.config_text(spec["config"]).encode("utf-8")
    expected = {
        "alias": "prod-scraper",
        "scrapeConfiguration": {"configurationBlob": blob},
        "source": {"eksConfiguration": {"clusterArn": CLUSTER["arn"], "subnetIds": ["subnet-a", "subnet-b"]}},
        "destination": {"ampConfiguration": {"workspaceArn": WORKSPACE_ARN}},
        "tags": spec["tags"],
    }
    status = {"statusCode": "CREATING"}
    stubs["amp"].add_response("create_scraper", {"scraperId": "s-1", "arn": "arn:aws:aps:us-east-1:123456789012:scraper/s-1", "status": status}, expected)
    active = {
        "scraperId": "s-1",
        "arn": "arn:aws:aps:us-east-1:123456789012:scraper/s-1",
        "roleArn": "arn:aws:iam::123456789012:role/scraper",
        "status": {"statusCode": "ACTIVE"},
        "createdAt": "2026-01-01T00:00:00Z",
        "lastModifiedAt": "2026-01-01T00:00:00Z",
        "scrapeConfiguration": {"configurationBlob": blob},
        "source": expected["source"],
        "destination": expected["destination"],
    }
    stubs["amp"].add_response("describe_scraper", {"scraper": active}, {"scraperId": "s-1"})
    applier(clients, collector="managed_scraper").create_scraper(Change("create", "scraper", "prod-scraper", after=spec))


def test_a_changed_scrape_configuration_is_one_update_scraper(aws):
    clients, stubs = aws
    spec = model.desired_observability({"stack": "prod", "collector": "managed_scraper", "scrape_interval": 15}, "us-east-1", ENDPOINT)["scraper"][
        "prod-scraper"
    ]
    blob = model.config_text(spec["config"]).encode("utf-8")
    stubs["amp"].add_response(
        "update_scraper",
        {"scraperId": "s-1", "arn": "arn:aws:aps:::scraper/s-1", "status": {"statusCode": "UPDATING"}},
        {"scraperId": "s-1", "scrapeConfiguration": {"configurationBlob": blob}},
    )
    before = dict(spec, config={}, id="s-1", arn="arn:aws:aps:::scraper/s-1")
    applier(clients).update_scraper(Change("update", "scraper", "prod-scraper", before=before, after=spec, fields=["config"]))


def test_the_grafana_workspace_is_service_managed_with_prometheus_and_waited_for(aws):
    clients, stubs = aws
    spec = model.desired_observability({"stack": "prod", "grafana_enabled": True}, "us-east-1")["grafana_workspace"]["prod-grafana"]
    workspace = {
        "id": "g-1",
        "name": "prod-grafana",
        "endpoint": "g-1.grafana-workspace.us-east-1.amazonaws.com",
        "status": "CREATING",
        "authentication": {"providers": ["AWS_SSO"]},
        "created": "2026-01-01T00:00:00Z",
        "modified": "2026-01-01T00:00:00Z",
        "dataSources": ["PROMETHEUS"],
        "grafanaVersion": "10.4",
    }
    expected = {
        "workspaceName": "prod-grafana",
        "accountAccessType": "CURRENT_ACCOUNT",
        "authenticationProviders": ["AWS_SSO"],
        "permissionType": "SERVICE_MANAGED",
        "workspaceDataSources": ["PROMETHEUS"],
        "workspaceDescription": ANY,
        "tags": spec["tags"],
    }
    stubs["grafana"].add_response("create_workspace", {"workspace": workspace}, expected)
    stubs["grafana"].add_response("describe_workspace", {"workspace": dict(workspace, status="ACTIVE")}, {"workspaceId": "g-1"})
    stubs["grafana"].add_response("describe_workspace", {"workspace": dict(workspace, status="ACTIVE")}, {"workspaceId": "g-1"})
    doer = applier(clients)
    doer.create_grafana_workspace(Change("create", "grafana_workspace", "prod-grafana", after=spec))
    assert doer.grafana["endpoint"] == workspace["endpoint"]


class GrafanaServer(BaseHTTPRequestHandler):
    """A Grafana HTTP API on loopback: no data source yet, every write recorded with its token."""

    received = []

    def log_message(self, *args):
        pass

    def _answer(self, status, body):
        text = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def do_GET(self):
        self.received.append(("GET", self.path, None, self.headers["Authorization"]))
        self._answer(404, {"message": "Data source not found"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append(("POST", self.path, body, self.headers["Authorization"]))
        self._answer(200, {"status": "success"})


@pytest.fixture
def grafana_server():
    GrafanaServer.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), GrafanaServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_dashboards_go_with_a_short_token_deleted_after_and_the_digest_is_tagged(aws, grafana_server):
    clients, stubs = aws
    grafana = stubs["grafana"]
    grafana.add_response("list_workspace_service_accounts", {"serviceAccounts": [], "workspaceId": "g-1"}, {"workspaceId": "g-1"})
    account = {"id": "sa-1", "name": "prod-provisioner", "grafanaRole": "ADMIN", "workspaceId": "g-1"}
    grafana.add_response("create_workspace_service_account", account, {"workspaceId": "g-1", "name": "prod-provisioner", "grafanaRole": "ADMIN"})
    token = {"serviceAccountId": "sa-1", "workspaceId": "g-1", "serviceAccountToken": {"id": "t-1", "name": "n", "key": "glsa_secret"}}
    grafana.add_response(
        "create_workspace_service_account_token", token, {"workspaceId": "g-1", "serviceAccountId": "sa-1", "name": ANY, "secondsToLive": apply.TOKEN_SECONDS}
    )
    grafana.add_response(
        "delete_workspace_service_account_token",
        {"tokenId": "t-1", "serviceAccountId": "sa-1", "workspaceId": "g-1"},
        {"workspaceId": "g-1", "serviceAccountId": "sa-1", "tokenId": "t-1"},
    )
    stubs["sts"].add_response("get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x", "UserId": "x"})
    boards = model.dashboards_of(DASHBOARDS)
    done = model.digest({"dashboards": boards, "datasource": ENDPOINT})
    grafana.add_response("tag_resource", {}, {"resourceArn": "arn:aws:grafana:us-east-1:123456789012:/workspaces/g-1", "tags": {model.DASHBOARDS_TAG: done}})

    doer = applier(clients, grafana={"id": "g-1", "endpoint": "unused"}, grafana_enabled=True, dashboards=DASHBOARDS)
    doer.grafana_http = lambda url, key: GrafanaHttp(grafana_server, key)  # loopback instead of https://<endpoint>
    want = model.desired_observability(doer.cfg, "us-east-1", ENDPOINT)["dashboards"]["prod-grafana"]
    assert want["digest"] == done  # what a rerun compares with the tag
    Plan([Change("create", "dashboards", "prod-grafana", after=want)]).apply(doer.handlers())

    sent = GrafanaServer.received
    assert [(method, path) for method, path, _body, _auth in sent] == [
        ("GET", "/api/datasources/uid/prod-amp"),
        ("POST", "/api/datasources"),
        ("POST", "/api/dashboards/db"),
    ]
    assert {auth for _m, _p, _b, auth in sent} == {"Bearer glsa_secret"}
    source = sent[1][2]
    assert source["type"] == "prometheus" and source["url"] == ENDPOINT.rstrip("/") and source["jsonData"]["sigV4Auth"] is True
    assert sent[2][2]["dashboard"]["uid"] == "hatrading-trading" and sent[2][2]["overwrite"] is True


def test_a_grafana_refusal_names_the_call_and_still_deletes_the_token(aws, grafana_server):
    clients, stubs = aws
    grafana = stubs["grafana"]
    grafana.add_response(
        "list_workspace_service_accounts",
        {"serviceAccounts": [{"id": "sa-1", "name": "prod-provisioner", "grafanaRole": "ADMIN", "isDisabled": "false"}], "workspaceId": "g-1"},
        {"workspaceId": "g-1"},
    )
    token = {"serviceAccountId": "sa-1", "workspaceId": "g-1", "serviceAccountToken": {"id": "t-1", "name": "n", "key": "glsa_secret"}}
    grafana.add_response("create_workspace_service_account_token", token, {"workspaceId": "g-1", "serviceAccountId": "sa-1", "name": ANY, "secondsToLive": ANY})
    grafana.add_response(
        "delete_workspace_service_account_token",
        {"tokenId": "t-1", "serviceAccountId": "sa-1", "workspaceId": "g-1"},
        {"workspaceId": "g-1", "serviceAccountId": "sa-1", "tokenId": "t-1"},
    )
    doer = applier(clients, grafana={"id": "g-1", "endpoint": "unused"}, grafana_enabled=True, dashboards=DASHBOARDS)
    doer.grafana_http = lambda url, key: GrafanaHttp(grafana_server + "/nowhere", key)
    GrafanaServer.do_POST = lambda self: (self.rfile.read(int(self.headers["Content-Length"])), self._answer(403, {"message": "denied"}))
    try:
        with pytest.raises(Exception, match=r"Grafana POST /api/datasources answered 403"):
            doer.create_dashboards(Change("create", "dashboards", "prod-grafana", after={"digest": "x"}))
    finally:
        del GrafanaServer.do_POST


def test_the_rules_text_round_trips_to_the_same_document():
    document = model.rules_document({"t.yml": (FILES / "rules" / "trading.yml").read_text()})
    assert yaml.safe_load(model.rules_text(document)) == document
