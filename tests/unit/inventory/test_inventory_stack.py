"""hatrading.aws.stack inventory: the pure grouping / host-variable functions, and the API wrappers with botocore's Stubber."""

import datetime
import re
import threading
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import SERVICES
from ansible_collections.hatrading.aws.plugins.module_utils.inventory import model as inv

TG_BE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/s-tg-be/1"
TG_FE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/s-tg-fe/2"
TGS = {TG_BE: {"arn": TG_BE, "name": "s-tg-be", "tier": "backend"}, TG_FE: {"arn": TG_FE, "name": "s-tg-fe", "tier": "frontend"}}


def ec2_instance(instance_id="i-0123456789abcdef0", zone="us-east-1a", ip="10.0.1.5", **tags):
    return {
        "InstanceId": instance_id,
        "Placement": {"AvailabilityZone": zone},
        "PrivateIpAddress": ip,
        "PrivateDnsName": "ip-%s.ec2.internal" % ip.replace(".", "-"),
        "InstanceType": "t3.micro",
        "ImageId": "ami-12345678",
        "State": {"Name": "running", "Code": 16},
        "LaunchTime": datetime.datetime(2026, 11, 25, 20, 0, tzinfo=datetime.timezone.utc),
        "SubnetId": "subnet-1",
        "VpcId": "vpc-1",
        "Tags": [{"Key": key.replace("__", ":"), "Value": value} for key, value in tags.items()],
    }


def record(instance_id="i-0123456789abcdef0", tier="backend", zone="us-east-1a", ip="10.0.1.5", **extra_tags):
    tags = {"hatrading__stack": "s", "hatrading__tier": "compute", "hatrading__component": tier}
    tags.update(extra_tags)
    return inv.instance_record(ec2_instance(instance_id, zone, ip, **tags), "us-east-1")


ASG_FACTS = {
    "asg_name": "s-backend",
    "lifecycle_state": "InService",
    "asg_health_status": "Healthy",
    "launch_template_id": "lt-1",
    "launch_template_name": "s-backend",
    "launch_template_version": "3",
}


def test_instance_record_keeps_few_json_safe_facts():
    rec = record(hatrading__image="api:2.0")
    assert rec["launch_time"] == "2026-11-25T20:00:00+00:00"
    assert rec["tags"]["hatrading:image"] == "api:2.0"
    assert rec["availability_zone"] == "us-east-1a" and rec["region"] == "us-east-1"
    assert rec["instance_state"] == "running"
    assert set(rec) == {
        "instance_id",
        "region",
        "availability_zone",
        "private_ip_address",
        "private_dns_name",
        "public_ip_address",
        "instance_type",
        "image_id",
        "instance_state",
        "launch_time",
        "subnet_id",
        "vpc_id",
        "tags",
    }


@pytest.mark.parametrize(
    ("tags", "tier"),
    [
        ({"hatrading:tier": "compute", "hatrading:component": "frontend"}, "frontend"),
        ({"hatrading:tier": "backend"}, "backend"),
        ({}, None),
    ],
)
def test_tier_prefers_the_component_tag(tags, tier):
    assert inv.tier_of(tags) == tier


def test_host_facts_of_an_auto_scaling_member():
    facts = inv.host_facts(record(hatrading__image="api:2.0", Name="s-backend"), ASG_FACTS, {TG_BE: "healthy"}, TGS)
    assert facts["tier"] == "backend" and facts["stack"] == "s"
    assert facts["image_tag"] == "api:2.0" and facts["instance_name"] == "s-backend"
    assert facts["asg_name"] == "s-backend" and facts["lifecycle_state"] == "InService"
    assert facts["launch_template_version"] == "3"
    assert (facts["launch_template_id"], facts["launch_template_name"], facts["launch_template_version"]) == ("lt-1", "s-backend", "3")
    assert facts["target_group_arns"] == [TG_BE]
    assert facts["target_health"] is None  # one target group: `health` says it
    assert facts["health"] == "healthy"
    assert "tags" not in facts and facts["instance_tags"]["hatrading:component"] == "backend"


def test_host_facts_fall_back_to_instance_tags_for_group_and_template():
    rec = record(aws__autoscaling__groupName="s-backend", aws__ec2launchtemplate__id="lt-9", aws__ec2launchtemplate__version="7")
    facts = inv.host_facts(rec)
    assert facts["asg_name"] == "s-backend" and facts["lifecycle_state"] is None
    assert (facts["launch_template_id"], facts["launch_template_name"], facts["launch_template_version"]) == ("lt-9", None, "7")
    assert facts["health"] is None and facts["target_group_arns"] == []


