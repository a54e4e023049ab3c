"""What a stack holds in moto, resource by resource, IDs left out: to compare a fault run with a clean deploy.

``stack_state(url, stack)`` answers ``{"kind Name": count}`` of everything carrying the stack's tag (the
tagging API) or its name (the kinds moto's tagging API leaves out), plus a few settings per resource
(routes, rule counts, sizes) written with names instead of IDs. Two deploys that converged to the same
stack give equal states; a duplicate or an orphan shows as a count of 2 or as a key of its own.
"""

import contextlib
from collections import Counter

import boto3

REGION = "us-east-1"
TAG_STACK = "hatrading:stack"


def _client(url, service):
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


def _name(tags, fallback):
    tags = dict((tag["Key"], tag["Value"]) for tag in tags or [])
    return tags.get("Name") or fallback


def _mine(tags, stack):
    return any(tag["Key"] == TAG_STACK and tag["Value"] == stack for tag in tags or [])


def _keys_pending_deletion(url):
    """The ARNs of the KMS keys scheduled for deletion: on their way out (KMS waits 7 days at least), not orphans."""
    kms = _client(url, "kms")
    keys = [kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"] for key in kms.list_keys()["Keys"]]
    return set(key["Arn"] for key in keys if key["KeyState"] == "PendingDeletion")


def stack_state(url, stack):
    """{"kind Name": count, "kind Name setting": value}: the stack's resources as moto reports them, no IDs."""
    state = Counter()
    tagging = _client(url, "resourcegroupstaggingapi")
    leaving = _keys_pending_deletion(url)
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": TAG_STACK, "Values": [stack]}]):
        for item in page["ResourceTagMappingList"]:
            if item["ResourceARN"] in leaving:
                continue
            arn = item["ResourceARN"].split(":")
            kind = "%s:%s" % (arn[2], arn[5].split("/")[0])
            state["%s %s" % (kind, _name(item["Tags"], arn[-1].split("/")[-1] if kind.startswith(("s3", "sns")) else "-"))] += 1
    ec2 = _client(url, "ec2")
    mine = [{"Name": "tag:" + TAG_STACK, "Values": [stack]}]
    names = {}  # ID -> "kind Name", to write routes and rule peers without IDs
    for kind, call, key, id_key in (
        ("vpc", "describe_vpcs", "Vpcs", "VpcId"),
        ("subnet", "describe_subnets", "Subnets", "SubnetId"),
        ("igw", "describe_internet_gateways", "InternetGateways", "InternetGatewayId"),
        ("nat", "describe_nat_gateways", "NatGateways", "NatGatewayId"),
        ("sg", "describe_security_groups", "SecurityGroups", "GroupId"),
    ):
        params = {"Filter": mine} if kind == "nat" else {"Filters": mine}
        for item in getattr(ec2, call)(**params)[key]:
            if item.get("State") in ("deleted", "deleting", "failed"):
                continue
            names[item[id_key]] = "%s %s" % (kind, _name(item.get("Tags"), "-"))
    for address in ec2.describe_addresses(Filters=mine)["Addresses"]:
        state["eip %s in-use=%s" % (_name(address.get("Tags"), "-"), bool(address.get("AssociationId")))] += 1
    for acl in ec2.describe_network_acls(Filters=mine)["NetworkAcls"]:
        state["nacl %s" % _name(acl.get("Tags"), "-")] += 1
        state["nacl %s entries" % _name(acl.get("Tags"), "-")] += len(acl["Entries"])
    for table in ec2.describe_route_tables(Filters=mine)["RouteTables"]:
        label = "route-table %s" % _name(table.get("Tags"), "-")
        for route in table["Routes"]:
            target = route.get("GatewayId") or route.get("NatGatewayId") or "other"
            state["%s route %s -> %s" % (label, route.get("DestinationCidrBlock"), names.get(target, target if target == "local" else "?"))] += 1
        state["%s subnets" % label] += sum(1 for a in table.get("Associations", []) if a.get("SubnetId"))
    for group in ec2.describe_security_groups(Filters=mine)["SecurityGroups"]:
        label = "sg %s" % _name(group.get("Tags"), group["GroupName"])
        for direction in ("IpPermissions", "IpPermissionsEgress"):
            for perm in group[direction]:
                peers = [names.get(pair["GroupId"], "?") for pair in perm.get("UserIdGroupPairs", [])]
                peers += [cidr["CidrIp"] for cidr in perm.get("IpRanges", [])]
                for peer in peers:
                    state["%s %s %s %s-%s %s" % (label, direction, perm["IpProtocol"], perm.get("FromPort"), perm.get("ToPort"), peer)] += 1
    for vpc_id, label in names.items():
        if label.startswith("vpc "):
            state["%s subnets" % label] += len(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"])
            state["%s flow-logs" % label] += len(ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"])
    for template in ec2.describe_launch_templates()["LaunchTemplates"]:
        if template["LaunchTemplateName"].startswith(stack + "-"):
            state["launch-template %s" % template["LaunchTemplateName"]] += 1
    for group in _client(url, "autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]:
        if _mine(group.get("Tags"), stack) or group["AutoScalingGroupName"].startswith(stack + "-"):
            sizes = (group["MinSize"], group["MaxSize"], group["DesiredCapacity"], len(group["Instances"]), len(group["TargetGroupARNs"]))
            state["asg %s min,max,desired,instances,target-groups=%s" % (group["AutoScalingGroupName"], sizes)] += 1
    rds = _client(url, "rds")
    for db in rds.describe_db_instances()["DBInstances"]:
        state["db %s %s multi-az=%s port=%s" % (db["DBInstanceIdentifier"], db["DBInstanceClass"], db["MultiAZ"], db.get("Endpoint", {}).get("Port"))] += 1
    for group in rds.describe_db_subnet_groups()["DBSubnetGroups"]:
        state["db-subnet-group %s subnets=%d" % (group["DBSubnetGroupName"], len(group["Subnets"]))] += 1
    for group in rds.describe_db_parameter_groups()["DBParameterGroups"]:
        if not group["DBParameterGroupName"].startswith("default"):
            state["db-parameter-group %s" % group["DBParameterGroupName"]] += 1
    iam = _client(url, "iam")
    for role in iam.list_roles()["Roles"]:
        if role["RoleName"].startswith(stack + "-"):
            state["iam-role %s" % role["RoleName"]] += 1
    for profile in iam.list_instance_profiles()["InstanceProfiles"]:
        if profile["InstanceProfileName"].startswith(stack + "-"):
            state["instance-profile %s roles=%d" % (profile["InstanceProfileName"], len(profile["Roles"]))] += 1
    elbv2 = _client(url, "elbv2")
    for balancer in elbv2.describe_load_balancers()["LoadBalancers"]:
        listeners = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
        state["alb %s listeners=%s" % (balancer["LoadBalancerName"], sorted(listener["Port"] for listener in listeners))] += 1
    for bucket in _client(url, "s3").list_buckets()["Buckets"]:
        state["bucket %s" % bucket["Name"]] += 1
    state["cloudfront distributions"] += len(_client(url, "cloudfront").list_distributions()["DistributionList"].get("Items", []))
    for alias in _client(url, "kms").list_aliases()["Aliases"]:
        if not alias["AliasName"].startswith("alias/aws/"):
            state["kms-alias %s" % alias["AliasName"]] += 1
    state["kms keys"] += len(_client(url, "kms").list_keys()["Keys"]) - len(leaving)
    for secret in _client(url, "secretsmanager").list_secrets()["SecretList"]:
        state["secret %s" % secret["Name"]] += 1
    for topic in _client(url, "sns").list_topics()["Topics"]:
        state["sns-topic %s" % topic["TopicArn"].split(":")[-1]] += 1
    state["sns subscriptions"] += len(_client(url, "sns").list_subscriptions()["Subscriptions"])
    for repo in _client(url, "ecr").describe_repositories()["repositories"]:
        state["ecr %s" % repo["repositoryName"]] += 1
    codecommit = _client(url, "codecommit")  # moto has no ListRepositories
    with contextlib.suppress(codecommit.exceptions.RepositoryDoesNotExistException):
        state["codecommit %s" % codecommit.get_repository(repositoryName=stack + "-trading")["repositoryMetadata"]["repositoryName"]] += 1
    for project in _client(url, "codebuild").list_projects()["projects"]:
        state["codebuild %s" % project] += 1
    for app in _client(url, "codedeploy").list_applications()["applications"]:
        state["codedeploy %s" % app] += 1
    for pipeline in _client(url, "codepipeline").list_pipelines()["pipelines"]:
        state["codepipeline %s" % pipeline["name"]] += 1
    for rule in _client(url, "events").list_rules()["Rules"]:
        state["events-rule %s" % rule["Name"]] += 1
    for group in _client(url, "logs").describe_log_groups()["logGroups"]:
        state["log-group %s" % group["logGroupName"]] += 1
    state["cloudwatch alarms"] += len(_client(url, "cloudwatch").describe_alarms()["MetricAlarms"])
    return dict(state)


# keys that count many of a kind by design: a group's instances share their Name, the totals
MANY = ("ec2:instance ", "kms keys", "sns subscriptions", "cloudfront distributions", "cloudwatch alarms")


def duplicates(state):
    """The resources found more than once: the "kind Name" keys (no settings after them) with a count above 1."""
    return sorted(key for key, count in state.items() if count > 1 and len(key.split(" ")) == 2 and not key.startswith(MANY))


def differences(reference, state):
    """["key: reference -> state"] for each key whose count differs (a duplicate, an orphan, something missing)."""
    return [
        "%s: %s -> %s" % (key, reference.get(key, 0), state.get(key, 0))
        for key in sorted(set(reference) | set(state))
        if reference.get(key, 0) != state.get(key, 0)
    ]
