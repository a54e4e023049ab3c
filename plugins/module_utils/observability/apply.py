# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The observability tier's writes (:class:`ObservabilityApplier`) and its reconcile: read, plan, apply, report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import WaiterError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.hatrading.aws.plugins.module_utils._aws.grafana import GrafanaHttp
from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.observability import model
from ansible_collections.hatrading.aws.plugins.module_utils.observability import read

TOKEN_SECONDS = 900  # the provisioning token outlives one run's uploads, no more
ALERT_POLL_SECONDS = 5  # between polls of the alert manager definition (_aws/amp.py alert_manager_settled)


class ObservabilityApplier(Applier):
    """Carries out an observability plan: one method per (kind, action), the workspace's ID and endpoint kept between them."""

    def __init__(self, clients, cfg, region, have, view=None, grafana_http=GrafanaHttp):
        self.clients = clients
        self.cfg = cfg
        self.region = region
        self.timeout = cfg.get("wait_timeout", 600)
        self.view = view
        self.grafana_http = grafana_http  # tests give a client for a loopback server
        n = stack_names.observability(cfg["stack"])
        self.names = n
        workspace = have["workspace"].get(n["workspace"]) or {}
        self.workspace = {"id": workspace.get("id"), "arn": workspace.get("arn"), "endpoint": cfg.get("_endpoint")}
        self.grafana = dict(have["grafana_workspace"].get(n["grafana_workspace"]) or {})
        self.scrapers = dict((name, spec.get("id")) for name, spec in have["scraper"].items())

    # -- the Prometheus workspace
    def create_workspace(self, change):
        made = self.clients.amp.create_workspace(alias=change.name, tags=change.after["tags"])
        self.workspace.update(id=made["workspaceId"], arn=made["arn"])
        if self.timeout:
            self.clients.amp.wait("workspace_active", self.timeout, delay=5, workspaceId=made["workspaceId"])
        self.workspace["endpoint"] = self.clients.amp.describe_workspace(workspaceId=made["workspaceId"])["prometheusEndpoint"]

    def update_workspace(self, change):
        self.clients.amp.tag_resource(resourceArn=change.before["arn"], tags=missing_tags(change.after["tags"], change.before["tags"]))

    def delete_workspace(self, change):
        self.clients.amp.delete_workspace(workspaceId=change.before["id"])

    # -- the rules: one namespace holding every rule file's groups
    def create_rules(self, change):
        data = model.rules_text(change.after["data"]).encode("utf-8")
        self.clients.amp.create_rule_groups_namespace(workspaceId=self.workspace["id"], name=change.name, data=data, tags=change.after["tags"])

    def update_rules(self, change):
        if "data" in change.fields:
            data = model.rules_text(change.after["data"]).encode("utf-8")
            self.clients.amp.put_rule_groups_namespace(workspaceId=self.workspace["id"], name=change.name, data=data)
        if "tags" in change.fields:
            self.clients.amp.tag_resource(resourceArn=change.before["arn"], tags=missing_tags(change.after["tags"], change.before["tags"]))

    def delete_rules(self, change):
        self.clients.amp.delete_rule_groups_namespace(workspaceId=self.workspace["id"], name=change.name)

    # -- the alert manager: its topic's ARN names the account, known from the workspace's ARN once it exists
    def _alert_manager_data(self):
        topic = model.alarm_topic_arn(self.cfg["stack"], self.region, self.workspace["arn"])
        return model.alert_manager_text(model.alert_manager_config(self.cfg, self.region, topic)).encode("utf-8")

    def _settle_alert_manager(self, answer):
        """Wait while AMP takes the definition (CREATING, UPDATING); a definition it refuses fails the run with AMP's reason."""
        status = (answer.get("status") or {}).get("statusCode")
        if status in ("CREATING", "UPDATING") and self.timeout:
            try:
                self.clients.amp.wait("alert_manager_settled", self.timeout, delay=ALERT_POLL_SECONDS, workspaceId=self.workspace["id"])
                return
            except WaiterError as error:  # a failed status, or still taking it when the time is up (the run goes on)
                answer = (error.last_response or {}).get("alertManagerDefinition") or {}
                status = (answer.get("status") or {}).get("statusCode")
        if status in model.ALERT_FAILED:
            reason = (answer.get("status") or {}).get("statusReason") or "no reason given"
            raise model.ObservabilityError("the alert manager definition is %s: %s" % (status, reason))

    def create_alert_manager(self, change):
        made = self.clients.amp.create_alert_manager_definition(workspaceId=self.workspace["id"], data=self._alert_manager_data())
        self._settle_alert_manager(made)

    def update_alert_manager(self, change):
        if (change.before or {}).get("status") == "CREATION_FAILED":  # never made: made again
            self.clients.amp.delete_alert_manager_definition(workspaceId=self.workspace["id"])
            return self.create_alert_manager(change)
        put = self.clients.amp.put_alert_manager_definition(workspaceId=self.workspace["id"], data=self._alert_manager_data())
        self._settle_alert_manager(put)

    def delete_alert_manager(self, change):
        self.clients.amp.delete_alert_manager_definition(workspaceId=self.workspace["id"])

    # -- the agent's scrape configuration (the endpoint is known only once the workspace exists)
    def _config_text(self):
        return model.config_text(model.scrape_config(self.cfg, self.region, self.workspace["endpoint"]))

    def create_scrape_config(self, change):
        tags = [{"Key": k, "Value": v} for k, v in sorted(change.after["tags"].items())]
        self.clients.ssm.put_parameter(Name=change.name, Value=self._config_text(), Type="String", Tags=tags, Description="Prometheus scrape configuration")

    def update_scrape_config(self, change):
        if "config" in change.fields:
            self.clients.ssm.put_parameter(Name=change.name, Value=self._config_text(), Type="String", Overwrite=True)
        if "tags" in change.fields:
            tags = missing_tags(change.after["tags"], change.before["tags"])
            self.clients.ssm.add_tags_to_resource(
                ResourceType="Parameter", ResourceId=change.name, Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())]
            )

    def delete_scrape_config(self, change):
        self.clients.ssm.delete_parameter(Name=change.name)

    # -- the managed scraper (AMP scrapes the eks tier's cluster itself)
    def create_scraper(self, change):
        cluster = read.read_cluster(self.view)  # reconcile checked it exists
        made = self.clients.amp.create_scraper(
            alias=change.name,
            scrapeConfiguration={"configurationBlob": model.config_text(change.after["config"]).encode("utf-8")},
            source={"eksConfiguration": {"clusterArn": cluster["arn"], "subnetIds": cluster["resourcesVpcConfig"]["subnetIds"]}},
            destination={"ampConfiguration": {"workspaceArn": self.workspace["arn"]}},
            tags=change.after["tags"],
        )
        if self.timeout:
            self.clients.amp.wait("scraper_active", self.timeout, delay=15, scraperId=made["scraperId"])

    def update_scraper(self, change):
        if "config" in change.fields:
            blob = model.config_text(change.after["config"]).encode("utf-8")
            self.clients.amp.update_scraper(scraperId=change.before["id"], scrapeConfiguration={"configurationBlob": blob})
        if "tags" in change.fields:
            self.clients.amp.tag_resource(resourceArn=change.before["arn"], tags=missing_tags(change.after["tags"], change.before["tags"]))

    def delete_scraper(self, change):
        self.clients.amp.delete_scraper(scraperId=change.before["id"])

    # -- Grafana
    def _grafana_arn(self):
        account = self.clients.sts.get_caller_identity()["Account"]
        return "arn:aws:grafana:%s:%s:/workspaces/%s" % (self.region, account, self.grafana["id"])

    def create_grafana_workspace(self, change):
        spec = change.after
        made = self.clients.grafana.create_workspace(
            workspaceName=change.name,
            accountAccessType="CURRENT_ACCOUNT",
            authenticationProviders=spec["authentication"],
            permissionType="SERVICE_MANAGED",
            workspaceDataSources=spec["data_sources"],
            workspaceDescription="Dashboards of stack %s" % self.cfg["stack"],
            tags=spec["tags"],
        )["workspace"]
        self.grafana = {"id": made["id"], "endpoint": made.get("endpoint"), "tags": spec["tags"]}
        if self.timeout:
            self.clients.grafana.wait("workspace_active", self.timeout, delay=15, workspaceId=made["id"])
            self.grafana["endpoint"] = self.clients.grafana.describe_workspace(workspaceId=made["id"])["endpoint"]

    def update_grafana_workspace(self, change):
        if "data_sources" in change.fields:
            self.clients.grafana.update_workspace(workspaceId=self.grafana["id"], workspaceDataSources=change.after["data_sources"])
        if "authentication" in change.fields:
            self.clients.grafana.update_workspace_authentication(workspaceId=self.grafana["id"], authenticationProviders=change.after["authentication"])
        if "tags" in change.fields:
            self.clients.grafana.tag_resource(resourceArn=self._grafana_arn(), tags=missing_tags(change.after["tags"], change.before["tags"]))

    def delete_grafana_workspace(self, change):
        self.clients.grafana.delete_workspace(workspaceId=change.before["id"])

    # -- the dashboards: a short-lived token, the data source and each dashboard, then the digest as a tag
    def _service_account(self):
        name = self.names["grafana_service_account"]
        accounts = self.clients.grafana.list_workspace_service_accounts(workspaceId=self.grafana["id"])
        found = next((a for a in accounts if a["name"] == name), None)
        if found:
            return found["id"]
        return self.clients.grafana.create_workspace_service_account(workspaceId=self.grafana["id"], name=name, grafanaRole="ADMIN")["id"]

    def create_dashboards(self, change):
        grafana = self.clients.grafana
        account = self._service_account()
        token = grafana.create_workspace_service_account_token(
            workspaceId=self.grafana["id"],
            serviceAccountId=account,
            name="%s-%s" % (self.names["grafana_service_account"], change.after["digest"][:8]),
            secondsToLive=TOKEN_SECONDS,
        )["serviceAccountToken"]
        try:
            http = self.grafana_http("https://%s" % self.grafana["endpoint"], token["key"])
            self._provision(http)
        finally:  # the token is of no use after the run
            grafana.delete_workspace_service_account_token(workspaceId=self.grafana["id"], serviceAccountId=account, tokenId=token["id"])
        boards = model.dashboards_of(self.cfg.get("dashboards") or {})
        done = model.digest({"dashboards": boards, "datasource": self.workspace["endpoint"]})
        grafana.tag_resource(resourceArn=self._grafana_arn(), tags={model.DASHBOARDS_TAG: done})

    update_dashboards = create_dashboards

    def _provision(self, http):
        uid = self.names["grafana_datasource"]
        source = {
            "uid": uid,
            "name": "Prometheus (%s)" % self.names["workspace"],
            "type": "prometheus",
            "access": "proxy",
            "url": (self.workspace["endpoint"] or "").rstrip("/"),
            "isDefault": True,
            "jsonData": {"httpMethod": "POST", "sigV4Auth": True, "sigV4AuthType": "ec2_iam_role", "sigV4Region": self.region},
        }
        status, _answer = http.request("GET", "/api/datasources/uid/%s" % uid, ok=(200, 404))
        if status == 404:
            http.request("POST", "/api/datasources", source)
        else:
            http.request("PUT", "/api/datasources/uid/%s" % uid, source)
        for _uid, dashboard in sorted(model.dashboards_of(self.cfg.get("dashboards") or {}).items()):
            http.request("POST", "/api/dashboards/db", {"dashboard": dashboard, "overwrite": True, "message": "hatrading.aws.stack_observability"})


