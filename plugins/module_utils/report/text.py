# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report as lines for a terminal, one section per tier."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def network_lines(part):
    vpc = part["vpc"]
    if not vpc:
        return ["network: no VPC for this stack"]
    azs = sorted(set(s["az"] for s in part["subnets"]))
    lines = ["VPC        %-28s %-24s %s" % (vpc["name"], vpc["id"], vpc["cidr"])]
    lines.append("Subnets    %d in %d AZs (%s)" % (len(part["subnets"]), len(azs), ", ".join(azs)))
    lines += ["  %-28s %-26s %-12s %s" % (s["name"], s["id"], s["az"], s["cidr"]) for s in part["subnets"]]
    lines.append("NAT        %d gateway(s)" % len(part["nat_gateways"]))
    lines += ["  %-28s %-26s in %s (%s, %s)" % (n["name"], n["id"], n["subnet"], n["state"], n["public_ip"]) for n in part["nat_gateways"]]
    lines.append("Routes     %d table(s)" % len(part["route_tables"]))
    lines += ["  %-28s %s  [%s]" % (t["name"], "; ".join(t["routes"]), ", ".join(t["subnets"])) for t in part["route_tables"]]
    lines.append("NACLs      %d" % len(part["network_acls"]))
    lines += ["  %-28s %2d rules  [%s]" % (a["name"], a["entries"], ", ".join(a["subnets"])) for a in part["network_acls"]]
    lines.append("Security groups")
    for group in part["security_groups"]:
        lines.append("  %-28s in: %s" % (group["name"], "; ".join(group["ingress"]) or "nothing"))
        lines.append("  %-28s out: %s" % ("", "; ".join(group["egress"]) or "nothing"))
    flows = "; ".join("%s %s -> %s (%s)" % (f["id"], f["traffic"], f["log_group"], f["status"]) for f in part["flow_logs"])
    return lines + ["Flow logs  %s" % (flows or "none")]


def database_lines(part):
    db = part["database"]
    if not db:
        return ["database: none for this stack"]
    facts = (db["multi_az"], db["storage_encrypted"], db["kms_key"], db["backup_retention_days"], db["deletion_protection"])
    lines = ["Database   %-28s %s, %s (%s)" % (db["name"], db["kind"], db["engine"], db["status"])]
    lines.append("  Multi-AZ %s, encrypted %s (%s), backups %s days, deletion protection %s" % facts)
    lines.append("  endpoint %s" % db["endpoint"])
    lines += ["  %s %s %s (%s)" % (m["id"], m["class"], m["az"], m["role"]) for m in db["members"]]
    return lines + ["  secret   %s (its ARN; the value is never read)" % part["secret_arn"]]


def compute_lines(part):
    if not (part["launch_templates"] or part["auto_scaling_groups"] or part["load_balancers"]):
        return ["compute: nothing for this stack"]
    lines = ["Launch templates"]
    for template in part["launch_templates"]:
        facts = (template["name"], template["version"], template["instance_type"], template["imds"], template["hop_limit"])
        lines.append("  %-28s v%s %s, IMDSv2 %s (hop limit %s)" % facts)
    lines.append("Auto Scaling groups (min/desired/max)")
    for group in part["auto_scaling_groups"]:
        facts = (group["name"], group["size"], group["subnets"], len(group["instances"]), group["health_check"], ", ".join(group["policies"]))
        lines.append("  %-28s %s over %d subnets, %d instances, %s, policies: %s" % facts)
        images = sorted(set(i["image"] for i in group["instances"]))
        lines.append("  %-28s images: %s; %s" % ("", ", ".join(images) or "none", group["warm_pool"]))
        lines += ["  %-28s %s %s %s/%s, target %s" % ("", i["id"], i["az"], i["lifecycle"], i["health"], i["target"]) for i in group["instances"]]
    lines.append("Load balancers")
    lines += ["  %-28s %-16s %s (%s)" % (b["name"], b["scheme"], b["dns"], ", ".join(b["azs"])) for b in part["load_balancers"]]
    lines.append("Target groups")
    lines += [
        "  %-28s port %s, health %s: %s" % (t["name"], t["port"], t["health_path"], "; ".join(t["targets"]) or "no targets") for t in part["target_groups"]
    ]
    return lines


def cdn_lines(part):
    dist = part["distribution"]
    if not dist:
        return ["cdn: nothing for this stack"]
    aliases = ", ".join(dist["aliases"]) or "-"
    lines = ["CDN", "  distribution %s %s (%s, %s), aliases: %s" % (dist["id"], dist["domain_name"], dist["status"], dist["price_class"], aliases)]
    lines.append("  behaviors: default -> bucket%s" % "".join(", %s -> ALB" % b for b in dist["behaviors"]))
    bucket = part["bucket"]
    if bucket:
        facts = (bucket["name"], bucket["public_access_blocked"], bucket["versioning"], bucket["encryption"])
        lines.append("  bucket %s: public access blocked %s, versioning %s, encryption %s" % facts)
    return lines


