# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A month of the stack in dollars, from its settings (before any change) or from what is deployed (the report).

Both ways first reduce the stack to a plain bill of quantities (``usage``): NAT gateways, instances by type and
purchase option, the database, load balancers, the CDN, alarms and logs, the pipeline, the growth tiers
(DynamoDB tables, the EKS cluster and its nodes, the Prometheus workspace and Grafana, the OpenSearch domain and
its Firehose delivery) when deployed, and the traffic assumptions, which are stated with every estimate.
:func:`estimate` prices it with ``prices.py``. The other
resilience profile is priced beside it: ``ha`` (NAT per AZ, Multi-AZ or Aurora readers, two instances of
each tier) against ``cost`` (one NAT, one database instance, one instance of each tier). Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS
from ansible_collections.hatrading.aws.plugins.module_utils.cost import prices as p
from ansible_collections.hatrading.aws.plugins.module_utils.monitoring.model import alarm_count

TRAFFIC = {
    "requests_per_month": 30000000,  # through the public ALB (API and pages)
    "response_kb": 8,  # average answer, so ALB processed bytes and data out follow
    "cdn_gb_month": 200,  # static content CloudFront delivers
    "cdn_requests_per_month": 20000000,
    "nat_gb_month": 50,  # what the app subnets fetch from the internet (packages, images)
    "log_gb_month": 20,  # app and host logs into CloudWatch Logs
    "flow_log_gb_month": 10,
    "aurora_io_millions_month": 100,
    "build_minutes_month": 300,
    "image_gb": 5,  # images kept in ECR
    "static_site_gb": 1,  # the CDN bucket
    "dynamodb_writes_millions_month": 10,  # the nosql tier: last trades, books and sessions written
    "dynamodb_reads_millions_month": 30,
    "dynamodb_gb": 5,  # stored over both tables (and again in each replica region)
    "prometheus_query_billions_month": 1,  # samples the workspace's rules and the dashboards' queries read
    "grafana_editors": 1,  # active Grafana users a month (a workspace needs at least one editor)
    "grafana_viewers": 0,
}
GROUP_ORDER = ("network", "compute", "database", "nosql", "eks", "observability", "logs", "cdn", "monitoring", "pipeline")
NOSQL_TABLES = 2  # <stack>-sessions and <stack>-market
# The series each back-end target sends: what apps/backend/app/metrics.py exposes at /metrics (orders_total by side 2,
# matches_total 1, errors_total by kind 4, the ack histogram's 11 buckets + +Inf + _sum + _count 14: 21 in all,
# tests/unit/cost checks it against the app) and the 5 Prometheus adds per target (up, scrape_duration_seconds,
# scrape_samples_scraped, scrape_samples_post_metric_relabeling, scrape_series_added).
BACKEND_SERIES = 21
SERIES_PER_TARGET = 5
AMP_BYTES_PER_SAMPLE = 2  # stored; AMP says "typically 1 or 2 bytes": the upper one
AMP_RETENTION_DAYS = 150  # the workspace's default retention: storage holds 150 days of samples once full
GIB = 1024**3


def _instance_hour(kind):
    return p.EC2.get(kind), kind not in p.EC2


