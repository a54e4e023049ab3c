# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hatrading.aws.stack inventory, minus Ansible: AWS reads and pure grouping functions.

Reads (one wrapper per API call, each page retried by the client's retry decorator):
  * DescribeInstances, filtered server-side by the stack tag and instance state, 1,000 per page,
    each page reduced to compact host records at once (the raw page is dropped);
  * DescribeAutoScalingGroups filtered by the stack tag (the instances, lifecycle states and
    launch template versions of all the stack's groups in one or two pages), and
    DescribeAutoScalingInstances in batches of 50 only for instances of groups that lack the tag;
  * DescribeTargetGroups + DescribeTags (20 ARNs a call) to find the stack's target groups,
    then one DescribeTargetHealth per target group;
  * with the SSM groups on, ssm DescribeInstanceInformation for the stack's instance IDs, 50 a call
    (batches run concurrently, each paginated);
  * per account of the ``accounts`` option, one sts AssumeRole before the account's reads.

Pure functions turn those records into host names, host variables and group names; the
plugin (plugins/inventory/stack.py) only adds them to the inventory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from concurrent.futures import ThreadPoolExecutor

TAG_STACK = "hatrading:stack"
TAG_TIER = "hatrading:tier"
TAG_COMPONENT = "hatrading:component"  # the compute tier tags tier=compute, component=frontend|backend
TAG_IMAGE = "hatrading:image"
TAG_NAME = "Name"
TAG_ASG = "aws:autoscaling:groupName"
TAG_LT_ID = "aws:ec2launchtemplate:id"
TAG_LT_VERSION = "aws:ec2launchtemplate:version"

# The cache entry's "version": bump it when the shape of an entry changes; an entry of any other version
# (older, newer or none) is ignored and the inventory read again. 2: accounts and SSM ping status.
CACHE_FORMAT = 2
DEFAULT_STATES = ["pending", "running", "stopping", "stopped"]
PERMISSION_CODES = (
    "UnauthorizedOperation",
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedAccess",
    "AuthFailure",
    "Forbidden",
)
ASG_BATCH = 50  # DescribeAutoScalingInstances takes at most 50 instance IDs
TAGS_BATCH = 20  # elbv2 DescribeTags takes at most 20 ARNs
SSM_BATCH = 50  # DescribeInstanceInformation: at most 50 results a page; 50 IDs a filter keeps it one page
SSM_WORKERS = 4  # concurrent DescribeInstanceInformation batches per region
# SSM agent ping status -> group (ssm_<suffix>); an instance SSM does not know is ssm_unregistered.
SSM_GROUPS = {"Online": "online", "ConnectionLost": "connectionlost", "Inactive": "inactive"}
_ROLE_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:iam::(\d{12}):role/.+$")

# Auto Scaling lifecycle state -> group suffix (lifecycle_<suffix>).
LIFECYCLE_GROUPS = {
    "Pending": "pending",
    "Pending:Wait": "pending",
    "Pending:Proceed": "pending",
    "Quarantined": "pending",
    "InService": "inservice",
    "Terminating": "terminating",
    "Terminating:Wait": "terminating",
    "Terminating:Proceed": "terminating",
    "Terminated": "terminating",
    "EnteringStandby": "standby",
    "Standby": "standby",
    "Detaching": "detaching",
    "Detached": "detaching",
}

# Target health state -> health group; the worst state over an instance's target groups wins.
HEALTH_GROUPS = {
    "healthy": "healthy",
    "initial": "initial",
    "unhealthy": "unhealthy",
    "unavailable": "unhealthy",
    "draining": "draining",
}
HEALTH_RANK = {"healthy": 0, "initial": 1, "unhealthy": 2, "draining": 3}

_INVALID_GROUP_CHARS = re.compile(r"[^A-Za-z0-9_]")

# The host variables set by default; with the plugin's all_hostvars option every fact is set. Each variable costs
# ansible-core time per host (at 10,000 hosts most of a run), and compose/groups/keyed_groups see every fact anyway.
ESSENTIAL_HOSTVARS = frozenset(
    [
        "instance_id",
        "region",
        "availability_zone",
        "private_ip_address",
        "tier",
        "image_tag",
        "asg_name",
        "lifecycle_state",
        "launch_template_version",
        "target_group_arns",
        "health",
        "target_health",
        "account_id",
        "ssm_ping_status",
    ]
)


def host_variables(facts, everything=False):
    """The variables set on the host: the essential facts and ansible_* (or every fact), never a None."""
    return dict((key, value) for key, value in facts.items() if value is not None and (everything or key in ESSENTIAL_HOSTVARS or key.startswith("ansible_")))


# ---------------------------------------------------------------------------------------------
# AWS reads. `client` is the AWS layer's Service of that service (_aws/): each page is one retried call.
# ---------------------------------------------------------------------------------------------


def instance_filters(stack, states):
    """Server-side DescribeInstances filters for one stack."""
    filters = [{"Name": "tag:%s" % TAG_STACK, "Values": [stack]}]
    if states:
        filters.append({"Name": "instance-state-name", "Values": list(states)})
    return filters


def iter_instance_pages(client, filters, page_size=1000):
    """Yield the instances of each DescribeInstances page; every page is retried on its own."""
    params = {"Filters": filters, "MaxResults": page_size}
    while True:
        page = client.call("describe_instances", **params)
        for reservation in page.get("Reservations", []):
            yield from reservation.get("Instances", [])
        token = page.get("NextToken")
        if not token:
            return
        params["NextToken"] = token


def describe_stack_instances(client, stack, region, states=None, page_size=1000):
    """Compact host records of the stack's instances in one region, page by page."""
    return [instance_record(instance, region) for instance in iter_instance_pages(client, instance_filters(stack, states), page_size)]


def describe_stack_autoscaling(client, stack):
    """{instance id: Auto Scaling facts} for the instances of the Auto Scaling groups tagged with the stack."""
    params = {"Filters": [{"Name": "tag:%s" % TAG_STACK, "Values": [stack]}], "MaxRecords": 100}
    found = {}
    while True:
        page = client.call("describe_auto_scaling_groups", **params)
        for group in page.get("AutoScalingGroups", []):
            for instance in group.get("Instances", []):
                found[instance["InstanceId"]] = autoscaling_record(instance, group["AutoScalingGroupName"])
        token = page.get("NextToken")
        if not token:
            return found
        params["NextToken"] = token


def describe_autoscaling_instances(client, instance_ids):
    """{instance id: Auto Scaling facts} for the given instances, 50 IDs a call."""
    found = {}
    ids = list(instance_ids)
    for start in range(0, len(ids), ASG_BATCH):
        params = {"InstanceIds": ids[start : start + ASG_BATCH], "MaxRecords": ASG_BATCH}
        while True:
            page = client.call("describe_auto_scaling_instances", **params)
            for instance in page.get("AutoScalingInstances", []):
                found[instance["InstanceId"]] = autoscaling_record(instance, instance.get("AutoScalingGroupName"))
            token = page.get("NextToken")
            if not token:
                break
            params["NextToken"] = token
    return found


def describe_stack_target_groups(client, stack):
    """[{arn, name, tier}] of the target groups tagged with the stack (DescribeTargetGroups + DescribeTags)."""
    groups = []
    params = {"PageSize": 400}
    while True:
        page = client.call("describe_target_groups", **params)
        groups.extend(page.get("TargetGroups", []))
        marker = page.get("NextMarker")
        if not marker:
            break
        params["Marker"] = marker
    names = {group["TargetGroupArn"]: group.get("TargetGroupName") for group in groups}
    arns = list(names)
    found = []
    for start in range(0, len(arns), TAGS_BATCH):
        answer = client.call("describe_tags", ResourceArns=arns[start : start + TAGS_BATCH])
        for description in answer.get("TagDescriptions", []):
            tags = tag_dict(description.get("Tags"))
            if tags.get(TAG_STACK) == stack:
                arn = description["ResourceArn"]
                found.append({"arn": arn, "name": names.get(arn), "tier": tier_of(tags)})
    return sorted(found, key=lambda group: group["arn"])


def describe_target_health(client, target_group_arn):
    """{instance id: state} of the instance targets registered in one target group."""
    answer = client.call("describe_target_health", TargetGroupArn=target_group_arn)
    health = {}
    for description in answer.get("TargetHealthDescriptions", []):
        target_id = description.get("Target", {}).get("Id", "")
        if target_id.startswith("i-"):
            health[target_id] = description.get("TargetHealth", {}).get("State", "unavailable")
    return health


def describe_stack_health(client, stack):
    """{instance id: {target group arn: state}} over the stack's target groups, plus the groups found."""
    target_groups = describe_stack_target_groups(client, stack)
    health = {}
    for group in target_groups:
        for instance_id, state in describe_target_health(client, group["arn"]).items():
            health.setdefault(instance_id, {})[group["arn"]] = state
    return health, target_groups


def assume_role(client, role_arn, session_name, external_id=None, duration_seconds=None):
    """Temporary credentials of ``role_arn`` (sts AssumeRole) as boto3 client keyword arguments."""
    params = {"RoleArn": role_arn, "RoleSessionName": session_name}
    if external_id:
        params["ExternalId"] = external_id
    if duration_seconds:
        params["DurationSeconds"] = int(duration_seconds)
    credentials = client.call("assume_role", **params)["Credentials"]
    return {
        "profile_name": None,
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def describe_ssm_batch(client, instance_ids):
    """{instance id: ping status} of the given instances (at most SSM_BATCH) that SSM manages, every page."""
    params = {"Filters": [{"Key": "InstanceIds", "Values": list(instance_ids)}], "MaxResults": SSM_BATCH}
    found = {}
    while True:
        page = client.call("describe_instance_information", **params)
        for info in page.get("InstanceInformationList", []):
            found[info["InstanceId"]] = info.get("PingStatus")
        token = page.get("NextToken")
        if not token:
            return found
        params["NextToken"] = token


def describe_ssm_ping(client, instance_ids, workers=SSM_WORKERS):
    """{instance id: ping status} for the instances SSM manages, SSM_BATCH IDs a call, batches concurrently."""
    ids = sorted(instance_ids)
    batches = [ids[start : start + SSM_BATCH] for start in range(0, len(ids), SSM_BATCH)]
    found = {}
    if len(batches) <= 1 or workers <= 1:
        for batch in batches:
            found.update(describe_ssm_batch(client, batch))
        return found
    with ThreadPoolExecutor(max_workers=min(workers, len(batches))) as pool:
        for answer in pool.map(lambda batch: describe_ssm_batch(client, batch), batches):
            found.update(answer)
    return found


def error_code(error):
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(error, "response", None) or {}
    return response.get("Error", {}).get("Code", "")


def is_permission_error(error):
    response = getattr(error, "response", None) or {}
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(error) in PERMISSION_CODES or status == 403


# ---------------------------------------------------------------------------------------------
# Pure functions: records, host names, host variables, groups.
# ---------------------------------------------------------------------------------------------


def tag_dict(tags):
    return {tag["Key"]: tag.get("Value", "") for tag in tags or []}


def tier_of(tags):
    """The application tier of a resource: tag hatrading:component when set (frontend/backend), else hatrading:tier."""
    return tags.get(TAG_COMPONENT) or tags.get(TAG_TIER)


def instance_record(instance, region):
    """The few facts the inventory keeps of one DescribeInstances entry (JSON-safe, cacheable)."""
    tags = tag_dict(instance.get("Tags"))
    placement = instance.get("Placement") or {}
    launch_time = instance.get("LaunchTime")
    return {
        "instance_id": instance["InstanceId"],
        "region": region,
        "availability_zone": placement.get("AvailabilityZone"),
        "private_ip_address": instance.get("PrivateIpAddress"),
        "private_dns_name": instance.get("PrivateDnsName"),
        "public_ip_address": instance.get("PublicIpAddress"),
        "instance_type": instance.get("InstanceType"),
        "image_id": instance.get("ImageId"),
        "instance_state": (instance.get("State") or {}).get("Name"),
        "launch_time": launch_time.isoformat() if hasattr(launch_time, "isoformat") else launch_time,
        "subnet_id": instance.get("SubnetId"),
        "vpc_id": instance.get("VpcId"),
        "tags": tags,
    }


def autoscaling_record(instance, group_name):
    """Auto Scaling facts of one instance (from DescribeAutoScalingGroups or DescribeAutoScalingInstances)."""
    template = instance.get("LaunchTemplate") or {}
    return {
        "asg_name": group_name,
        "lifecycle_state": instance.get("LifecycleState"),
        "asg_health_status": instance.get("HealthStatus"),
        "launch_template_id": template.get("LaunchTemplateId"),
        "launch_template_name": template.get("LaunchTemplateName"),
        "launch_template_version": template.get("Version"),
    }


def unmatched_asg_members(records, autoscaling):
    """IDs of instances tagged as members of an Auto Scaling group that the stack-tag query did not return."""
    return sorted(record["instance_id"] for record in records if record["tags"].get(TAG_ASG) and record["instance_id"] not in autoscaling)


def aggregate_health(states):
    """One health word for an instance registered in several target groups: the worst state wins."""
    words = [HEALTH_GROUPS.get(state, "unhealthy") for state in states]
    if not words:
        return None
    return max(words, key=lambda word: HEALTH_RANK[word])


def host_facts(record, autoscaling=None, health=None, target_groups=None, ssm_status=None):
    """Host variables (without connection settings) of one instance record.

    ``autoscaling``: this instance's Auto Scaling facts or None; ``health``: {target group arn: state};
    ``target_groups``: {arn: {"name":..., "tier":...}} of the stack's target groups; ``ssm_status``: its SSM
    agent ping status (None when SSM does not know it or was not read).
    """
    tags = record["tags"]
    autoscaling = autoscaling or {}
    health = health or {}
    target_groups = target_groups or {}
    facts = dict(record)
    facts["instance_tags"] = facts.pop("tags")  # `tags` is a reserved name in Ansible
    facts["account_id"] = record.get("account_id")
    facts["ssm_ping_status"] = ssm_status
    facts["stack"] = tags.get(TAG_STACK)
    facts["tier"] = tier_of(tags)
    facts["instance_name"] = tags.get(TAG_NAME)
    facts["image_tag"] = tags.get(TAG_IMAGE)
    facts["asg_name"] = autoscaling.get("asg_name") or tags.get(TAG_ASG)
    facts["lifecycle_state"] = autoscaling.get("lifecycle_state")
    facts["asg_health_status"] = autoscaling.get("asg_health_status")
    version = autoscaling.get("launch_template_version") or tags.get(TAG_LT_VERSION)
    facts["launch_template_id"] = autoscaling.get("launch_template_id") or tags.get(TAG_LT_ID)
    facts["launch_template_name"] = autoscaling.get("launch_template_name")
    facts["launch_template_version"] = str(version) if version is not None else None
    # Health counts in the target groups of the instance's own tier (and untiered ones); an instance
    # registered only in target groups tagged with another tier is judged by those.
    relevant = {arn: state for arn, state in health.items() if target_groups.get(arn, {}).get("tier") in (None, facts["tier"])}
    relevant = relevant or dict(health)
    facts["target_group_arns"] = sorted(relevant)
    facts["health"] = aggregate_health(relevant.values())
    # one state: the health word says it all; several: the state in each target group
    facts["target_health"] = dict(sorted(relevant.items())) if len(relevant) > 1 else None
    return facts


def connection_vars(facts, settings):
    """ansible_* connection variables for one host, per the plugin's connection options."""
    kind = settings.get("connection") or "none"
    if kind == "ssm":
        # aws_ssm takes the instance ID from ansible_host when ansible_aws_ssm_instance_id is unset: one variable less
        result = {
            "ansible_connection": "amazon.aws.aws_ssm",
            "ansible_host": facts["instance_id"],
            "ansible_aws_ssm_region": facts["region"],
        }
        if settings.get("ssm_bucket_name"):
            result["ansible_aws_ssm_bucket_name"] = settings["ssm_bucket_name"]
        return result
    if kind == "ssh":
        address = facts.get("public_ip_address") if settings.get("ssh_address") == "public" else facts.get("private_ip_address")
        result = {"ansible_connection": "ssh", "ansible_host": address or facts.get("private_ip_address")}
        if settings.get("ssh_user"):
            result["ansible_user"] = settings["ssh_user"]
        if settings.get("ssh_bastion"):
            result["ansible_ssh_common_args"] = "-o ProxyJump=%s" % settings["ssh_bastion"]
        return result
    return {}


def host_name(facts, source):
    """The inventory host name: instance ID (default), private IP address or private DNS name."""
    if source in ("private_ip_address", "private_dns_name") and facts.get(source):
        return facts[source]
    return facts["instance_id"]


def group_name(prefix, value):
    """A valid Ansible group name: '<prefix>_<value>' with every character outside [A-Za-z0-9_] as '_'."""
    text = "%s_%s" % (prefix, value) if prefix else str(value)
    return _INVALID_GROUP_CHARS.sub("_", text)


def host_groups(facts, ssm_read=False):
    """The groups one host joins without any configuration (ssm_* only when SSM was read for it)."""
    groups = []
    if facts.get("account_id"):
        groups.append(group_name("account", facts["account_id"]))
    if facts.get("tier"):
        groups.append(group_name("tier", facts["tier"]))
    if facts.get("region"):
        groups.append(group_name("region", facts["region"]))
    if facts.get("availability_zone"):
        groups.append(group_name("az", facts["availability_zone"]))
    if facts.get("asg_name"):
        groups.append(group_name("asg", facts["asg_name"]))
    state = facts.get("lifecycle_state")
    if state:
        suffix = LIFECYCLE_GROUPS.get(state)
        if suffix is None and state.startswith("Warmed:"):
            suffix = "warmed"
        groups.append(group_name("lifecycle", suffix or state.lower()))
    if facts.get("health"):
        groups.append(facts["health"])
    if ssm_read:
        status = facts.get("ssm_ping_status")
        groups.append(group_name("ssm", SSM_GROUPS.get(status) or (status.lower() if status else "unregistered")))
    return groups


def build_hosts(records, autoscaling, health, target_groups, settings, ssm=None):
    """[(host name, host variables, groups)] for the records of one or more regions, in a stable order.

    ``autoscaling`` {instance id: facts}; ``health`` {instance id: {arn: state}};
    ``target_groups`` {arn: {"name", "tier"}}; ``settings`` the hostname/connection options;
    ``ssm`` {instance id: ping status, None when SSM does not know it} for the instances whose SSM status
    was read (they join an ssm_* group); the others join none.
    """
    ssm = ssm or {}
    hosts = []
    seen = set()
    for record in sorted(records, key=lambda item: (item["region"], item["instance_id"])):
        instance_id = record["instance_id"]
        ssm_status = ssm.get(instance_id)
        facts = host_facts(record, autoscaling.get(instance_id), health.get(instance_id), target_groups, ssm_status)
        name = host_name(facts, settings.get("hostname"))
        if name in seen:  # two instances with one address: fall back to the (unique) instance ID
            name = facts["instance_id"]
        seen.add(name)
        facts.update(connection_vars(facts, settings))
        hosts.append((name, facts, host_groups(facts, ssm_read=instance_id in ssm)))
    return hosts


def role_account(role_arn):
    """The 12-digit account ID in an IAM role ARN (None when it is not one)."""
    match = _ROLE_ARN.match(role_arn or "")
    return match.group(1) if match else None


def normalize_accounts(accounts, default_regions):
    """The ``accounts`` option as [{role_arn, account_id, regions, external_id, session_name}], or raise ValueError.

    An entry without ``role_arn`` is read with the plugin's own credentials; an entry without ``regions``
    uses the plugin's ``regions``. Plain str/list copies: option values carry Ansible metadata.
    """
    if not isinstance(accounts, list):
        raise ValueError("option 'accounts' must be a list of {role_arn, regions}")
    found, seen = [], set()
    for number, entry in enumerate(accounts, start=1):
        if not isinstance(entry, dict):
            raise ValueError("accounts entry %d must be a dictionary with role_arn and regions" % number)
        unknown = sorted(set(entry) - set(["role_arn", "regions", "external_id", "session_name"]))
        if unknown:
            raise ValueError("accounts entry %d: unknown key(s) %s (known: role_arn, regions, external_id, session_name)" % (number, ", ".join(unknown)))
        role_arn = "%s" % entry["role_arn"] if entry.get("role_arn") else None
        account_id = role_account(role_arn)
        if role_arn and account_id is None:
            raise ValueError("accounts entry %d: role_arn %r is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)" % (number, role_arn))
        regions = entry.get("regions") or default_regions
        if not regions or not isinstance(regions, list):
            raise ValueError("accounts entry %d lists no regions, and option 'regions' gives none" % number)
        key = role_arn or ""
        if key in seen:
            raise ValueError("accounts entry %d repeats %s" % (number, role_arn or "the plugin's own credentials"))
        seen.add(key)
        found.append(
            {
                "role_arn": role_arn,
                "account_id": account_id,
                "regions": sorted(set("%s" % region for region in regions)),
                "external_id": "%s" % entry["external_id"] if entry.get("external_id") else None,
                "session_name": "%s" % entry["session_name"] if entry.get("session_name") else None,
            }
        )
    return found


def answer_key(account_id, region):
    """The key of one (account, region) answer in a cache entry."""
    return region if account_id is None else "%s/%s" % (account_id, region)


def query_fingerprint(stack, regions, states, include_autoscaling, include_health, accounts=None, ssm=False):
    """What a cached answer was asked for; an entry asked for something else is not reused."""
    query = {
        "stack": stack,
        "regions": sorted(regions),
        "states": sorted(states or []),
        "autoscaling": bool(include_autoscaling),
        "health": bool(include_health),
        "accounts": [[account["role_arn"], account["regions"], account["external_id"]] for account in accounts or []],
        "ssm": bool(ssm),
    }
    # Option values may be str subclasses carrying Ansible metadata (their origin): keep plain data only.
    return json.loads(json.dumps(query))


def cache_entry(fingerprint, answers):
    """A cache entry: the format version, the query it answers, the answers by answer_key."""
    return {"version": CACHE_FORMAT, "query": fingerprint, "regions": answers}


def cache_entry_problem(entry, fingerprint):
    """Why ``entry`` cannot answer the query ``fingerprint`` (None when it can)."""
    if not isinstance(entry, dict):
        return "not an inventory cache entry"
    if entry.get("version") != CACHE_FORMAT:
        return "cache format version %s, this plugin reads version %d" % (entry.get("version", "none"), CACHE_FORMAT)
    if entry.get("query") != fingerprint:
        return "cached for another query"
    regions = entry.get("regions")
    if not isinstance(regions, dict):
        return "malformed entry"
    for answer in regions.values():
        if not isinstance(answer, dict) or not isinstance(answer.get("records"), list):
            return "malformed entry"
        if not isinstance(answer.get("autoscaling"), dict) or not isinstance(answer.get("health"), dict):
            return "malformed entry"
        if not isinstance(answer.get("target_groups"), list) or not isinstance(answer.get("ssm"), (dict, type(None))):
            return "malformed entry"
        if not all(isinstance(record, dict) and "instance_id" in record and "tags" in record for record in answer["records"]):
            return "malformed entry"
    return None


def valid_cache_entry(entry, fingerprint):
    """True when ``entry`` is a well-formed answer of this format version to the query ``fingerprint`` describes."""
    return cache_entry_problem(entry, fingerprint) is None
