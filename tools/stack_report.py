"""Print what a stack holds, as the AWS endpoint reports it (found by the hatrading:stack tag).

    python tools/stack_report.py --stack demo [--region us-east-1] [--json]

Works against real AWS and against the lab's moto alike (boto3 reads AWS_ENDPOINT_URL).
"""

import argparse
import json
import sys

import boto3


def tag(resource, key="Name", tags_key="Tags"):
    return {t["Key"]: t["Value"] for t in resource.get(tags_key) or []}.get(key, "-")


def network_report(session, stack):
    ec2 = session.client("ec2")
    by_stack = [{"Name": "tag:hatrading:stack", "Values": [stack]}]
    vpcs = ec2.describe_vpcs(Filters=by_stack)["Vpcs"]
    if not vpcs:
        return {"vpc": None}
    vpc = vpcs[0]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    subnets = ec2.describe_subnets(Filters=in_vpc)["Subnets"]
    nats = ec2.describe_nat_gateways(Filter=in_vpc + [{"Name": "state", "Values": ["pending", "available"]}])["NatGateways"]
    tables = ec2.describe_route_tables(Filters=in_vpc + by_stack)["RouteTables"]
    acls = ec2.describe_network_acls(Filters=in_vpc + by_stack)["NetworkAcls"]
    groups = ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
    flows = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
    subnet_names = {s["SubnetId"]: tag(s) for s in subnets}
    group_names = {g["GroupId"]: g["GroupName"] for g in groups}

    def rules(perms):
        out = []
        for p in perms:
            ports = (
                "all"
                if p.get("IpProtocol") == "-1"
                else "%s/%s"
                % (p.get("IpProtocol"), p.get("FromPort") if p.get("FromPort") == p.get("ToPort") else "%s-%s" % (p.get("FromPort"), p.get("ToPort")))
            )
            peers = [r["CidrIp"] for r in p.get("IpRanges", [])] + [group_names.get(g["GroupId"], g["GroupId"]) for g in p.get("UserIdGroupPairs", [])]
            out.append("%s %s" % (ports, ",".join(peers)))
        return out

    return {
        "vpc": {"id": vpc["VpcId"], "name": tag(vpc), "cidr": vpc["CidrBlock"]},
        "subnets": sorted(
            ({"name": tag(s), "id": s["SubnetId"], "az": s["AvailabilityZone"], "cidr": s["CidrBlock"], "layer": tag(s, "hatrading:layer")} for s in subnets),
            key=lambda s: (["public", "app", "data"].index(s["layer"]) if s["layer"] in ("public", "app", "data") else 9, s["az"]),
        ),
        "nat_gateways": [
            {
                "name": tag(n),
                "id": n["NatGatewayId"],
                "subnet": subnet_names.get(n["SubnetId"]),
                "state": n["State"],
                "public_ip": (n.get("NatGatewayAddresses") or [{}])[0].get("PublicIp"),
            }
            for n in nats
        ],
        "route_tables": [
            {
                "name": tag(t),
                "id": t["RouteTableId"],
                "routes": ["%s -> %s" % (r.get("DestinationCidrBlock"), r.get("GatewayId") or r.get("NatGatewayId")) for r in t["Routes"]],
                "subnets": sorted(subnet_names.get(a.get("SubnetId"), "?") for a in t.get("Associations", []) if a.get("SubnetId")),
            }
            for t in tables
        ],
        "network_acls": [
            {
                "name": tag(a),
                "id": a["NetworkAclId"],
                "entries": len([e for e in a["Entries"] if e["RuleNumber"] < 32767]),
                "subnets": sorted(subnet_names.get(x["SubnetId"], "?") for x in a.get("Associations", [])),
            }
            for a in acls
        ],
        "security_groups": [
            {"name": g["GroupName"], "id": g["GroupId"], "ingress": rules(g.get("IpPermissions", [])), "egress": rules(g.get("IpPermissionsEgress", []))}
            for g in sorted(groups, key=lambda g: g["GroupName"])
        ],
        "flow_logs": [
            {"id": f["FlowLogId"], "traffic": f.get("TrafficType"), "log_group": f.get("LogGroupName"), "status": f.get("FlowLogStatus")} for f in flows
        ],
    }