def usage_from_settings(settings):
    """The bill of quantities of a stack from its tiers' settings (``{tier: settings without prefix}``)."""
    network, compute, database = settings.get("network") or {}, settings.get("compute") or {}, settings.get("database") or {}
    azs = len(network.get("availability_zones") or []) or network.get("az_count", 2)
    nat_mode = network.get("nat_mode", "per_az")
    usage = {"nat_gateways": azs if nat_mode == "per_az" else (1 if nat_mode == "single" else 0), "tiers": {}, "database": None}
    usage["spot_share"] = compute.get("spot_share", 0) or 0
    if compute:
        for tier in APP_TIERS:
            count = compute.get("%s_desired_capacity" % tier) or compute.get("%s_min_size" % tier) or 0
            usage["tiers"][tier] = {"type": compute.get("%s_instance_type" % tier, "t3.micro"), "count": count}
        usage["load_balancers"] = len(APP_TIERS)
    else:
        usage["load_balancers"] = 0
    if database:
        aurora = database.get("engine") == "aurora"
        usage["database"] = {
            "aurora": aurora,
            "class": database.get("instance_class", "db.t3.medium"),
            "instances": 1 + (database.get("aurora_readers", 1) if aurora else (1 if database.get("multi_az", True) else 0)),
            "storage_gb": database.get("allocated_storage", 20),
            "storage_type": database.get("storage_type", "gp3"),
        }
    usage["cdn"] = bool(settings.get("cdn"))
    usage["price_class"] = (settings.get("cdn") or {}).get("price_class", "PriceClass_100")
    usage["pipeline"] = bool(settings.get("pipeline"))
    usage["monitoring"] = bool(settings.get("monitoring"))
    usage["dashboard"] = (settings.get("monitoring") or {}).get("dashboard", True)
    usage["nosql"] = _nosql_from_settings(settings.get("nosql"))
    usage["eks"] = _eks_from_settings(settings.get("eks"), azs)
    usage["observability"] = _observability_from_settings(settings.get("observability"), settings.get("eks"))
    usage["logs"] = _logs_from_settings(settings.get("logs"), azs)
    usage["traffic"] = dict(TRAFFIC, **(settings.get("traffic") or {}))
    return usage


def _nosql_from_settings(nosql):
    """The tables' billing (provisioned tables counted at their autoscaling minimum), PITR and replica count."""
    if not nosql:
        return None
    provisioned = nosql.get("billing_mode") == "provisioned"
    return {
        "provisioned": provisioned,
        "tables": NOSQL_TABLES,
        "read_capacity": nosql.get("read_capacity_min", 5) if provisioned else 0,
        "write_capacity": nosql.get("write_capacity_min", 5) if provisioned else 0,
        "point_in_time_recovery": nosql.get("point_in_time_recovery", True),
        "replicas": len(nosql.get("replica_regions") or []),
    }


def _eks_from_settings(eks, azs):
    """One cluster; one managed node group per AZ of the network, each at its desired size."""
    if not eks:
        return None
    kind = (eks.get("node_instance_types") or ["t3.medium"])[0]
    return {"clusters": 1, "nodes": {"type": kind, "count": azs * (eks.get("node_desired_size") or eks.get("node_min_size") or 1)}}


def _observability_from_settings(observability, eks):
    """The collector and how often it scrapes (its targets are counted when priced), and whether Grafana is on."""
    if not observability:
        return None
    return {
        "collector": observability.get("collector", "agent"),
        "scrape_interval": observability.get("scrape_interval", 30),
        "pods": (eks or {}).get("backend_min_replicas", 2),  # a managed scraper's targets: the eks tier's back-end pods
        "grafana": bool(observability.get("grafana_enabled")),
    }


def _logs_from_settings(logs, azs):
    """The OpenSearch domain's data nodes, dedicated masters, gp3 volume per node, AZs, and which log groups it gets."""
    if not logs:
        return None
    masters = logs.get("master_count", 3) if logs.get("dedicated_master") else 0
    return {
        "data": {"type": logs.get("instance_type", "r6g.large.search"), "count": logs.get("instance_count", 2)},
        "masters": {"type": logs.get("master_instance_type", "m6g.large.search"), "count": masters},
        "volume_gb": logs.get("volume_size", 20),
        "zones": min(logs.get("az_count") or 3, azs),  # as logs.model.spread: every AZ of the data subnets, at most 3
        "app_logs": logs.get("ship_app_logs", True),
        "flow_logs": logs.get("ship_flow_logs", True),
    }


def _observability_from_report(report):
    """The observability part of the bill from the report's workspace (None when not deployed).

    The report reads no Grafana workspace (Grafana is priced from the settings only)."""
    part = report.get("observability") or {}
    if not part.get("workspace"):
        return None
    collector = "agent" if part.get("agent_configuration") else "none"
    return {"collector": collector, "scrape_interval": part.get("scrape_interval") or 30, "pods": 0, "grafana": False}


