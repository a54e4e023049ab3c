"""stack_logs's applier against botocore Stubber: the requests moto cannot show, each checked against the real API model.

moto 5.2's Firehose has no OpenSearch Service destination (the lab mends its create, not its update), its OpenSearch makes
a domain ready at once and never upgrades one. These tests check the exact requests: the create of the domain and of the
stream as AWS's models define them, UpdateDestination with the stream's version, an engine upgrade before the config.
"""

import boto3
import pytest
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.logs import apply
from ansible_collections.hatrading.aws.plugins.module_utils.logs import model

KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
SUBNETS = {"us-east-1a": "subnet-a", "us-east-1b": "subnet-b"}
CFG = {"stack": "prod", "region": "us-east-1", "state": "present", "tags": {}, "master_user_password": "Passw0rd!x"}


@pytest.fixture
def aws():
    made, stubbers = {}, {}
    for service in ("opensearch", "firehose", "logs"):
        made[service] = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        stubbers[service] = Stubber(made[service])
        stubbers[service].activate()
    yield Clients(make=made.get), stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def wanted(**settings):
    found = {"kms_key": KEY, "subnets": SUBNETS, "vpc_id": "vpc-1", "security_group": "sg-1", "log_groups": []}
    return model.desired_logs(dict(CFG, **settings), found)


def applier(clients, **settings):
    return apply.LogsApplier(clients, dict(CFG, wait_timeout=0, **settings), dict((k, {}) for k in ("security_group",)))