def print_network(report):
    vpc = report["vpc"]
    if not vpc:
        print("network: no VPC for this stack")
        return
    print("VPC        %-28s %-24s %s" % (vpc["name"], vpc["id"], vpc["cidr"]))
    azs = sorted({s["az"] for s in report["subnets"]})
    print("Subnets    %d in %d AZs (%s)" % (len(report["subnets"]), len(azs), ", ".join(azs)))
    for s in report["subnets"]:
        print("  %-28s %-26s %-12s %s" % (s["name"], s["id"], s["az"], s["cidr"]))
    print("NAT        %d gateway(s)" % len(report["nat_gateways"]))
    for n in report["nat_gateways"]:
        print("  %-28s %-26s in %s (%s, %s)" % (n["name"], n["id"], n["subnet"], n["state"], n["public_ip"]))
    print("Routes     %d table(s)" % len(report["route_tables"]))
    for t in report["route_tables"]:
        print("  %-28s %s  [%s]" % (t["name"], "; ".join(t["routes"]), ", ".join(t["subnets"])))
    print("NACLs      %d" % len(report["network_acls"]))
    for a in report["network_acls"]:
        print("  %-28s %2d rules  [%s]" % (a["name"], a["entries"], ", ".join(a["subnets"])))
    print("Security groups")
    for g in report["security_groups"]:
        print("  %-28s in: %s" % (g["name"], "; ".join(g["ingress"]) or "nothing"))
        print("  %-28s out: %s" % ("", "; ".join(g["egress"]) or "nothing"))
    print("Flow logs  %s" % ("; ".join("%s %s -> %s (%s)" % (f["id"], f["traffic"], f["log_group"], f["status"]) for f in report["flow_logs"]) or "none"))


def database_report(session, stack):
    """The stack's database as RDS and Secrets Manager report it: never the secret's value."""
    rds = session.client("rds")
    name = "%s-database" % stack
    try:
        cluster = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]
    except rds.exceptions.DBClusterNotFoundFault:
        cluster = None
    ids = [name] + [m["DBInstanceIdentifier"] for m in (cluster or {}).get("DBClusterMembers", [])]
    instances = rds.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": ids}])["DBInstances"]
    try:
        secret = session.client("secretsmanager").describe_secret(SecretId="%s/database/master" % stack)
    except session.client("secretsmanager").exceptions.ResourceNotFoundException:
        secret = None
    main = cluster or next((i for i in instances if i["DBInstanceIdentifier"] == name), None)
    if main is None:
        return {"database": None}
    return {
        "database": {
            "name": name,
            "kind": "aurora cluster" if cluster else "rds instance",
            "engine": "%s %s" % (main["Engine"], main["EngineVersion"]),
            "multi_az": len({i.get("AvailabilityZone") for i in instances}) > 1 if cluster else main.get("MultiAZ"),
            "storage_encrypted": main.get("StorageEncrypted"),
            "kms_key": main.get("KmsKeyId"),
            "backup_retention_days": main.get("BackupRetentionPeriod"),
            "deletion_protection": main.get("DeletionProtection"),
            "endpoint": main.get("Endpoint") if cluster else (main.get("Endpoint") or {}).get("Address"),
            "instances": sorted("%s %s %s" % (i["DBInstanceIdentifier"], i["DBInstanceClass"], i.get("AvailabilityZone")) for i in instances),
        },
        "secret_arn": secret["ARN"] if secret else None,
    }


def print_database(report):
    db = report["database"]
    if not db:
        print("database: none for this stack")
        return
    print("Database   %-28s %s, %s" % (db["name"], db["kind"], db["engine"]))
    print(
        "  Multi-AZ %s, encrypted %s (%s), backups %s days, deletion protection %s"
        % (db["multi_az"], db["storage_encrypted"], db["kms_key"], db["backup_retention_days"], db["deletion_protection"])
    )
    print("  endpoint %s" % db["endpoint"])
    for line in db["instances"]:
        print("  %s" % line)
    print("  secret   %s (its ARN; the value is never read)" % report["secret_arn"])


