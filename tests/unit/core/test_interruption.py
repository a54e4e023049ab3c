"""SIGTERM between AWS calls: the next call of any Service (a waiter's poll included) raises, naming what the run did."""

import os
import signal

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws import base
from ansible_collections.hatrading.aws.plugins.module_utils._aws.ec2 import EC2
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError


@pytest.fixture(autouse=True)
def fresh_interruption(monkeypatch):
    """The process-wide record, empty for each test and restored after it; no real sleeps."""
    monkeypatch.setattr(base.INTERRUPTION, "signal", None)
    monkeypatch.setattr(base.INTERRUPTION, "reads", 0)
    monkeypatch.setattr(base.INTERRUPTION, "changes", [])
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    handlers = dict((signum, signal.getsignal(signum)) for signum in (signal.SIGTERM, signal.SIGINT))
    yield
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def ec2():
    return EC2(boto3.client("ec2", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"))


def test_the_call_after_a_stop_is_not_sent_and_the_error_names_what_was_done():
    service = ec2()
    with Stubber(service.client) as stub:
        stub.add_response("describe_vpcs", {"Vpcs": []})
        stub.add_response("create_vpc", {"Vpc": {"VpcId": "vpc-1"}})
        stub.add_client_error("create_tags", service_error_code="InvalidParameterValue", http_status_code=400)
        service.describe_vpcs()
        service.create_vpc(CidrBlock="10.0.0.0/16")
        with pytest.raises(ClientError):  # refused: it changed nothing, so it is not among the changes
            service.create_tags(Resources=["vpc-1"], Tags=[])
        stub.add_response("create_subnet", {"Subnet": {"SubnetId": "subnet-1"}})
        base.INTERRUPTION.ask(signal.SIGTERM)
        with pytest.raises(base.Interrupted) as raised:
            service.create_subnet(VpcId="vpc-1", CidrBlock="10.0.0.0/24")
        with pytest.raises(AssertionError):  # the subnet's answer is still queued: the call never went out
            stub.assert_no_pending_responses()
    assert isinstance(raised.value, TierError)  # the runner fails the module with this message
    assert str(raised.value).startswith("stopped by SIGTERM before ec2 CreateSubnet; the run had made 1 reads and 1 changes: ec2 CreateVpc.")


def test_a_wait_stops_at_its_next_poll():
    service = ec2()
    base.INTERRUPTION.ask(signal.SIGTERM)
    with Stubber(service.client) as stub:
        stub.add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-1", "State": "available"}]})
        with pytest.raises(base.Interrupted, match="before ec2 DescribeVpcs; the run had made 0 reads and 0 changes: none"):
            service.wait("vpc_available", 60, delay=5, VpcIds=["vpc-1"])
        with pytest.raises(AssertionError):  # the poll's answer is still queued
            stub.assert_no_pending_responses()


def test_listen_turns_sigterm_and_sigint_into_the_stop_flag():
    base.INTERRUPTION.listen()
    os.kill(os.getpid(), signal.SIGTERM)  # the process goes on: the handler only records the signal
    assert base.INTERRUPTION.signal == signal.SIGTERM
    os.kill(os.getpid(), signal.SIGINT)
    assert base.INTERRUPTION.signal == signal.SIGINT
