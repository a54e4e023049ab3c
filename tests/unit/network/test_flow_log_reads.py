"""vpc_flow_log's reads against botocore Stubber: the fewest calls a rerun makes."""

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import Outcome
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import Run
from ansible_collections.hatrading.aws.plugins.module_utils.network import flow_log

PARAMS = {
    "stack": "demo",
    "name": "demo-vpc-flow-log",
    "tier": "network",
    "state": "present",
    "vpc_id": None,
    "log_group_name": None,
    "retention_days": 30,
    "traffic_type": "ALL",
    "max_aggregation_interval": 600,
    "role_name": None,
    "retain_log_group": False,
    "tags": {},
}


def stubbed(*services):
    made = dict((service, boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")) for service in services)
    return Clients(make=made.get), dict((service, Stubber(client)) for service, client in made.items())


def test_a_found_policy_answers_for_the_role():
    clients, stubs = stubbed("ec2", "logs", "iam")
    stubs["ec2"].add_response("describe_flow_logs", {"FlowLogs": []})
    stubs["logs"].add_response("describe_log_groups", {"logGroups": []}, {"logGroupNamePrefix": "/hatrading/demo/vpc-flow-logs"})
    stubs["iam"].add_response(
        "get_role_policy",
        {"RoleName": "demo-vpc-flow-logs", "PolicyName": flow_log.POLICY_NAME, "PolicyDocument": "{}"},
        {"RoleName": "demo-vpc-flow-logs", "PolicyName": flow_log.POLICY_NAME},
    )
    for stub in stubs.values():
        stub.activate()
    have = flow_log.read_flow_log(clients, flow_log.settings_of(PARAMS))
    assert have["role"] == {"name": "demo-vpc-flow-logs", "arn": None}  # no GetRole: the policy proved the role is there
    assert have["log_group"] is None and have["flow_log"] is None
    for stub in stubs.values():
        stub.assert_no_pending_responses()


def test_no_policy_and_no_role_plans_both():
    clients, stubs = stubbed("ec2", "logs", "iam")
    stubs["ec2"].add_response("describe_flow_logs", {"FlowLogs": []})
    stubs["logs"].add_response("describe_log_groups", {"logGroups": []})
    stubs["iam"].add_client_error("get_role_policy", "NoSuchEntity")
    stubs["iam"].add_client_error("get_role", "NoSuchEntity", expected_params={"RoleName": "demo-vpc-flow-logs"})
    for stub in stubs.values():
        stub.activate()
    have = flow_log.read_flow_log(clients, flow_log.settings_of(PARAMS))
    assert have["role"] is None and have["role_policy"] is None
    for stub in stubs.values():
        stub.assert_no_pending_responses()


def test_without_a_vpc_only_check_mode_may_plan():
    outcome = Outcome()
    with pytest.raises(flow_log.FlowLogError, match="^vpc_id: required to create the flow log"):
        flow_log.reconcile(None, PARAMS, Run(check_mode=False, region="us-east-1"), outcome)
    assert outcome.plan.changes == []  # refused before any AWS call (no clients were given)
