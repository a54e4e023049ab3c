"""The AWS layer (plugins/module_utils/_aws): retries, "not found", pagination, waiters, one client per service."""

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import WaiterError
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws import base
from ansible_collections.hatrading.aws.plugins.module_utils._aws import clients as clients_module
from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import SERVICES
from ansible_collections.hatrading.aws.plugins.module_utils._aws.cloudfront import CloudFront
from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils._aws.ec2 import EC2
from ansible_collections.hatrading.aws.plugins.module_utils._aws.grafana import Grafana
from ansible_collections.hatrading.aws.plugins.module_utils._aws.opensearch import OpenSearch
from ansible_collections.hatrading.aws.plugins.module_utils._aws.rds import RDS
from ansible_collections.hatrading.aws.plugins.module_utils._aws.s3 import S3


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """Retries without the real jittered sleeps."""
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")


def test_a_write_is_retried_on_throttling_of_every_protocol():
    ec2 = EC2(client("ec2"))
    with Stubber(ec2.client) as stub:
        stub.add_client_error("create_vpc", service_error_code="RequestLimitExceeded", http_status_code=503)
        stub.add_client_error("create_vpc", service_error_code="ThrottlingException", http_status_code=400)
        stub.add_response("create_vpc", {"Vpc": {"VpcId": "vpc-1"}}, {"CidrBlock": "10.0.0.0/16"})
        assert ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"] == "vpc-1"
        stub.assert_no_pending_responses()


def test_s3_slow_down_is_retried():
    s3 = S3(client("s3"))
    with Stubber(s3.client) as stub:
        stub.add_client_error("put_bucket_tagging", service_error_code="SlowDown", http_status_code=503)
        stub.add_response("put_bucket_tagging", {}, {"Bucket": "b", "Tagging": {"TagSet": []}})
        s3.put_bucket_tagging(Bucket="b", Tagging={"TagSet": []})
        stub.assert_no_pending_responses()


def test_a_delete_of_something_gone_is_what_was_wanted():
    ec2 = EC2(client("ec2"))
    with Stubber(ec2.client) as stub:
        stub.add_client_error("delete_vpc", service_error_code="InvalidVpcID.NotFound", http_status_code=400)
        assert ec2.delete_vpc(VpcId="vpc-1") is None


def test_other_errors_are_raised_at_once():
    ec2 = EC2(client("ec2"))
    with Stubber(ec2.client) as stub:
        stub.add_client_error("delete_vpc", service_error_code="DependencyViolation", http_status_code=400)
        with pytest.raises(ClientError):
            ec2.delete_vpc(VpcId="vpc-1")
        stub.assert_no_pending_responses()


def test_a_paginated_read_follows_every_page_and_a_missing_resource_reads_empty():
    rds = RDS(client("rds"))
    with Stubber(rds.client) as stub:
        stub.add_response("describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": "a"}], "Marker": "m"})
        stub.add_response("describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": "b"}]})
        stub.add_client_error("describe_db_clusters", service_error_code="DBClusterNotFoundFault", http_status_code=404)
        assert [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()] == ["a", "b"]
        assert rds.describe_db_clusters(DBClusterIdentifier="x") == []


def test_an_answer_without_an_error_code_is_an_error_not_a_key_error():
    error = ClientError({"ResponseMetadata": {"HTTPStatusCode": 502}}, "CreateVpc")
    assert base.error_code(error) == ""
    assert base.StackRetry.status_code_from_exception(error) == ""


def test_wait_is_bounded_by_its_timeout():
    ec2 = EC2(client("ec2"))
    with Stubber(ec2.client) as stub:
        for _poll in range(12):  # 60 s / 5 s: twelve polls, then the waiter gives up
            stub.add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-1", "State": "pending"}]}, {"VpcIds": ["vpc-1"]})
        with pytest.raises(WaiterError):
            ec2.wait("vpc_available", timeout=60, delay=5, VpcIds=["vpc-1"])
        stub.assert_no_pending_responses()


ACTIVE = {"Code": "active"}
AVAILABLE_DB = {"DBInstanceStatus": "available"}


