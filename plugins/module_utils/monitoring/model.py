# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monitoring tier as plain data: what is wanted, what exists, the plan between them.

The tier watches what the other tiers built, found by their names and stack tags: the ALBs and
target groups and Auto Scaling groups of the compute tier, the RDS instance or Aurora cluster of
the database tier, the NAT gateways of the network tier, and the CloudWatch agent's metrics
(namespace ``hatrading/<stack>``). It owns an SNS topic ``<stack>-alarms``, the alarms
``<stack>-<tier>-<metric>``, the dashboard ``hatrading-<stack>`` and the app log groups' retention.
No AWS call and no Ansible here: everything is unit-tested as plain functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import LOG_RETENTION_DAYS
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import TierChecks
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_fields
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_resources
from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import options_set
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import belongs_to
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags

TIER = "monitoring"
KINDS = ("sns_topic", "subscription", "log_group", "metric_alarm", "dashboard")
DEFAULT_KMS_KEY = ""  # see validate_monitoring: alias/aws/sns would drop every alarm
AWS_MANAGED_SNS_KEY = re.compile(r"(^|:)alias/aws/sns$")
# Stands for the topic's ARN until the topic exists (check mode, first run); the applier swaps it.
TOPIC_PLACEHOLDER = "arn:aws:sns:<region>:<account>:<new topic>"
ACCOUNT_PLACEHOLDER = "<account>"
PROTOCOLS = ("email", "https")
EMAIL_FORM = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
KMS_KEY_FORM = re.compile(
    r"^(alias/[a-zA-Z0-9/_-]+"  # an alias
    r"|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[a-zA-Z0-9/_-]+"  # a key or alias ARN
    r"|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$"  # a key ID
)
GIB = 1024**3
MIB = 1024**2

# Every threshold the tier uses, its default, and the bounds it must lie in (percentages 1-100).
THRESHOLDS = {
    "alb_5xx_count": (10, 0, None),  # ELB-generated 5XX per period, per ALB
    "target_5xx_count": (10, 0, None),  # 5XX the app answered, per ALB
    "latency_p99_seconds": (1.0, 0.001, None),  # TargetResponseTime p99
    "unhealthy_hosts": (0, 0, None),  # alarm when more than this many targets are unhealthy
    "healthy_hosts_min": (1, 1, None),  # alarm when fewer healthy targets than this
    "cpu_percent": (80, 1, 100),  # average CPU of an Auto Scaling group
    "memory_percent": (85, 1, 100),  # CloudWatch agent mem_used_percent, worst instance
    "disk_percent": (85, 1, 100),  # CloudWatch agent disk_used_percent of /, worst instance
    "db_cpu_percent": (80, 1, 100),
    "db_free_storage_gib": (2, 0.1, None),  # RDS only: Aurora storage grows by itself
    "db_freeable_memory_mib": (256, 1, None),
    "db_connections": (200, 1, None),
    "db_replica_lag_ms": (1000, 1, None),  # AuroraReplicaLag of each Aurora reader
    "nat_port_allocation_errors": (0, 0, None),  # alarm on any ErrorPortAllocation
    "nosql_throttled_requests": (0, 0, None),  # Read/WriteThrottleEvents per period of each nosql table
    "eks_api_5xx_count": (10, 0, None),  # 5XX the EKS API server answered per period
    "eks_pending_pods": (0, 0, None),  # pods the scheduler could not place (no room in any AZ)
    "observability_active_series": (8000000, 1, None),  # active series in the account's Prometheus workspaces (AWS/Usage)
    "logs_cluster_red": (1, 1, 1),  # ClusterStatus.red is 0 or 1: any red minute alarms (fixed)
    "logs_free_storage_gib": (5, 0.1, None),  # FreeStorageSpace of the logs tier's fullest OpenSearch node
    "logs_jvm_memory_percent": (80, 1, 100),  # JVMMemoryPressure of the logs tier's worst OpenSearch node
}
SETTING_DEFAULTS = {
    "kms_key": DEFAULT_KMS_KEY,
    "subscriptions": [],
    "thresholds": {},
    "period": 60,
    "evaluation_periods": 5,
    "datapoints_to_alarm": 3,
    "log_retention_days": 30,
    "dashboard": True,
    "delete_log_groups": False,
}


def alarm_name(stack, tier, metric):
    return "%s-%s-%s" % (stack, tier, metric)


# ---------------------------------------------------------------- validation


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def settings(params):
    """The tier's settings: the module's options that are set (the others take their defaults here)."""
    return options_set(params)


def _validate_state(settings, v):
    state = settings.get("state", "present")
    return [] if state in ("present", "absent") else ["%s: %r is not a state; use present or absent" % (v("state"), state)]