def compute_report(session, stack):
    """Launch templates, Auto Scaling groups, load balancers and target groups of the stack."""
    ec2, asg, elb = session.client("ec2"), session.client("autoscaling"), session.client("elbv2")
    templates = []
    for template in ec2.describe_launch_templates(Filters=[{"Name": "tag:hatrading:stack", "Values": [stack]}])["LaunchTemplates"]:
        version = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"])["LaunchTemplateVersions"][0]
        data = version["LaunchTemplateData"]
        templates.append(
            {
                "name": template["LaunchTemplateName"],
                "version": version["VersionNumber"],
                "instance_type": data.get("InstanceType"),
                "imds": (data.get("MetadataOptions") or {}).get("HttpTokens"),
                "hop_limit": (data.get("MetadataOptions") or {}).get("HttpPutResponseHopLimit"),
            }
        )
    groups = [
        g
        for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]
        if any(t["Key"] == "hatrading:stack" and t["Value"] == stack for t in g.get("Tags", []))
    ]
    policies = asg.describe_policies()["ScalingPolicies"]
    images = {}  # instance id -> the image it was launched to run (tag hatrading:image, set by the launch template)
    for page in ec2.get_paginator("describe_instances").paginate(Filters=[{"Name": "tag:hatrading:stack", "Values": [stack]}]):
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                images[instance["InstanceId"]] = tag(instance, "hatrading:image")
    balancers = elb.describe_load_balancers()["LoadBalancers"]
    target_groups = elb.describe_target_groups()["TargetGroups"]
    arns = [b["LoadBalancerArn"] for b in balancers] + [t["TargetGroupArn"] for t in target_groups]
    tagged = {}
    for start in range(0, len(arns), 20):
        for description in elb.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]:
            tagged[description["ResourceArn"]] = {t["Key"]: t["Value"] for t in description.get("Tags", [])}

    def mine(arn):
        return tagged.get(arn, {}).get("hatrading:stack") == stack

    return {
        "launch_templates": templates,
        "auto_scaling_groups": [
            {
                "name": g["AutoScalingGroupName"],
                "size": "%d/%d/%d" % (g["MinSize"], g["DesiredCapacity"], g["MaxSize"]),
                "subnets": len((g.get("VPCZoneIdentifier") or "").split(",")),
                "health_check": "%s (grace %ss)" % (g.get("HealthCheckType"), g.get("HealthCheckGracePeriod")),
                "instances": len(g.get("Instances", [])),
                "policies": sorted(p["PolicyName"] for p in policies if p["AutoScalingGroupName"] == g["AutoScalingGroupName"]),
                "images": sorted(set(images.get(i["InstanceId"]) or "(untagged)" for i in g.get("Instances", []))),
                "warm_pool": g.get("WarmPoolConfiguration"),
            }
            for g in groups
        ],
        "load_balancers": [{"name": b["LoadBalancerName"], "scheme": b["Scheme"], "dns": b["DNSName"]} for b in balancers if mine(b["LoadBalancerArn"])],
        "target_groups": [
            {
                "name": t["TargetGroupName"],
                "port": t["Port"],
                "health_path": t.get("HealthCheckPath"),
                "targets": [
                    "%s %s" % (d["Target"]["Id"], d["TargetHealth"]["State"])
                    for d in elb.describe_target_health(TargetGroupArn=t["TargetGroupArn"])["TargetHealthDescriptions"]
                ],
            }
            for t in target_groups
            if mine(t["TargetGroupArn"])
        ],
    }


def print_compute(report):
    if not (report["launch_templates"] or report["auto_scaling_groups"] or report["load_balancers"]):
        print("compute: nothing for this stack")
        return
    print("Launch templates")
    for t in report["launch_templates"]:
        print("  %-28s v%s %s, IMDSv2 %s (hop limit %s)" % (t["name"], t["version"], t["instance_type"], t["imds"], t["hop_limit"]))
    print("Auto Scaling groups (min/desired/max)")
    for g in report["auto_scaling_groups"]:
        print(
            "  %-28s %s over %d subnets, %d instances, %s, policies: %s"
            % (g["name"], g["size"], g["subnets"], g["instances"], g["health_check"], ", ".join(g["policies"]))
        )
        pool = g["warm_pool"]
        warm = "warm pool min %s, %s" % (pool.get("MinSize", 0), pool.get("PoolState", "Stopped")) if pool else "no warm pool"
        print("  %-28s images: %s; %s" % ("", ", ".join(g["images"]) or "none", warm))
    print("Load balancers")
    for b in report["load_balancers"]:
        print("  %-28s %-16s %s" % (b["name"], b["scheme"], b["dns"]))
    print("Target groups")
    for t in report["target_groups"]:
        print("  %-28s port %s, health %s: %s" % (t["name"], t["port"], t["health_path"], "; ".join(t["targets"]) or "no targets"))