def test_health_counts_the_target_groups_of_the_own_tier():
    # registered in both tiers' target groups: only the backend one counts for a backend host
    facts = inv.host_facts(record(), None, {TG_BE: "healthy", TG_FE: "unhealthy"}, TGS)
    assert facts["health"] == "healthy" and facts["target_group_arns"] == [TG_BE]
    # two target groups of the own tier: the worst state, and the state in each
    second = TG_BE.replace("/1", "/3")
    facts = inv.host_facts(record(), None, {TG_BE: "healthy", second: "initial"}, dict(TGS, **{second: {"arn": second, "tier": "backend"}}))
    assert facts["health"] == "initial" and facts["target_health"] == {TG_BE: "healthy", second: "initial"}
    # registered only in another tier's target group: that one is what there is
    facts = inv.host_facts(record(), None, {TG_FE: "draining"}, TGS)
    assert facts["health"] == "draining" and facts["target_group_arns"] == [TG_FE]


@pytest.mark.parametrize(
    ("states", "word"),
    [
        ([], None),
        (["healthy"], "healthy"),
        (["healthy", "initial"], "initial"),
        (["healthy", "unhealthy"], "unhealthy"),
        (["unavailable"], "unhealthy"),
        (["unhealthy", "draining", "healthy"], "draining"),
        (["unused"], "unhealthy"),
    ],
)
def test_aggregate_health_worst_state_wins(states, word):
    assert inv.aggregate_health(states) == word


@pytest.mark.parametrize(
    ("state", "group"),
    [
        ("InService", "lifecycle_inservice"),
        ("Pending", "lifecycle_pending"),
        ("Pending:Wait", "lifecycle_pending"),
        ("Terminating:Wait", "lifecycle_terminating"),
        ("Standby", "lifecycle_standby"),
        ("EnteringStandby", "lifecycle_standby"),
        ("Detaching", "lifecycle_detaching"),
        ("Warmed:Running", "lifecycle_warmed"),
    ],
)
def test_lifecycle_groups(state, group):
    facts = inv.host_facts(record(), dict(ASG_FACTS, lifecycle_state=state))
    assert group in inv.host_groups(facts)


def test_default_groups_of_a_host():
    facts = inv.host_facts(record(zone="us-east-1b"), ASG_FACTS, {TG_BE: "unhealthy"}, TGS)
    assert inv.host_groups(facts) == ["tier_backend", "region_us_east_1", "az_us_east_1b", "asg_s_backend", "lifecycle_inservice", "unhealthy"]
    bare = inv.host_facts(inv.instance_record(ec2_instance(hatrading__stack="s"), "eu-west-1"))
    assert inv.host_groups(bare) == ["region_eu_west_1", "az_us_east_1a"]


@pytest.mark.parametrize(
    ("prefix", "value", "name"),
    [("asg", "prod-api.v2", "asg_prod_api_v2"), ("tier", "backend", "tier_backend"), ("", "a b", "a_b")],
)
def test_group_name_sanitised(prefix, value, name):
    assert inv.group_name(prefix, value) == name


def test_connection_vars():
    facts = inv.host_facts(record())
    facts["public_ip_address"] = "203.0.113.9"
    ssm = inv.connection_vars(facts, {"connection": "ssm", "ssm_bucket_name": "s-ssm"})
    assert ssm == {
        "ansible_connection": "amazon.aws.aws_ssm",
        "ansible_host": facts["instance_id"],
        "ansible_aws_ssm_region": "us-east-1",
        "ansible_aws_ssm_bucket_name": "s-ssm",
    }
    ssh = inv.connection_vars(facts, {"connection": "ssh", "ssh_user": "ec2-user", "ssh_bastion": "ec2-user@bastion", "ssh_address": "private"})
    assert ssh == {
        "ansible_connection": "ssh",
        "ansible_host": "10.0.1.5",
        "ansible_user": "ec2-user",
        "ansible_ssh_common_args": "-o ProxyJump=ec2-user@bastion",
    }
    assert inv.connection_vars(facts, {"connection": "ssh", "ssh_address": "public"})["ansible_host"] == "203.0.113.9"
    assert inv.connection_vars(facts, {"connection": "none"}) == {}


