# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The observability tier (Prometheus and Grafana), pure: its settings and their checks, the wanted state, the plan.

An Amazon Managed Service for Prometheus (AMP) workspace ``<stack>-prometheus`` holding the stack's alert and
recording rules (one rule groups namespace ``<stack>-rules``, from the role's rule files), a collector feeding it
(``agent``: the Prometheus scrape configuration for the instances' agent, an SSM parameter; ``managed_scraper``:
an AMP managed scraper on the eks tier's cluster), and optionally an Amazon Managed Grafana workspace
``<stack>-grafana`` with the role's dashboards. No AWS call and no Ansible here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re

try:
    import yaml
except ImportError:  # Ansible ships PyYAML; a missing one is reported by the module
    yaml = None

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_wait_timeout
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_port
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import TierChecks
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_resources
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags

TIER = "observability"
COLLECTORS = ("agent", "managed_scraper", "none")
GRAFANA_AUTHENTICATION = ("AWS_SSO", "SAML")
# The tag on the Grafana workspace holding the digest of the dashboards and data source it was given: a rerun
# compares it and asks Grafana for nothing (a Grafana API token is itself a change).
DASHBOARDS_TAG = "hatrading:dashboards"
PENDING_ENDPOINT = "(the workspace's endpoint, once made)"
SCRAPE_INTERVALS = (15, 30, 60)
# The alert manager's timing (Alertmanager durations); the wanted defaults are the role's.
ALERT_TIMING_DEFAULTS = {"alert_group_wait": "30s", "alert_group_interval": "5m", "alert_repeat_interval": "4h"}
DURATION_FORM = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# Stands for the account in the topic's ARN until the workspace (whose ARN names the account) exists.
PENDING_ACCOUNT = "<account>"
ALERT_RECEIVER = "sns"
# SNS refuses a subject over 100 characters: Alertmanager's default one lists every label, so it is set short.
ALERT_SUBJECT = "[{{ .Status | toUpper }}] {{ .GroupLabels.alertname }} (stack %s)"
# A definition AMP could not take: CREATION_FAILED is deleted and made again, UPDATE_FAILED is put again.
ALERT_FAILED = ("CREATION_FAILED", "UPDATE_FAILED")
# Creates in dependency order (the workspace before what names it), deletes in the reverse.
ORDER = (
    ("scraper", DELETE),
    ("scrape_config", DELETE),
    ("alert_manager", DELETE),
    ("rules", DELETE),
    ("dashboards", DELETE),
    ("grafana_workspace", DELETE),
    ("workspace", DELETE),
    ("workspace", CREATE),
    ("workspace", UPDATE),
    ("rules", CREATE),
    ("rules", UPDATE),
    ("alert_manager", CREATE),
    ("alert_manager", UPDATE),
    ("scrape_config", CREATE),
    ("scrape_config", UPDATE),
    ("scraper", CREATE),
    ("scraper", UPDATE),
    ("grafana_workspace", CREATE),
    ("grafana_workspace", UPDATE),
    ("dashboards", CREATE),
    ("dashboards", UPDATE),
)


class ObservabilityError(TierError):
    """A wanted change AWS cannot make (a managed scraper without the eks tier's cluster)."""


def _validate_collection(settings, v):
    """The collector and its scrapes, the rules, Grafana's sign-in and dashboards, the alert timing, the wait."""
    errors = []
    collector = settings.get("collector", "agent")
    if collector not in COLLECTORS:
        errors.append("%s: %r is not a collector; use %s" % (v("collector"), collector, ", ".join(COLLECTORS)))
    errors += validate_port(settings.get("scrape_port", 8081), v("scrape_port"))
    interval = settings.get("scrape_interval", 30)
    if interval not in SCRAPE_INTERVALS:
        errors.append("%s: %r is not a scrape interval; use %s seconds" % (v("scrape_interval"), interval, ", ".join(map(str, SCRAPE_INTERVALS))))
    errors += ["%s: %s" % (v("rule_files"), problem) for problem in rule_problems(settings.get("rule_files") or {})]
    if settings.get("grafana_enabled"):
        authentication = settings.get("grafana_authentication", "AWS_SSO")
        if authentication not in GRAFANA_AUTHENTICATION:
            errors.append("%s: %r is not a Grafana sign-in; use AWS_SSO or SAML" % (v("grafana_authentication"), authentication))
        errors += ["%s: %s" % (v("dashboards"), problem) for problem in dashboard_problems(settings.get("dashboards") or {})]
    errors += alert_timing_problems(settings, v(""))
    return errors + validate_wait_timeout(settings, v)


# ---------------------------------------------------------------- rules and dashboards as code


def rule_problems(rule_files):
    """What is wrong with the rule files ({file name: Prometheus rule file text}); promtool checks the PromQL itself."""
    if not isinstance(rule_files, dict):
        return ["%r is not a map of file name to rule file text" % (rule_files,)]
    problems, seen = [], {}
    for name in sorted(rule_files):
        try:
            document = yaml.safe_load(rule_files[name] or "")
        except yaml.YAMLError as error:
            problems.append("%s is not YAML (%s)" % (name, str(error).splitlines()[0]))
            continue
        groups = document.get("groups") if isinstance(document, dict) else None
        if not isinstance(groups, list) or not groups:
            problems.append("%s has no 'groups' list (a Prometheus rule file)" % name)
            continue
        for group in groups:
            group_name = group.get("name") if isinstance(group, dict) else None
            if not group_name or not isinstance(group.get("rules"), list):
                problems.append("%s: a group without a name or a 'rules' list" % name)
                continue
            if group_name in seen:
                problems.append("%s: group %s is also in %s (a namespace holds each group once)" % (name, group_name, seen[group_name]))
            seen[group_name] = name
            for rule in group["rules"]:
                if not isinstance(rule, dict) or not rule.get("expr") or bool(rule.get("alert")) == bool(rule.get("record")):
                    problems.append("%s: group %s: each rule needs an expr and one of alert or record" % (name, group_name))
                    break
    return problems


def rules_document(rule_files):
    """One Prometheus rule file (the namespace's data) holding every file's groups, files in name order."""
    groups = []
    for name in sorted(rule_files):
        groups.extend(yaml.safe_load(rule_files[name])["groups"])
    return {"groups": groups}


def rules_text(document):
    return yaml.safe_dump(document, sort_keys=True, default_flow_style=False)


def dashboard_problems(dashboards):
    if not isinstance(dashboards, dict):
        return ["%r is not a map of file name to dashboard JSON" % (dashboards,)]
    problems, uids = [], {}
    for name in sorted(dashboards):
        try:
            dashboard = json.loads(dashboards[name])
        except ValueError as error:
            problems.append("%s is not JSON (%s)" % (name, error))
            continue
        if not isinstance(dashboard, dict) or not dashboard.get("uid") or not dashboard.get("title"):
            problems.append("%s: a dashboard needs a uid and a title (the uid keeps a rerun from making a copy)" % name)
        elif dashboard["uid"] in uids:
            problems.append("%s: uid %s is also %s's" % (name, dashboard["uid"], uids[dashboard["uid"]]))
        else:
            uids[dashboard["uid"]] = name
    return problems


def dashboards_of(dashboards):
    """{uid: dashboard} without the fields Grafana owns (its id and version)."""
    found = {}
    for name in sorted(dashboards):
        dashboard = dict(json.loads(dashboards[name]))
        dashboard.pop("id", None)
        dashboard.pop("version", None)
        found[dashboard["uid"]] = dashboard
    return found


def digest(value):
    """A short digest of a JSON-able value: what a tag can hold (256 characters at most)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()[:32]


# ---------------------------------------------------------------- the collector's configuration


# The environment variables the back-end's boot script sets from the instance metadata (IMDSv2) and hands to the agent:
# Prometheus expands them in the external labels (``--enable-feature=expand-external-labels``), so each instance's
# series carry its own ID and zone (compute/template.py agent_script sets the same names; a unit test holds them equal).
AGENT_LABEL_ENVIRONMENT = (("instance_id", "HATRADING_INSTANCE_ID"), ("az", "HATRADING_AVAILABILITY_ZONE"))


def scrape_config(cfg, region, remote_write_url=None):
    """The Prometheus configuration of the back-end's ``/metrics`` on the stack's instances.

    ``agent``: each back-end instance runs Prometheus in agent mode (the compute tier's user data) that scrapes only
    its own back-end (``127.0.0.1:<scrape_port>``: discovering every instance would make each of N agents scrape
    every series, N copies in AMP), labels its series with the stack, its instance ID and AZ (external labels expanded
    from the environment) and remote-writes them to the workspace signed with SigV4 (the instance role's credentials).
    ``managed_scraper``: the pods of the eks tier's back-end (an AMP scraper runs the config itself, no remote write).
    """
    stack = cfg["stack"]
    job = {"job_name": "backend", "metrics_path": "/metrics", "scrape_interval": "%ds" % cfg.get("scrape_interval", 30)}
    if cfg.get("collector", "agent") == "managed_scraper":
        job["kubernetes_sd_configs"] = [{"role": "pod"}]
        job["relabel_configs"] = [
            {"source_labels": ["__meta_kubernetes_pod_label_app"], "regex": "backend", "action": "keep"},
            {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
        ]
        return {"global": {"scrape_interval": job["scrape_interval"]}, "scrape_configs": [job]}
    job["static_configs"] = [{"targets": ["127.0.0.1:%d" % int(cfg.get("scrape_port", 8081))]}]
    labels = dict((label, "${%s}" % variable) for label, variable in AGENT_LABEL_ENVIRONMENT)
    labels["stack"] = stack
    url = "%sapi/v1/remote_write" % remote_write_url if remote_write_url else PENDING_ENDPOINT
    return {
        "global": {"scrape_interval": job["scrape_interval"], "external_labels": labels},
        "scrape_configs": [job],
        "remote_write": [{"url": url, "sigv4": {"region": region}}],
    }


def config_text(config):
    return yaml.safe_dump(config, sort_keys=True, default_flow_style=False)


# ---------------------------------------------------------------- the alert manager


def duration_seconds(text):
    """Seconds of an Alertmanager duration (``30s``, ``1h30m``), or None when it is not one."""
    if not isinstance(text, str) or not DURATION_FORM.match(text):
        return None
    return sum(int(number) * DURATION_UNITS[unit] for number, unit in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", text))


def alert_timing_problems(settings, prefix=""):
    """The alert manager's waits are durations, each longer than zero, and a repeat no sooner than a group's next send."""
    problems, seconds = [], {}
    for option, default in sorted(ALERT_TIMING_DEFAULTS.items()):
        value = settings.get(option, default)
        seconds[option] = duration_seconds(value)
        if not seconds[option]:
            problems.append("%s%s: %r is not an Alertmanager duration above zero (like 30s, 5m, 4h)" % (prefix, option, value))
    interval, repeat = seconds["alert_group_interval"], seconds["alert_repeat_interval"]
    if interval and repeat and repeat < interval:
        what = "%salert_repeat_interval: shorter than %salert_group_interval" % (prefix, prefix)
        problems.append(what + ": Alertmanager repeats no sooner than a group's interval")
    return problems


CHECKS = TierChecks(
    "the observability tier",
    kept=lambda v: "the workspaces are kept unless %s=true" % v("delete_workspaces"),
    build=(_validate_collection,),
)
validate_observability = CHECKS.settings  # the validate play's check (``prefix``: observability_)


def alarm_topic_arn(stack, region, workspace_arn=None):
    """The monitoring tier's topic, by name: its ARN is made from the workspace's partition and account (no read).

    The registry runs this tier before monitoring: on a first deploy the topic does not exist yet, and AMP does not
    ask for it until an alert fires.
    """
    parts = (workspace_arn or "").split(":")
    partition, account = (parts[1], parts[4]) if len(parts) > 5 else ("aws", PENDING_ACCOUNT)
    return "arn:%s:sns:%s:%s:%s" % (partition, region, account, stack_names.monitoring(stack)["topic"])


def alert_manager_config(cfg, region, topic_arn):
    """The Alertmanager configuration: every alert, grouped by its name, to the stack's SNS topic (AMP's only receiver)."""
    stack = cfg["stack"]
    route = {"receiver": ALERT_RECEIVER, "group_by": ["alertname"]}
    for option, default in sorted(ALERT_TIMING_DEFAULTS.items()):
        route[option[len("alert_") :]] = cfg.get(option) or default
    sns = {
        "topic_arn": topic_arn,
        "sigv4": {"region": region},  # AMP signs its Publish with it: a region is required
        "subject": ALERT_SUBJECT % stack,
        # message attributes, for a subscription's filter policy
        "attributes": {"stack": stack, "source": "prometheus", "severity": "{{ .CommonLabels.severity }}"},
    }
    return {"route": route, "receivers": [{"name": ALERT_RECEIVER, "sns_configs": [sns]}]}


def alert_manager_text(config):
    """The definition's data: AMP's YAML with the Alertmanager configuration as the text of ``alertmanager_config``."""
    return yaml.safe_dump({"alertmanager_config": config_text(config)}, sort_keys=True, default_flow_style=False)


def alert_manager_of(data):
    """The Alertmanager configuration a definition holds (parsed, so a reformatted text is no change), or None."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data or ""
    try:
        outer = yaml.safe_load(text) if text else None
        inner = outer.get("alertmanager_config") if isinstance(outer, dict) else None
        return yaml.safe_load(inner) if isinstance(inner, str) else inner
    except yaml.YAMLError:
        return None  # someone's broken text: the wanted one replaces it


def alert_topic_of(config):
    """The SNS topic ARNs a configuration sends to."""
    receivers = (config or {}).get("receivers") or []
    return sorted(sns.get("topic_arn") for receiver in receivers for sns in receiver.get("sns_configs") or [] if sns.get("topic_arn"))


def compare_alert_manager(want, have):
    """The configuration as parsed YAML; a definition AMP failed to take is made again."""
    fields = ["config"] if want["config"] != have.get("config") else []
    return fields + (["status"] if have.get("status") in ALERT_FAILED else [])


# ---------------------------------------------------------------- wanted state


def desired_observability(cfg, region, endpoint=None, cluster=None, workspace_arn=None):
    """{kind: {name: description}} of what the tier wants; ``endpoint`` and ``workspace_arn`` the workspace's if it exists."""
    stack = cfg["stack"]
    n = stack_names.observability(stack)

    def tags(name):
        return stack_tags(stack, TIER, name, cfg.get("tags"))

    want = {
        "workspace": {n["workspace"]: {"tags": tags(n["workspace"])}},
        "rules": {},
        "alert_manager": {},
        "scrape_config": {},
        "scraper": {},
        "grafana_workspace": {},
        "dashboards": {},
    }
    topic = alarm_topic_arn(stack, region, workspace_arn)
    want["alert_manager"][n["workspace"]] = {"config": alert_manager_config(cfg, region, topic)}
    want["rules"][n["rules_namespace"]] = {"data": rules_document(cfg.get("rule_files") or {}), "tags": tags(n["rules_namespace"])}
    collector = cfg.get("collector", "agent")
    if collector == "agent":
        want["scrape_config"][n["scrape_parameter"]] = {"config": scrape_config(cfg, region, endpoint), "tags": tags(n["scrape_parameter"])}
    elif collector == "managed_scraper":
        want["scraper"][n["scraper"]] = {
            "config": scrape_config(cfg, region),
            "cluster": cluster or n["eks_cluster"],
            "tags": tags(n["scraper"]),
        }
    if cfg.get("grafana_enabled"):
        want["grafana_workspace"][n["grafana_workspace"]] = {
            "authentication": [cfg.get("grafana_authentication", "AWS_SSO")],
            "data_sources": ["PROMETHEUS"],
            "tags": tags(n["grafana_workspace"]),
        }
        boards = dashboards_of(cfg.get("dashboards") or {})
        want["dashboards"][n["grafana_workspace"]] = {"uids": sorted(boards), "digest": digest({"dashboards": boards, "datasource": endpoint})}
    return want


# ---------------------------------------------------------------- what exists


def actual_observability(stack, raw):
    """{kind: {name: description}} of what exists; ``raw`` is what read.read_observability found."""
    n = stack_names.observability(stack)
    have = {"workspace": {}, "rules": {}, "alert_manager": {}, "scrape_config": {}, "scraper": {}, "grafana_workspace": {}, "dashboards": {}}
    workspace = raw.get("workspace")
    if workspace:
        have["workspace"][n["workspace"]] = {"tags": workspace.get("tags") or {}, "id": workspace["workspaceId"], "arn": workspace["arn"]}
    rules = raw.get("rules")
    if rules:
        data = rules.get("data") or b""
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        have["rules"][n["rules_namespace"]] = {"data": yaml.safe_load(text) if text else None, "tags": rules.get("tags") or {}, "arn": rules.get("arn")}
    definition = raw.get("alert_manager")
    if definition and (definition.get("status") or {}).get("statusCode") != "DELETING":
        status = (definition.get("status") or {}).get("statusCode")
        have["alert_manager"][n["workspace"]] = {"config": alert_manager_of(definition.get("data")), "status": status}
    parameter = raw.get("scrape_config")
    if parameter:
        have["scrape_config"][n["scrape_parameter"]] = {"config": yaml.safe_load(parameter["value"]), "tags": parameter.get("tags") or {}}
    scraper = raw.get("scraper")
    if scraper:
        blob = (scraper.get("scrapeConfiguration") or {}).get("configurationBlob") or b""
        have["scraper"][n["scraper"]] = {
            "config": yaml.safe_load(blob.decode("utf-8") if isinstance(blob, bytes) else blob),
            "cluster": ((scraper.get("source") or {}).get("eksConfiguration") or {}).get("clusterArn", "").rsplit("/", 1)[-1],
            "tags": scraper.get("tags") or {},
            "id": scraper["scraperId"],
            "arn": scraper.get("arn"),
        }
    grafana = raw.get("grafana_workspace")
    if grafana:
        have["grafana_workspace"][n["grafana_workspace"]] = {
            "authentication": sorted(grafana.get("authentication", {}).get("providers") or []),
            "data_sources": sorted(grafana.get("dataSources") or []),
            "tags": grafana.get("tags") or {},
            "id": grafana["id"],
            "endpoint": grafana.get("endpoint"),
            "status": grafana.get("status"),
        }
        if (grafana.get("tags") or {}).get(DASHBOARDS_TAG):
            have["dashboards"][n["grafana_workspace"]] = {"digest": grafana["tags"][DASHBOARDS_TAG]}
    return have


# ---------------------------------------------------------------- plan


def compare(want, have):
    fields = [field for field in ("data", "config", "cluster", "authentication", "data_sources") if field in want and want[field] != have.get(field)]
    if missing_tags(want["tags"], have.get("tags") or {}):
        fields.append("tags")
    return sorted(fields)


def compare_dashboards(want, have):
    return ["digest"] if want["digest"] != have.get("digest") else []


def ordered(changes):
    rank = dict((step, index) for index, step in enumerate(ORDER))
    return sorted(changes, key=lambda change: rank[(change.kind, change.action)])


def plan_observability(want, have):
    """The ordered changes from ``have`` to ``want``: the collector the tier no longer wants goes; workspaces only by a teardown."""
    changes = []
    for kind in ("workspace", "grafana_workspace"):
        changes += diff_resources(kind, want[kind], have[kind], compare=compare, delete_extra=False)
    for kind in ("rules", "scrape_config", "scraper"):
        changes += diff_resources(kind, want[kind], have[kind], compare=compare)
    changes += diff_resources("alert_manager", want["alert_manager"], have["alert_manager"], compare=compare_alert_manager)
    changes += diff_resources("dashboards", want["dashboards"], have["dashboards"], compare=compare_dashboards, delete_extra=False)
    return Plan(ordered(changes))


def plan_teardown(cfg, have):
    """The collector and the alert manager (configuration, no data) always go; the workspaces only with ``delete_workspaces``."""
    kinds = ("scraper", "scrape_config", "alert_manager")
    changes = [Change(DELETE, kind, name, before=spec) for kind in kinds for name, spec in sorted(have[kind].items())]
    if cfg.get("delete_workspaces"):
        for kind in ("rules", "grafana_workspace", "workspace"):
            changes += [Change(DELETE, kind, name, before=spec) for name, spec in sorted(have[kind].items())]
    return Plan(ordered(changes))


def plan_notes(cfg, have):
    notes = []
    if cfg.get("state") == "absent" and not cfg.get("delete_workspaces"):
        for kind, what in (
            ("workspace", "Prometheus workspace %s kept with its metrics"),
            ("grafana_workspace", "Grafana workspace %s kept with its dashboards"),
        ):
            notes += [(what + " (delete_workspaces=false)") % name for name in sorted(have[kind])]
    return notes


def summarize(stack, have):
    """What the module returns: the names, and what was found (reconcile brings the workspace up to date after the run)."""
    n = stack_names.observability(stack)
    workspace = have["workspace"].get(n["workspace"]) or {}
    grafana = have["grafana_workspace"].get(n["grafana_workspace"]) or {}
    return {
        "workspace": n["workspace"],
        "workspace_id": workspace.get("id"),
        "rules_namespace": n["rules_namespace"],
        "collector": sorted(list(have["scrape_config"]) + list(have["scraper"])),
        "grafana_workspace_id": grafana.get("id"),
        "grafana_endpoint": grafana.get("endpoint"),
    }