@pytest.mark.parametrize(
    "service, waiter, params, operation, code, status, answer",
    [
        ("ec2", "vpc_available", {"VpcIds": ["v"]}, "describe_vpcs", "RequestLimitExceeded", 503, {"Vpcs": [{"VpcId": "v", "State": "available"}]}),
        ("ec2", "nat_gateway_available", {"NatGatewayIds": ["n"]}, "describe_nat_gateways", "InternalError", 500, {"NatGateways": [{"State": "available"}]}),
        ("elbv2", "load_balancer_available", {"Names": ["lb"]}, "describe_load_balancers", "Throttling", 400, {"LoadBalancers": [{"State": ACTIVE}]}),
        ("rds", "db_instance_available", {"DBInstanceIdentifier": "d"}, "describe_db_instances", "Throttling", 400, {"DBInstances": [AVAILABLE_DB]}),
    ],
)
def test_a_waiter_survives_throttled_and_failed_polls(service, waiter, params, operation, code, status, answer):
    """botocore's waiters fail on an error answer they have no acceptor for; Service.wait retries such a poll first."""
    wrapped = SERVICES[service](client(service))
    with Stubber(wrapped.client) as stub:
        for _attempt in range(5):  # more than the client's own retries (5 attempts in CLIENT_CONFIG)
            stub.add_client_error(operation, service_error_code=code, http_status_code=status)
        stub.add_response(operation, answer)
        wrapped.wait(waiter, timeout=10, delay=5, **params)
        stub.assert_no_pending_responses()


def test_clients_makes_one_client_per_service():
    made = []

    def make(name):
        made.append(name)
        return client(name)

    clients = Clients(make=make)
    assert clients.ec2 is clients("ec2")
    assert isinstance(clients.rds, RDS)
    assert made == ["ec2", "rds"]
    with pytest.raises(AttributeError):
        assert clients.nosuchservice is None


def test_every_declared_call_exists_in_its_service_model():
    """A typo in a one-line declaration would only fail at run time: check them all against botocore."""
    for name, service in SERVICES.items():
        operations = set(dir(client(name)))
        declared = [value.__name__ for value in vars(service).values() if callable(value) and getattr(value, "__doc__", "") and ", retried" in value.__doc__]
        missing = sorted(set(declared) - operations)
        assert not missing, "%s declares unknown operations %s" % (name, missing)


def test_a_caller_may_accept_not_found_for_one_read():
    rds = RDS(client("rds"))
    with Stubber(rds.client) as stub:
        stub.add_client_error("describe_db_subnet_groups", service_error_code="DBSubnetGroupNotFoundFault", http_status_code=404)
        stub.add_client_error("describe_db_subnet_groups", service_error_code="DBSubnetGroupNotFoundFault", http_status_code=404)
        assert rds.describe_db_subnet_groups(DBSubnetGroupName="x", missing=None) is None
        assert rds.describe_db_subnet_groups(DBSubnetGroupName="x") == []


def test_nested_list_keys_are_followed():
    cloudfront = CloudFront(client("cloudfront"))
    with Stubber(cloudfront.client) as stub:
        page = {"Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 0}
        stub.add_response("list_distributions", {"DistributionList": dict(page, Items=[])})
        assert cloudfront.list_distributions() == []


def test_an_undeclared_operation_is_retried_and_paginated_by_the_service_model():
    ec2 = EC2(client("ec2"))
    with Stubber(ec2.client) as stub:
        stub.add_client_error("describe_vpc_endpoints", service_error_code="RequestLimitExceeded", http_status_code=503)
        stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [{"VpcEndpointId": "vpce-1"}], "NextToken": "t"})
        stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [{"VpcEndpointId": "vpce-2"}]}, {"NextToken": "t"})
        stub.add_response("create_vpc_endpoint", {"VpcEndpoint": {"VpcEndpointId": "vpce-3"}}, {"VpcId": "vpc-1", "ServiceName": "s3"})
        assert [e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()] == ["vpce-1", "vpce-2"]
        assert ec2.create_vpc_endpoint(VpcId="vpc-1", ServiceName="s3")["VpcEndpoint"]["VpcEndpointId"] == "vpce-3"
        stub.assert_no_pending_responses()
    with pytest.raises(AttributeError):
        ec2.describe_vpc_endpoint_typo()


class ConnectionModule:
    """What session_client reads of an AnsibleAWSModule: its params (as amazon.aws's connection info reads them) and _name."""

    _name = "hatrading.aws.test"

    def __init__(self, **params):
        base = dict(
            access_key="k", secret_key="s", session_token=None, profile=None, endpoint_url="http://127.0.0.1:1", region="eu-west-1",
            validate_certs=True, aws_ca_bundle=None, aws_config=None, debug_botocore_endpoint_logs=False,
        )  # fmt: skip
        self.params = dict(base, **params)
        self.failed = None

    def fail_json(self, **result):
        self.failed = result
        raise SystemExit(1)

    def fail_json_aws(self, error, msg):
        self.fail_json(msg="%s: %s" % (msg, error))