def test_build_hosts_names_sorts_and_never_duplicates():
    records = [record("i-b", ip="10.0.1.7"), record("i-a", ip="10.0.1.7"), record("i-c", tier="frontend", ip="10.0.2.8")]
    records[2]["private_ip_address"] = None
    hosts = inv.build_hosts(records, {"i-a": ASG_FACTS}, {"i-a": {TG_BE: "healthy"}}, TGS, {"hostname": "private_ip_address", "connection": "ssh"})
    assert [host[0] for host in hosts] == ["10.0.1.7", "i-b", "i-c"]  # a shared address falls back to the ID; so does none
    name, facts, groups = hosts[0]
    assert facts["instance_id"] == "i-a" and facts["ansible_host"] == "10.0.1.7"
    assert groups == ["tier_backend", "region_us_east_1", "az_us_east_1a", "asg_s_backend", "lifecycle_inservice", "healthy"]


def test_unmatched_asg_members():
    records = [record("i-a", aws__autoscaling__groupName="untagged-asg"), record("i-b", aws__autoscaling__groupName="s-backend"), record("i-c")]
    assert inv.unmatched_asg_members(records, {"i-b": ASG_FACTS}) == ["i-a"]


def answer(**extra):
    return dict({"records": [record()], "autoscaling": {}, "health": {}, "target_groups": [], "ssm": None}, **extra)


def test_cache_entry_validation():
    query = inv.query_fingerprint("s", ["us-east-1"], ["running"], True, True)
    good = inv.cache_entry(query, {"us-east-1": answer()})
    assert good["version"] == inv.CACHE_FORMAT
    assert inv.valid_cache_entry(good, query)
    assert inv.valid_cache_entry(inv.cache_entry(query, {"us-east-1": answer(ssm={"i-0123456789abcdef0": "Online"})}), query)
    assert not inv.valid_cache_entry(good, inv.query_fingerprint("other", ["us-east-1"], ["running"], True, True))
    assert not inv.valid_cache_entry(dict(good, regions=[]), query)
    assert not inv.valid_cache_entry(dict(good, regions={"us-east-1": {"records": [{"x": 1}]}}), query)
    assert not inv.valid_cache_entry(inv.cache_entry(query, {"us-east-1": answer(ssm=[])}), query)
    assert not inv.valid_cache_entry("garbage", query)
    assert not inv.valid_cache_entry(None, query)


@pytest.mark.parametrize("version", [None, 1, inv.CACHE_FORMAT + 1, "2"])
def test_cache_entry_of_another_format_version_is_ignored(version):
    query = inv.query_fingerprint("s", ["us-east-1"], ["running"], True, True)
    entry = inv.cache_entry(query, {"us-east-1": answer()})
    if version is None:
        del entry["version"]
    else:
        entry["version"] = version
    assert not inv.valid_cache_entry(entry, query)
    assert inv.cache_entry_problem(entry, query).startswith("cache format version %s, this plugin reads version %d" % (version or "none", inv.CACHE_FORMAT))
    # the first format (1) kept its number inside the query and had no "version" key: ignored too
    old = {"query": dict(query, format=1), "regions": {"us-east-1": answer()}}
    assert inv.cache_entry_problem(old, query) == "cache format version none, this plugin reads version %d" % inv.CACHE_FORMAT


def test_query_fingerprint_names_the_accounts_and_ssm():
    accounts = inv.normalize_accounts([{"role_arn": "arn:aws:iam::111111111111:role/r"}], ["us-east-1"])
    plain = inv.query_fingerprint("s", ["us-east-1"], [], True, True)
    assert plain != inv.query_fingerprint("s", ["us-east-1"], [], True, True, accounts)
    assert plain != inv.query_fingerprint("s", ["us-east-1"], [], True, True, None, True)