def _logs_from_report(report):
    """The logs part of the bill from the report's domain (None when not deployed)."""
    part = report.get("logs") or {}
    if not part.get("domain"):
        return None
    return {
        "data": {"type": part.get("instance_type"), "count": part.get("data_nodes") or 0},
        "masters": {"type": part.get("master_type"), "count": part.get("masters") or 0},
        "volume_gb": part.get("volume_gb") or 0,
        "zones": max(1, len(part.get("zones") or [])),
        "app_logs": True,
        "flow_logs": True,
    }


def _growth_from_report(report):
    """The nosql and eks parts of the bill from the report's tables and node groups (None when not deployed)."""
    tables = (report.get("nosql") or {}).get("tables") or []
    nosql = None
    if tables:
        provisioned = [t for t in tables if t["billing"] == "PROVISIONED"]
        nosql = {
            "provisioned": bool(provisioned),
            "tables": len(tables),
            "read_capacity": sum((t.get("capacity") or {}).get("read", 0) for t in provisioned) // max(1, len(provisioned)),
            "write_capacity": sum((t.get("capacity") or {}).get("write", 0) for t in provisioned) // max(1, len(provisioned)),
            "point_in_time_recovery": all(t["point_in_time_recovery"] for t in tables),
            "replicas": max(len(t["replicas"]) for t in tables),
        }
    eks = report.get("eks") or {}
    if not eks.get("cluster"):
        return nosql, None
    groups = eks.get("nodegroups") or []
    kind = next((g["instance_types"][0] for g in groups if g.get("instance_types")), "t3.medium")
    return nosql, {"clusters": 1, "nodes": {"type": kind, "count": sum(g.get("desired") or 0 for g in groups)}}


def usage_from_report(report):
    """The bill of quantities of what is deployed, from hatrading.aws.stack_report's data."""
    compute = report["compute"]
    usage = {"nat_gateways": len(report["network"].get("nat_gateways") or []), "tiers": {}, "spot_share": 0, "database": None}
    templates = dict((t["name"], t["instance_type"]) for t in compute["launch_templates"])
    for group in compute["auto_scaling_groups"]:
        usage["tiers"][group["tier"]] = {"type": templates.get(group["name"], "t3.micro"), "count": len(group["instances"]) or group["desired"]}
    usage["load_balancers"] = len(compute["load_balancers"])
    db = report["database"].get("database")
    if db:
        aurora = db["kind"] == "aurora cluster"
        usage["database"] = {"aurora": aurora, "class": db["members"][0]["class"], "instances": len(db["members"]), "storage_gb": 20, "storage_type": "gp3"}
    usage["cdn"] = bool(report["cdn"].get("distribution"))
    usage["price_class"] = (report["cdn"].get("distribution") or {}).get("price_class", "PriceClass_100")
    usage["pipeline"] = bool(report["pipeline"].get("pipeline"))
    usage["monitoring"] = bool(report["monitoring"].get("topic_arn") or report["monitoring"].get("alarms"))
    usage["dashboard"] = bool(report["monitoring"].get("dashboard"))
    usage["nosql"], usage["eks"] = _growth_from_report(report)
    usage["observability"] = _observability_from_report(report)
    usage["logs"] = _logs_from_report(report)
    usage["traffic"] = dict(TRAFFIC)
    return usage


def profile_of(usage):
    """``ha`` when nothing is single: a NAT per AZ (2 or more), two instances of each tier, a database standby or reader."""
    single_db = usage["database"] is not None and usage["database"]["instances"] < 2
    single_tier = any(tier["count"] < 2 for tier in usage["tiers"].values())
    return "cost" if usage["nat_gateways"] < 2 or single_db or single_tier else "ha"


def other_profile(usage, profile):
    """The same stack under the other resilience profile (``profile`` is the one ``usage`` has)."""
    other = copy.deepcopy(usage)
    if profile == "ha":
        other["nat_gateways"] = min(1, usage["nat_gateways"])
        for tier in other["tiers"].values():
            tier["count"] = min(1, tier["count"])
        if other["database"]:
            other["database"]["instances"] = 1
    else:
        azs = max(2, usage["nat_gateways"])
        other["nat_gateways"] = azs
        for tier in other["tiers"].values():
            tier["count"] = max(2, tier["count"])
        if other["database"]:
            other["database"]["instances"] = max(2, other["database"]["instances"])
    return other


