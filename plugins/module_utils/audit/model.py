# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The high-availability audit of one stack, as plain data: checks over what AWS reports.

No AWS calls here. :func:`audit` takes a snapshot (the raw describe records the module
``stack_audit`` reads) and returns findings, each ``{check, tier, resource, status, detail, fix}``
with status ``pass``, ``warn`` (works, but one failure away from trouble), ``fail`` (a single
AZ or instance failure takes the tier down) or ``skip`` (the tier is not deployed).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.observability.model import alert_manager_of
from ansible_collections.hatrading.aws.plugins.module_utils.observability.model import alert_topic_of

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"
STATUSES = (PASS, WARN, FAIL, SKIP)
LAYERS = ("public", "app", "data")


def tags_of(resource):
    return dict((t["Key"], t.get("Value", "")) for t in resource.get("Tags") or [])


def finding(check, tier, resource, status, detail, fix=None):
    return {"check": check, "tier": tier, "resource": resource, "status": status, "detail": detail, "fix": fix if status in (WARN, FAIL) else None}


def _azs_of(subnet_ids, subnets_by_id):
    return sorted(set(subnets_by_id[s]["AvailabilityZone"] for s in subnet_ids if s in subnets_by_id))


def audit_network(snapshot, min_azs):
    stack = snapshot["stack"]
    subnets = snapshot["subnets"]
    if not snapshot["vpcs"]:
        return [finding("network.vpc", "network", stack, SKIP, "no VPC tagged hatrading:stack=%s" % stack)]
    found = []
    by_layer = {}
    for subnet in subnets:
        by_layer.setdefault(tags_of(subnet).get("hatrading:layer"), []).append(subnet)
    for layer in LAYERS:
        azs = sorted(set(s["AvailabilityZone"] for s in by_layer.get(layer, [])))
        status = PASS if len(azs) >= min_azs else FAIL
        found.append(
            finding(
                "network.subnets_span_azs",
                "network",
                "%s subnets" % layer,
                status,
                "%d AZs (%s)" % (len(azs), ", ".join(azs) or "none"),
                "give the %s layer a subnet in at least %d AZs (network_az_count)" % (layer, min_azs),
            )
        )
    found += _egress_findings(snapshot, subnets, by_layer)
    found += _vpc_findings(snapshot)
    return found


def _egress_findings(snapshot, subnets, by_layer):
    """A NAT in each app subnet's AZ, and each app subnet's egress through the NAT of its own AZ."""
    found = []
    app_azs = sorted(set(s["AvailabilityZone"] for s in by_layer.get("app", [])))
    nats = [n for n in snapshot["nat_gateways"] if n.get("State") in ("available", "pending")]
    subnets_by_id = dict((s["SubnetId"], s) for s in subnets)
    nat_azs = sorted(set(subnets_by_id[n["SubnetId"]]["AvailabilityZone"] for n in nats if n["SubnetId"] in subnets_by_id))
    if not nats:
        found.append(
            finding(
                "network.nat_per_az",
                "network",
                "NAT gateways",
                WARN,
                "none: the app subnets have no egress",
                "network_nat_mode: per_az (or VPC endpoints for ECR, S3, CloudWatch and SSM)",
            )
        )
    else:
        missing = [az for az in app_azs if az not in nat_azs]
        detail = "%d in %s" % (len(nats), ", ".join(nat_azs))
        if missing:
            detail += "; none in %s: losing one AZ cuts egress for the others" % ", ".join(missing)
        found.append(finding("network.nat_per_az", "network", "NAT gateways", WARN if missing else PASS, detail, "network_nat_mode: per_az"))
        nat_az = dict((n["NatGatewayId"], subnets_by_id.get(n["SubnetId"], {}).get("AvailabilityZone")) for n in nats)
        crossing = []
        for table in snapshot["route_tables"]:
            targets = [r.get("NatGatewayId") for r in table.get("Routes") or [] if r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("NatGatewayId")]
            for association in table.get("Associations") or []:
                subnet = subnets_by_id.get(association.get("SubnetId"))
                if subnet and tags_of(subnet).get("hatrading:layer") == "app" and targets and nat_az.get(targets[0]) != subnet["AvailabilityZone"]:
                    crossing.append(tags_of(subnet).get("Name") or subnet["SubnetId"])
        found.append(
            finding(
                "network.egress_stays_in_az",
                "network",
                "app route tables",
                WARN if crossing else PASS,
                "egress crosses AZs from %s" % ", ".join(sorted(crossing)) if crossing else "every app subnet leaves through a NAT in its own AZ",
                "network_nat_mode: per_az",
            )
        )
    return found