def test_clients_of_a_run_share_one_session_and_keep_the_users_settings():
    """One boto3 session per profile in the process: botocore's endpoint data and service list are read once, not per client."""
    module = ConnectionModule(aws_config={"read_timeout": 7})
    ec2 = clients_module.session_client(module, "ec2", clients_module.CLIENT_CONFIG)
    rds = clients_module.session_client(module, "rds", clients_module.CLIENT_CONFIG)
    assert ec2.meta.region_name == rds.meta.region_name == "eu-west-1"
    assert ec2.meta.endpoint_url == "http://127.0.0.1:1"
    assert ec2.meta.config.connect_timeout == 10 and ec2.meta.config.read_timeout == 7  # the user's aws_config wins
    assert ec2.meta.config.retries["mode"] == "standard" and "hatrading.aws" in ec2.meta.config.user_agent_extra
    assert list(clients_module._sessions) == [None]


def test_a_missing_profile_is_named_as_amazon_aws_names_it():
    module = ConnectionModule(profile="no-such-profile-here", access_key=None, secret_key=None)
    with pytest.raises(SystemExit):
        clients_module.session_client(module, "ec2")
    assert "no-such-profile-here" in module.failed["msg"] and "could not be found" in module.failed["msg"]


def test_a_declared_waiter_ends_on_success_fails_on_failure_and_takes_gone_for_deleted():
    """base.waiter: the waiters botocore lacks, declared as {name: waiter(...)} and run by Service.wait."""
    grafana = Grafana(client("grafana"))
    with Stubber(grafana.client) as stub:
        stub.add_response("describe_workspace", {"workspace": _grafana_workspace("CREATING")})
        stub.add_response("describe_workspace", {"workspace": _grafana_workspace("ACTIVE")})
        grafana.wait("workspace_active", timeout=10, delay=5, workspaceId="g-1")
        stub.add_response("describe_workspace", {"workspace": _grafana_workspace("CREATION_FAILED")})
        with pytest.raises(WaiterError):
            grafana.wait("workspace_active", timeout=10, delay=5, workspaceId="g-1")
        stub.add_client_error("describe_workspace", service_error_code="ResourceNotFoundException", http_status_code=404)
        grafana.wait("workspace_deleted", timeout=10, delay=5, workspaceId="g-1")
    # a failure told by another path than the success (failure_path)
    search = OpenSearch(client("opensearch"))
    with Stubber(search.client) as stub:
        stub.add_response("describe_domain", {"DomainStatus": dict(_DOMAIN, Processing=True, Deleted=False)})  # still processing: no failure
        stub.add_response("describe_domain", {"DomainStatus": dict(_DOMAIN, Processing=False, Deleted=False)})
        search.wait("domain_ready", timeout=10, delay=5, DomainName="logs")
        stub.add_response("describe_domain", {"DomainStatus": dict(_DOMAIN, Processing=True, Deleted=True)})
        with pytest.raises(WaiterError):
            search.wait("domain_ready", timeout=10, delay=5, DomainName="logs")


_DOMAIN = {"DomainId": "1/logs", "DomainName": "logs", "ARN": "arn:aws:es:us-east-1:123456789012:domain/logs", "ClusterConfig": {}}


def _grafana_workspace(status):
    return {
        "id": "g-1",
        "status": status,
        "authentication": {"providers": ["AWS_SSO"]},
        "created": 0,
        "dataSources": [],
        "endpoint": "g-1.grafana-workspace.us-east-1.amazonaws.com",
        "grafanaVersion": "10.4",
        "modified": 0,
    }


@pytest.mark.parametrize(
    "message, retried",
    [("Role arn:aws:iam::1:role/x cannot be assumed", True), ("Invalid subnet", False)],
)
def test_an_answer_told_apart_by_its_message_is_retried_only_when_it_says_so(message, retried):
    """base.retry_answer: the code a service's RETRY_CODES names replaces the answer's own only when the message says so."""
    retry = base.retry_answer(("InvalidParameterException",), lambda text: "role" in text and "assume" in text, "RolePropagation")
    error = ClientError({"Error": {"Code": "InvalidParameterException", "Message": message}}, "CreateCluster")
    assert retry.status_code_from_exception(error) == ("RolePropagation" if retried else "InvalidParameterException")
    assert retry.status_code_from_exception(ClientError({"Error": {"Code": "Throttling"}}, "CreateCluster")) == "Throttling"