def _line(items, group, what, detail, monthly):
    items.append({"group": group, "item": what, "detail": detail, "monthly": round(monthly, 2)})


def _compute_lines(items, usage, unknown):
    hours = p.HOURS_PER_MONTH
    for tier, spec in sorted(usage["tiers"].items()):
        rate, missing = _instance_hour(spec["type"])
        if missing:
            unknown.append("instance type %s" % spec["type"])
            continue
        on_demand = min(spec["count"], 1) + (spec["count"] - 1) * (100 - usage["spot_share"]) / 100.0 if spec["count"] else 0
        spot = spec["count"] - on_demand
        monthly = rate * hours * (on_demand + spot * p.SPOT_FACTOR)
        detail = "%d x %s (%s/h)%s" % (spec["count"], spec["type"], rate, ", %.1f on spot" % spot if spot else "")
        _line(items, "compute", "%s instances" % tier, detail, monthly)
        _line(
            items, "compute", "%s with a 1-year commitment" % tier, "instead of on-demand (x%.2f)" % p.RESERVED_1Y_FACTOR, -monthly * (1 - p.RESERVED_1Y_FACTOR)
        )


def _database_lines(items, db, traffic, unknown):
    hours = p.HOURS_PER_MONTH
    table = p.AURORA if db["aurora"] else p.RDS
    rate = table.get(db["class"])
    if rate is None:
        unknown.append("database class %s" % db["class"])
        return
    kind = "Aurora, %d instance(s)" % db["instances"] if db["aurora"] else ("Multi-AZ (primary and standby)" if db["instances"] > 1 else "single-AZ")
    _line(items, "database", "database instances", "%s %s (%s/h each)" % (db["class"], kind, rate), rate * hours * db["instances"])
    if db["aurora"]:
        _line(
            items,
            "database",
            "Aurora storage and I/O",
            "%d GB, %d M I/O" % (db["storage_gb"], traffic["aurora_io_millions_month"]),
            db["storage_gb"] * p.AURORA_STORAGE_GB_MONTH + traffic["aurora_io_millions_month"] * p.AURORA_IO_PER_MILLION,
        )
    else:
        per_gb = p.RDS_STORAGE_GB_MONTH.get(db["storage_type"], 0.115)
        _line(
            items,
            "database",
            "database storage",
            "%d GB %s x %d copies" % (db["storage_gb"], db["storage_type"], db["instances"]),
            db["storage_gb"] * per_gb * db["instances"],
        )
    _line(items, "database", "credentials secret and KMS key", "Secrets Manager + a customer managed key", p.SECRET_MONTH + p.KMS_KEY_MONTH)