def _vpc_findings(snapshot):
    """One VPC carries the stack's tags, and each such VPC has a flow log."""
    found = []
    if len(snapshot["vpcs"]) > 1:  # an answer lost after CreateVpc took effect; the network tier names and removes an empty one
        ids = ", ".join(vpc["VpcId"] for vpc in snapshot["vpcs"])
        found.append(
            finding(
                "network.one_vpc", "network", "VPC", FAIL, "%d VPCs carry the stack's tags: %s" % (len(snapshot["vpcs"]), ids), "deploy the network role again"
            )
        )
    flow = snapshot["flow_logs"]
    if len(snapshot["vpcs"]) > 1 and any(not any(f.get("ResourceId") == vpc["VpcId"] for f in flow) for vpc in snapshot["vpcs"]):
        flow = []  # one VPC logged is not enough when two carry the stack's tags
    found.append(
        finding(
            "network.flow_logs",
            "network",
            "VPC",
            PASS if flow else WARN,
            "%d flow log(s)" % len(flow) if flow else "no flow log: rejected traffic during an incident leaves no trace",
            "deploy the network role (it adds the flow log)",
        )
    )
    return found


def audit_compute(snapshot, min_azs, min_instances):
    stack = snapshot["stack"]
    if not snapshot["auto_scaling_groups"] and not snapshot["load_balancers"]:
        return [finding("compute.groups", "compute", stack, SKIP, "no Auto Scaling group or load balancer of this stack")]
    instance_az = {}
    found = []
    for group in snapshot["auto_scaling_groups"]:
        found += _audit_group(group, snapshot["subnets"], min_azs, min_instances)
        instance_az.update((i["InstanceId"], i.get("AvailabilityZone")) for i in group.get("Instances") or [])
    for balancer in snapshot["load_balancers"]:
        azs = sorted(z["ZoneName"] for z in balancer.get("AvailabilityZones") or [])
        found.append(
            finding(
                "compute.load_balancer_spans_azs",
                "compute",
                balancer["LoadBalancerName"],
                PASS if len(azs) >= min_azs else FAIL,
                "%s, %d AZs (%s)" % (balancer.get("Scheme"), len(azs), ", ".join(azs)),
                "give the load balancer a subnet in every AZ",
            )
        )
    for group in snapshot["target_groups"]:
        found.append(_audit_targets(group, snapshot["target_health"].get(group["TargetGroupArn"], []), instance_az, min_instances))
    return found


