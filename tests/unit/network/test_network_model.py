import copy

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.network import model

CFG = {
    "stack": "demo",
    "vpc_cidr": "10.20.0.0/16",
    "nat_mode": "per_az",
    "alb_listener_ports": [80, 443],
    "alb_ingress_cidrs": ["0.0.0.0/0"],
    "frontend_port": 8080,
    "internal_alb_port": 80,
    "backend_port": 8081,
    "database_port": 5432,
    "tags": {"team": "platform"},
}
AZS = ["us-east-1a", "us-east-1b"]


def as_found(want):
    """What a describe would give back after `want` was applied: the same, plus IDs."""
    have = copy.deepcopy(want)
    for kind, specs in have.items():
        for name, spec in specs.items():
            spec["id"] = "%s-%s" % (kind, name)
    have["security_group"]["default"] = {"id": "sg-default", "builtin": True}
    have["elastic_ip"] = {}
    return have


def test_subnet_slots_do_not_move_when_azs_are_added():
    two = model.subnet_cidrs("10.20.0.0/16", 2, 5)
    three = model.subnet_cidrs("10.20.0.0/16", 3, 5)
    for layer in model.LAYERS:
        assert three[layer][:2] == two[layer]
    assert two["public"] == ["10.20.0.0/21", "10.20.8.0/21"]
    assert two["app"] == ["10.20.64.0/21", "10.20.72.0/21"]
    assert two["data"] == ["10.20.128.0/21", "10.20.136.0/21"]


def test_choose_azs_keeps_the_ones_in_use():
    assert model.choose_azs(2, [], ["us-east-1c", "us-east-1c"], ["us-east-1a", "us-east-1b", "us-east-1c"]) == ["us-east-1c", "us-east-1a"]
    assert model.choose_azs(2, ["x", "y"], [], []) == ["x", "y"]


def test_desired_network_shape_and_tags():
    want = model.desired_network(CFG, AZS)
    assert len(want["subnet"]) == 6
    assert sorted(want["nat_gateway"]) == ["demo-nat-us-east-1a", "demo-nat-us-east-1b"]
    for kind in ("vpc", "subnet", "nat_gateway", "route_table", "network_acl", "security_group"):
        for name, spec in want[kind].items():
            assert spec["tags"]["hatrading:stack"] == "demo"
            assert spec["tags"]["hatrading:tier"] == "network"
            assert spec["tags"]["Name"] == name
            assert spec["tags"]["team"] == "platform"
    assert want["subnet"]["demo-app-us-east-1b"]["tags"]["hatrading:layer"] == "app"


def test_each_app_table_leaves_through_the_nat_of_its_own_az():
    want = model.desired_network(CFG, AZS)
    assert want["route_table"]["demo-app-us-east-1a"]["routes"] == {"0.0.0.0/0": "nat_gateway/demo-nat-us-east-1a"}
    assert want["route_table"]["demo-app-us-east-1b"]["routes"] == {"0.0.0.0/0": "nat_gateway/demo-nat-us-east-1b"}
    assert want["route_table"]["demo-public"]["routes"] == {"0.0.0.0/0": "internet_gateway/demo-igw"}
    assert want["route_table"]["demo-data"]["routes"] == {}
    assert want["route_table_association"]["demo-data-us-east-1b"] == {"route_table": "demo-data"}


@pytest.mark.parametrize(("mode", "nats", "route_b"), [("single", 1, {"0.0.0.0/0": "nat_gateway/demo-nat-us-east-1a"}), ("none", 0, {})])
def test_other_nat_modes(mode, nats, route_b):
    want = model.desired_network(dict(CFG, nat_mode=mode), AZS)
    assert len(want["nat_gateway"]) == nats
    assert want["route_table"]["demo-app-us-east-1b"]["routes"] == route_b


def test_security_group_chain_is_least_privilege():
    rules = model.desired_network(CFG, AZS)["security_group_rules"]
    assert rules["demo-frontend"]["ingress"] == [["tcp", 8080, 8080, "sg:demo-alb-public"]]
    assert rules["demo-alb-internal"]["ingress"] == [["tcp", 80, 80, "sg:demo-frontend"]]
    assert rules["demo-backend"]["ingress"] == [["tcp", 8081, 8081, "sg:demo-alb-internal"]]
    assert rules["demo-database"] == {"ingress": [["tcp", 5432, 5432, "sg:demo-backend"]], "egress": []}
    assert rules["default"] == {"ingress": [], "egress": []}
    for group in rules.values():
        for proto, low, high, _peer in group["ingress"]:
            assert proto == "tcp" and not (low <= 22 <= high) and not (low <= 3389 <= high)