def _edge_lines(items, usage, traffic):
    hours = p.HOURS_PER_MONTH
    nats = usage["nat_gateways"]
    if nats:
        _line(
            items,
            "network",
            "NAT gateways",
            "%d x (%s/h + public IPv4 %s/h)" % (nats, p.NAT_HOUR, p.PUBLIC_IPV4_HOUR),
            nats * hours * (p.NAT_HOUR + p.PUBLIC_IPV4_HOUR),
        )
        _line(items, "network", "NAT data processed", "%d GB at %s/GB" % (traffic["nat_gb_month"], p.NAT_PER_GB), traffic["nat_gb_month"] * p.NAT_PER_GB)
    out_gb = traffic["requests_per_month"] * traffic["response_kb"] / 1024.0 / 1024.0
    if usage["load_balancers"]:
        # one LCU is 25 new connections/s, 3,000 active, 1 GB/h or 1,000 rule evaluations/s: processed bytes dominate here
        lcu = max(1.0, out_gb / hours)
        _line(
            items,
            "compute",
            "load balancers",
            "%d ALBs, %.1f LCU each on average" % (usage["load_balancers"], lcu),
            usage["load_balancers"] * hours * (p.ALB_HOUR + lcu * p.ALB_LCU_HOUR),
        )
        _line(
            items,
            "network",
            "data out to the internet",
            "%.0f GB (%d M requests x %d KB)" % (out_gb, traffic["requests_per_month"] / 1e6, traffic["response_kb"]),
            out_gb * p.DATA_OUT_PER_GB,
        )
    if usage["cdn"]:
        per_gb = p.CLOUDFRONT_PER_GB.get(usage["price_class"], 0.085)
        requests = traffic["cdn_requests_per_month"] / 10000.0 * p.CLOUDFRONT_PER_10K_HTTPS
        _line(
            items,
            "cdn",
            "CloudFront",
            "%d GB and %d M HTTPS requests (%s)" % (traffic["cdn_gb_month"], traffic["cdn_requests_per_month"] / 1e6, usage["price_class"]),
            traffic["cdn_gb_month"] * per_gb + requests,
        )
        _line(items, "cdn", "S3 static content", "%d GB" % traffic["static_site_gb"], traffic["static_site_gb"] * p.S3_GB_MONTH)


def _growth_lines(items, usage, traffic, unknown):
    """DynamoDB's requests (or capacity), storage, backups and replicas; the EKS control plane and its nodes."""
    hours = p.HOURS_PER_MONTH
    nosql = usage.get("nosql")
    if nosql:
        copies = 1 + nosql["replicas"]  # each replica region stores the data and takes every write again
        if nosql["provisioned"]:
            units = nosql["tables"] * copies
            detail = "%d tables x %d region(s), %d RCU + %d WCU each (the autoscaling minimum)" % (
                nosql["tables"],
                copies,
                nosql["read_capacity"],
                nosql["write_capacity"],
            )
            monthly = units * hours * (nosql["read_capacity"] * p.DYNAMODB_RCU_HOUR + nosql["write_capacity"] * p.DYNAMODB_WCU_HOUR)
        else:
            writes, reads = traffic["dynamodb_writes_millions_month"], traffic["dynamodb_reads_millions_month"]
            detail = "on-demand, %d M writes x %d region(s) + %d M reads" % (writes, copies, reads)
            monthly = writes * copies * p.DYNAMODB_WRITE_PER_MILLION + reads * p.DYNAMODB_READ_PER_MILLION
        _line(items, "nosql", "DynamoDB requests", detail, monthly)
        per_gb = p.DYNAMODB_STORAGE_GB_MONTH + (p.DYNAMODB_PITR_GB_MONTH if nosql["point_in_time_recovery"] else 0)
        detail = "%d GB x %d region(s)%s" % (traffic["dynamodb_gb"], copies, ", point-in-time recovery" if nosql["point_in_time_recovery"] else "")
        _line(items, "nosql", "DynamoDB storage and backups", detail, traffic["dynamodb_gb"] * copies * per_gb)
    eks = usage.get("eks")
    if eks:
        _line(
            items,
            "eks",
            "EKS control plane",
            "%d cluster(s) at %s/h (standard support)" % (eks["clusters"], p.EKS_CLUSTER_HOUR),
            eks["clusters"] * hours * p.EKS_CLUSTER_HOUR,
        )
        rate, missing = _instance_hour(eks["nodes"]["type"])
        if missing:
            unknown.append("instance type %s" % eks["nodes"]["type"])
        else:
            nodes = eks["nodes"]["count"]
            _line(items, "eks", "EKS nodes", "%d x %s (%s/h), one node group per AZ" % (nodes, eks["nodes"]["type"], rate), nodes * hours * rate)