def cdn_report(session, stack):
    """The stack's distribution (by its comment and tags) and its bucket's guard rails."""
    cloudfront = session.client("cloudfront")
    found = None
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for item in page.get("DistributionList", {}).get("Items") or []:
            if item.get("Comment") != "hatrading %s cdn" % stack:
                continue
            tags = {t["Key"]: t["Value"] for t in cloudfront.list_tags_for_resource(Resource=item["ARN"])["Tags"].get("Items") or []}
            if tags.get("hatrading:stack") == stack:
                found = item
    if found is None:
        return {"distribution": None}
    origins = found["Origins"]["Items"]
    s3_origin = next((o["DomainName"] for o in origins if ".s3." in o["DomainName"]), None)
    bucket = s3_origin.split(".s3.")[0] if s3_origin else None
    report = {
        "distribution": {
            "id": found["Id"],
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
        s3 = session.client("s3")
        try:
            block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
            versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status", "Disabled")
            rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
            encryption = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        except s3.exceptions.ClientError:
            block, versioning, encryption = {}, "?", "?"
        report["bucket"] = {"name": bucket, "public_access_blocked": bool(block) and all(block.values()), "versioning": versioning, "encryption": encryption}
    return report


def print_cdn(report):
    dist = report["distribution"]
    if not dist:
        print("cdn: nothing for this stack")
        return
    print("CDN")
    aliases = ", ".join(dist["aliases"]) or "-"
    print("  distribution %s %s (%s, %s), aliases: %s" % (dist["id"], dist["domain_name"], dist["status"], dist["price_class"], aliases))
    print("  behaviors: default -> bucket%s" % "".join(", %s -> ALB" % b for b in dist["behaviors"]))
    bucket = report["bucket"]
    if bucket:
        facts = (bucket["name"], bucket["public_access_blocked"], bucket["versioning"], bucket["encryption"])
        print("  bucket %s: public access blocked %s, versioning %s, encryption %s" % facts)


def monitoring_report(session, stack):
    """The stack's alarms (with their state), dashboard, alarm topic and app log group retention."""
    cw = session.client("cloudwatch")
    alarms = cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix="%s-" % stack).build_full_result()["MetricAlarms"]
    topic = next((t["TopicArn"] for t in session.client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(":%s-alarms" % stack)), None)
    name = "hatrading-" + stack
    dashboards = [d["DashboardName"] for d in cw.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"] if d["DashboardName"] == name]
    groups = session.client("logs").describe_log_groups(logGroupNamePrefix="/hatrading/%s/" % stack)["logGroups"]
    return {
        "topic_arn": topic,
        "dashboard": dashboards[0] if dashboards else None,
        "alarms": sorted("%s %s" % (a["AlarmName"], a["StateValue"]) for a in alarms),
        "log_groups": sorted("%s retention %s" % (g["logGroupName"], g.get("retentionInDays", "never expires")) for g in groups),
    }


def print_monitoring(report):
    print("Monitoring topic %s, dashboard %s, %d alarms" % (report["topic_arn"], report["dashboard"], len(report["alarms"])))
    for line in report["alarms"] + report["log_groups"]:
        print("  %s" % line)


def pipeline_report(session, stack):
    """The stack's image repositories (settings, image count), build project, deployment groups and pipeline stages."""
    ecr = session.client("ecr")
    names = ["hatrading/%s/frontend" % stack, "hatrading/%s/backend" % stack]
    repos = []
    for name in names:
        try:
            repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        except ecr.exceptions.RepositoryNotFoundException:
            continue
        images = sum(len(page["imageIds"]) for page in ecr.get_paginator("list_images").paginate(repositoryName=name))
        scan = repo.get("imageScanningConfiguration", {}).get("scanOnPush")
        repos.append("%s: %s tags, scan on push %s, %d image(s)" % (name, repo.get("imageTagMutability"), scan, images))
    projects = session.client("codebuild").batch_get_projects(names=["%s-images" % stack])["projects"]
    report = {"repositories": repos, "build_project": projects[0]["name"] if projects else None, "deployment_groups": [], "stages": []}
    deploy = session.client("codedeploy")
    try:
        groups = deploy.list_deployment_groups(applicationName=stack)["deploymentGroups"]
    except deploy.exceptions.ApplicationDoesNotExistException:
        groups = []
    for name in sorted(groups):
        info = deploy.get_deployment_group(applicationName=stack, deploymentGroupName=name)["deploymentGroupInfo"]
        targets = [g.get("name") for g in info.get("autoScalingGroups", [])]
        report["deployment_groups"].append("%s -> %s (%s)" % (name, ", ".join(t for t in targets if t) or "-", info.get("deploymentConfigName")))
    pipelines = session.client("codepipeline")
    try:
        declared = pipelines.get_pipeline(name=stack)["pipeline"]
        report["stages"] = ["%s: %s" % (s["name"], ", ".join(a["name"] for a in s["actions"])) for s in declared["stages"]]
    except pipelines.exceptions.PipelineNotFoundException:
        pass
    return report


def print_pipeline(report):
    if not (report["repositories"] or report["build_project"] or report["stages"]):
        print("pipeline: nothing for this stack")
        return
    print("Pipeline: build project %s" % report["build_project"])
    for line in report["repositories"] + report["deployment_groups"]:
        print("  %s" % line)
    print("  stages: %s" % (" -> ".join(report["stages"]) or "-"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    report = {"stack": args.stack, "network": network_report(session, args.stack), "database": database_report(session, args.stack)}
    report["compute"] = compute_report(session, args.stack)
    report["cdn"] = cdn_report(session, args.stack)
    report["monitoring"] = monitoring_report(session, args.stack)
    report["pipeline"] = pipeline_report(session, args.stack)
    if args.json:
        json.dump(report, sys.stdout, indent=2, default=str)
        print()
    else:
        print("== stack %s (%s) ==" % (args.stack, session.region_name))
        print_network(report["network"])
        print_database(report["database"])
        print_compute(report["compute"])
        print_cdn(report["cdn"])
        print_monitoring(report["monitoring"])
        print_pipeline(report["pipeline"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