def test_the_domain_create_is_private_zone_aware_encrypted_with_fine_grained_access(aws):
    clients, stubs = aws
    spec = wanted()["domain"]["prod-logs"]
    expected = {
        "DomainName": "prod-logs",
        "EngineVersion": "OpenSearch_2.13",
        "TagList": ANY,
        "ClusterConfig": {"InstanceType": "r6g.large.search", "InstanceCount": 2, "ZoneAwarenessEnabled": True, "DedicatedMasterEnabled": False,
                          "ZoneAwarenessConfig": {"AvailabilityZoneCount": 2}},
        "EBSOptions": {"EBSEnabled": True, "VolumeType": "gp3", "VolumeSize": 20},
        "VPCOptions": {"SubnetIds": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1"]},
        "EncryptionAtRestOptions": {"Enabled": True, "KmsKeyId": KEY},
        "NodeToNodeEncryptionOptions": {"Enabled": True},
        "DomainEndpointOptions": {"EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07"},
        "AdvancedSecurityOptions": {"Enabled": True, "InternalUserDatabaseEnabled": True,
                                    "MasterUserOptions": {"MasterUserName": "admin", "MasterUserPassword": "Passw0rd!x"}},
        "AccessPolicies": spec["access_policy"],
        "SnapshotOptions": {"AutomatedSnapshotStartHour": 3},
    }  # fmt: skip
    stubs["opensearch"].add_response(
        "create_domain",
        {
            "DomainStatus": {
                "DomainId": "123456789012/prod-logs",
                "DomainName": "prod-logs",
                "ARN": "arn:aws:es:us-east-1:123456789012:domain/prod-logs",
                "ClusterConfig": {},
            }
        },
        expected,
    )
    applier(clients).create_domain(Change(CREATE, "domain", "prod-logs", after=spec))


def test_an_engine_upgrade_goes_first_then_one_config_update_with_only_the_changed_sections(aws):
    clients, stubs = aws
    want = wanted(engine_version="OpenSearch_2.15", snapshot_hour=6, instance_count=4)["domain"]["prod-logs"]
    have = dict(wanted()["domain"]["prod-logs"], arn="arn:aws:es:us-east-1:123456789012:domain/prod-logs")
    fields = model.compare_domain(want, have)
    assert fields == ["engine_version", "instance_count", "snapshot_hour"]
    stubs["opensearch"].add_response("upgrade_domain", {}, {"DomainName": "prod-logs", "TargetVersion": "OpenSearch_2.15"})
    stubs["opensearch"].add_response(
        "update_domain_config",
        {"DomainConfig": {}},
        {
            "DomainName": "prod-logs",
            "ClusterConfig": {"InstanceType": "r6g.large.search", "InstanceCount": 4, "ZoneAwarenessEnabled": True, "DedicatedMasterEnabled": False,
                              "ZoneAwarenessConfig": {"AvailabilityZoneCount": 2}},
            "SnapshotOptions": {"AutomatedSnapshotStartHour": 6},
        },
    )  # fmt: skip
    applier(clients).update_domain(Change(UPDATE, "domain", "prod-logs", before=have, after=want, fields=fields))


def test_the_stream_create_names_the_opensearch_destination_with_failed_documents_to_s3_and_vpc_delivery(aws):
    clients, stubs = aws
    spec = wanted()["delivery_stream"]["prod-logs"]
    role = "arn:aws:iam::123456789012:role/prod-logs-firehose"
    expected = {
        "DeliveryStreamName": "prod-logs",
        "DeliveryStreamType": "DirectPut",
        "Tags": ANY,
        "AmazonopensearchserviceDestinationConfiguration": {
            "RoleARN": role,
            "DomainARN": "arn:aws:es:us-east-1:123456789012:domain/prod-logs",
            "IndexName": "hatrading-logs",
            "IndexRotationPeriod": "OneDay",
            "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 5},
            "RetryOptions": {"DurationInSeconds": 300},
            "S3BackupMode": "FailedDocumentsOnly",
            "S3Configuration": {"RoleARN": role, "BucketARN": "arn:aws:s3:::hatrading-prod-logs-us-east-1", "CompressionFormat": "GZIP"},
            "VpcConfiguration": {"SubnetIds": ["subnet-a", "subnet-b"], "RoleARN": role, "SecurityGroupIds": ["sg-1"]},
        },
    }
    stubs["firehose"].add_response("create_delivery_stream", {"DeliveryStreamARN": "arn:stream"}, expected)
    applier(clients).create_delivery_stream(Change(CREATE, "delivery_stream", "prod-logs", after=spec))


def test_a_buffer_change_is_one_update_destination_naming_the_streams_version(aws):
    clients, stubs = aws
    want = wanted(buffer_seconds=120)["delivery_stream"]["prod-logs"]
    have = dict(wanted()["delivery_stream"]["prod-logs"], arn="arn:stream", version="3", destination_id="destinationId-000000000001")
    assert model.compare_stream(want, have) == ["buffer_seconds"]
    stubs["firehose"].add_response(
        "update_destination",
        {},
        {
            "DeliveryStreamName": "prod-logs",
            "CurrentDeliveryStreamVersionId": "3",
            "DestinationId": "destinationId-000000000001",
            "AmazonopensearchserviceDestinationUpdate": ANY,
        },
    )
    applier(clients).update_delivery_stream(Change(UPDATE, "delivery_stream", "prod-logs", before=have, after=want, fields=["buffer_seconds"]))


def test_a_subscription_filter_sends_a_group_to_the_stream_through_the_logs_role(aws):
    clients, stubs = aws
    group = "/hatrading/prod/vpc-flow-logs"
    spec = model.desired_logs(dict(CFG), {"kms_key": KEY, "subnets": SUBNETS, "vpc_id": "vpc-1", "security_group": "sg-1", "log_groups": [group]})
    filter_spec = spec["subscription_filter"][group]
    stubs["logs"].add_response(
        "put_subscription_filter",
        {},
        {
            "logGroupName": group,
            "filterName": "prod-logs-to-opensearch",
            "filterPattern": "",
            "destinationArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/prod-logs",
            "roleArn": "arn:aws:iam::123456789012:role/prod-logs-subscription",
        },
    )
    applier(clients).create_subscription_filter(Change(CREATE, "subscription_filter", group, after=filter_spec))
