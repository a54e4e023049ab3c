# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a stack holds, tier by tier, as the AWS endpoint reports it: read only, never a secret's value.

Other tiers' resources come through the stack view (the same reads the tiers and the audit make);
what only the report shows (NACLs, launch template versions, alarms, pipeline stages) is read here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import yaml
except ImportError:  # PyYAML comes with ansible-core; without it the report counts no rules
    yaml = None

from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_IMAGE
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_LAYER
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_STACK
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict
from ansible_collections.hatrading.aws.plugins.module_utils.observability import model as observability_model

LAYERS = ("public", "app", "data")


def name_of(record):
    return tag_dict(record.get("Tags")).get("Name", "-")


def read_report(clients, stack, region, view=None):
    """Every tier's part of the report, as plain data (``view``: a StackView to share with the audit)."""
    view = view or StackView(clients, stack)
    return {
        "stack": stack,
        "region": region,
        "network": network_part(clients, view),
        "database": database_part(clients, view, stack),
        "compute": compute_part(clients, view, stack),
        "cdn": cdn_part(clients, stack, region),
        "monitoring": monitoring_part(clients, stack),
        "pipeline": pipeline_part(clients, stack, region),
        "nosql": nosql_part(view),
        "eks": eks_part(view),
        "observability": observability_part(view),
        "logs": logs_part(view),
    }


def observability_part(view):
    """The observability tier's Prometheus workspace, its rules and its collector (none when the tier is not deployed)."""
    workspace = view.amp_workspace()
    if not workspace:
        return {"workspace": None}
    namespace = view.amp_rules() or {}
    data = namespace.get("data") or b""
    groups = (yaml.safe_load(data.decode("utf-8") if isinstance(data, bytes) else data) or {}).get("groups") or [] if data and yaml else []
    rules = [rule for group in groups for rule in group.get("rules") or []]
    return {
        "workspace": workspace.get("alias"),
        "status": (workspace.get("status") or {}).get("statusCode"),
        "rules_namespace": namespace.get("name"),
        "rule_groups": len(groups),
        "recording_rules": len([rule for rule in rules if rule.get("record")]),
        "alerting_rules": len([rule for rule in rules if rule.get("alert")]),
        "agent_configuration": bool(view.scrape_config()),
        "scrape_interval": _scrape_interval(view.scrape_config()),
        "alert_topics": alert_topics(view.amp_alert_manager()),
    }


def _scrape_interval(config):
    """Seconds between scrapes in the agent's configuration ("30s"), or None (no agent, or not read)."""
    interval = str(((yaml.safe_load(config) or {}).get("global") or {}).get("scrape_interval") or "") if config and yaml else ""
    return int(interval[:-1]) if interval.endswith("s") and interval[:-1].isdigit() else None


def alert_topics(definition):
    """The names of the SNS topics the workspace's alert manager sends to (none without a definition)."""
    if not definition or (definition.get("status") or {}).get("statusCode") == "DELETING":
        return []
    return [arn.rsplit(":", 1)[-1] for arn in observability_model.alert_topic_of(observability_model.alert_manager_of(definition.get("data")))]


def logs_part(view):
    """The logs tier's OpenSearch domain: its AZs, nodes, protections (None when the optional tier is not deployed)."""
    domain = view.opensearch_domain()
    if not domain:
        return {"domain": None}
    cluster, vpc = domain.get("ClusterConfig") or {}, domain.get("VPCOptions") or {}
    by_id = dict((s["SubnetId"], s["AvailabilityZone"]) for s in view.subnets())
    zones = sorted(set(vpc.get("AvailabilityZones") or [by_id[s] for s in vpc.get("SubnetIds") or [] if s in by_id]))
    return {
        "domain": domain["DomainName"],
        "engine": domain.get("EngineVersion"),
        "status": "processing" if domain.get("Processing") else "active",
        "nodes": "%s x %s" % (cluster.get("InstanceCount"), cluster.get("InstanceType")),
        "masters": cluster.get("DedicatedMasterCount") if cluster.get("DedicatedMasterEnabled") else 0,
        "data_nodes": cluster.get("InstanceCount") or 0,  # the cost estimate's quantities
        "instance_type": cluster.get("InstanceType"),
        "master_type": cluster.get("DedicatedMasterType"),
        "volume_gb": (domain.get("EBSOptions") or {}).get("VolumeSize") or 0,
        "zone_awareness": bool(cluster.get("ZoneAwarenessEnabled")),
        "zones": zones,
        "private": bool(vpc),
        "encrypted": bool((domain.get("EncryptionAtRestOptions") or {}).get("Enabled") and (domain.get("NodeToNodeEncryptionOptions") or {}).get("Enabled")),
        "fine_grained": bool((domain.get("AdvancedSecurityOptions") or {}).get("Enabled")),
        "snapshot_hour": (domain.get("SnapshotOptions") or {}).get("AutomatedSnapshotStartHour"),
    }