def _observability_lines(items, usage, traffic):
    """AMP: samples ingested from the back-end's targets, their storage over the retention, the queries; Grafana licences."""
    observability = usage.get("observability")
    if not observability:
        return
    collector = observability["collector"]
    targets = {"agent": (usage["tiers"].get("backend") or {}).get("count", 0), "managed_scraper": observability["pods"]}.get(collector, 0)
    series = targets * (BACKEND_SERIES + SERIES_PER_TARGET)
    samples = series * p.HOURS_PER_MONTH * 3600.0 / observability["scrape_interval"]
    detail = "%d back-end target(s) (%s) x %d series every %d s: %.2f M samples" % (
        targets,
        collector,
        BACKEND_SERIES + SERIES_PER_TARGET,
        observability["scrape_interval"],
        samples / 1e6,
    )
    _line(items, "observability", "Prometheus samples ingested", detail, samples / 1e7 * p.AMP_INGEST_PER_10M_SAMPLES)
    stored_gb = samples * AMP_RETENTION_DAYS / (p.HOURS_PER_MONTH / 24.0) * AMP_BYTES_PER_SAMPLE / GIB
    queries = traffic["prometheus_query_billions_month"]
    detail = "%.3f GB (%d days at %d bytes a sample), %s B query samples" % (stored_gb, AMP_RETENTION_DAYS, AMP_BYTES_PER_SAMPLE, queries)
    _line(items, "observability", "Prometheus storage and queries", detail, stored_gb * p.AMP_STORAGE_GB_MONTH + queries * p.AMP_QUERY_PER_BILLION_SAMPLES)
    if observability["grafana"]:
        editors, viewers = max(1, traffic["grafana_editors"]), traffic["grafana_viewers"]
        detail = "%d editor(s) at %.2f + %d viewer(s) at %.2f" % (editors, p.GRAFANA_EDITOR_MONTH, viewers, p.GRAFANA_VIEWER_MONTH)
        _line(items, "observability", "Grafana licences", detail, editors * p.GRAFANA_EDITOR_MONTH + viewers * p.GRAFANA_VIEWER_MONTH)


def _logs_lines(items, usage, traffic, unknown):
    """OpenSearch data nodes, dedicated masters and gp3 storage (no UltraWarm); Firehose ingestion and VPC delivery."""
    logs = usage.get("logs")
    if not logs:
        return
    hours = p.HOURS_PER_MONTH
    for what, nodes in (("OpenSearch data nodes", logs["data"]), ("OpenSearch dedicated masters", logs["masters"])):
        if not nodes["count"]:
            continue
        rate = p.OPENSEARCH.get(nodes["type"])
        if rate is None:
            unknown.append("OpenSearch instance type %s" % nodes["type"])
            continue
        _line(items, "logs", what, "%d x %s (%s/h)" % (nodes["count"], nodes["type"], rate), nodes["count"] * hours * rate)
    data_nodes = logs["data"]["count"]
    detail = "%d data node(s) x %d GB gp3, no UltraWarm" % (data_nodes, logs["volume_gb"])
    _line(items, "logs", "OpenSearch storage", detail, data_nodes * logs["volume_gb"] * p.OPENSEARCH_GP3_GB_MONTH)
    gb = (traffic["log_gb_month"] if logs["app_logs"] else 0) + (traffic["flow_log_gb_month"] if logs["flow_logs"] else 0)
    detail = "%d GB of app and flow logs, VPC delivery in %d AZ(s); failed documents to S3: negligible" % (gb, logs["zones"])
    monthly = gb * (p.FIREHOSE_INGEST_PER_GB + p.FIREHOSE_VPC_PER_GB) + logs["zones"] * hours * p.FIREHOSE_VPC_AZ_HOUR
    _line(items, "logs", "Firehose delivery", detail, monthly)


def alarms_of(usage):
    """The alarms the monitoring tier makes for what ``usage`` counts: its own list of alarms, counted (monitoring.model)."""
    app_tiers = len(usage["tiers"])
    watched = {"lb": app_tiers, "tg": app_tiers, "asg": app_tiers, "nat": usage["nat_gateways"]}
    db = usage["database"]
    if db and db["aurora"]:
        watched.update(db=1, reader=db["instances"] - 1)
    elif db:
        watched.update(db=1, rds=1)
    watched["table"] = (usage.get("nosql") or {}).get("tables", 0)
    watched["eks"] = (usage.get("eks") or {}).get("clusters", 0)
    watched["amp"] = 1 if usage.get("observability") else 0
    watched["domain"] = 1 if usage.get("logs") else 0
    return alarm_count(watched)