def _audit_group(group, subnets, min_azs, min_instances):
    """One Auto Scaling group: AZs, min size, health check type, instances in service and their spread."""
    name = group["AutoScalingGroupName"]
    subnet_ids = [s for s in (group.get("VPCZoneIdentifier") or "").split(",") if s]
    azs = _azs_of(subnet_ids, dict((s["SubnetId"], s) for s in subnets)) or sorted(group.get("AvailabilityZones") or [])
    in_service = [i for i in group.get("Instances") or [] if i.get("LifecycleState") == "InService" and i.get("HealthStatus") == "Healthy"]
    found = [
        finding(
            "compute.group_spans_azs",
            "compute",
            name,
            PASS if len(azs) >= min_azs else FAIL,
            "subnets in %d AZs (%s)" % (len(azs), ", ".join(azs)),
            "place the group in the app subnets of every AZ",
        ),
        finding(
            "compute.group_min_size",
            "compute",
            name,
            PASS if group["MinSize"] >= min_instances else FAIL,
            "min_size %d" % group["MinSize"],
            "compute_<tier>_min_size: %d or more, so one instance can fail" % min_instances,
        ),
        finding(
            "compute.group_health_check",
            "compute",
            name,
            PASS if group.get("HealthCheckType") == "ELB" else WARN,
            "health check %s" % group.get("HealthCheckType"),
            "ELB health checks replace an instance whose application is down, not only whose host is",
        ),
        finding(
            "compute.group_in_service",
            "compute",
            name,
            PASS if len(in_service) >= group["MinSize"] and in_service else FAIL,
            "%d of min %d instances in service and healthy" % (len(in_service), group["MinSize"]),
            "look at the group's scaling activities and the instances' console output",
        ),
    ]
    spread = sorted(set(i.get("AvailabilityZone") for i in in_service))
    if len(in_service) >= 2:
        found.append(
            finding(
                "compute.instances_spread",
                "compute",
                name,
                PASS if len(spread) >= min(min_azs, len(in_service)) else WARN,
                "%d instances in %s" % (len(in_service), ", ".join(spread)),
                "rebalance the group (AZRebalance must not be suspended); losing that AZ takes every instance",
            )
        )
    return found


def _audit_targets(group, health, instance_az, min_instances):
    """One target group: enough healthy targets, and where they are."""
    healthy = [d["Target"]["Id"] for d in health if (d.get("TargetHealth") or {}).get("State") == "healthy"]
    azs = sorted(set(instance_az.get(i) for i in healthy if instance_az.get(i)))
    return finding(
        "compute.healthy_targets",
        "compute",
        group["TargetGroupName"],
        FAIL if not healthy else (WARN if len(healthy) < min_instances else PASS),
        "%d healthy of %d targets%s" % (len(healthy), len(health), " in %s" % ", ".join(azs) if azs else ""),
        "at least %d healthy targets, so one can fail without an outage" % min_instances,
    )


def audit_eks(snapshot, min_azs):
    """The EKS tier: the cluster's subnets and the node groups span the AZs; secrets encrypted; the audit log on."""
    cluster = snapshot.get("eks_cluster")
    if not cluster:
        return [finding("eks.cluster", "eks", snapshot["stack"], SKIP, "no EKS cluster of this stack")]
    name = cluster["name"]
    subnets_by_id = dict((s["SubnetId"], s) for s in snapshot["subnets"])
    cluster_azs = _azs_of((cluster.get("resourcesVpcConfig") or {}).get("subnetIds") or [], subnets_by_id)
    serving = [g for g in snapshot.get("eks_nodegroups") or [] if g.get("status") == "ACTIVE" and (g.get("scalingConfig") or {}).get("maxSize", 0) > 0]
    node_azs = sorted(set(az for group in serving for az in _azs_of(group.get("subnets") or [], subnets_by_id)))
    encrypted = any("secrets" in (c.get("resources") or []) for c in cluster.get("encryptionConfig") or [])
    logged = [t for setup in (cluster.get("logging") or {}).get("clusterLogging") or [] if setup.get("enabled") for t in setup.get("types") or []]
    vpc = cluster.get("resourcesVpcConfig") or {}
    open_to_all = vpc.get("endpointPublicAccess") and "0.0.0.0/0" in (vpc.get("publicAccessCidrs") or ["0.0.0.0/0"])
    return [
        finding(
            "eks.cluster_spans_azs",
            "eks",
            name,
            PASS if len(cluster_azs) >= min_azs else FAIL,
            "control plane in %d AZs (%s)" % (len(cluster_azs), ", ".join(cluster_azs) or "none"),
            "give the network's app layer subnets in %d AZs" % min_azs,
        ),
        finding(
            "eks.nodes_span_azs",
            "eks",
            name,
            PASS if len(node_azs) >= min_azs else FAIL,
            "%d active node groups over %d AZs (%s)" % (len(serving), len(node_azs), ", ".join(node_azs) or "none"),
            "one node group per AZ: rerun the eks tier (eks_node_max_size above 0)",
        ),
        finding(
            "eks.secrets_encrypted",
            "eks",
            name,
            PASS if encrypted else WARN,
            "secrets encrypted with KMS" if encrypted else "secrets not envelope-encrypted",
            "recreate the cluster with eks_kms_key_arn or the stack key",
        ),
        finding(
            "eks.audit_log",
            "eks",
            name,
            PASS if "audit" in logged else WARN,
            "control-plane logs: %s" % (", ".join(sorted(logged)) or "none"),
            "add audit to eks_log_types",
        ),
        finding(
            "eks.private_endpoint",
            "eks",
            name,
            WARN if open_to_all else PASS,
            "API endpoint public to 0.0.0.0/0" if open_to_all else "API endpoint private or limited",
            "eks_public_access_cidrs, or eks_endpoint_public_access: false",
        ),
    ]


