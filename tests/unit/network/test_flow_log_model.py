from ansible_collections.hatrading.aws.plugins.module_utils.network import apply
from ansible_collections.hatrading.aws.plugins.module_utils.network import flow_log as model

CFG = {
    "role_name": "demo-vpc-flow-logs",
    "log_group_name": "/hatrading/demo/vpc-flow-logs",
    "retention_days": 30,
    "vpc_id": "vpc-1",
    "traffic_type": "ALL",
    "max_aggregation_interval": 600,
    "tags": {"Name": "demo-vpc-flow-log"},
}
ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/hatrading/demo/vpc-flow-logs"


def found(**change):
    flow = {
        "FlowLogId": "fl-1",
        "ResourceId": "vpc-1",
        "TrafficType": "ALL",
        "LogGroupName": CFG["log_group_name"],
        "DeliverLogsPermissionArn": "arn:aws:iam::123456789012:role/demo-vpc-flow-logs",
        "MaxAggregationInterval": 600,
        "Tags": [{"Key": "Name", "Value": "demo-vpc-flow-log"}],
    }
    flow.update(change)
    group = {"logGroupName": CFG["log_group_name"], "retentionInDays": 30, "arn": ARN + ":*"}
    return model.actual_flow_log([flow], group, {"RoleName": CFG["role_name"], "Arn": None}, model.delivery_policy(ARN))


def test_first_run_creates_all_four_in_order():
    have = model.actual_flow_log([], None, None, None)
    plan = model.plan_flow_log(model.desired_flow_log(CFG, ARN), have, "fl")
    assert [str(c) for c in plan.changes] == ["+ role fl", "+ role_policy fl", "+ log_group fl", "+ flow_log fl"]


def test_rerun_is_empty():
    assert model.plan_flow_log(model.desired_flow_log(CFG, ARN), found(), "fl").changes == []


def test_retention_is_updated_in_place():
    plan = model.plan_flow_log(model.desired_flow_log(dict(CFG, retention_days=90), ARN), found(), "fl")
    assert [str(c) for c in plan.changes] == ["~ log_group fl (retention_days)"]


def test_flow_log_fields_replace_it():
    plan = model.plan_flow_log(model.desired_flow_log(CFG, ARN), found(TrafficType="REJECT"), "fl")
    assert [str(c) for c in plan.changes] == ["- flow_log fl", "+ flow_log fl"]


def test_policy_allows_writing_to_its_group_only():
    statement = model.delivery_policy(ARN)["Statement"][0]
    assert statement["Resource"] == [ARN, ARN + ":log-stream:*"]
    assert "logs:DeleteLogGroup" not in statement["Action"]


def test_teardown_keeps_the_log_group_when_asked():
    plan = model.plan_flow_log_teardown(found(), "fl", retain_log_group=True)
    assert [str(c) for c in plan.changes] == ["- flow_log fl", "- role_policy fl", "- role fl"]


def test_stack_network_flow_log_option_becomes_the_flow_log_steps_parameters():
    params = {"stack": "demo", "state": "present", "tags": {"team": "a"}, "flow_log": {"retention_days": 14, "traffic_type": "REJECT"}}
    step = apply.flow_log_params(params, "vpc-1")
    assert step["name"] == "demo-vpc-flow-log" and step["vpc_id"] == "vpc-1" and step["tier"] == "network"
    assert (step["retention_days"], step["traffic_type"], step["max_aggregation_interval"], step["retain_log_group"]) == (14, "REJECT", 600, False)
    assert model.validate_params(step) == []