def test_normalize_accounts():
    accounts = inv.normalize_accounts(
        [
            {"role_arn": "arn:aws:iam::111111111111:role/read", "regions": ["us-west-2", "eu-west-1", "us-west-2"]},
            {"role_arn": "arn:aws-us-gov:iam::222222222222:role/path/read", "external_id": "x", "session_name": "me"},
            {"regions": ["ap-south-1"]},
        ],
        ["us-east-1"],
    )
    assert [(a["account_id"], a["regions"], a["external_id"], a["session_name"]) for a in accounts] == [
        ("111111111111", ["eu-west-1", "us-west-2"], None, None),
        ("222222222222", ["us-east-1"], "x", "me"),
        (None, ["ap-south-1"], None, None),
    ]
    assert inv.answer_key("111111111111", "us-east-1") == "111111111111/us-east-1"
    assert inv.answer_key(None, "us-east-1") == "us-east-1"


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ({"role_arn": "x"}, "must be a list"),
        (["arn:aws:iam::111111111111:role/r"], "must be a dictionary"),
        ([{"role_arn": "arn:aws:iam::1111:role/r"}], "is not an IAM role ARN"),
        ([{"role_arn": "arn:aws:iam::111111111111:role/r", "region": ["us-east-1"]}], "unknown key(s) region"),
        ([{"role_arn": "arn:aws:iam::111111111111:role/r"}, {"role_arn": "arn:aws:iam::111111111111:role/r"}], "repeats"),
    ],
)
def test_normalize_accounts_refuses(accounts, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        inv.normalize_accounts(accounts, ["us-east-1"])


def test_normalize_accounts_needs_regions():
    with pytest.raises(ValueError, match="lists no regions"):
        inv.normalize_accounts([{"role_arn": "arn:aws:iam::111111111111:role/r"}], [])


def test_account_and_ssm_groups():
    records = [dict(record("i-a"), account_id="111111111111"), dict(record("i-b"), account_id="111111111111"), record("i-c"), record("i-d")]
    ssm = {"i-a": "Online", "i-b": "ConnectionLost", "i-c": None}  # i-c: read, unknown to SSM; i-d: not read
    hosts = {name: (facts, groups) for name, facts, groups in inv.build_hosts(records, {}, {}, TGS, {"connection": "ssm"}, ssm)}
    assert hosts["i-a"][1][0] == "account_111111111111" and hosts["i-a"][1][-1] == "ssm_online"
    assert hosts["i-a"][0]["account_id"] == "111111111111" and hosts["i-a"][0]["ssm_ping_status"] == "Online"
    assert hosts["i-b"][1][-1] == "ssm_connectionlost"
    assert hosts["i-c"][1] == ["tier_backend", "region_us_east_1", "az_us_east_1a", "ssm_unregistered"]
    assert hosts["i-d"][1] == ["tier_backend", "region_us_east_1", "az_us_east_1a"]
    assert "account_id" not in inv.host_variables(hosts["i-c"][0]) and "ssm_ping_status" in inv.host_variables(hosts["i-a"][0])


@pytest.mark.parametrize(
    ("code", "status", "denied"),
    [("UnauthorizedOperation", 403, True), ("AccessDenied", 403, True), ("SomethingElse", 403, True), ("RequestLimitExceeded", 400, False)],
)
def test_permission_errors(code, status, denied):
    error = ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "DescribeInstances")
    assert inv.is_permission_error(error) is denied


# ---- API wrappers, with botocore's Stubber (answers checked against the service model) ----


def stubbed(service, retries=1):
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    wrapped = SERVICES[service](client, retries=retries, delay=0.01, max_delay=0.01)
    return wrapped, stubber


def page(*instances, token=None):
    answer = {"Reservations": [{"ReservationId": "r-1", "OwnerId": "123456789012", "Instances": list(instances)}]}
    if token:
        answer["NextToken"] = token
    return answer


def test_describe_stack_instances_pages_with_server_side_filters():
    client, stubber = stubbed("ec2")
    filters = [{"Name": "tag:hatrading:stack", "Values": ["s"]}, {"Name": "instance-state-name", "Values": ["running"]}]
    stubber.add_response("describe_instances", page(ec2_instance("i-1", hatrading__stack="s"), token="t1"), {"Filters": filters, "MaxResults": 1000})
    stubber.add_response("describe_instances", page(ec2_instance("i-2", hatrading__stack="s")), {"Filters": filters, "MaxResults": 1000, "NextToken": "t1"})
    with stubber:
        records = inv.describe_stack_instances(client, "s", "us-east-1", ["running"])
    stubber.assert_no_pending_responses()
    assert [rec["instance_id"] for rec in records] == ["i-1", "i-2"]


