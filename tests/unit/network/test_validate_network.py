import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.network.model import validate_network

GOOD = {
    "stack": "demo",
    "region": "us-east-1",
    "resilience": "ha",
    "vpc_cidr": "10.20.0.0/16",
    "az_count": 2,
    "nat_mode": "per_az",
    "frontend_port": 8080,
    "backend_port": 8081,
    "internal_alb_port": 80,
    "database_port": 5432,
    "alb_listener_ports": [80, 443],
    "alb_ingress_cidrs": ["0.0.0.0/0"],
    "flow_log_retention_days": 30,
}


def errors_for(prefix="network_", **change):
    return validate_network(dict(GOOD, **change), prefix)


def test_good_settings_pass():
    assert errors_for() == []


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"stack": "Demo_1"}, "network_stack"),
        ({"stack": "ab"}, "network_stack"),
        ({"vpc_cidr": "10.20.0.1/16"}, "network_vpc_cidr"),
        ({"vpc_cidr": "10.0.0.0/8"}, "network_vpc_cidr"),
        ({"vpc_cidr": "not-a-cidr"}, "network_vpc_cidr"),
        ({"az_count": 1}, "network_az_count"),
        ({"az_count": 7}, "network_az_count"),
        ({"nat_mode": "single"}, "network_nat_mode"),
        ({"nat_mode": "sometimes"}, "network_nat_mode"),
        ({"resilience": "gold"}, "network_resilience"),
        ({"vpc_cidr": "10.20.0.0/24", "subnet_newbits": 5}, "network_subnet_newbits"),
        ({"subnet_newbits": 3}, "network_subnet_newbits"),
        ({"backend_port": 8080}, "network_backend_port"),
        ({"database_port": 70000}, "network_database_port"),
        ({"alb_ingress_cidrs": ["everyone"]}, "network_alb_ingress_cidrs"),
        ({"flow_log_retention_days": 10}, "network_flow_log_retention_days"),
        ({"tags": {"hatrading:stack": "other"}}, "network_tags"),
        ({"availability_zones": ["us-east-1a", "us-east-1a"]}, "network_availability_zones"),
        ({"availability_zones": ["us-east-1a", "eu-west-1b"]}, "network_availability_zones"),
    ],
)
def test_each_bad_input_names_its_variable(change, variable):
    errors = errors_for(**change)
    assert errors, change
    assert any(error.startswith(variable + ":") for error in errors), errors


def test_cost_resilience_allows_one_nat_and_one_az():
    assert errors_for(resilience="cost", nat_mode="single", az_count=1) == []


SUBNETS = {"public": ["10.20.0.0/24", "10.20.1.0/24"], "app": ["10.20.10.0/24", "10.20.11.0/24"], "data": ["10.20.20.0/24", "10.20.21.0/24"]}


def test_explicit_subnets_pass():
    assert errors_for(subnets=SUBNETS) == []


@pytest.mark.parametrize(
    ("subnets", "fragment"),
    [
        (dict(SUBNETS, data=["10.20.20.0/24", "10.20.0.0/24"]), "listed twice"),
        (dict(SUBNETS, data=["10.20.20.0/24", "10.20.0.0/23"]), "overlaps"),
        (dict(SUBNETS, data=["10.20.20.0/24", "10.99.0.0/24"]), "outside the VPC"),
        (dict(SUBNETS, data=["10.20.20.0/24", "10.20.21.0/29"]), "too small"),
        (dict(SUBNETS, data=["10.20.20.0/24"]), "one per AZ"),
        ({"public": SUBNETS["public"]}, "every layer"),
        (dict(SUBNETS, dmz=["10.20.30.0/24"]), "unknown layer"),
    ],
)
def test_bad_subnets(subnets, fragment):
    errors = errors_for(subnets=subnets)
    assert any(fragment in error and error.startswith("network_subnets") for error in errors), errors


def test_messages_use_the_given_prefix():
    assert validate_network(dict(GOOD, vpc_cidr="x"), "")[0].startswith("vpc_cidr:")