def audit_database(snapshot, min_backup_days):
    stack = snapshot["stack"]
    instances, clusters = snapshot["db_instances"], snapshot["db_clusters"]
    if not instances and not clusters:
        return [finding("database.present", "database", stack, SKIP, "no database of this stack")]
    found = []
    for cluster in clusters:
        name = cluster["DBClusterIdentifier"]
        members = [i for i in instances if i.get("DBClusterIdentifier") == name]
        azs = sorted(set(i.get("AvailabilityZone") for i in members if i.get("AvailabilityZone")))
        readers = [m for m in cluster.get("DBClusterMembers") or [] if not m.get("IsClusterWriter")]
        found.append(
            finding(
                "database.failover_target",
                "database",
                name,
                PASS if readers and len(azs) >= 2 else FAIL,
                "%d reader(s), members in %s" % (len(readers), ", ".join(azs) or "no AZ reported"),
                "database_aurora_readers: 1 or more, in another AZ than the writer",
            )
        )
        zones = sorted(cluster.get("AvailabilityZones") or [])
        found.append(
            finding(
                "database.reader_azs",
                "database",
                name,
                PASS if len(zones) >= 2 else FAIL,
                "readers (the tier's and those auto scaling adds) can be placed in %s" % (", ".join(zones) or "no AZ reported"),
                "give the data subnets (network_az_count) two AZs or more",
            )
        )
        found += _backups_and_protection(name, cluster, min_backup_days)
    for instance in instances:
        if instance.get("DBClusterIdentifier"):
            continue
        name = instance["DBInstanceIdentifier"]
        found.append(
            finding(
                "database.multi_az",
                "database",
                name,
                PASS if instance.get("MultiAZ") else FAIL,
                "Multi-AZ %s (primary in %s%s)"
                % (
                    "on" if instance.get("MultiAZ") else "off",
                    instance.get("AvailabilityZone"),
                    ", standby in %s" % instance["SecondaryAvailabilityZone"] if instance.get("SecondaryAvailabilityZone") else "",
                ),
                "database_multi_az: true",
            )
        )
        found += _backups_and_protection(name, instance, min_backup_days)
    return found


def _backups_and_protection(name, record, min_backup_days):
    days = record.get("BackupRetentionPeriod") or 0
    return [
        finding(
            "database.backups",
            "database",
            name,
            PASS if days >= min_backup_days else WARN,
            "automated backups kept %d days" % days,
            "database_backup_retention_days: %d or more" % min_backup_days,
        ),
        _deletion_protection("database", name, record.get("DeletionProtection")),
    ]


def _deletion_protection(tier, name, enabled):
    """The <tier>.deletion_protection finding of one database or table: a warning while it is off."""
    return finding(
        "%s.deletion_protection" % tier,
        tier,
        name,
        PASS if enabled else WARN,
        "deletion protection %s" % ("on" if enabled else "off"),
        "%s_deletion_protection: true" % tier,
    )


