"""The run's read cache (_aws/base.py ReadCache): reads handed from one module to the next, never past a change."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws import base
from ansible_collections.hatrading.aws.plugins.module_utils._aws.ec2 import EC2
from ansible_collections.hatrading.aws.plugins.module_utils._aws.secretsmanager import SecretsManager
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView

VPC = {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "Tags": [{"Key": "hatrading:stack", "Value": "demo"}]}


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    """The process-wide cache, off at each test's start and restored after it (a module turns it on when given answers)."""
    cache = base.READ_CACHE
    monkeypatch.setattr(cache, "answers", None)
    monkeypatch.setattr(cache, "stopped", False)
    monkeypatch.setattr(base.INTERRUPTION, "changes", [])
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    return cache


def client(name):
    return boto3.client(name, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")


def test_off_unless_started_every_read_goes_out():
    service = EC2(client("ec2"))
    with Stubber(service.client) as stub:
        stub.add_response("describe_vpcs", {"Vpcs": [VPC]})
        stub.add_response("describe_vpcs", {"Vpcs": [VPC]})
        assert service.describe_vpcs() == service.describe_vpcs() == [VPC]
        stub.assert_no_pending_responses()
    assert base.READ_CACHE.handed_on() == {}


def test_a_read_asked_again_is_answered_once_and_handed_on_to_the_next_module(fresh_cache):
    fresh_cache.start({})
    service = EC2(client("ec2"))
    with Stubber(service.client) as stub:
        stub.add_response("describe_vpcs", {"Vpcs": [VPC]}, {"Filters": [{"Name": "tag:hatrading:stack", "Values": ["demo"]}]})
        stub.add_response("describe_vpcs", {"Vpcs": []}, {"Filters": [{"Name": "tag:hatrading:stack", "Values": ["other"]}]})
        for _attempt in range(3):
            assert service.describe_vpcs(Filters=[{"Name": "tag:hatrading:stack", "Values": ["demo"]}]) == [VPC]
        assert service.describe_vpcs(Filters=[{"Name": "tag:hatrading:stack", "Values": ["other"]}]) == []  # other parameters: another read
        stub.assert_no_pending_responses()
    handed = json.loads(json.dumps(fresh_cache.handed_on()))  # as Ansible passes it on: plain JSON

    # the next module of the run: no call at all for the same read
    fresh_cache.start(handed)
    later = EC2(client("ec2"))
    with Stubber(later.client) as stub:
        assert later.describe_vpcs(Filters=[{"Name": "tag:hatrading:stack", "Values": ["demo"]}]) == [VPC]
        stub.assert_no_pending_responses()


def test_a_change_stops_the_cache_and_hands_nothing_on(fresh_cache):
    fresh_cache.start({})
    service = EC2(client("ec2"))
    with Stubber(service.client) as stub:
        stub.add_response("describe_vpcs", {"Vpcs": []})
        stub.add_response("create_vpc", {"Vpc": {"VpcId": "vpc-1"}})
        stub.add_response("describe_vpcs", {"Vpcs": [VPC]})  # read again after the change: the answer has moved on
        assert service.describe_vpcs() == []
        service.create_vpc(CidrBlock="10.0.0.0/16")
        assert service.describe_vpcs() == [VPC]
        stub.assert_no_pending_responses()
    assert not fresh_cache.active
    assert fresh_cache.handed_on() == {}  # the next module reads everything itself


def test_no_such_resource_is_an_answer_too(fresh_cache):
    fresh_cache.start({})
    service = EC2(client("ec2"))
    with Stubber(service.client) as stub:
        stub.add_client_error("describe_launch_templates", service_error_code="InvalidLaunchTemplateName.NotFoundException", http_status_code=400)
        assert service.describe_launch_templates(LaunchTemplateNames=["demo-backend"], missing=None) is None
        assert service.describe_launch_templates(LaunchTemplateNames=["demo-backend"], missing=[]) == []
        stub.assert_no_pending_responses()
    # other errors are never kept
    with Stubber(service.client) as stub:
        stub.add_client_error("describe_subnets", service_error_code="UnauthorizedOperation", http_status_code=403)
        stub.add_response("describe_subnets", {"Subnets": []})
        with pytest.raises(ClientError):
            service.describe_subnets()
        assert service.describe_subnets() == []
        stub.assert_no_pending_responses()


def test_a_secret_value_is_never_kept(fresh_cache):
    fresh_cache.start({})
    service = SecretsManager(client("secretsmanager"))
    with Stubber(service.client) as stub:
        stub.add_response("get_secret_value", {"SecretString": "hunter2"}, {"SecretId": "demo/database/master"})
        stub.add_response("get_secret_value", {"SecretString": "hunter2"}, {"SecretId": "demo/database/master"})
        stub.add_response("get_random_password", {"RandomPassword": "hunter3"})
        for _attempt in range(2):
            assert service.get_secret_value(SecretId="demo/database/master")["SecretString"] == "hunter2"
        service.get_random_password()
        stub.assert_no_pending_responses()
    assert "hunter" not in json.dumps(fresh_cache.handed_on())


def test_the_view_takes_the_network_from_the_network_tiers_read_and_reads_alone_without_it(fresh_cache):
    tagged = [{"Key": "hatrading:stack", "Value": "demo"}, {"Key": "hatrading:tier", "Value": "network"}]
    subnet = {"SubnetId": "subnet-1", "VpcId": "vpc-1", "Tags": tagged + [{"Key": "hatrading:layer", "Value": "app"}]}
    foreign = {"SubnetId": "subnet-2", "VpcId": "vpc-1", "Tags": []}
    network_filter = [{"Name": "tag:hatrading:stack", "Values": ["demo"]}, {"Name": "tag:hatrading:tier", "Values": ["network"]}]

    class Clients:
        ec2 = EC2(client("ec2"))

    # alone (no cache): one describe filtered by the tags, as before
    with Stubber(Clients.ec2.client) as stub:
        stub.add_response("describe_subnets", {"Subnets": [subnet]}, {"Filters": network_filter})
        assert StackView(Clients, "demo").subnet_ids("app") == ["subnet-1"]
        stub.assert_no_pending_responses()

    # in a run whose network tier read its VPC's subnets: no read at all, what carries the tags kept
    fresh_cache.start({})
    with Stubber(Clients.ec2.client) as stub:
        stub.add_response("describe_vpcs", {"Vpcs": [dict(VPC, Tags=tagged)]}, {"Filters": network_filter})
        stub.add_response("describe_subnets", {"Subnets": [subnet, foreign]}, {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}]})
        Clients.ec2.describe_vpcs(Filters=network_filter)  # the network tier's reads
        Clients.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": ["vpc-1"]}])
        stub.assert_no_pending_responses()
        assert StackView(Clients, "demo").subnet_ids("app") == ["subnet-1"]