def eks_part(view):
    """The EKS tier's cluster and node groups (none when the optional tier is not deployed)."""
    cluster = view.eks_cluster()
    if not cluster:
        return {"cluster": None, "nodegroups": []}
    vpc = cluster.get("resourcesVpcConfig") or {}
    groups = []
    for group in view.eks_nodegroups():
        scaling = group.get("scalingConfig") or {}
        groups.append(
            {
                "name": group["nodegroupName"],
                "status": group.get("status"),
                "zone": (group.get("labels") or {}).get("topology.kubernetes.io/zone", "-"),
                "sizes": "%s..%s, %s now" % (scaling.get("minSize"), scaling.get("maxSize"), scaling.get("desiredSize")),
                "desired": scaling.get("desiredSize") or 0,
                "instance_types": group.get("instanceTypes") or [],
            }
        )
    return {
        "cluster": cluster["name"],
        "version": cluster.get("version"),
        "status": cluster.get("status"),
        "endpoint": "public and private"
        if vpc.get("endpointPublicAccess") and vpc.get("endpointPrivateAccess")
        else ("public" if vpc.get("endpointPublicAccess") else "private"),
        "subnets": len(vpc.get("subnetIds") or []),
        "secrets_encrypted": any("secrets" in (c.get("resources") or []) for c in cluster.get("encryptionConfig") or []),
        "nodegroups": sorted(groups, key=lambda g: g["name"]),
    }