def audit_nosql(snapshot):
    """Each table of the nosql tier: where its data lives, its point-in-time recovery and deletion protection."""
    tables = snapshot.get("dynamodb_tables") or []
    if not tables:
        return [finding("nosql.present", "nosql", snapshot["stack"], SKIP, "no DynamoDB table of this stack")]
    found = []
    for table in tables:
        name = table["TableName"]
        replicas = sorted(r["RegionName"] for r in table.get("Replicas") or [])
        active = table.get("TableStatus") == "ACTIVE"
        # DynamoDB keeps every table in three AZs of its region by itself: the check is that it serves
        found.append(
            finding(
                "nosql.az_spread",
                "nosql",
                name,
                PASS if active else WARN,
                "%s; stored in 3 AZs of the region by DynamoDB%s" % (table.get("TableStatus"), ", replicas in " + ", ".join(replicas) if replicas else ""),
                "wait for the table to be ACTIVE",
            )
        )
        pitr = ((table.get("ContinuousBackups") or {}).get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
        found.append(
            finding(
                "nosql.point_in_time_recovery",
                "nosql",
                name,
                PASS if pitr == "ENABLED" else WARN,
                "point-in-time recovery %s" % (pitr or "unknown").lower(),
                "nosql_point_in_time_recovery: true",
            )
        )
        found.append(_deletion_protection("nosql", name, table.get("DeletionProtectionEnabled")))
    return found


def _alerts_routed(stack, name, definition):
    """The alert manager definition is ACTIVE and sends to the stack's SNS topic: else the rules' alerts fire nowhere."""
    topic = stack_names.monitoring(stack)["topic"]
    status = ((definition or {}).get("status") or {}).get("statusCode")
    topics = [arn.rsplit(":", 1)[-1] for arn in alert_topic_of(alert_manager_of((definition or {}).get("data")))]
    routed = status == "ACTIVE" and topic in topics
    if not definition:
        what = "no alert manager definition: the alerts fire nowhere"
    else:
        what = "alert manager %s, to SNS topic %s" % (status, ", ".join(topics) or "none")
    return finding("observability.alerts", "observability", name, PASS if routed else WARN, what, "deploy the observability tier (topic %s)" % topic)


def audit_observability(snapshot):
    """The observability tier's workspace: where its data lives, its rules, what feeds it, and backups (AMP has none)."""
    workspace = snapshot.get("amp_workspace")
    if not workspace:
        return [finding("observability.present", "observability", snapshot["stack"], SKIP, "no Prometheus workspace of this stack")]
    name = workspace.get("alias") or workspace["workspaceId"]
    status = (workspace.get("status") or {}).get("statusCode")
    rules = snapshot.get("amp_rules") or {}
    rules_status = (rules.get("status") or {}).get("statusCode")
    return [
        # AMP keeps a workspace's samples in three AZs of its region by itself: the check is that it serves
        finding(
            "observability.az_spread",
            "observability",
            name,
            PASS if status == "ACTIVE" else WARN,
            "%s; stored in 3 AZs of the region by AMP" % status,
            "wait for the workspace to be ACTIVE",
        ),
        finding(
            "observability.rules",
            "observability",
            name,
            PASS if rules_status == "ACTIVE" else WARN,
            "rule groups namespace %s" % ("%s %s" % (rules.get("name"), rules_status) if rules else "missing: no alert fires"),
            "deploy the observability tier (observability_rule_files)",
        ),
        _alerts_routed(snapshot["stack"], name, snapshot.get("amp_alert_manager")),
        finding(
            "observability.collector",
            "observability",
            name,
            PASS if snapshot.get("scrape_config") else SKIP,
            "the agent's scrape configuration is published"
            if snapshot.get("scrape_config")
            else "no agent configuration (a managed scraper is not read by the audit)",
        ),
        finding(
            "observability.backups",
            "observability",
            name,
            SKIP,
            "AMP has no backup: samples are kept for the workspace's retention; the rules and dashboards are code in the role",
        ),
    ]


def _public(domain):
    """Whether a domain answers outside a VPC, or its access policy lets anyone in without a condition."""
    if not domain.get("VPCOptions") and domain.get("Endpoint"):
        return "a public endpoint"
    policy = domain.get("AccessPolicies") or "{}"
    statements = (json.loads(policy) if isinstance(policy, str) else policy).get("Statement") or []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        anyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"]))
        if statement.get("Effect") == "Allow" and anyone and not statement.get("Condition") and not domain.get("VPCOptions"):
            return "an access policy open to anyone"
    return None


def audit_logs(snapshot, min_azs):
    """The logs tier's OpenSearch domain: zone awareness over the AZs, its snapshots, encryption, no public access."""
    domain = snapshot.get("opensearch_domain")
    if not domain:
        return [finding("logs.domain", "logs", snapshot["stack"], SKIP, "no OpenSearch domain of this stack")]
    name = domain["DomainName"]
    cluster = domain.get("ClusterConfig") or {}
    subnets_by_id = dict((s["SubnetId"], s) for s in snapshot["subnets"])
    vpc = domain.get("VPCOptions") or {}
    azs = sorted(set(vpc.get("AvailabilityZones") or _azs_of(vpc.get("SubnetIds") or [], subnets_by_id)))
    zone_count = (cluster.get("ZoneAwarenessConfig") or {}).get("AvailabilityZoneCount", 2) if cluster.get("ZoneAwarenessEnabled") else 1
    spread = cluster.get("ZoneAwarenessEnabled") and zone_count >= min_azs and len(azs) >= min_azs and cluster.get("InstanceCount", 0) >= min_azs
    hour = (domain.get("SnapshotOptions") or {}).get("AutomatedSnapshotStartHour")
    encrypted = [
        what
        for what, on in (
            ("at rest", (domain.get("EncryptionAtRestOptions") or {}).get("Enabled")),
            ("node to node", (domain.get("NodeToNodeEncryptionOptions") or {}).get("Enabled")),
            ("HTTPS only", (domain.get("DomainEndpointOptions") or {}).get("EnforceHTTPS")),
        )
        if not on
    ]
    public = _public(domain)
    fine_grained = (domain.get("AdvancedSecurityOptions") or {}).get("Enabled")
    return [
        finding(
            "logs.az_spread",
            "logs",
            name,
            PASS if spread else FAIL,
            "zone awareness %s, %d data nodes over %d AZs (%s)"
            % ("on" if cluster.get("ZoneAwarenessEnabled") else "off", cluster.get("InstanceCount", 0), len(azs), ", ".join(azs) or "none"),
            "logs_az_count: 0 (every AZ of the data subnets) and logs_instance_count a multiple of the AZ count",
        ),
        finding(
            "logs.snapshots",
            "logs",
            name,
            PASS if hour is not None else WARN,
            "automated snapshots (daily at %02d:00 UTC, kept 14 days by AWS); they go with the domain" % hour if hour is not None else "no snapshot hour",
            "logs_snapshot_hour",
        ),
        finding(
            "logs.encryption",
            "logs",
            name,
            PASS if not encrypted else FAIL,
            "encrypted at rest and node to node, HTTPS only" if not encrypted else "not " + ", ".join(encrypted),
            "at rest and node to node can be switched on, not off: rerun the logs tier",
        ),
        finding(
            "logs.no_public_access",
            "logs",
            name,
            PASS if not public and fine_grained else FAIL,
            "VPC only, fine-grained access control on" if not public and fine_grained else (public or "fine-grained access control off"),
            "a VPC domain (the logs tier puts it in the data subnets) with fine-grained access control",
        ),
    ]


def _admits(group, port, source_id):
    """Whether a security group lets TCP ``port`` in from the group ``source_id``."""
    for rule in group.get("IpPermissions") or []:
        protocol_ok = rule.get("IpProtocol") in ("-1", "tcp")
        port_ok = rule.get("IpProtocol") == "-1" or (rule.get("FromPort", 0) <= port <= rule.get("ToPort", 65535))
        if protocol_ok and port_ok and any(pair.get("GroupId") == source_id for pair in rule.get("UserIdGroupPairs") or []):
            return True
    return False


def _hops(snapshot):
    """(from component, to component, port the next hop listens on, the variable that sets it) along the request path."""
    ports = dict((group["TargetGroupName"].rsplit("-", 1)[-1], group.get("Port")) for group in snapshot["target_groups"])
    hops = [("alb-public", "frontend", ports.get("fe"), "compute_frontend_port"), ("alb-internal", "backend", ports.get("be"), "compute_backend_port")]
    endpoints = [(i.get("Endpoint") or {}).get("Port") for i in snapshot["db_instances"]] + [c.get("Port") for c in snapshot["db_clusters"]]
    hops.append(("backend", "database", next((port for port in endpoints if port), None), "database_port"))
    return [hop for hop in hops if hop[2]]


def audit_chain(snapshot):
    """Each hop's security group admits the port the next hop listens on, from the hop before it."""
    stack = snapshot["stack"]
    groups = dict((tags_of(g).get("Name"), g) for g in snapshot.get("security_groups") or [])
    found = []
    for source, target, port, variable in _hops(snapshot):
        source_group, target_group = groups.get("%s-%s" % (stack, source)), groups.get("%s-%s" % (stack, target))
        if source_group is None or target_group is None:
            continue
        ok = _admits(target_group, port, source_group["GroupId"])
        found.append(
            finding(
                "network.chain_%s" % target.replace("-", "_"),
                "network",
                target_group.get("GroupName", target),
                PASS if ok else FAIL,
                "%s %s tcp/%d from %s" % (target_group.get("GroupName"), "admits" if ok else "does not admit", port, source_group.get("GroupName")),
                "give the network tier's port and %s the same value (network_%s_port)" % (variable, target.replace("-", "_")),
            )
        )
    return found


def audit(snapshot, min_azs=2, min_instances=2, min_backup_days=7, tiers=("network", "compute", "database")):
    """Every finding for the tiers asked, network first."""
    found = []
    if "network" in tiers:
        found += audit_network(snapshot, min_azs)
    if "compute" in tiers:
        found += audit_compute(snapshot, min_azs, min_instances)
    if "database" in tiers:
        found += audit_database(snapshot, min_backup_days)
    if "nosql" in tiers:
        found += audit_nosql(snapshot)
    if "eks" in tiers:
        found += audit_eks(snapshot, min_azs)
    if "observability" in tiers:
        found += audit_observability(snapshot)
    if "logs" in tiers:
        found += audit_logs(snapshot, min_azs)
    if "network" in tiers:
        found += audit_chain(snapshot)
    return found


def summary(findings):
    counts = dict((status, 0) for status in STATUSES)
    for item in findings:
        counts[item["status"]] += 1
    return counts


def verdict(findings, fail_on):
    """True when the audit passes: ``fail_on`` is fail (no fail findings), warn (neither warn nor fail) or never."""
    if fail_on == "never":
        return True
    bad = (FAIL,) if fail_on == "fail" else (FAIL, WARN)
    return not any(item["status"] in bad for item in findings)


def render(findings):
    """Lines for a person: one per finding, the fix under each warning or failure, then the counts."""
    marks = {PASS: "ok  ", WARN: "WARN", FAIL: "FAIL", SKIP: "skip"}
    lines = []
    for item in findings:
        lines.append("%s %-8s %-32s %-28s %s" % (marks[item["status"]], item["tier"], item["check"], item["resource"], item["detail"]))
        if item["fix"]:
            lines.append("       fix: %s" % item["fix"])
    counts = summary(findings)
    lines.append("Audit: %(pass)d passed, %(warn)d warnings, %(fail)d failed, %(skip)d skipped." % counts)
    return lines
