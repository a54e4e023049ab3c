"""The network role as users run it: playbooks/site.yml and playbooks/teardown.yml with the demo variables."""

from conftest import REPO

STACK = "itrole"
VARS = ["-e", "@playbooks/vars/demo.yml"]
BY_STACK = [{"Name": "tag:hatrading:stack", "Values": [STACK]}]


def run(ansible, playbook, check=False, **extra):
    extra.setdefault("hatrading_stack", STACK)
    return ansible.playbook(REPO / "playbooks" / playbook, extra_vars=extra, check=check, tags="network", extra_args=VARS)


def changed(output):
    return output["stats"]["localhost"]["changed"]


def test_site_network_present_rerun_and_teardown(ansible, fresh_moto):
    ec2, logs, iam = fresh_moto.client("ec2"), fresh_moto.client("logs"), fresh_moto.client("iam")

    out = run(ansible, "site.yml", check=True)
    assert out["rc"] == 0, out["stderr"][-2000:]
    assert fresh_moto.mutating_calls() == []
    assert ec2.describe_vpcs(Filters=BY_STACK)["Vpcs"] == []

    out = run(ansible, "site.yml")
    assert out["rc"] == 0, out["stderr"][-2000:]
    vpc_id = ec2.describe_vpcs(Filters=BY_STACK)["Vpcs"][0]["VpcId"]
    flow = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    assert [(f["TrafficType"], f["LogGroupName"]) for f in flow] == [("ALL", "/hatrading/%s/vpc-flow-logs" % STACK)]
    group = logs.describe_log_groups(logGroupNamePrefix="/hatrading/%s/" % STACK)["logGroups"]
    assert [g["retentionInDays"] for g in group] == [30]
    assert flow[0]["DeliverLogsPermissionArn"] == iam.get_role(RoleName="%s-vpc-flow-logs" % STACK)["Role"]["Arn"]

    fresh_moto.forget_calls()
    out = run(ansible, "site.yml")
    assert out["rc"] == 0 and changed(out) == 0
    calls = fresh_moto.calls()
    assert [c for c in calls if c["kind"] == "mutating"] == []
    assert len(calls) <= 10, [c["operation"] for c in calls]

    fresh_moto.forget_calls()
    out = run(ansible, "teardown.yml")
    assert out["rc"] != 0, "teardown without confirmation must refuse"
    assert fresh_moto.calls() == []

    out = run(ansible, "teardown.yml", hatrading_confirm_teardown=STACK)
    assert out["rc"] == 0, out["stderr"][-2000:]
    assert ec2.describe_vpcs(Filters=BY_STACK)["Vpcs"] == []
    assert ec2.describe_subnets(Filters=BY_STACK)["Subnets"] == []
    assert ec2.describe_security_groups(Filters=BY_STACK)["SecurityGroups"] == []
    assert ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"] == []
    assert logs.describe_log_groups(logGroupNamePrefix="/hatrading/%s/" % STACK)["logGroups"] == []
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(STACK)] == []

    out = run(ansible, "teardown.yml", hatrading_confirm_teardown=STACK)
    assert out["rc"] == 0 and changed(out) == 0


def test_bad_variables_fail_before_any_aws_call(ansible, fresh_moto):
    out = run(ansible, "site.yml", network_vpc_cidr="10.20.0.0/33", network_az_count=1)
    assert out["rc"] != 0
    text = str(out["tasks"])
    assert "network_vpc_cidr:" in text and "network_az_count:" in text
    assert fresh_moto.calls() == []


def test_wrong_type_is_caught_by_the_argument_spec(ansible, fresh_moto):
    out = run(ansible, "site.yml", network_nat_mode="sometimes")
    assert out["rc"] != 0 and "network_nat_mode" in str(out["tasks"])
    assert fresh_moto.calls() == []