def test_data_layer_only_takes_the_db_port_from_app_subnets():
    entries = model.desired_network(CFG, AZS)["network_acl"]["demo-data"]["entries"]
    inbound = [e for e in entries if e[0] == "in"]
    assert inbound == [["in", 100, "tcp", 5432, 5432, "10.20.64.0/21", "allow"], ["in", 110, "tcp", 5432, 5432, "10.20.72.0/21", "allow"]]


def test_first_plan_creates_in_dependency_order():
    plan = model.plan_network(model.desired_network(CFG, AZS), model.actual_network({}, "demo"))
    kinds = [c.kind for c in plan.changes]
    assert kinds[0] == "vpc"
    assert kinds.index("subnet") < kinds.index("nat_gateway") < kinds.index("route_table")
    assert kinds.index("security_group") < kinds.index("security_group_rules")
    assert plan.summary() == {"create": 34, "update": 6, "delete": 0}


def test_nothing_to_do_when_everything_is_in_place():
    want = model.desired_network(CFG, AZS)
    have = as_found(want)
    have["security_group_rules"]["default"] = {"ingress": [], "egress": [], "id": "sg-default"}
    assert model.plan_network(want, have).changes == []


def test_foreign_tags_are_left_alone_but_missing_ones_added():
    want = model.desired_network(CFG, AZS)
    have = as_found(want)
    have["vpc"]["demo-vpc"]["tags"]["added-by-hand"] = "yes"
    del have["subnet"]["demo-app-us-east-1a"]["tags"]["team"]
    plan = model.plan_network(want, have)
    assert [str(c) for c in plan.changes] == ["~ subnet demo-app-us-east-1a (tags)"]


def test_per_az_to_single_deletes_a_nat_after_rerouting():
    have = as_found(model.desired_network(CFG, AZS))
    plan = model.plan_network(model.desired_network(dict(CFG, nat_mode="single"), AZS), have)
    assert [str(c) for c in plan.changes] == ["~ route_table demo-app-us-east-1b (routes)", "- nat_gateway demo-nat-us-east-1b"]


def test_a_cidr_change_is_refused_not_replaced():
    have = as_found(model.desired_network(CFG, AZS))
    with pytest.raises(model.NetworkPlanError, match="cannot change in place"):
        model.plan_network(model.desired_network(dict(CFG, vpc_cidr="10.30.0.0/16"), AZS), have)


def test_teardown_order():
    have = as_found(model.desired_network(CFG, AZS))
    plan = model.plan_teardown(have)
    kinds = [c.kind for c in plan.changes]
    assert kinds[0] == "security_group_references"
    order = ["security_group", "nat_gateway", "subnet", "route_table", "network_acl", "internet_gateway", "vpc"]
    positions = [kinds.index(kind) for kind in order]
    assert positions == sorted(positions)
    assert "default" not in [c.name for c in plan.changes if c.kind == "security_group"]


def tags(name, **extra):
    base = {"hatrading:stack": "demo", "hatrading:tier": "network", "Name": name}
    return [{"Key": k, "Value": v} for k, v in dict(base, **extra).items()]


def test_actual_network_reads_describe_answers():
    raw = {
        "vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.20.0.0/16", "Tags": tags("demo-vpc")}],
        "subnets": [
            {
                "SubnetId": "subnet-1",
                "CidrBlock": "10.20.64.0/21",
                "AvailabilityZone": "us-east-1a",
                "Tags": tags("demo-app-us-east-1a", **{"hatrading:layer": "app"}),
            }
        ],
        "nat_gateways": [{"NatGatewayId": "nat-1", "SubnetId": "subnet-9", "State": "deleted", "Tags": tags("demo-nat-us-east-1a")}],
        "route_tables": [
            {
                "RouteTableId": "rtb-1",
                "Tags": tags("demo-app-us-east-1a"),
                "Routes": [
                    {"DestinationCidrBlock": "10.20.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable"},
                    {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-gone", "Origin": "CreateRoute"},
                ],
                "Associations": [{"SubnetId": "subnet-1", "RouteTableAssociationId": "rtbassoc-1"}],
            }
        ],
        "security_groups": [
            {
                "GroupId": "sg-d",
                "GroupName": "default",
                "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-d"}]}],
                "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            },
        ],
    }
    have = model.actual_network(raw, "demo")
    assert have["vpc"]["demo-vpc"]["id"] == "vpc-1"
    assert have["subnet"]["demo-app-us-east-1a"]["layer"] == "app"
    assert have["nat_gateway"] == {}  # deleted NAT gateways linger in describes: not ours any more
    assert have["route_table"]["demo-app-us-east-1a"]["routes"] == {"0.0.0.0/0": "other/nat-gone"}
    assert have["route_table_association"]["demo-app-us-east-1a"] == {"route_table": "demo-app-us-east-1a", "id": "rtbassoc-1"}
    assert have["security_group_rules"]["default"]["ingress"] == [["all", -1, -1, "sg:default"]]


