"""hatrading.aws.stack_network against moto: the twelve cases, asserted on what moto reports."""

STACK = "itnet"
ARGS = {"stack": STACK, "vpc_cidr": "10.40.0.0/16", "tags": {"team": "it"}}
BY_STACK = [{"Name": "tag:hatrading:stack", "Values": [STACK]}]


def snapshot(ec2):
    """The stack's network as moto reports it."""
    vpcs = ec2.describe_vpcs(Filters=BY_STACK)["Vpcs"]
    nats = ec2.describe_nat_gateways(Filter=BY_STACK)["NatGateways"]
    return {
        "vpcs": vpcs,
        "subnets": ec2.describe_subnets(Filters=BY_STACK)["Subnets"],
        "nats": [n for n in nats if n["State"] in ("pending", "available")],
        "route_tables": ec2.describe_route_tables(Filters=BY_STACK)["RouteTables"],
        "acls": ec2.describe_network_acls(Filters=BY_STACK)["NetworkAcls"],
        "groups": ec2.describe_security_groups(Filters=BY_STACK)["SecurityGroups"],
        "igws": ec2.describe_internet_gateways(Filters=BY_STACK)["InternetGateways"],
        "addresses": ec2.describe_addresses(Filters=BY_STACK)["Addresses"],
    }


def name_of(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}.get("Name")


