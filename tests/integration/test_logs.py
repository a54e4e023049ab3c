"""hatrading.aws.stack_logs against moto: check mode plans, create, rerun with no mutating call, change, teardown, bad input.

moto 5.2 implements the OpenSearch domain API (create, describe, update config, tags, delete; a domain is ready at
once), IAM, Secrets Manager, S3 and CloudWatch Logs subscription filters (it checks that the Firehose stream exists).
Its Firehose lacks the OpenSearch Service destination: lab/moto_logs_mend.py stores it as AWS describes it.
UpdateDestination of that destination, the domain's engine upgrade and a refused key change are covered with Stubber
in tests/unit/logs/test_logs_calls.py.
"""

import json

import pytest

STACK = "logst"
DOMAIN = "logst-logs"
AZS = ("us-east-1a", "us-east-1b")
FLOW = "/hatrading/%s/vpc-flow-logs" % STACK
APP = ["/hatrading/%s/%s/%s" % (STACK, tier, kind) for tier in ("backend", "frontend") for kind in ("container", "host")]


def logs(ansible, check=False, diff=False, **args):
    return ansible.module("hatrading.aws.stack_logs", dict({"stack": STACK, "region": "us-east-1", "tags": {"owner": "t"}}, **args), check=check, diff=diff)


def network(moto, stack=STACK):
    """The network tier's tags on a VPC and a data subnet per AZ, the flow log group, and the stack's key under its alias."""
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    found = {}
    for index, az in enumerate(AZS):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.41.%d.0/24" % (20 + index), AvailabilityZone=az)["Subnet"]["SubnetId"]
        tags = {"hatrading:stack": stack, "hatrading:tier": "network", "hatrading:layer": "data", "Name": "%s-data-%s" % (stack, az)}
        ec2.create_tags(Resources=[subnet], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        found[az] = subnet
    moto.client("logs").create_log_group(logGroupName=FLOW)
    kms = moto.client("kms")
    key = kms.create_key(Description="stack key")["KeyMetadata"]
    kms.create_alias(AliasName="alias/%s-database" % stack, TargetKeyId=key["KeyId"])
    return found, key["Arn"]


@pytest.fixture
def stack(fresh_moto):
    found = network(fresh_moto)
    fresh_moto.forget_calls()
    return found


@pytest.fixture
def built(stack, fresh_moto, ansible):
    result = logs(ansible)
    assert result["rc"] == 0 and result["changed"], result
    fresh_moto.forget_calls()
    return result


def steps(result):
    return [(step["action"], step["kind"], step["name"]) for step in result["plan"]]


def operations(calls):
    return [call["operation"] for call in calls]


def test_check_mode_plans_and_creates_nothing(stack, fresh_moto, ansible):
    result = logs(ansible, check=True, diff=True)
    assert result["rc"] == 0 and result["changed"], result
    kinds = [(action, kind) for action, kind, _name in steps(result)]
    assert kinds[:6] == [
        ("create", "secret"),
        ("create", "security_group"),
        ("create", "bucket"),
        ("create", "role"),
        ("create", "role"),
        ("create", "domain"),
    ]
    assert ("create", "delivery_stream", "logst-logs") in steps(result)
    # the flow log group exists; the app groups are made so each has its filter
    assert sorted(name for action, kind, name in steps(result) if kind == "log_group") == sorted(APP)
    assert sorted(name for action, kind, name in steps(result) if kind == "subscription_filter") == sorted(APP + [FLOW])
    domain = result["diff"]["after"]["domain/" + DOMAIN]
    assert domain["subnets"] == sorted(stack[0].values()) and domain["zone_awareness"] and domain["az_count"] == 2
    assert domain["kms_key"] == stack[1]
    assert fresh_moto.mutating_calls() == []
    assert fresh_moto.client("opensearch").list_domain_names()["DomainNames"] == []


def test_create_builds_a_private_encrypted_zone_aware_domain_and_the_delivery(built, stack, moto):
    subnets, key = stack
    domain = moto.client("opensearch").describe_domain(DomainName=DOMAIN)["DomainStatus"]
    assert domain["ClusterConfig"]["ZoneAwarenessEnabled"] and domain["ClusterConfig"]["ZoneAwarenessConfig"] == {"AvailabilityZoneCount": 2}
    assert sorted(domain["VPCOptions"]["SubnetIds"]) == sorted(subnets.values())
    assert "Endpoint" not in domain or not domain["Endpoint"]  # VPC only: no public endpoint
    assert domain["EncryptionAtRestOptions"] == {"Enabled": True, "KmsKeyId": key}
    assert domain["NodeToNodeEncryptionOptions"]["Enabled"] and domain["DomainEndpointOptions"]["EnforceHTTPS"]
    assert domain["AdvancedSecurityOptions"]["Enabled"] and domain["AdvancedSecurityOptions"]["InternalUserDatabaseEnabled"]
    policy = json.loads(domain["AccessPolicies"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::%s:root" % key.split(":")[4]}
    assert domain["SnapshotOptions"] == {"AutomatedSnapshotStartHour": 3}
    tags = dict((t["Key"], t["Value"]) for t in moto.client("opensearch").list_tags(ARN=domain["ARN"])["TagList"])
    assert tags == {"hatrading:stack": STACK, "hatrading:tier": "logs", "Name": DOMAIN, "owner": "t"}
    secret = json.loads(moto.client("secretsmanager").get_secret_value(SecretId="%s/logs/master" % STACK)["SecretString"])
    assert secret["username"] == "admin" and len(secret["password"]) >= 8
    assert secret["password"] not in json.dumps(built)  # the made password never shows in the result
    stream = moto.client("firehose").describe_delivery_stream(DeliveryStreamName="logst-logs")["DeliveryStreamDescription"]
    target = stream["Destinations"][0]["AmazonopensearchserviceDestinationDescription"]
    assert target["DomainARN"] == domain["ARN"] and target["IndexName"] == "hatrading-logs" and target["S3BackupMode"] == "FailedDocumentsOnly"
    assert sorted(target["VpcConfigurationDescription"]["SubnetIds"]) == sorted(subnets.values())
    cwl = moto.client("logs")
    for group in APP + [FLOW]:
        found = cwl.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
        assert [(f["filterName"], f["destinationArn"]) for f in found] == [("logst-logs-to-opensearch", stream["DeliveryStreamARN"])]
    assert sorted(built["logs"]["shipped_log_groups"]) == sorted(APP + [FLOW])
    block = moto.client("s3").get_public_access_block(Bucket="hatrading-logst-logs-us-east-1")["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_rerun_changes_nothing_and_only_reads(built, moto, ansible):
    again = logs(ansible)
    assert again["rc"] == 0 and not again["changed"] and again["plan"] == [], again
    assert moto.mutating_calls() == []
    # the call budget of a rerun (docs/logs.md): 19 reads, one per resource and one per shipped log group
    # (the recorder names a REST call of OpenSearch or S3 by its method and path)
    opensearch = ["GET /2021-01-01/opensearch/domain/" + DOMAIN, "GET /2021-01-01/tags/"]
    roles = ["GetRole", "GetRolePolicy"] * 2
    rest = ["DescribeSecret", "DescribeSecurityGroups", "HEAD /hatrading-logst-logs-us-east-1", "DescribeDeliveryStream", "ListTagsForDeliveryStream"]
    rest += ["DescribeLogGroups", "DescribeKey", "DescribeSubnets"]
    assert sorted(operations(moto.calls())) == sorted(["DescribeSubscriptionFilters"] * 5 + opensearch + roles + rest)


def test_one_change_is_one_call(built, moto, ansible):
    result = logs(ansible, snapshot_hour=5)
    assert result["rc"] == 0 and result["changed"]
    assert steps(result) == [("update", "domain", DOMAIN)] and result["plan"][0]["fields"] == ["snapshot_hour"]
    assert operations(moto.mutating_calls()) == ["POST /2021-01-01/opensearch/domain/%s/config" % DOMAIN]  # UpdateDomainConfig
    assert moto.client("opensearch").describe_domain(DomainName=DOMAIN)["DomainStatus"]["SnapshotOptions"] == {"AutomatedSnapshotStartHour": 5}


def test_absent_stops_the_delivery_and_keeps_the_domain_unless_told(built, moto, ansible):
    refused = logs(ansible, state="absent")
    assert refused["rc"] != 0 and "confirm_delete" in refused["msg"]
    assert moto.mutating_calls() == []
    kept = logs(ansible, state="absent", confirm_delete=STACK)
    assert kept["rc"] == 0 and kept["changed"], kept
    assert {kind for _a, kind, _n in steps(kept)} == {"subscription_filter", "delivery_stream", "role"}
    assert "domain %s kept with its indices and snapshots (delete_domain=false)" % DOMAIN in kept["notes"]
    assert moto.client("opensearch").describe_domain(DomainName=DOMAIN)["DomainStatus"]["DomainName"] == DOMAIN
    assert moto.client("firehose").list_delivery_streams()["DeliveryStreamNames"] == []
    gone = logs(ansible, state="absent", confirm_delete=STACK, delete_domain=True)
    assert gone["rc"] == 0 and steps(gone) == [("delete", "domain", DOMAIN), ("delete", "security_group", "logst-logs")], gone
    assert any("no final snapshot taken" in note for note in gone["notes"])
    assert moto.client("opensearch").list_domain_names()["DomainNames"] == []
    assert not gone["logs"]["domain_exists"]


def test_bad_input_fails_before_any_call_naming_the_option(fresh_moto, ansible):
    result = logs(ansible, az_count=2, instance_count=3, snapshot_hour=24, master_user_password="short")
    assert result["rc"] != 0
    for named in ("instance_count: 3 data nodes do not spread evenly over az_count=2", "snapshot_hour: 24", "master_user_password: not a valid"):
        assert named in result["msg"], result["msg"]
    assert "short" not in result["msg"]
    assert fresh_moto.calls() == []


def test_a_missing_network_fails_outside_check_mode(fresh_moto, ansible):
    planned = logs(ansible, check=True)
    assert planned["rc"] == 0 and planned["changed"], planned
    failed = logs(ansible)
    assert failed["rc"] != 0 and "kms_key: the stack's key alias/logst-database not found" in failed["msg"]
    assert fresh_moto.mutating_calls() == []


def test_the_audit_checks_the_domains_spread_snapshots_encryption_and_access(built, moto, ansible):
    report = ansible.module("hatrading.aws.stack_audit", {"stack": STACK, "region": "us-east-1", "tiers": ["logs"], "fail_on": "warn"})
    assert report["rc"] == 0 and report["passed"], report
    checks = sorted((f["check"], f["resource"], f["status"]) for f in report["findings"])
    assert checks == sorted((check, DOMAIN, "pass") for check in ("logs.az_spread", "logs.snapshots", "logs.encryption", "logs.no_public_access"))
    spread = next(f for f in report["findings"] if f["check"] == "logs.az_spread")
    assert spread["detail"] == "zone awareness on, 2 data nodes over 2 AZs (us-east-1a, us-east-1b)"
    assert moto.mutating_calls() == []


def test_the_report_lists_and_draws_the_domain(built, moto, ansible):
    report = ansible.module("hatrading.aws.stack_report", {"stack": STACK, "region": "us-east-1"})
    assert report["rc"] == 0, report
    assert (
        "OpenSearch domain %s OpenSearch_2.13 active: 2 x r6g.large.search over 2 AZs (us-east-1a, us-east-1b), zone awareness on" % DOMAIN in report["lines"]
    )
    assert "  VPC only, encrypted at rest and in transit, fine-grained access, snapshot daily at 03:00 UTC" in report["lines"]
    svg = report["html"][report["html"].index("<svg") : report["html"].index("</svg>")]
    assert svg.count("opensearch " + DOMAIN) == 2  # one box per AZ
    # the cost lines of what is deployed price the domain as read (its nodes and volumes) and the stream's two AZs
    priced = dict((e["item"], e["detail"]) for e in report["cost"]["estimate"]["items"] if e["group"] == "logs")
    assert sorted(priced) == ["Firehose delivery", "OpenSearch data nodes", "OpenSearch storage"], priced
    assert priced["OpenSearch data nodes"] == "2 x r6g.large.search (0.167/h)"
    assert priced["OpenSearch storage"].startswith("2 data node(s) x ") and "in 2 AZ(s)" in priced["Firehose delivery"]
    assert "OpenSearch data nodes" in report["html"]
    assert {f["check"] for f in report["audit"]["findings"] if f["tier"] == "logs"} == {
        "logs.az_spread",
        "logs.snapshots",
        "logs.encryption",
        "logs.no_public_access",
    }
    assert moto.mutating_calls() == []


def test_the_monitoring_tier_alarms_on_red_status_storage_and_jvm_pressure(built, stack, moto, ansible):
    result = ansible.module("hatrading.aws.stack_monitoring", {"stack": STACK, "region": "us-east-1"})
    assert result["rc"] == 0, result
    alarms = moto.client("cloudwatch").describe_alarms(AlarmNamePrefix=STACK + "-logs-")["MetricAlarms"]
    account = stack[1].split(":")[4]
    assert sorted((a["AlarmName"], a["Namespace"], a["MetricName"], a["Threshold"]) for a in alarms) == [
        (STACK + "-logs-cluster-red", "AWS/ES", "ClusterStatus.red", 1.0),
        (STACK + "-logs-free-storage-low", "AWS/ES", "FreeStorageSpace", 5120.0),
        (STACK + "-logs-jvm-pressure", "AWS/ES", "JVMMemoryPressure", 80.0),
    ]
    assert {tuple(sorted((d["Name"], d["Value"]) for d in a["Dimensions"])) for a in alarms} == {(("ClientId", account), ("DomainName", DOMAIN))}