def test_a_throttled_page_is_retried():
    client, stubber = stubbed("ec2", retries=3)
    stubber.add_client_error("describe_instances", "RequestLimitExceeded", http_status_code=400)
    stubber.add_response("describe_instances", page(ec2_instance("i-1", hatrading__stack="s")))
    with stubber:
        records = inv.describe_stack_instances(client, "s", "us-east-1")
    assert [rec["instance_id"] for rec in records] == ["i-1"]


def asg_instance(instance_id, state="InService", group=None):
    entry = {
        "InstanceId": instance_id,
        "AvailabilityZone": "us-east-1a",
        "LifecycleState": state,
        "HealthStatus": "Healthy",
        "ProtectedFromScaleIn": False,
        "LaunchTemplate": {"LaunchTemplateId": "lt-1", "LaunchTemplateName": "s-backend", "Version": "2"},
    }
    if group:
        entry["AutoScalingGroupName"] = group
    return entry


def test_describe_stack_autoscaling_reads_the_groups_tagged_with_the_stack():
    client, stubber = stubbed("autoscaling")
    group = {
        "AutoScalingGroupName": "s-backend",
        "MinSize": 0,
        "MaxSize": 4,
        "DesiredCapacity": 2,
        "DefaultCooldown": 300,
        "AvailabilityZones": ["us-east-1a"],
        "HealthCheckType": "EC2",
        "CreatedTime": datetime.datetime(2026, 11, 25),
        "Instances": [asg_instance("i-1"), asg_instance("i-2", "Standby")],
    }
    params = {"Filters": [{"Name": "tag:hatrading:stack", "Values": ["s"]}], "MaxRecords": 100}
    stubber.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [group]}, params)
    with stubber:
        found = inv.describe_stack_autoscaling(client, "s")
    assert found["i-2"]["lifecycle_state"] == "Standby" and found["i-1"]["launch_template_version"] == "2"
    assert found["i-1"]["asg_name"] == "s-backend"


def test_describe_autoscaling_instances_in_batches_of_50():
    client, stubber = stubbed("autoscaling")
    ids = ["i-%03d" % n for n in range(120)]
    for start in (0, 50, 100):
        batch = ids[start : start + 50]
        answer = {"AutoScalingInstances": [asg_instance(i, group="untagged") for i in batch]}
        stubber.add_response("describe_auto_scaling_instances", answer, {"InstanceIds": batch, "MaxRecords": 50})
    with stubber:
        found = inv.describe_autoscaling_instances(client, ids)
    stubber.assert_no_pending_responses()
    assert len(found) == 120 and found["i-119"]["asg_name"] == "untagged"


def test_stack_target_groups_found_by_tags_20_arns_a_call_then_health_per_group():
    client, stubber = stubbed("elbv2")
    arns = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg-%02d/%d" % (n, n) for n in range(25)]
    groups = [{"TargetGroupArn": arn, "TargetGroupName": "tg-%02d" % n} for n, arn in enumerate(arns)]
    stubber.add_response("describe_target_groups", {"TargetGroups": groups}, {"PageSize": 400})

    def tagged(arn):
        n = arns.index(arn)
        stack = "s" if n in (3, 21) else "other"
        return {"ResourceArn": arn, "Tags": [{"Key": "hatrading:stack", "Value": stack}, {"Key": "hatrading:component", "Value": "backend"}]}

    stubber.add_response("describe_tags", {"TagDescriptions": [tagged(a) for a in arns[:20]]}, {"ResourceArns": arns[:20]})
    stubber.add_response("describe_tags", {"TagDescriptions": [tagged(a) for a in arns[20:]]}, {"ResourceArns": arns[20:]})
    for arn, state in ((arns[3], "healthy"), (arns[21], "draining")):
        health = {"TargetHealthDescriptions": [{"Target": {"Id": "i-1", "Port": 80}, "TargetHealth": {"State": state}}]}
        stubber.add_response("describe_target_health", health, {"TargetGroupArn": arn})
    with stubber:
        health, target_groups = inv.describe_stack_health(client, "s")
    stubber.assert_no_pending_responses()
    assert [group["name"] for group in target_groups] == ["tg-03", "tg-21"]
    assert target_groups[0]["tier"] == "backend"
    assert health == {"i-1": {arns[3]: "healthy", arns[21]: "draining"}}