def nosql_part(view):
    """The nosql tier's tables: billing, status, backups, protection, replicas (none when the tier is not deployed)."""
    tables = []
    for table in view.dynamodb_tables_with_backups():
        pitr = ((table.get("ContinuousBackups") or {}).get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
        tables.append(
            {
                "name": table["TableName"],
                "status": table.get("TableStatus"),
                "billing": (table.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED",
                "point_in_time_recovery": pitr == "ENABLED",
                "deletion_protection": bool(table.get("DeletionProtectionEnabled")),
                "encrypted_with": (table.get("SSEDescription") or {}).get("KMSMasterKeyArn") or "AWS owned key",
                "replicas": sorted(r["RegionName"] for r in table.get("Replicas") or []),
                "capacity": {
                    "read": (table.get("ProvisionedThroughput") or {}).get("ReadCapacityUnits", 0),
                    "write": (table.get("ProvisionedThroughput") or {}).get("WriteCapacityUnits", 0),
                },
            }
        )
    return {"tables": tables}


def _rules(permissions, group_names):
    out = []
    for rule in permissions:
        low, high = rule.get("FromPort"), rule.get("ToPort")
        ports = "all" if rule.get("IpProtocol") == "-1" else "%s/%s" % (rule.get("IpProtocol"), low if low == high else "%s-%s" % (low, high))
        peers = [r["CidrIp"] for r in rule.get("IpRanges", [])] + [group_names.get(g["GroupId"], g["GroupId"]) for g in rule.get("UserIdGroupPairs", [])]
        out.append("%s %s" % (ports, ",".join(peers)))
    return out


def network_part(clients, view):
    vpcs = view.vpcs()
    if not vpcs:
        return {"vpc": None}
    subnets = view.subnets()
    vpc = max(vpcs, key=lambda v: sum(1 for s in subnets if s.get("VpcId") == v["VpcId"]))  # the one holding the stack, if two carry its tags
    subnet_names = dict((s["SubnetId"], name_of(s)) for s in subnets)
    subnet_azs = dict((s["SubnetId"], s["AvailabilityZone"]) for s in subnets)
    groups = view.security_groups()
    group_names = dict((g["GroupId"], g["GroupName"]) for g in groups)
    acls = view.network_acls()
    layer_order = dict((layer, index) for index, layer in enumerate(LAYERS))
    return {
        "vpc": {"id": vpc["VpcId"], "name": name_of(vpc), "cidr": vpc["CidrBlock"]},
        "subnets": sorted(
            (
                {"name": name_of(s), "id": s["SubnetId"], "az": s["AvailabilityZone"], "cidr": s["CidrBlock"], "layer": tag_dict(s.get("Tags")).get(TAG_LAYER)}
                for s in subnets
            ),
            key=lambda s: (layer_order.get(s["layer"], 9), s["az"]),
        ),
        "nat_gateways": [
            {
                "name": name_of(n),
                "id": n["NatGatewayId"],
                "subnet": subnet_names.get(n["SubnetId"]),
                "az": subnet_azs.get(n["SubnetId"]),
                "state": n["State"],
                "public_ip": (n.get("NatGatewayAddresses") or [{}])[0].get("PublicIp"),
            }
            for n in view.nat_gateways()
            if n["State"] in ("pending", "available")
        ],
        "route_tables": [
            {
                "name": name_of(t),
                "routes": ["%s -> %s" % (r.get("DestinationCidrBlock"), r.get("GatewayId") or r.get("NatGatewayId")) for r in t["Routes"]],
                "subnets": sorted(subnet_names.get(a.get("SubnetId"), "?") for a in t.get("Associations", []) if a.get("SubnetId")),
            }
            for t in view.route_tables()
        ],
        "network_acls": [
            {
                "name": name_of(a),
                "entries": len([e for e in a["Entries"] if e["RuleNumber"] < 32767]),
                "subnets": sorted(subnet_names.get(x["SubnetId"], "?") for x in a.get("Associations", [])),
            }
            for a in acls
        ],
        "security_groups": [
            {
                "name": g["GroupName"],
                "id": g["GroupId"],
                "ingress": _rules(g.get("IpPermissions", []), group_names),
                "egress": _rules(g.get("IpPermissionsEgress", []), group_names),
            }
            for g in sorted(groups, key=lambda g: g["GroupName"])
        ],
        "flow_logs": [
            {"id": f["FlowLogId"], "traffic": f.get("TrafficType"), "log_group": f.get("LogGroupName"), "status": f.get("FlowLogStatus")}
            for f in view.flow_logs()
        ],
    }


def database_part(clients, view, stack):
    """The database as RDS reports it, and the ARN of its secret (never its value)."""
    n = names.database(stack)
    clusters = view.db_clusters()
    instances = view.db_instances()
    cluster = clusters[0] if clusters else None
    main = cluster or next((i for i in instances if i["DBInstanceIdentifier"] == n["instance"]), None)
    if main is None:
        return {"database": None}
    secret = clients.secretsmanager.describe_secret(SecretId=n["secret"], missing=None)
    writers = set(m["DBInstanceIdentifier"] for m in (cluster or {}).get("DBClusterMembers", []) if m.get("IsClusterWriter"))
    members = []
    for instance in sorted(instances, key=lambda i: i["DBInstanceIdentifier"]):
        member = {"id": instance["DBInstanceIdentifier"], "class": instance["DBInstanceClass"], "az": instance.get("AvailabilityZone")}
        members.append(dict(member, role=("writer" if member["id"] in writers else "reader") if cluster else "primary"))
        if not cluster and instance.get("MultiAZ"):  # RDS names the standby's AZ; moto may not
            members.append(dict(member, az=instance.get("SecondaryAvailabilityZone") or "another AZ", role="standby"))
    return {
        "database": {
            "name": n["instance"],
            "kind": "aurora cluster" if cluster else "rds instance",
            "engine": "%s %s" % (main["Engine"], main["EngineVersion"]),
            "status": main.get("Status") or main.get("DBInstanceStatus"),
            "multi_az": len(set(i.get("AvailabilityZone") for i in instances)) > 1 if cluster else main.get("MultiAZ"),
            "storage_encrypted": main.get("StorageEncrypted"),
            "kms_key": main.get("KmsKeyId"),
            "backup_retention_days": main.get("BackupRetentionPeriod"),
            "deletion_protection": main.get("DeletionProtection"),
            "endpoint": main.get("Endpoint") if cluster else (main.get("Endpoint") or {}).get("Address"),
            "members": members,
        },
        "secret_arn": secret["ARN"] if secret else None,
    }


def _templates(clients, stack):
    found = []
    for template in StackView(clients, stack).app_resources("launch_template"):  # the compute tier's read
        versions = clients.ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"])
        data = versions[0]["LaunchTemplateData"] if versions else {}
        metadata = data.get("MetadataOptions") or {}
        found.append(
            {
                "name": template["LaunchTemplateName"],
                "version": versions[0]["VersionNumber"] if versions else None,
                "instance_type": data.get("InstanceType"),
                "imds": metadata.get("HttpTokens"),
                "hop_limit": metadata.get("HttpPutResponseHopLimit"),
            }
        )
    return found


def _group(group, policies, images, health):
    pool = group.get("WarmPoolConfiguration")
    return {
        "name": group["AutoScalingGroupName"],
        "min": group["MinSize"],
        "desired": group["DesiredCapacity"],
        "max": group["MaxSize"],
        "size": "%d/%d/%d" % (group["MinSize"], group["DesiredCapacity"], group["MaxSize"]),
        "subnets": len([s for s in (group.get("VPCZoneIdentifier") or "").split(",") if s]),
        "health_check": "%s (grace %ss)" % (group.get("HealthCheckType"), group.get("HealthCheckGracePeriod")),
        "policies": sorted(p["PolicyName"] for p in policies if p["AutoScalingGroupName"] == group["AutoScalingGroupName"]),
        "warm_pool": "warm pool min %s, %s" % (pool.get("MinSize", 0), pool.get("PoolState", "Stopped")) if pool else "no warm pool",
        "instances": [
            {
                "id": i["InstanceId"],
                "az": i.get("AvailabilityZone"),
                "lifecycle": i.get("LifecycleState"),
                "health": i.get("HealthStatus"),
                "target": health.get(i["InstanceId"], "unregistered"),
                "image": images.get(i["InstanceId"]) or "(untagged)",
            }
            for i in sorted(group.get("Instances") or [], key=lambda i: (i.get("AvailabilityZone") or "", i["InstanceId"]))
        ],
    }


def compute_part(clients, view, stack):
    """Launch templates, Auto Scaling groups (with each instance's AZ and health), load balancers and target groups."""
    groups = view.auto_scaling_groups()
    # one read per group, as the compute tier reads them (an account-wide read grows with the account)
    policies = [p for g in groups for p in clients.autoscaling.describe_policies(AutoScalingGroupName=g["AutoScalingGroupName"])]
    images = {}
    if groups:
        for reservation in clients.ec2.describe_instances(Filters=stack_filters(stack)):
            for instance in reservation["Instances"]:
                images[instance["InstanceId"]] = tag_dict(instance.get("Tags")).get(TAG_IMAGE)
    target_groups, health = [], {}
    for tier in APP_TIERS:
        group = view.target_group(tier)
        if group is None:
            continue
        targets = view.target_health(group["TargetGroupArn"])
        health.update((d["Target"]["Id"], d["TargetHealth"]["State"]) for d in targets)
        target_groups.append(
            {
                "tier": tier,
                "name": group["TargetGroupName"],
                "port": group["Port"],
                "health_path": group.get("HealthCheckPath"),
                "targets": ["%s %s" % (d["Target"]["Id"], d["TargetHealth"]["State"]) for d in targets],
            }
        )
    balancers = []
    for tier in APP_TIERS:
        balancer = view.load_balancer(tier)
        if balancer is not None and view.elb_tags().get(balancer["LoadBalancerArn"], {}).get(TAG_STACK) == stack:
            azs = sorted(z["ZoneName"] for z in balancer.get("AvailabilityZones") or [])
            balancers.append({"tier": tier, "name": balancer["LoadBalancerName"], "scheme": balancer["Scheme"], "dns": balancer["DNSName"], "azs": azs})
    by_tier = dict((g["AutoScalingGroupName"], g) for g in groups)
    return {
        "launch_templates": _templates(clients, stack),
        "auto_scaling_groups": [
            dict(_group(by_tier[name], policies, images, health), tier=tier)
            for tier, name in names.app_tiers(stack, "auto_scaling_group").items()
            if name in by_tier
        ],
        "load_balancers": balancers,
        "target_groups": target_groups,
    }


def cdn_part(clients, stack, region):
    """The stack's distribution (its comment and tags say whose) and its bucket's guard rails."""
    n = names.cdn(stack, region)
    found = None
    for item in clients.cloudfront.distributions():
        if item.get("Comment") == n["comment"]:
            tags = clients.cloudfront.list_tags_for_resource(Resource=item["ARN"])["Tags"].get("Items") or []
            if tag_dict(tags).get(TAG_STACK) == stack:
                found = item
    if found is None:
        return {"distribution": None, "bucket": None}
    s3_origin = next((o["DomainName"] for o in found["Origins"]["Items"] if ".s3." in o["DomainName"]), None)
    bucket = s3_origin.split(".s3.")[0] if s3_origin else None
    report = {
        "distribution": {
            "id": found["Id"],
            "name": n["distribution"],
            "domain_name": found["DomainName"],
            "status": found["Status"],
            "enabled": found["Enabled"],
            "aliases": found["Aliases"].get("Items") or [],
            "price_class": found["PriceClass"],
            "behaviors": [b["PathPattern"] for b in found["CacheBehaviors"].get("Items") or []],
        },
        "bucket": None,
    }
    if bucket:
        block = (clients.s3.get_public_access_block(Bucket=bucket, missing=None) or {}).get("PublicAccessBlockConfiguration") or {}
        versioning = (clients.s3.get_bucket_versioning(Bucket=bucket, missing=None) or {}).get("Status", "Disabled")
        rules = ((clients.s3.get_bucket_encryption(Bucket=bucket, missing=None) or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or [{}]
        encryption = (rules[0].get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm", "none")
        report["bucket"] = {"name": bucket, "public_access_blocked": bool(block) and all(block.values()), "versioning": versioning, "encryption": encryption}
    return report


def monitoring_part(clients, stack):
    """Alarms with their state, the dashboard, the alarm topic and the app log groups' retention."""
    n = names.monitoring(stack)
    alarms = clients.cloudwatch.describe_alarms(AlarmNamePrefix=n["alarm_prefix"], AlarmTypes=["MetricAlarm"])  # the monitoring tier's read
    topic = next((t["TopicArn"] for t in clients.sns.list_topics() if t["TopicArn"].endswith(":" + n["topic"])), None)
    dashboards = [n["dashboard"]] if clients.cloudwatch.dashboard_body(DashboardName=n["dashboard"]) is not None else []
    groups = clients.logs.describe_log_groups(logGroupNamePrefix=n["log_group_prefix"])
    states = {}
    for alarm in alarms:
        states[alarm["StateValue"]] = states.get(alarm["StateValue"], 0) + 1
    return {
        "topic_arn": topic,
        "topic": n["topic"] if topic else None,
        "dashboard": dashboards[0] if dashboards else None,
        "alarm_states": states,
        "alarms": sorted("%s %s" % (a["AlarmName"], a["StateValue"]) for a in alarms),
        "log_groups": sorted("%s retention %s" % (g["logGroupName"], g.get("retentionInDays", "never expires")) for g in groups),
    }


def pipeline_part(clients, stack, region):
    """Image repositories, the build project, deployment groups and the pipeline's stages."""
    n = names.pipeline(stack, region)
    repositories = []
    found = clients.ecr.repositories_named([n["repositories"][tier] for tier in APP_TIERS])  # as the pipeline tier reads them
    for name in n["repositories"].values():
        if name not in found:
            continue
        images = len(clients.ecr.list_images(repositoryName=name))
        scan = found[name].get("imageScanningConfiguration", {}).get("scanOnPush")
        repositories.append({"name": name, "line": "%s: %s tags, scan on push %s, %d image(s)" % (name, found[name].get("imageTagMutability"), scan, images)})
    projects = clients.codebuild.batch_get_projects(names=[n["build_project"]])["projects"]
    groups = []
    for name in sorted(clients.codedeploy.list_deployment_groups(applicationName=n["application"], missing=[])):
        info = clients.codedeploy.get_deployment_group(applicationName=n["application"], deploymentGroupName=name)["deploymentGroupInfo"]
        targets = ", ".join(g.get("name") for g in info.get("autoScalingGroups", []) if g.get("name")) or "-"
        groups.append("%s -> %s (%s)" % (name, targets, info.get("deploymentConfigName")))
    declared = clients.codepipeline.get_pipeline(name=n["pipeline"], missing=None)
    stages = ["%s: %s" % (s["name"], ", ".join(a["name"] for a in s["actions"])) for s in (declared or {}).get("pipeline", {}).get("stages", [])]
    bucket = clients.s3.head_bucket(Bucket=n["bucket"], missing=None)
    return {
        "pipeline": n["pipeline"] if declared else None,
        "artifact_bucket": n["bucket"] if bucket is not None else None,
        "code_repository": n["code_repository"],
        "repositories": repositories,
        "build_project": projects[0]["name"] if projects else None,
        "deployment_groups": groups,
        "stages": stages,
    }