def _cluster(view, cfg, run, outcome):
    """The eks tier's cluster a managed scraper needs: checked before any read of scrapers or change."""
    if cfg.get("collector") != "managed_scraper" or cfg["state"] != "present":
        return None
    cluster = read.read_cluster(view)
    if not cluster:
        what = "collector: managed_scraper scrapes the eks tier's cluster %s, which does not exist yet" % stack_names.observability(cfg["stack"])["eks_cluster"]
        if not run.check_mode:
            raise model.ObservabilityError(what + "; deploy the eks tier first or use collector=agent")
        outcome.result["notes"].append(what)
    return cluster


def reconcile(clients, params, run, outcome):
    cfg = dict(params, region=run.region)
    stack = cfg["stack"]
    outcome.step = "workspace"
    outcome.result["notes"] = []
    view = StackView(clients, stack)
    cluster = _cluster(view, cfg, run, outcome)
    raw = read.read_observability(clients, stack, cfg, scrapers=cfg.get("collector") == "managed_scraper" and bool(cluster or cfg["state"] == "absent"))
    have = model.actual_observability(stack, raw)
    endpoint = (raw.get("workspace") or {}).get("prometheusEndpoint")
    workspace_arn = (raw.get("workspace") or {}).get("arn")
    if cfg["state"] == "present":
        want = model.desired_observability(cfg, run.region, endpoint, (cluster or {}).get("name"), workspace_arn=workspace_arn)
        outcome.plan = model.plan_observability(want, have)
    else:
        outcome.plan = model.plan_teardown(cfg, have)
    outcome.result["notes"] += model.plan_notes(cfg, have)
    applier = ObservabilityApplier(clients, dict(cfg, _endpoint=endpoint), run.region, have, view=view)
    outcome.step = "workspaces, rules and collector"
    outcome.plan.apply(applier.handlers(), applier.finishers(), check_mode=run.check_mode)
    summary = model.summarize(stack, have)
    deleted = bool(outcome.plan.of("workspace", "delete"))
    if not run.check_mode:
        summary["workspace_id"] = None if deleted else applier.workspace["id"]
        summary["prometheus_endpoint"] = None if deleted else applier.workspace["endpoint"]
    else:
        summary["prometheus_endpoint"] = endpoint
    outcome.result["observability"] = summary