def test_host_variables_essential_or_all_never_none():
    facts = inv.host_facts(record(hatrading__image="api:2.0"), ASG_FACTS)
    facts.update(inv.connection_vars(facts, {"connection": "ssm"}))
    essential = inv.host_variables(facts)
    assert set(essential) == {
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
        "ansible_connection",
        "ansible_host",
        "ansible_aws_ssm_region",
    }
    everything = inv.host_variables(facts, True)
    assert everything["instance_tags"]["hatrading:image"] == "api:2.0" and everything["launch_template_name"] == "s-backend"
    assert None not in everything.values() and "public_ip_address" not in everything and "health" not in everything


def test_assume_role_with_stubber():
    client, stubber = stubbed("sts", retries=2)
    expiry = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    credentials = {"AccessKeyId": "ASIAEXAMPLE000000000", "SecretAccessKey": "s" * 40, "SessionToken": "token", "Expiration": expiry}
    params = {"RoleArn": "arn:aws:iam::111111111111:role/read", "RoleSessionName": "inv", "ExternalId": "ext"}
    stubber.add_client_error("assume_role", "Throttling", http_status_code=400)  # retried
    stubber.add_response("assume_role", {"Credentials": credentials}, params)
    with stubber:
        found = inv.assume_role(client, "arn:aws:iam::111111111111:role/read", "inv", "ext")
    stubber.assert_no_pending_responses()
    assert found == {"profile_name": None, "aws_access_key_id": "ASIAEXAMPLE000000000", "aws_secret_access_key": "s" * 40, "aws_session_token": "token"}


def test_assume_role_denied_is_a_permission_error():
    client, stubber = stubbed("sts")
    stubber.add_client_error("assume_role", "AccessDenied", http_status_code=403)
    with stubber, pytest.raises(ClientError) as raised:
        inv.assume_role(client, "arn:aws:iam::111111111111:role/read", "inv")
    assert inv.is_permission_error(raised.value)


def ssm_info(instance_id, status):
    return {"InstanceId": instance_id, "PingStatus": status, "ResourceType": "EC2Instance"}


def test_ssm_ping_status_50_ids_a_call_and_every_page():
    client, stubber = stubbed("ssm")
    ids = ["i-%017d" % n for n in range(120)]
    batches = [ids[0:50], ids[50:100], ids[100:120]]

    def params(batch, token=None):
        expected = {"Filters": [{"Key": "InstanceIds", "Values": batch}], "MaxResults": 50}
        if token:
            expected["NextToken"] = token
        return expected

    # batch 1 comes in two pages (SSM may page below MaxResults); batch 3 holds an instance SSM does not know
    first_page = {"InstanceInformationList": [ssm_info(i, "Online") for i in ids[0:30]], "NextToken": "p2"}
    stubber.add_response("describe_instance_information", first_page, params(batches[0]))
    stubber.add_response("describe_instance_information", {"InstanceInformationList": [ssm_info(i, "Online") for i in ids[30:50]]}, params(batches[0], "p2"))
    stubber.add_response("describe_instance_information", {"InstanceInformationList": [ssm_info(i, "ConnectionLost") for i in ids[50:100]]}, params(batches[1]))
    stubber.add_response("describe_instance_information", {"InstanceInformationList": [ssm_info(i, "Inactive") for i in ids[100:119]]}, params(batches[2]))
    with stubber:
        found = inv.describe_ssm_ping(client, reversed(ids), workers=1)  # sorted into batches; one thread keeps the Stubber's order
    stubber.assert_no_pending_responses()
    assert len(found) == 119 and ids[119] not in found
    assert found[ids[0]] == found[ids[49]] == "Online" and found[ids[50]] == "ConnectionLost" and found[ids[100]] == "Inactive"


def test_ssm_batches_run_concurrently():
    sizes, running, most = [], [0], [0]
    lock = threading.Lock()

    class Client:
        def describe_instance_information(self, Filters, MaxResults):
            with lock:
                sizes.append(len(Filters[0]["Values"]))
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.02)  # a call in flight, as on AWS
            with lock:
                running[0] -= 1
            return {"InstanceInformationList": [ssm_info(i, "Online") for i in Filters[0]["Values"]]}

    found = inv.describe_ssm_ping(SERVICES["ssm"](Client()), ["i-%017d" % n for n in range(1001)])
    assert sorted(sizes) == [1] + [50] * 20 and len(found) == 1001
    assert most[0] == inv.SSM_WORKERS