def test_network_lifecycle(ansible, fresh_moto):
    ec2 = fresh_moto.client("ec2")

    # create, in check mode: a plan and nothing else
    result = ansible.module("hatrading.aws.stack_network", ARGS, check=True)
    assert result["rc"] == 0, result.get("msg")
    assert result["changed"] is True
    assert result["plan_text"][-1] == "Plan: 34 to create, 6 to update, 0 to delete."
    assert fresh_moto.mutating_calls() == [], "check mode must not change anything"
    assert snapshot(ec2)["vpcs"] == []

    # create
    result = ansible.module("hatrading.aws.stack_network", ARGS, diff=True)
    assert result["rc"] == 0, result.get("msg")
    assert result["changed"] is True
    net = snapshot(ec2)
    assert [v["CidrBlock"] for v in net["vpcs"]] == ["10.40.0.0/16"]
    vpc_id = net["vpcs"][0]["VpcId"]
    assert result["network"]["vpc_id"] == vpc_id
    assert len(net["subnets"]) == 6
    assert len({s["AvailabilityZone"] for s in net["subnets"]}) == 2
    assert all(not s["MapPublicIpOnLaunch"] for s in net["subnets"])
    assert sorted(name_of(n) for n in net["nats"]) == [STACK + "-nat-us-east-1a", STACK + "-nat-us-east-1b"]
    assert all(n["State"] == "available" for n in net["nats"])
    subnet_az = {s["SubnetId"]: s["AvailabilityZone"] for s in net["subnets"]}
    nat_az = {n["NatGatewayId"]: subnet_az[n["SubnetId"]] for n in net["nats"]}
    tables = {name_of(t): t for t in net["route_tables"]}
    assert sorted(tables) == sorted([STACK + "-public", STACK + "-app-us-east-1a", STACK + "-app-us-east-1b", STACK + "-data"])
    for az in ("us-east-1a", "us-east-1b"):
        default = [r for r in tables["%s-app-%s" % (STACK, az)]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert len(default) == 1 and nat_az[default[0]["NatGatewayId"]] == az, "app subnets leave through the NAT of their own AZ"
    assert [r.get("GatewayId", "")[:4] for r in tables[STACK + "-public"]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"] == ["igw-"]
    assert [r for r in tables[STACK + "-data"]["Routes"] if r.get("GatewayId") != "local"] == [], "data subnets have no way out"
    assert len(net["acls"]) == 3 and all(len(a["Associations"]) == 2 for a in net["acls"])
    groups = {g["GroupName"]: g for g in net["groups"]}
    db = groups[STACK + "-database"]
    assert [(p["FromPort"], p["UserIdGroupPairs"][0]["GroupId"]) for p in db["IpPermissions"]] == [(5432, groups[STACK + "-backend"]["GroupId"])]
    assert db["IpPermissionsEgress"] == []
    for group in net["groups"]:
        for perm in group["IpPermissions"]:
            assert perm.get("IpProtocol") == "tcp" and not perm["FromPort"] <= 22 <= perm["ToPort"]
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"
    ][0]
    assert default_sg["IpPermissions"] == [] and default_sg["IpPermissionsEgress"] == []
    assert "diff" in result or result.get("changed")

    # rerun: no change, and only reads
    fresh_moto.forget_calls()
    result = ansible.module("hatrading.aws.stack_network", ARGS)
    assert result["rc"] == 0 and result["changed"] is False and result["plan"] == []
    calls = fresh_moto.calls()
    assert [c for c in calls if c["kind"] == "mutating"] == []
    assert len(calls) <= 8, calls

    # modify, in check mode: planned, not done
    cheaper = dict(ARGS, nat_mode="single", resilience="cost", tags={"team": "it", "cost-center": "42"})
    fresh_moto.forget_calls()
    result = ansible.module("hatrading.aws.stack_network", cheaper, check=True)
    assert result["changed"] is True and {"action": "delete", "kind": "nat_gateway", "name": STACK + "-nat-us-east-1b"} in result["plan"]
    assert fresh_moto.mutating_calls() == []
    assert len(snapshot(ec2)["nats"]) == 2

    # modify
    result = ansible.module("hatrading.aws.stack_network", cheaper)
    assert result["rc"] == 0 and result["changed"] is True, result.get("msg")
    net = snapshot(ec2)
    assert [name_of(n) for n in net["nats"]] == [STACK + "-nat-us-east-1a"]
    assert net["addresses"] and all(a.get("AssociationId") for a in net["addresses"]), "the deleted NAT's address is released"
    tables = {name_of(t): t for t in net["route_tables"]}
    route_b = [r for r in tables[STACK + "-app-us-east-1b"]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"][0]
    assert route_b["NatGatewayId"] == net["nats"][0]["NatGatewayId"]
    assert all({t["Key"]: t["Value"] for t in s["Tags"]}.get("cost-center") == "42" for s in net["subnets"])
    fresh_moto.forget_calls()
    assert ansible.module("hatrading.aws.stack_network", cheaper)["changed"] is False
    assert fresh_moto.mutating_calls() == []

    # delete, in check mode
    result = ansible.module("hatrading.aws.stack_network", {"stack": STACK, "state": "absent"}, check=True)
    assert result["changed"] is True
    assert len(snapshot(ec2)["subnets"]) == 6

    # delete: nothing of the stack is left
    result = ansible.module("hatrading.aws.stack_network", {"stack": STACK, "state": "absent"})
    assert result["rc"] == 0 and result["changed"] is True, result.get("msg")
    left = snapshot(ec2)
    assert {kind: items for kind, items in left.items() if items} == {}
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"] == []

    # delete again: nothing to do
    fresh_moto.forget_calls()
    result = ansible.module("hatrading.aws.stack_network", {"stack": STACK, "state": "absent"})
    assert result["rc"] == 0 and result["changed"] is False
    assert fresh_moto.mutating_calls() == []


def test_bad_input_fails_before_any_aws_call(ansible, fresh_moto):
    result = ansible.module("hatrading.aws.stack_network", dict(ARGS, vpc_cidr="10.40.0.0/8", nat_mode="single"))
    assert result["rc"] != 0
    assert "vpc_cidr:" in result["msg"] and "nat_mode:" in result["msg"]
    assert fresh_moto.calls() == []


def test_a_vpc_cidr_change_is_refused(ansible, fresh_moto):
    assert ansible.module("hatrading.aws.stack_network", ARGS)["rc"] == 0
    fresh_moto.forget_calls()
    result = ansible.module("hatrading.aws.stack_network", dict(ARGS, vpc_cidr="10.41.0.0/16"))
    assert result["rc"] != 0 and "cannot change in place" in result["msg"]
    assert fresh_moto.mutating_calls() == []


def test_the_flow_log_in_the_same_run_made_after_the_network_and_deleted_before_it(ansible, fresh_moto):
    """stack_network's flow_log: the VPC's flow log, its log group and role in the network's own module run."""
    ec2, logs, iam = fresh_moto.client("ec2"), fresh_moto.client("logs"), fresh_moto.client("iam")
    args = dict(ARGS, nat_mode="none", resilience="cost", flow_log={"retention_days": 14, "traffic_type": "REJECT"})
    group = "/hatrading/%s/vpc-flow-logs" % STACK

    planned = ansible.module("hatrading.aws.stack_network", args, check=True)
    assert planned["rc"] == 0, planned.get("msg")
    kinds = [change["kind"] for change in planned["plan"]]
    assert kinds.index("vpc") < kinds.index("flow_log") and fresh_moto.mutating_calls() == []

    made = ansible.module("hatrading.aws.stack_network", args)
    assert made["rc"] == 0, made.get("msg")
    vpc_id = made["network"]["vpc_id"]
    (flow,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    assert made["flow_log"]["flow_log_id"] == flow["FlowLogId"] and flow["TrafficType"] == "REJECT" and flow["LogGroupName"] == group
    (described,) = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert described["retentionInDays"] == 14
    assert iam.get_role(RoleName="%s-vpc-flow-logs" % STACK)["Role"]["Arn"] == made["flow_log"]["role_arn"]

    fresh_moto.forget_calls()
    again = ansible.module("hatrading.aws.stack_network", args)
    assert again["rc"] == 0 and again["changed"] is False, again.get("plan_text")
    assert fresh_moto.mutating_calls() == []

    bad = ansible.module("hatrading.aws.stack_network", dict(args, flow_log={"retention_days": 13}))
    assert bad["rc"] != 0 and "flow_log.retention_days" in bad["msg"]

    gone = ansible.module("hatrading.aws.stack_network", {"stack": STACK, "state": "absent", "flow_log": {"retain_log_group": True}})
    assert gone["rc"] == 0, gone.get("msg")
    kinds = [change["kind"] for change in gone["plan"]]
    assert kinds.index("flow_log") < kinds.index("vpc")  # the flow log goes before the VPC it logs
    assert ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"] == []
    assert snapshot(ec2)["vpcs"] == []
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]] == [group]  # kept, as asked
