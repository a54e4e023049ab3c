"""core/preflight.py: the region has what the settings name; endpoints that are not AWS are named."""

import boto3
from botocore.exceptions import ClientError
from botocore.exceptions import ReadTimeoutError
from botocore.parsers import ResponseParserError
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core import preflight


def client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")


def test_read_region_names_each_missing_thing_by_its_variable():
    made = dict((name, client(name)) for name in ("sts", "ec2", "rds"))
    settings = {
        "network": {"availability_zones": ["us-east-1a", "us-east-1z"]},
        "compute": {"frontend_instance_type": "t3.micro", "backend_instance_type": "x9.large"},
        "database": {"engine": "rds", "flavor": "postgres", "engine_version": "16.99"},
    }
    with Stubber(made["sts"]) as sts, Stubber(made["ec2"]) as ec2, Stubber(made["rds"]) as rds:
        sts.add_response("get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/me", "UserId": "u"})
        zones = [{"ZoneName": "us-east-1a"}, {"ZoneName": "us-east-1b"}]
        ec2.add_response("describe_availability_zones", {"AvailabilityZones": zones}, {"Filters": ANY})
        offers = {"InstanceTypeOfferings": [{"InstanceType": "t3.micro", "LocationType": "region", "Location": "us-east-1"}]}
        ec2.add_response(
            "describe_instance_type_offerings", offers, {"LocationType": "region", "Filters": [{"Name": "instance-type", "Values": ["t3.micro", "x9.large"]}]}
        )
        rds.add_response("describe_db_engine_versions", {"DBEngineVersions": []}, {"Engine": "postgres", "EngineVersion": "16.99"})
        facts, problems = preflight.read_region(Clients(make=made.get), "us-east-1", settings)
    assert facts["account"] == "123456789012" and facts["availability_zones"] == ["us-east-1a", "us-east-1b"]
    assert problems == [
        "network_availability_zones: us-east-1z not in region us-east-1, which offers us-east-1a, us-east-1b",
        "compute_backend_instance_type: x9.large is not offered in region us-east-1",
        "database_engine_version: 16.99 is not a version of postgres in region us-east-1",
    ]


def test_a_probe_alone_makes_two_reads():
    made = dict((name, client(name)) for name in ("sts", "ec2"))
    with Stubber(made["sts"]) as sts, Stubber(made["ec2"]) as ec2:
        sts.add_response("get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/me", "UserId": "u"})
        ec2.add_response("describe_availability_zones", {"AvailabilityZones": []}, {"Filters": ANY})
        assert preflight.read_region(Clients(make=made.get), "eu-west-1", {})[1] == []


def test_endpoints_that_are_not_aws_are_named():
    silent = ReadTimeoutError(endpoint_url="http://127.0.0.1:9")
    assert preflight.unreachable(silent, "demo", "http://127.0.0.1:9") == (
        "stack demo: http://127.0.0.1:9 did not answer within 10 s (AWS_ENDPOINT_URL or endpoint_url: is it an AWS API?)"
    )
    html = ResponseParserError("Unable to parse response, invalid XML received: b'<html>'")
    assert "answered something that is not an AWS API answer" in preflight.unreachable(html, "demo", "http://x")
    empty = ClientError({"ResponseMetadata": {"HTTPStatusCode": 500}}, "GetCallerIdentity")
    assert "not an AWS API answer" in preflight.unreachable(empty, "demo", None)
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetCallerIdentity")
    assert preflight.unreachable(denied, "demo", None) is None


def test_a_run_of_one_tier_without_a_probe_reads_only_what_it_checks():
    """site.yml --tags network with no AZs named: no read at all, so the tier's rerun budget holds."""
    assert preflight.read_region(Clients(make={}.get), "us-east-1", {"network": {"az_count": 2}}, probe=False) == ({"region": "us-east-1"}, [])


def test_a_db_instance_class_rds_does_not_offer_is_named_once_the_version_is_known_good():
    made = {"rds": client("rds")}
    database = {"engine": "rds", "flavor": "postgres", "engine_version": "16.4", "instance_class": "db.x9.large"}
    versions = {"DBEngineVersions": [{"Engine": "postgres", "EngineVersion": "16.4"}]}
    asked = {"Engine": "postgres", "DBInstanceClass": "db.x9.large", "EngineVersion": "16.4", "MaxRecords": 20}
    with Stubber(made["rds"]) as rds:
        rds.add_response("describe_db_engine_versions", versions, {"Engine": "postgres", "EngineVersion": "16.4"})
        rds.add_response("describe_orderable_db_instance_options", {"OrderableDBInstanceOptions": []}, asked)
        problems = preflight.read_region(Clients(make=made.get), "us-east-1", {"database": database}, probe=False)[1]
    assert problems == ["database_instance_class: db.x9.large is not offered for postgres 16.4 in region us-east-1"]


def test_under_serverless_v2_the_class_asked_is_db_serverless_and_an_offered_one_passes():
    made = {"rds": client("rds")}
    database = {"engine": "aurora", "flavor": "postgres", "instance_class": "db.r6g.large", "aurora_serverless_v2": True}
    offered = {"OrderableDBInstanceOptions": [{"Engine": "aurora-postgresql", "DBInstanceClass": "db.serverless"}]}
    with Stubber(made["rds"]) as rds:
        rds.add_response(
            "describe_orderable_db_instance_options", offered, {"Engine": "aurora-postgresql", "DBInstanceClass": "db.serverless", "MaxRecords": 20}
        )
        assert preflight.read_region(Clients(make=made.get), "us-east-1", {"database": database}, probe=False)[1] == []
