# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the observability tier finds: its Prometheus workspace and rules, its collector, its Grafana workspace."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import belongs_to
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict


def read_workspace(clients, stack):
    """The stack's AMP workspace (described: its endpoint), or None. AMP names by ID: the alias and the stack tag find it."""
    alias = stack_names.observability(stack)["workspace"]
    found = [w for w in clients.amp.list_workspaces(alias=alias) if w.get("alias") == alias and w.get("status", {}).get("statusCode") != "DELETING"]
    mine = [w for w in found if belongs_to(w.get("tags") or {}, stack)] or found
    if not mine:
        return None
    return clients.amp.describe_workspace(workspaceId=sorted(mine, key=lambda w: w["workspaceId"])[0]["workspaceId"])


def read_grafana(clients, stack, wanted):
    """The stack's Grafana workspace (described: its data sources), or None; no call unless Grafana is wanted or may exist."""
    if not wanted:
        return None
    name = stack_names.observability(stack)["grafana_workspace"]
    found = [w for w in clients.grafana.list_workspaces() if w.get("name") == name and w.get("status") not in ("DELETING",)]
    return clients.grafana.describe_workspace(workspaceId=found[0]["id"]) if found else None


def read_observability(clients, stack, cfg, scrapers=False):
    """Everything the tier owns; the reads of a part the settings cannot have made are skipped."""
    n = stack_names.observability(stack)
    raw = {"workspace": read_workspace(clients, stack)}
    if raw["workspace"]:
        raw["rules"] = clients.amp.describe_rule_groups_namespace(workspaceId=raw["workspace"]["workspaceId"], name=n["rules_namespace"])
        raw["alert_manager"] = clients.amp.describe_alert_manager_definition(workspaceId=raw["workspace"]["workspaceId"])
    parameter = clients.ssm.get_parameter(Name=n["scrape_parameter"], missing=None)
    if parameter:
        tags = clients.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=n["scrape_parameter"]).get("TagList")
        raw["scrape_config"] = {"value": parameter["Parameter"]["Value"], "tags": tag_dict(tags)}
    if scrapers:  # only with a managed scraper and its cluster (moto has no scraper API: an agent's run never asks)
        raw["scraper"] = read_scraper(clients, n["scraper"])
    raw["grafana_workspace"] = read_grafana(clients, stack, cfg.get("grafana_enabled"))
    return raw


def read_scraper(clients, alias):
    found = [s for s in clients.amp.list_scrapers(filters={"alias": [alias]}) if s.get("status", {}).get("statusCode") != "DELETING"]
    return clients.amp.describe_scraper(scraperId=found[0]["scraperId"]) if found else None


def read_cluster(view):
    """The eks tier's cluster (the managed scraper's source), through the stack view."""
    return view.eks_cluster()