def monitoring_lines(part):
    lines = ["Monitoring topic %s, dashboard %s, %d alarms" % (part["topic_arn"], part["dashboard"], len(part["alarms"]))]
    return lines + ["  %s" % line for line in part["alarms"] + part["log_groups"]]


def pipeline_lines(part):
    if not (part["repositories"] or part["build_project"] or part["stages"]):
        return ["pipeline: nothing for this stack"]
    lines = ["Pipeline: build project %s, artifacts in %s" % (part["build_project"], part["artifact_bucket"] or "-")]
    lines += ["  %s" % line for line in [r["line"] for r in part["repositories"]] + part["deployment_groups"]]
    return lines + ["  stages: %s" % (" -> ".join(part["stages"]) or "-")]


def nosql_lines(part):
    """Nothing when the optional tier is not deployed."""
    lines = ["DynamoDB: %d tables (regional, each kept in 3 AZs by DynamoDB)" % len(part["tables"])] if part["tables"] else []
    for table in part["tables"]:
        facts = (
            table["name"],
            table["status"],
            table["billing"],
            "on" if table["point_in_time_recovery"] else "off",
            "on" if table["deletion_protection"] else "off",
        )
        line = "  table %s %s, %s, point-in-time recovery %s, deletion protection %s" % facts
        lines.append(line + (", replicas in %s" % ", ".join(table["replicas"]) if table["replicas"] else ""))
    return lines


def eks_lines(part):
    """Nothing when the optional tier is not deployed."""
    if not part["cluster"]:
        return []
    facts = (part["cluster"], part["version"], part["status"], part["endpoint"], part["subnets"], "encrypted" if part["secrets_encrypted"] else "NOT encrypted")
    lines = ["EKS cluster %s %s %s, %s endpoint, %d app subnets, secrets %s" % facts]
    return lines + ["  node group %s in %s: %s, %s" % (g["name"], g["zone"], g["status"], g["sizes"]) for g in part["nodegroups"]]


def observability_lines(part):
    """Nothing when the optional tier is not deployed."""
    if not part.get("workspace"):
        return []
    lines = ["Prometheus (AMP): workspace %s %s (regional: AMP keeps its data in 3 AZs)" % (part["workspace"], part["status"])]
    if part["rules_namespace"]:
        facts = (part["rules_namespace"], part["rule_groups"], part["recording_rules"], part["alerting_rules"])
        lines.append("  rules %s: %d groups, %d recording and %d alerting rules" % facts)
    else:
        lines.append("  rules: none")
    lines.append("  collector: %s" % ("the agent's scrape configuration in SSM" if part["agent_configuration"] else "no agent configuration found"))
    topics = part.get("alert_topics") or []
    lines.append("  alerts: %s" % ("to SNS topic %s" % ", ".join(topics) if topics else "routed nowhere (no alert manager definition)"))
    return lines


def logs_lines(part):
    """Nothing when the optional tier is not deployed."""
    if not part.get("domain"):
        return []
    facts = (
        part["domain"],
        part["engine"],
        part["status"],
        part["nodes"],
        len(part["zones"]),
        ", ".join(part["zones"]) or "-",
        "on" if part["zone_awareness"] else "off",
    )
    lines = ["OpenSearch domain %s %s %s: %s over %d AZs (%s), zone awareness %s" % facts]
    protections = (
        "VPC only" if part["private"] else "PUBLIC",
        "encrypted at rest and in transit" if part["encrypted"] else "NOT encrypted",
        "fine-grained access" if part["fine_grained"] else "no fine-grained access",
        "snapshot daily at %02d:00 UTC" % part["snapshot_hour"] if part["snapshot_hour"] is not None else "no snapshot hour",
    )
    return lines + ["  %s, %s, %s, %s" % protections, "  app and flow logs in by CloudWatch Logs subscription filters -> Firehose"]


SECTIONS = (
    ("network", network_lines),
    ("database", database_lines),
    ("nosql", nosql_lines),
    ("compute", compute_lines),
    ("cdn", cdn_lines),
    ("monitoring", monitoring_lines),
    ("pipeline", pipeline_lines),
    ("eks", eks_lines),
    ("observability", observability_lines),
    ("logs", logs_lines),
)


def render(report):
    lines = ["== stack %s (%s) ==" % (report["stack"], report["region"])]
    for tier, lines_of in SECTIONS:
        part = lines_of(report[tier])
        lines += [""] + part if part else []
    return lines