def _validate_alarms(settings, v):
    """The topic's key and subscriptions, the thresholds, the alarms' periods, the logs' retention."""
    errors = []
    kms_key = settings.get("kms_key", DEFAULT_KMS_KEY)
    if kms_key and not KMS_KEY_FORM.match(str(kms_key)):
        errors.append("%s: %r is not a KMS key ID, ARN or alias (empty leaves the topic unencrypted)" % (v("kms_key"), kms_key))
    elif kms_key and AWS_MANAGED_SNS_KEY.search(str(kms_key)):
        errors.append(
            "%s: %r is the AWS managed key, whose policy cannot let cloudwatch.amazonaws.com use it: CloudWatch could not "
            "publish a single alarm to the topic; give a customer managed key that allows it, or empty for none" % (v("kms_key"), kms_key)
        )

    subscriptions = settings.get("subscriptions") or []
    if not isinstance(subscriptions, list):
        errors.append("%s: must be a list of {protocol, endpoint}" % v("subscriptions"))
        subscriptions = []
    seen = set()
    for index, item in enumerate(subscriptions):
        where = "%s[%d]" % (v("subscriptions"), index)
        if not isinstance(item, dict) or set(item) - {"protocol", "endpoint"}:
            errors.append("%s: must be a dict with only protocol and endpoint" % where)
            continue
        protocol, endpoint = item.get("protocol"), item.get("endpoint")
        if protocol not in PROTOCOLS:
            errors.append("%s.protocol: %r is not supported; use email or https" % (where, protocol))
        elif protocol == "email" and not EMAIL_FORM.match(str(endpoint or "")):
            errors.append("%s.endpoint: %r is not an e-mail address" % (where, endpoint))
        elif protocol == "https" and not str(endpoint or "").startswith("https://"):
            errors.append("%s.endpoint: %r must be an https:// URL" % (where, endpoint))
        if (protocol, endpoint) in seen:
            errors.append("%s: %s %s is listed twice" % (where, protocol, endpoint))
        seen.add((protocol, endpoint))

    errors += _check_given_thresholds(settings, v)

    period = settings.get("period", 60)
    if not isinstance(period, int) or isinstance(period, bool) or period < 60 or period % 60:
        # ALB, Auto Scaling, RDS, NAT and the agent all publish each minute: a shorter period never fills
        errors.append("%s: %r seconds; use a multiple of 60 (every watched metric has a 1-minute resolution)" % (v("period"), period))
    evaluations = settings.get("evaluation_periods", 5)
    datapoints = settings.get("datapoints_to_alarm", 3)
    if not isinstance(evaluations, int) or evaluations < 1:
        errors.append("%s: %r must be at least 1" % (v("evaluation_periods"), evaluations))
    elif isinstance(period, int) and period * evaluations > 86400:
        errors.append("%s: %d periods of %d s exceed the one day an alarm may look back" % (v("evaluation_periods"), evaluations, period))
    elif not isinstance(datapoints, int) or not 1 <= datapoints <= evaluations:
        errors.append("%s: %r must be from 1 to %s (%d)" % (v("datapoints_to_alarm"), datapoints, v("evaluation_periods"), evaluations))
    retention = settings.get("log_retention_days", 30)
    if retention not in LOG_RETENTION_DAYS:
        errors.append("%s: %r is not a retention CloudWatch Logs offers (%s)" % (v("log_retention_days"), retention, ", ".join(map(str, LOG_RETENTION_DAYS))))
    return errors


CHECKS = TierChecks("the alarms, dashboard and topic", build=(_validate_state, _validate_alarms), settings_of=settings)
validate_monitoring = CHECKS.settings  # the validate play's check (``prefix``: monitoring_)


def _check_given_thresholds(settings, v):
    """The module's ``thresholds`` map, or the role's variables: one per threshold, then ``tier_thresholds`` over them."""
    if "tier_thresholds" not in settings:
        thresholds = settings.get("thresholds") or {}
        if not isinstance(thresholds, dict):
            return ["%s: must be a dict" % v("thresholds")]
        return _check_thresholds(thresholds, v("thresholds"), allow_tiers=True)
    errors = []
    for key in sorted(THRESHOLDS):
        if key in settings:
            errors += _check_threshold(key, settings[key], v(key))
    overrides = settings.get("tier_thresholds") or {}
    if not isinstance(overrides, dict):
        return errors + ["%s: must be a dict" % v("tier_thresholds")]
    return errors + _check_thresholds(overrides, v("tier_thresholds"), allow_tiers=True)


def _check_threshold(key, value, where):
    _default, low, high = THRESHOLDS[key]
    if not _number(value) or value < low or (high is not None and value > high):
        bounds = "from %s" % low + (" to %s" % high if high is not None else "")
        return ["%s: %r must be a number %s" % (where, value, bounds)]
    return []


def _check_thresholds(thresholds, where, allow_tiers):
    errors = []
    for key, value in sorted(thresholds.items(), key=lambda item: str(item[0])):
        if allow_tiers and key in APP_TIERS:
            if not isinstance(value, dict):
                errors.append("%s.%s: must be a dict of thresholds for the %s tier only" % (where, key, key))
            else:
                errors += _check_thresholds(value, "%s.%s" % (where, key), allow_tiers=False)
            continue
        if key not in THRESHOLDS:
            known = sorted(THRESHOLDS) + (list(APP_TIERS) if allow_tiers else [])
            errors.append("%s.%s: unknown threshold; known: %s" % (where, key, ", ".join(known)))
            continue
        errors += _check_threshold(key, value, "%s.%s" % (where, key))
    return errors


def settings_with_defaults(cfg):
    """``cfg`` with every default filled in (a second call changes nothing)."""
    if "tier_thresholds" in cfg:
        return cfg
    full = dict(SETTING_DEFAULTS)
    full.update((key, value) for key, value in cfg.items() if value is not None)
    thresholds = dict((key, spec[0]) for key, spec in THRESHOLDS.items())
    given = cfg.get("thresholds") or {}
    thresholds.update((key, value) for key, value in given.items() if key not in APP_TIERS)
    full["thresholds"] = thresholds
    # frontend/backend: the shared thresholds, then that tier's own overrides
    full["tier_thresholds"] = dict((tier, dict(thresholds, **(given.get(tier) or {}))) for tier in APP_TIERS)
    return full


# ---------------------------------------------------------------- what exists to be watched


def _dimension_of(arn, marker):
    """The CloudWatch dimension value of an ELB ARN: the part after ``loadbalancer/`` or from ``targetgroup/``."""
    if not arn:
        return None
    if marker == "loadbalancer":
        return arn.split(":loadbalancer/", 1)[1] if ":loadbalancer/" in arn else None
    return arn[arn.index("targetgroup/") :] if "targetgroup/" in arn else None