def _operations_lines(items, usage, traffic):
    if usage["monitoring"]:
        alarms = alarms_of(usage)
        _line(
            items,
            "monitoring",
            "alarms and dashboard",
            "%d alarms%s" % (alarms, " + 1 dashboard" if usage["dashboard"] else ""),
            alarms * p.ALARM_MONTH + (p.DASHBOARD_MONTH if usage["dashboard"] else 0),
        )
    logs = traffic["log_gb_month"] + traffic["flow_log_gb_month"]
    _line(items, "monitoring", "logs (app, hosts, VPC flow logs)", "%d GB ingested, a month kept" % logs, logs * (p.LOGS_INGEST_PER_GB + p.LOGS_STORE_GB_MONTH))
    if usage["pipeline"]:
        detail = "1 pipeline, %d build minutes, %d GB of images" % (traffic["build_minutes_month"], traffic["image_gb"])
        _line(
            items,
            "pipeline",
            "pipeline, builds and images",
            detail,
            p.PIPELINE_MONTH + traffic["build_minutes_month"] * p.CODEBUILD_MINUTE + traffic["image_gb"] * p.ECR_GB_MONTH,
        )


def estimate(usage):
    """{items, on_demand, committed, unknown}: monthly USD, each line with what it counts."""
    items, unknown = [], []
    traffic = usage["traffic"]
    _edge_lines(items, usage, traffic)
    _compute_lines(items, usage, unknown)
    if usage["database"]:
        _database_lines(items, usage["database"], traffic, unknown)
    _growth_lines(items, usage, traffic, unknown)
    _observability_lines(items, usage, traffic)
    _logs_lines(items, usage, traffic, unknown)
    _operations_lines(items, usage, traffic)
    items.sort(key=lambda line: GROUP_ORDER.index(line["group"]))  # stable: each group keeps its own order
    savings = sum(line["monthly"] for line in items if line["monthly"] < 0)
    on_demand = round(sum(line["monthly"] for line in items if line["monthly"] >= 0), 2)
    return {"items": items, "on_demand": on_demand, "committed": round(on_demand + savings, 2), "unknown": unknown}


def compare(usage, profile):
    """This profile's estimate, the other profile's, and the difference (on-demand)."""
    mine, other = estimate(usage), estimate(other_profile(usage, profile))
    return {
        "profile": profile,
        "estimate": mine,
        "other_profile": "cost" if profile == "ha" else "ha",
        "other": other,
        "difference": round(mine["on_demand"] - other["on_demand"], 2),
    }


def render(comparison, traffic, budget=None):
    """Lines a person reads: the items, the totals, the other profile, the assumptions and the table's source."""
    mine = comparison["estimate"]
    lines = ["Monthly cost estimate (%s %s, %s prices of %s)" % (p.TABLE["currency"], comparison["profile"], p.TABLE["region"], p.TABLE["date"])]
    lines += ["  %-13s %-36s %10.2f  %s" % (line["group"], line["item"], line["monthly"], line["detail"]) for line in mine["items"]]
    lines.append("  %-50s %10.2f  on-demand" % ("total", mine["on_demand"]))
    lines.append("  %-50s %10.2f  with 1-year commitments on instances" % ("", mine["committed"]))
    lines.append(
        "  the %s profile: %.2f on-demand (%+.2f for %s)"
        % (comparison["other_profile"], comparison["other"]["on_demand"], comparison["difference"], comparison["profile"])
    )
    if budget:
        lines.append("  budget %.2f: %s" % (budget, "within" if mine["on_demand"] <= budget else "EXCEEDED by %.2f" % (mine["on_demand"] - budget)))
    if mine["unknown"]:
        lines.append("  not priced (not in the table): %s" % ", ".join(mine["unknown"]))
    lines.append("  assumptions: " + ", ".join("%s=%s" % (key, traffic[key]) for key in sorted(traffic)))
    lines.append("  prices: %s" % p.TABLE["source"])
    return lines
