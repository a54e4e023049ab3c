"""stack_compute's reconcile without Ansible, against botocore's Stubber: a failure names the step it
happened in (the runner puts that name in the module's message) and keeps the plan so far."""

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.compute import apply, model
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import Outcome, Run

NETWORK = [{"Name": "tag:hatrading:stack", "Values": ["demo"]}, {"Name": "tag:hatrading:tier", "Values": ["network"]}]


def client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def backend_only():
    entry = {
        "tier": "backend",
        "load_balancer": {"port": 8081},
        "launch_template": {"image": "127.0.0.1:5001/hatrading/backend:1.0.0", "port": 8081},
        "auto_scaling_group": {"min_size": 1, "desired_capacity": 1, "max_size": 2},
        "load_balancer_urls": {},
    }
    return {"stack": "demo", "state": "present", "tags": {}, "tiers": [entry]}


def offered(stub):
    offers = {"InstanceTypeOfferings": [{"InstanceType": "t3.micro", "LocationType": "region", "Location": "us-east-1"}]}
    stub.add_response("describe_instance_type_offerings", offers)


def test_an_aws_error_names_the_step_it_happened_in():
    ec2 = client("ec2")
    outcome = Outcome()
    with Stubber(ec2) as stub:
        offered(stub)
        stub.add_client_error("describe_subnets", service_error_code="UnauthorizedOperation", http_status_code=403, expected_params={"Filters": NETWORK})
        with pytest.raises(ClientError):
            apply.reconcile(Clients(make={"ec2": ec2}.get), backend_only(), Run(False, "us-east-1"), outcome)
    assert outcome.step == "backend load balancer"
    assert outcome.plan.as_list() == [] and outcome.result["tiers"] == {"backend": {}}


def test_a_refusal_is_prefixed_with_the_step():
    ec2, elb = client("ec2"), client("elbv2")
    outcome = Outcome()
    with Stubber(ec2) as ec2_stub, Stubber(elb) as elb_stub:
        offered(ec2_stub)
        ec2_stub.add_response("describe_subnets", {"Subnets": []}, {"Filters": NETWORK})
        ec2_stub.add_response("describe_security_groups", {"SecurityGroups": []}, {"Filters": NETWORK})
        for operation, code in (("describe_load_balancers", "LoadBalancerNotFound"), ("describe_target_groups", "TargetGroupNotFound")):
            elb_stub.add_client_error(operation, service_error_code=code, http_status_code=400)  # the batch
            elb_stub.add_client_error(operation, service_error_code=code, http_status_code=400)  # then name by name
        with pytest.raises(model.ComputeError) as refused:
            apply.reconcile(Clients(make={"ec2": ec2, "elbv2": elb}.get), backend_only(), Run(False, "us-east-1"), outcome)
    assert str(refused.value) == (
        "backend load balancer: the app subnets or the demo-alb-internal security group of stack demo were not found; build the network first"
    )


def test_an_instance_type_the_region_lacks_stops_the_run_first():
    ec2 = client("ec2")
    outcome = Outcome()
    with Stubber(ec2) as stub:
        stub.add_response("describe_instance_type_offerings", {"InstanceTypeOfferings": []})
        with pytest.raises(model.ComputeError) as refused:
            apply.reconcile(Clients(make={"ec2": ec2}.get), backend_only(), Run(False, "eu-west-1"), outcome)
        stub.assert_no_pending_responses()
    assert str(refused.value) == "launch templates: backend instance_type: t3.micro is not offered in region eu-west-1; pick one the region offers"
    assert outcome.step == "instance types"