def watched_resources(stack, raw):
    """Describe answers of the other tiers -> what the alarms and the dashboard watch.

    ``raw``: load_balancers, target_groups, elb_tags {arn: tags}, auto_scaling_groups, db_clusters,
    db_instances, nat_gateways (lists of describe answers). Only resources tagged with the stack count.
    """
    n = stack_names.monitoring(stack)
    tags = raw.get("elb_tags") or {}
    lbs = dict((lb["LoadBalancerName"], lb) for lb in raw.get("load_balancers", []) if belongs_to(tags.get(lb["LoadBalancerArn"], {}), stack))
    tgs = dict((tg["TargetGroupName"], tg) for tg in raw.get("target_groups", []) if belongs_to(tags.get(tg["TargetGroupArn"], {}), stack))
    groups = dict(
        (g["AutoScalingGroupName"], g)
        for g in raw.get("auto_scaling_groups", [])
        if belongs_to(dict((t["Key"], t.get("Value")) for t in g.get("Tags", [])), stack)
    )
    found = {"tiers": {}, "database": None, "nat_gateways": []}
    for tier in APP_TIERS:
        lb, tg = lbs.get(n["load_balancer"][tier]), tgs.get(n["target_group"][tier])
        group = groups.get(n["auto_scaling_group"][tier])
        found["tiers"][tier] = {
            "load_balancer": _dimension_of(lb["LoadBalancerArn"], "loadbalancer") if lb else None,
            "target_group": _dimension_of(tg["TargetGroupArn"], "targetgroup") if tg else None,
            "auto_scaling_group": group["AutoScalingGroupName"] if group else None,
        }
    clusters = [c for c in raw.get("db_clusters", []) if c.get("DBClusterIdentifier") == n["database"] and c.get("Status") != "deleting"]
    if clusters:
        members = clusters[0].get("DBClusterMembers", [])
        found["database"] = {
            "engine": "aurora",
            "cluster": n["database"],
            "writers": sorted(m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter")),
            "readers": sorted(m["DBInstanceIdentifier"] for m in members if not m.get("IsClusterWriter")),
        }
    else:
        instances = [i for i in raw.get("db_instances", []) if i.get("DBInstanceIdentifier") == n["database"] and i.get("DBInstanceStatus") != "deleting"]
        if instances:
            found["database"] = {"engine": "rds", "instance": n["database"]}
    for nat in raw.get("nat_gateways", []):
        if nat.get("State") in ("pending", "available"):
            name = dict((t["Key"], t.get("Value")) for t in nat.get("Tags", [])).get("Name") or nat["NatGatewayId"]
            found["nat_gateways"].append((name, nat["NatGatewayId"]))
    found["nat_gateways"].sort()
    tables = set(stack_names.nosql(stack)["tables"].values())
    found["dynamodb_tables"] = sorted(t["TableName"] for t in raw.get("dynamodb_tables", []) if t["TableName"] in tables and t.get("TableStatus") != "DELETING")
    domain = raw.get("opensearch_domain")  # the optional logs tier: its domain and the account its metrics carry
    found["opensearch_domain"] = (domain["DomainName"], domain["ARN"].split(":")[4]) if domain and not domain.get("Deleted") else None
    cluster = raw.get("eks_cluster")
    found["eks_cluster"] = cluster["name"] if cluster and belongs_to(cluster.get("tags") or {}, stack) and cluster.get("status") != "DELETING" else None
    workspace = raw.get("amp_workspace")
    found["amp_workspace"] = workspace.get("alias") if workspace and (workspace.get("status") or {}).get("statusCode") != "DELETING" else None
    found["amp_workspace_arn"] = workspace.get("arn") if found["amp_workspace"] else None  # its alert manager publishes to the topic
    return found


# ---------------------------------------------------------------- the topic's access policy: AMP's alert manager

# The one statement of the topic's policy this tier manages; the others (AWS's default one, anyone's own) are kept.
AMP_STATEMENT_SID = "hatrading-amp-alerts"


def amp_publish_statement(topic_arn, workspace_arn):
    """Let the stack's Prometheus workspace (only it: SourceArn, SourceAccount) publish its alerts to the topic."""
    return {
        "Sid": AMP_STATEMENT_SID,
        "Effect": "Allow",
        "Principal": {"Service": "aps.amazonaws.com"},
        "Action": ["sns:GetTopicAttributes", "sns:Publish"],
        "Resource": topic_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": workspace_arn}, "StringEquals": {"aws:SourceAccount": workspace_arn.split(":")[4]}},
    }


def _normalized(statement):
    """A statement as compared: a single action as a list, actions sorted (SNS may give them back either way)."""
    found = dict(statement)
    actions = found.get("Action")
    found["Action"] = sorted([actions] if isinstance(actions, str) else actions or [])
    return found


def amp_statement_of(policy_text):
    """This tier's statement in a topic policy's text, normalized, or {} when there is none."""
    try:
        policy = json.loads(policy_text) if policy_text else {}
    except ValueError:
        return {}
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    statements = [statements] if isinstance(statements, dict) else statements or []
    found = [s for s in statements if isinstance(s, dict) and s.get("Sid") == AMP_STATEMENT_SID]
    return _normalized(found[0]) if found else {}


def with_amp_statement(policy_text, statement, topic_arn):
    """The topic policy's text with this tier's statement replaced by ``statement`` (none when empty); others kept."""
    policy = json.loads(policy_text) if policy_text else {"Version": "2012-10-17", "Statement": []}
    statements = policy.get("Statement") or []
    statements = [statements] if isinstance(statements, dict) else statements
    kept = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") == AMP_STATEMENT_SID)]
    if statement:
        kept.append(dict(statement, Resource=resolve(statement["Resource"], topic_arn)))
    policy["Statement"] = kept
    return json.dumps(policy, sort_keys=True)


# ---------------------------------------------------------------- desired state


def _alarm(cfg, tier, metric, description, namespace, metric_name, dimensions, statistic, comparison, threshold, missing, topic_arn):
    stack = cfg["stack"]
    name = alarm_name(stack, tier, metric)
    spec = {
        "description": description,
        "namespace": namespace,
        "metric": metric_name,
        "dimensions": sorted([key, value] for key, value in dimensions.items()),
        "statistic": None if statistic.startswith("p") else statistic,
        "extended_statistic": statistic if statistic.startswith("p") else None,
        "period": cfg["period"],
        "evaluation_periods": cfg["evaluation_periods"],
        "datapoints_to_alarm": cfg["datapoints_to_alarm"],
        "comparison": comparison,
        "threshold": float(threshold),
        "treat_missing_data": missing,
        "actions_enabled": True,
        "alarm_actions": [topic_arn],
        "ok_actions": [topic_arn],
        "insufficient_data_actions": [],
        "tags": stack_tags(stack, TIER, name, cfg.get("tags"), component=tier),
    }
    return name, spec


GT, GE, LT = "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold"
ELB, RDS, DDB, ES = "AWS/ApplicationELB", "AWS/RDS", "AWS/DynamoDB", "AWS/ES"
AGENT = "<agent>"  # the stack's CloudWatch agent namespace, hatrading/<stack>
# (watches, name, description, namespace, metric, statistic, comparison, threshold key, unit factor, missing data)
# Error counts: no data is no errors (notBreaching). Healthy hosts: no data is no host (breaching).
# Gauges (CPU, memory, connections): no data keeps the state (missing).
ALARMS = (
    ("lb", "alb-5xx", "5XX answered by the %s ALB itself", ELB, "HTTPCode_ELB_5XX_Count", "Sum", GE, "alb_5xx_count", 1, "notBreaching"),
    ("lb", "target-5xx", "5XX answered by the %s targets", ELB, "HTTPCode_Target_5XX_Count", "Sum", GE, "target_5xx_count", 1, "notBreaching"),
    ("lb", "latency-p99", "p99 response time of the %s targets (s)", ELB, "TargetResponseTime", "p99", GT, "latency_p99_seconds", 1, "notBreaching"),
    ("tg", "unhealthy-hosts", "Unhealthy %s targets", ELB, "UnHealthyHostCount", "Maximum", GT, "unhealthy_hosts", 1, "notBreaching"),
    ("tg", "healthy-hosts", "Fewer healthy %s targets than wanted", ELB, "HealthyHostCount", "Minimum", LT, "healthy_hosts_min", 1, "breaching"),
    ("asg", "cpu-high", "Average CPU of the %s group (%%)", "AWS/EC2", "CPUUtilization", "Average", GT, "cpu_percent", 1, "missing"),
    ("asg", "memory-high", "Memory used, worst %s instance (%%)", AGENT, "mem_used_percent", "Maximum", GT, "memory_percent", 1, "missing"),
    ("asg", "disk-high", "Disk / used, worst %s instance (%%)", AGENT, "disk_used_percent", "Maximum", GT, "disk_percent", 1, "missing"),
    ("db", "cpu-high", "Database CPU (%%)", RDS, "CPUUtilization", "Average", GT, "db_cpu_percent", 1, "missing"),
    ("db", "freeable-memory-low", "Database freeable memory (bytes)", RDS, "FreeableMemory", "Minimum", LT, "db_freeable_memory_mib", MIB, "missing"),
    ("db", "connections-high", "Database connections", RDS, "DatabaseConnections", "Maximum", GT, "db_connections", 1, "missing"),
    ("rds", "free-storage-low", "Database free storage (bytes)", RDS, "FreeStorageSpace", "Minimum", LT, "db_free_storage_gib", GIB, "missing"),
    ("reader", "replica-lag", "Replica lag of Aurora reader %s (ms)", RDS, "AuroraReplicaLag", "Maximum", GT, "db_replica_lag_ms", 1, "missing"),
    ("table", "read-throttles", "Throttled reads of DynamoDB table %s", DDB, "ReadThrottleEvents", "Sum", GT, "nosql_throttled_requests", 1, "notBreaching"),
    ("table", "write-throttles", "Throttled writes of DynamoDB table %s", DDB, "WriteThrottleEvents", "Sum", GT, "nosql_throttled_requests", 1, "notBreaching"),
    (
        "nat",
        "nat-port-allocation",
        "Port allocation errors of NAT gateway %s",
        "AWS/NATGateway",
        "ErrorPortAllocation",
        "Sum",
        GT,
        "nat_port_allocation_errors",
        1,
        "notBreaching",
    ),
    # the logs tier's OpenSearch domain (AWS/ES metrics; FreeStorageSpace is in MiB)
    (
        "domain",
        "cluster-red",
        "Red cluster status of %s",
        ES,
        "ClusterStatus.red",
        "Maximum",
        GE,
        "logs_cluster_red",
        1,
        "missing",
    ),
    (
        "domain",
        "free-storage-low",
        "Least free storage of %s (MiB)",
        ES,
        "FreeStorageSpace",
        "Minimum",
        LT,
        "logs_free_storage_gib",
        1024,
        "missing",
    ),
    (
        "domain",
        "jvm-pressure",
        "Worst JVM memory pressure of %s (%%)",
        ES,
        "JVMMemoryPressure",
        "Maximum",
        GT,
        "logs_jvm_memory_percent",
        1,
        "missing",
    ),
    ("eks", "api-5xx", "5XX answered by the API server of %s", "AWS/EKS", "apiserver_request_total_5XX", "Sum", GE, "eks_api_5xx_count", 1, "notBreaching"),
    ("eks", "pending-pods", "Pods the scheduler of %s cannot place", "AWS/EKS", "scheduler_pending_pods", "Sum", GT, "eks_pending_pods", 1, "notBreaching"),
    # AMP's usage metric: past the quota of active series, samples of new series are refused (the back-end's metrics go dark)
    (
        "amp",
        "active-series",
        "Active series of the Prometheus workspaces (workspace %s)",
        "AWS/Usage",
        "ResourceCount",
        "Maximum",
        GT,
        "observability_active_series",
        1,
        "missing",
    ),
)
# AWS/Usage's dimensions of AMP's active series (its usage metrics, per docs.aws.amazon.com/prometheus AMP-CW-usage-metrics)
AMP_ACTIVE_SERIES = {"Service": "Prometheus", "Type": "Resource", "Resource": "ActiveSeries", "Class": "None"}


def alarms_watching(watches):
    """The entries of ALARMS a watched resource of kind ``watches`` gets (lb, tg, asg, db, rds, reader, table, nat, ...)."""
    return [entry for entry in ALARMS if entry[0] == watches]


def alarm_count(watched):
    """How many alarms :func:`desired_alarms` makes for ``watched``, {kind: how many resources of it}: the cost estimate's count."""
    return sum(len(alarms_watching(kind)) * count for kind, count in watched.items())


def desired_alarms(cfg, found, topic_arn):
    """{alarm name: spec} for what exists, and notes on what is skipped because it does not."""
    cfg = settings_with_defaults(cfg)
    stack = cfg["stack"]
    n = stack_names.monitoring(stack)
    alarms, notes = {}, []

    def add(watches, tier, label, dims, thresholds, suffix=""):
        for _kind, metric, description, namespace, metric_name, statistic, comparison, key, factor, missing in alarms_watching(watches):
            threshold = thresholds[key] * factor
            text = description % label if "%s" in description else description % ()
            space = n["namespace"] if namespace == AGENT else namespace
            name, spec = _alarm(cfg, tier, metric + suffix, text, space, metric_name, dims, statistic, comparison, threshold, missing, topic_arn)
            alarms[name] = spec

    for tier in APP_TIERS:
        t = cfg["tier_thresholds"][tier]
        res = found["tiers"][tier]
        lb, tg, group = res["load_balancer"], res["target_group"], res["auto_scaling_group"]
        if lb:
            add("lb", tier, tier, {"LoadBalancer": lb}, t)
        else:
            notes.append("%s: load balancer %s not found; its alarms are skipped" % (tier, n["load_balancer"][tier]))
        if lb and tg:
            add("tg", tier, tier, {"LoadBalancer": lb, "TargetGroup": tg}, t)
        elif lb:
            notes.append("%s: target group %s not found; its host-count alarms are skipped" % (tier, n["target_group"][tier]))
        if group:
            add("asg", tier, tier, {"AutoScalingGroupName": group}, t)
        else:
            notes.append("%s: Auto Scaling group %s not found; its CPU, memory and disk alarms are skipped" % (tier, n["auto_scaling_group"][tier]))

    t = cfg["thresholds"]
    db = found.get("database")
    if not db:
        notes.append("database: %s not found (no database tier); its alarms are skipped" % n["database"])
    elif db["engine"] == "aurora":
        add("db", "database", "", {"DBClusterIdentifier": db["cluster"]}, t)
        notes.append("database: Aurora storage grows by itself; no free-storage alarm")
        for reader in db["readers"]:
            suffix = reader[len(n["database"]) + 1 :] if reader.startswith(n["database"] + "-") else reader
            add("reader", "database", reader, {"DBInstanceIdentifier": reader}, t, "-" + suffix)
    else:
        add("db", "database", "", {"DBInstanceIdentifier": db["instance"]}, t)
        add("rds", "database", "", {"DBInstanceIdentifier": db["instance"]}, t)
    if not found.get("nat_gateways"):
        notes.append("network: no NAT gateway found; no port-allocation alarm")
    for name, nat_id in found.get("nat_gateways", []):
        short = name[len(stack) + 5 :] if name.startswith(stack + "-nat-") else nat_id
        add("nat", "network", name, {"NatGatewayId": nat_id}, t, "-" + short)
    for table in found.get("dynamodb_tables", []):  # the optional nosql tier: no note when it is not deployed
        add("table", "nosql", table, {"TableName": table}, t, "-" + table[len(stack) + 1 :])
    if found.get("eks_cluster"):  # the optional EKS tier, when deployed
        add("eks", "eks", found["eks_cluster"], {"ClusterName": found["eks_cluster"]}, t)
    if found.get("amp_workspace"):  # the optional observability tier, when deployed
        add("amp", "observability", found["amp_workspace"], AMP_ACTIVE_SERIES, t)
    if found.get("opensearch_domain"):  # the optional logs tier, when deployed
        domain, account = found["opensearch_domain"]
        add("domain", "logs", domain, {"DomainName": domain, "ClientId": account}, t)
    return alarms, notes


def desired_monitoring(cfg, found, topic_arn=None):
    """The monitoring tier of ``cfg['stack']`` as {kind: {name: description}}, plus notes."""
    cfg = settings_with_defaults(cfg)
    stack = cfg["stack"]
    n = stack_names.monitoring(stack)
    topic_arn = topic_arn or TOPIC_PLACEHOLDER
    want = dict((kind, {}) for kind in KINDS)
    want["sns_topic"][n["topic"]] = {"kms_key": cfg["kms_key"] or "", "tags": stack_tags(stack, TIER, n["topic"], cfg.get("tags"))}
    # with the observability tier's workspace, AMP may publish its alerts here; without it, the statement goes ({})
    workspace_arn = found.get("amp_workspace_arn")
    want["sns_topic"][n["topic"]]["amp_statement"] = amp_publish_statement(topic_arn, workspace_arn) if workspace_arn else {}
    for item in cfg["subscriptions"]:
        want["subscription"][subscription_key(item["protocol"], item["endpoint"])] = {"protocol": item["protocol"], "endpoint": item["endpoint"]}
    for group in n["log_groups"]:
        want["log_group"][group] = {"retention_days": cfg["log_retention_days"], "tags": stack_tags(stack, TIER, group, cfg.get("tags"))}
    want["metric_alarm"], notes = desired_alarms(cfg, found, topic_arn)
    if cfg["dashboard"]:
        body = dashboard_body(stack, cfg.get("region") or "us-east-1", found, sorted(want["metric_alarm"]), _account(topic_arn))
        want["dashboard"][n["dashboard"]] = {"body": body}
    return want, notes


def _account(topic_arn):
    parts = (topic_arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else ACCOUNT_PLACEHOLDER


# ---------------------------------------------------------------- the dashboard


def _metric_widget(title, region, metrics, x, y, width=8, height=6, stat="Sum", period=60, left_label=None):
    props = {"title": title, "region": region, "view": "timeSeries", "stacked": False, "stat": stat, "period": period, "metrics": metrics}
    if left_label:
        props["yAxis"] = {"left": {"label": left_label, "min": 0}}
    return {"type": "metric", "x": x, "y": y, "width": width, "height": height, "properties": props}


def _row(widgets, y, title, region):
    """A markdown title across the dashboard, then the widgets three to a line; returns (widgets, next y)."""
    placed = [{"type": "text", "x": 0, "y": y, "width": 24, "height": 1, "properties": {"markdown": "## %s" % title}}]
    y += 1
    for index, (wtitle, metrics, stat, label) in enumerate(widgets):
        placed.append(_metric_widget(wtitle, region, metrics, (index % 3) * 8, y + (index // 3) * 6, stat=stat, left_label=label))
    return placed, y + ((len(widgets) + 2) // 3) * 6


def dashboard_body(stack, region, found, alarm_names, account=ACCOUNT_PLACEHOLDER):
    """The dashboard ``<stack>`` as a dict: a row per tier that exists, then the state of every alarm.

    Pure and deterministic: the same inputs give the same body, so a rerun compares equal.
    """
    n = stack_names.monitoring(stack)
    elb, namespace = "AWS/ApplicationELB", n["namespace"]
    widgets, y = [], 0
    for tier in APP_TIERS:
        res = found["tiers"][tier]
        lb, tg, group = res["load_balancer"], res["target_group"], res["auto_scaling_group"]
        row = []
        if lb:
            row.append(("%s requests" % tier, [[elb, "RequestCount", "LoadBalancer", lb]], "Sum", "requests"))
            row.append(
                (
                    "%s latency" % tier,
                    [[elb, "TargetResponseTime", "LoadBalancer", lb, {"stat": "p50", "label": "p50"}], [".", ".", ".", ".", {"stat": "p99", "label": "p99"}]],
                    "p99",
                    "seconds",
                )
            )
            row.append(
                (
                    "%s 5XX" % tier,
                    [[elb, "HTTPCode_ELB_5XX_Count", "LoadBalancer", lb, {"label": "ALB"}], [".", "HTTPCode_Target_5XX_Count", ".", ".", {"label": "targets"}]],
                    "Sum",
                    "count",
                )
            )
        if lb and tg:
            hosts = [[elb, "HealthyHostCount", "TargetGroup", tg, "LoadBalancer", lb], [".", "UnHealthyHostCount", ".", ".", ".", "."]]
            row.append(("%s targets" % tier, hosts, "Minimum", "hosts"))
        if group:
            in_service = [["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", group]]
            row.append(("%s in-service instances" % tier, in_service, "Average", "instances"))
            row.append(("%s CPU" % tier, [["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", group]], "Average", "%"))
            agent = [
                [namespace, "mem_used_percent", "AutoScalingGroupName", group, {"label": "memory"}],
                [".", "disk_used_percent", ".", ".", {"label": "disk /"}],
            ]
            row.append(("%s memory and disk (worst instance)" % tier, agent, "Maximum", "%"))
        if row:
            placed, y = _row(row, y, tier, region)
            widgets += placed
    db = found.get("database")
    if db:
        key, ident = ("DBClusterIdentifier", db["cluster"]) if db["engine"] == "aurora" else ("DBInstanceIdentifier", db["instance"])
        rds = "AWS/RDS"
        row = [
            ("database CPU", [[rds, "CPUUtilization", key, ident]], "Average", "%"),
            ("database connections", [[rds, "DatabaseConnections", key, ident]], "Maximum", "connections"),
            ("database freeable memory", [[rds, "FreeableMemory", key, ident]], "Minimum", "bytes"),
        ]
        if db["engine"] == "rds":
            row.append(("database free storage", [[rds, "FreeStorageSpace", key, ident]], "Minimum", "bytes"))
        else:
            lag = [[rds, "AuroraReplicaLag", "DBInstanceIdentifier", reader] for reader in db["readers"]]
            if lag:
                row.append(("database replica lag", lag, "Maximum", "ms"))
        placed, y = _row(row, y, "database", region)
        widgets += placed
    nats = found.get("nat_gateways") or []
    if nats:
        metrics = [["AWS/NATGateway", "ErrorPortAllocation", "NatGatewayId", nat_id, {"label": name}] for name, nat_id in nats]
        drops = [["AWS/NATGateway", "PacketsDropCount", "NatGatewayId", nat_id, {"label": name}] for name, nat_id in nats]
        placed, y = _row([("NAT port allocation errors", metrics, "Sum", "errors"), ("NAT dropped packets", drops, "Sum", "packets")], y, "network", region)
        widgets += placed
    if alarm_names:
        arns = ["arn:aws:cloudwatch:%s:%s:alarm:%s" % (region, account, name) for name in sorted(alarm_names)]
        widgets.append({"type": "text", "x": 0, "y": y, "width": 24, "height": 1, "properties": {"markdown": "## alarms"}})
        height = 2 + (len(arns) + 3) // 4
        properties = {"title": "%s alarms" % stack, "alarms": arns, "sortBy": "stateUpdatedTimestamp"}
        widgets.append({"type": "alarm", "x": 0, "y": y + 1, "width": 24, "height": height, "properties": properties})
        y += 1 + height
    widgets.append({"type": "text", "x": 0, "y": y, "width": 24, "height": 1, "properties": {"markdown": dashboard_marker(stack)}})
    return {"start": "-PT3H", "periodOverride": "inherit", "widgets": widgets}


def dashboard_marker(stack):
    return "managed by hatrading.aws.monitoring for stack %s" % stack


def dashboard_is_ours(body, stack):
    """Whether a dashboard body carries this stack's marker (dashboards have no tags to tell)."""
    widgets = body.get("widgets", []) if isinstance(body, dict) else []
    return any((w.get("properties") or {}).get("markdown") == dashboard_marker(stack) for w in widgets if isinstance(w, dict))


def subscription_key(protocol, endpoint):
    """How a subscription is named in plans: an http(s) endpoint by scheme, host and a hash (its URL may carry a token)."""
    if protocol in ("http", "https"):
        scheme, _sep, rest = str(endpoint).partition("://")
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
        return "%s:%s://%s/#%s" % (protocol, scheme, host, hashlib.sha256(str(endpoint).encode("utf-8")).hexdigest()[:12])
    return "%s:%s" % (protocol, endpoint)


class MonitoringError(TierError):
    """The monitoring tier cannot go on without harming something that is not its own; the message says what."""


# ---------------------------------------------------------------- actual state


def actual_alarm(alarm):
    """A DescribeAlarms MetricAlarm in the shape of a desired alarm (tags are read apart, when needed)."""
    return {
        "description": alarm.get("AlarmDescription"),
        "namespace": alarm.get("Namespace"),
        "metric": alarm.get("MetricName"),
        "dimensions": sorted([d["Name"], d["Value"]] for d in alarm.get("Dimensions", [])),
        "statistic": alarm.get("Statistic"),
        "extended_statistic": alarm.get("ExtendedStatistic"),
        "period": alarm.get("Period"),
        "evaluation_periods": alarm.get("EvaluationPeriods"),
        "datapoints_to_alarm": alarm.get("DatapointsToAlarm") or alarm.get("EvaluationPeriods"),
        "comparison": alarm.get("ComparisonOperator"),
        "threshold": float(alarm["Threshold"]) if alarm.get("Threshold") is not None else None,
        "treat_missing_data": alarm.get("TreatMissingData") or "missing",
        "actions_enabled": bool(alarm.get("ActionsEnabled", True)),
        "alarm_actions": sorted(alarm.get("AlarmActions") or []),
        "ok_actions": sorted(alarm.get("OKActions") or []),
        "insufficient_data_actions": sorted(alarm.get("InsufficientDataActions") or []),
        "arn": alarm.get("AlarmArn"),
    }


def actual_monitoring(stack, raw):
    """Describe answers -> {kind: {name: description}}, the same shape as desired_monitoring.

    ``raw``: topic (dict with arn, attributes, tags, subscriptions) or None, alarms (MetricAlarms of the
    stack's prefix), alarm_tags {alarm name: tags} (read only for alarms that may be deleted),
    dashboard (body text) or None, log_groups (describe answers), log_group_tags {name: tags}.
    """
    n = stack_names.monitoring(stack)
    have = dict((kind, {}) for kind in KINDS)
    topic = raw.get("topic")
    if topic:
        attributes = topic.get("attributes", {})
        have["sns_topic"][n["topic"]] = {
            "kms_key": attributes.get("KmsMasterKeyId", ""),
            "amp_statement": amp_statement_of(attributes.get("Policy")),
            "tags": topic.get("tags", {}),
            "arn": topic["arn"],
            "policy": attributes.get("Policy"),  # the whole policy: an update keeps its other statements
        }
        for sub in topic.get("subscriptions", []):
            key = subscription_key(sub.get("Protocol"), sub.get("Endpoint"))
            have["subscription"][key] = {"protocol": sub.get("Protocol"), "endpoint": sub.get("Endpoint"), "arn": sub.get("SubscriptionArn")}
    for alarm in raw.get("alarms", []):
        if alarm["AlarmName"].startswith(n["alarm_prefix"]):
            have["metric_alarm"][alarm["AlarmName"]] = actual_alarm(alarm)
    if raw.get("dashboard") is not None:
        try:
            body = json.loads(raw["dashboard"])
        except ValueError:
            body = raw["dashboard"]
        have["dashboard"][n["dashboard"]] = {"body": body}
    group_tags = raw.get("log_group_tags") or {}
    for group in raw.get("log_groups", []):
        if group["logGroupName"] in n["log_groups"]:
            have["log_group"][group["logGroupName"]] = {"retention_days": group.get("retentionInDays"), "tags": group_tags.get(group["logGroupName"], {})}
    return have


# ---------------------------------------------------------------- planning


def _compare_tagged(want, have):
    """Differing fields; tags differ only when a wanted tag is missing or different (others are left alone)."""
    fields = diff_fields(dict((k, v) for k, v in want.items() if k != "tags"), have)
    if missing_tags(want.get("tags") or {}, have.get("tags") or {}):
        fields.append("tags")
    return sorted(fields)


def _compare_alarm(want, have):
    # PutMetricAlarm ignores Tags on an existing alarm: tags are set when it is created.
    keys = [k for k in want if k != "tags"]
    return sorted(k for k in keys if want.get(k) != have.get(k))


def _compare_subscription(want, have):
    return []


def resolve(value, topic_arn):
    """``value`` with the topic placeholder replaced by the topic's ARN (lists and strings)."""
    if isinstance(value, list):
        return [topic_arn if item == TOPIC_PLACEHOLDER else item for item in value]
    return topic_arn if value == TOPIC_PLACEHOLDER else value


def ours(tags, stack):
    return belongs_to(tags or {}, stack, TIER)


def topic_is_ours(tags, stack):
    """The stack tag decides (a missing tier tag is added back): a topic of another stack or of nobody is never adopted."""
    return belongs_to(tags or {}, stack)


def plan_monitoring(stack, want, have, alarm_tags=None):
    """The changes that make ``have`` into ``want``, in apply order.

    Alarms no longer wanted are deleted only when their tags say they are this stack's monitoring
    alarms (``alarm_tags``: {name: tags} of the candidates); others sharing the name prefix are left.
    """
    alarm_tags = alarm_tags or {}
    n = stack_names.monitoring(stack)
    for topic in have["sns_topic"].values():
        if not topic_is_ours(topic.get("tags"), stack):
            raise MonitoringError(
                "topic %s exists but is not this stack's (no tag hatrading:stack=%s): its subscribers are left alone; "
                "delete or rename it, or tag it" % (n["topic"], stack)
            )
    for name, dashboard in have["dashboard"].items():
        if not dashboard_is_ours(dashboard.get("body"), stack):
            raise MonitoringError("dashboard %s exists but was not made by this tier (no marker widget): it is left alone; rename or delete it" % name)
    plan = Plan()
    plan.extend(diff_resources("sns_topic", want["sns_topic"], have["sns_topic"], compare=_compare_tagged, delete_extra=False))
    plan.extend(diff_resources("subscription", want["subscription"], have["subscription"], compare=_compare_subscription))
    plan.extend(diff_resources("log_group", want["log_group"], have["log_group"], compare=_compare_tagged, delete_extra=False))
    plan.extend(diff_resources("metric_alarm", want["metric_alarm"], have["metric_alarm"], compare=_compare_alarm, delete_extra=False))
    plan.extend(diff_resources("dashboard", want["dashboard"], have["dashboard"], compare=lambda w, h: ["body"] if w["body"] != h["body"] else []))
    for name in sorted(set(have["metric_alarm"]) - set(want["metric_alarm"])):
        if ours(alarm_tags.get(name), stack):
            plan.extend([Change(DELETE, "metric_alarm", name, before=have["metric_alarm"][name], ref=have["metric_alarm"][name])])
    for change in plan.changes:
        if change.ref is None and change.action != CREATE:
            change.ref = change.before
    return plan


def stale_alarm_candidates(want, have):
    """Alarms with our prefix that are not wanted: their tags must be read before deleting them."""
    return sorted(set(have["metric_alarm"]) - set(want["metric_alarm"]))


def plan_teardown(stack, have, alarm_tags, delete_log_groups=False):
    """Alarms (ours by tag), dashboard, subscriptions, topic; log groups only when asked."""
    plan = Plan()
    for name in sorted(have["metric_alarm"]):
        if ours(alarm_tags.get(name), stack):
            plan.extend([Change(DELETE, "metric_alarm", name, before=have["metric_alarm"][name], ref=have["metric_alarm"][name])])
    owned = all(topic_is_ours(spec.get("tags"), stack) for spec in have["sns_topic"].values())
    for kind in ("dashboard", "subscription", "sns_topic") + (("log_group",) if delete_log_groups else ()):
        for name, spec in sorted(have[kind].items()):
            if kind in ("sns_topic", "subscription") and not owned:
                continue  # someone else's topic and its subscribers
            if kind == "dashboard" and not dashboard_is_ours(spec.get("body"), stack):
                continue
            plan.extend([Change(DELETE, kind, name, before=spec, ref=spec)])
    return plan


def plan_notes(plan, have, kms_key):
    notes = []
    for change in plan.of("sns_topic", CREATE) + plan.of("sns_topic", UPDATE):
        granted = change.after.get("amp_statement") and (change.action == CREATE or "amp_statement" in change.fields)
        if granted and kms_key:
            notes.append(
                "topic %s is encrypted with %s: its key policy must let aps.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt, "
                "or AMP's alerts are refused" % (change.name, kms_key)
            )
    pending = [name for name, sub in have["subscription"].items() if sub.get("arn") == "PendingConfirmation"]
    if pending:
        notes.append("subscriptions waiting for their owner to confirm: %s" % ", ".join(sorted(pending)))
    for change in plan.of("subscription", DELETE):
        if (change.ref or {}).get("arn") == "PendingConfirmation":
            notes.append("subscription %s is not confirmed: AWS removes it after 3 days, it cannot be unsubscribed" % change.name)
    return notes


def summarize(stack, have, topic_arn, region):
    n = stack_names.monitoring(stack)
    return {
        "topic_arn": topic_arn,
        "dashboard": n["dashboard"],
        "dashboard_url": "https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards:name=%s" % (region, region, n["dashboard"]),
        "alarms": sorted(have["metric_alarm"]),
        "log_groups": n["log_groups"],
    }