def duplicated_vpc_raw(empty_first=True):
    """A lost CreateVpc answer: two VPCs carry the stack's Name; only one holds the subnets."""
    empty = {"VpcId": "vpc-empty", "CidrBlock": "10.20.0.0/16", "Tags": tags("demo-vpc")}
    used = {"VpcId": "vpc-used", "CidrBlock": "10.20.0.0/16", "Tags": tags("demo-vpc")}
    subnet = {"SubnetId": "subnet-1", "VpcId": "vpc-used", "CidrBlock": "10.20.64.0/21", "AvailabilityZone": "us-east-1a", "Tags": tags("demo-app-us-east-1a")}
    return {"vpcs": [empty, used] if empty_first else [used, empty], "subnets": [subnet]}


@pytest.mark.parametrize("empty_first", [True, False])
def test_a_duplicate_vpc_is_never_taken_for_the_one_in_use(empty_first):
    have = model.actual_network(duplicated_vpc_raw(empty_first), "demo")
    assert have["vpc"]["demo-vpc"]["id"] == "vpc-used"
    assert [(kind, name, spec["id"], spec["duplicate_of"], spec["dependents"]) for kind, name, spec in have["duplicates"]] == [
        ("vpc", "demo-vpc", "vpc-empty", "vpc-used", 0)
    ]
    warnings = model.duplicate_warnings(have)
    assert len(warnings) == 1 and "vpc-used" in warnings[0] and "vpc-empty" in warnings[0] and "deleting" in warnings[0]


def test_an_empty_duplicate_is_deleted_and_one_in_use_left_and_named():
    raw = duplicated_vpc_raw()
    raw["route_tables"] = [
        {"RouteTableId": "rtb-used", "Tags": tags("demo-data"), "Routes": [], "Associations": [{"SubnetId": "subnet-1", "RouteTableAssociationId": "a-1"}]},
        {"RouteTableId": "rtb-empty", "Tags": tags("demo-data"), "Routes": [], "Associations": []},
    ]
    raw["subnets"].append(dict(raw["subnets"][0], SubnetId="subnet-2", VpcId="vpc-empty"))  # the other VPC now holds a subnet too
    have = model.actual_network(raw, "demo")
    plan = model.plan_network(as_found_but(have), have)
    deletes = [(c.kind, c.ref["id"]) for c in plan.changes if c.action == "delete"]
    assert ("route_table", "rtb-empty") in deletes
    assert ("route_table", "rtb-used") not in deletes
    assert not [kind for kind, _id in deletes if kind == "vpc"]  # a VPC holding a subnet is not deleted, it is named
    assert any("leaving it" in line and "vpc-" in line for line in model.duplicate_warnings(have))


def as_found_but(have):
    """A desired state equal to what was found (IDs aside): only duplicates are left to plan."""
    want = dict((kind, {}) for kind in model.KINDS)
    for kind in ("vpc", "subnet", "route_table"):
        want[kind] = dict((name, dict((k, v) for k, v in spec.items() if k not in ("id", "association_ids"))) for name, spec in have[kind].items())
    want["route_table_association"] = dict((name, {"route_table": spec["route_table"]}) for name, spec in have["route_table_association"].items())
    return want


def test_teardown_deletes_duplicates_too():
    have = model.actual_network(duplicated_vpc_raw(), "demo")
    plan = model.plan_teardown(have)
    assert sorted(c.ref["id"] for c in plan.changes if c.kind == "vpc") == ["vpc-empty", "vpc-used"]
