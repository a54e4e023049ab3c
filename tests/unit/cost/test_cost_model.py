"""The cost estimate, checked against figures computed by hand (730 hours a month, prices.py)."""

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.cost import model
from ansible_collections.hatrading.aws.plugins.module_utils.cost.modes import over_budget

NO_TRAFFIC = dict((key, 0) for key in model.TRAFFIC)


def settings(**tiers):
    base = {
        "network": {"az_count": 2, "nat_mode": "per_az"},
        "compute": {"frontend_instance_type": "t3.micro", "frontend_desired_capacity": 2, "backend_instance_type": "t3.micro", "backend_desired_capacity": 2},
        "database": {"engine": "rds", "instance_class": "db.t3.medium", "multi_az": True, "allocated_storage": 20, "storage_type": "gp3"},
        "traffic": NO_TRAFFIC,
    }
    for tier, values in tiers.items():
        base[tier] = dict(base.get(tier) or {}, **values)
    return base


def line(estimate, item):
    found = [entry["monthly"] for entry in estimate["items"] if entry["item"] == item]
    assert len(found) == 1, item
    return found[0]


def test_nat_per_az_and_single():
    ha = model.estimate(model.usage_from_settings(settings()))
    assert line(ha, "NAT gateways") == 73.00  # 2 x 730 h x (0.045 + 0.005)
    single = model.estimate(model.usage_from_settings(settings(network={"nat_mode": "single"})))
    assert line(single, "NAT gateways") == 36.50
    none = model.estimate(model.usage_from_settings(settings(network={"nat_mode": "none"})))
    assert not [entry for entry in none["items"] if entry["item"] == "NAT gateways"]


def test_instances_on_demand_spot_and_committed():
    plain = model.estimate(model.usage_from_settings(settings()))
    assert line(plain, "frontend instances") == 15.18  # 2 x 730 x 0.0104 = 15.184
    assert line(plain, "frontend with a 1-year commitment") == -5.47  # 15.184 x (1 - 0.64)
    # 3 instances, half of those above the first on spot: 2 on-demand + 1 spot at 0.32 -> 730 x 0.0104 x 2.32
    spot = model.estimate(model.usage_from_settings(settings(compute={"frontend_desired_capacity": 3, "spot_share": 50})))
    assert line(spot, "frontend instances") == 17.61


def test_database_multi_az_single_and_aurora():
    multi = model.estimate(model.usage_from_settings(settings()))
    assert line(multi, "database instances") == 105.12  # 2 x 730 x 0.072
    assert line(multi, "database storage") == 4.60  # 20 GB x 0.115 x 2
    single = model.estimate(model.usage_from_settings(settings(database={"multi_az": False})))
    assert line(single, "database instances") == 52.56
    aurora = model.estimate(
        model.usage_from_settings(
            settings(
                database={"engine": "aurora", "instance_class": "db.r6g.large", "aurora_readers": 1}, traffic=dict(NO_TRAFFIC, aurora_io_millions_month=100)
            )
        )
    )
    assert line(aurora, "database instances") == 379.60  # 2 x 730 x 0.26
    assert line(aurora, "Aurora storage and I/O") == 22.00  # 20 x 0.10 + 100 x 0.20


def test_the_total_is_the_sum_and_the_other_profile_is_priced():
    comparison = model.compare(model.usage_from_settings(settings()), "ha")
    estimate = comparison["estimate"]
    assert estimate["on_demand"] == pytest.approx(sum(e["monthly"] for e in estimate["items"] if e["monthly"] > 0), abs=0.01)
    # the cost profile: one NAT (-36.50), one instance per tier (-7.59 each), one database instance (-52.56 and half the storage)
    assert comparison["other_profile"] == "cost"
    assert comparison["difference"] == pytest.approx(36.50 + 2 * 7.59 + 52.56 + 2.30, abs=0.02)


def test_alb_lcus_follow_the_traffic():
    traffic = dict(NO_TRAFFIC, requests_per_month=30000000, response_kb=8)
    estimate = model.estimate(model.usage_from_settings(settings(traffic=traffic)))
    gb = 30000000 * 8 / 1024.0 / 1024.0  # 228.9 GB a month is 0.31 GB an hour: the 1-LCU floor applies
    assert line(estimate, "load balancers") == pytest.approx(2 * 730 * (0.0225 + 0.008), abs=0.01)
    assert line(estimate, "data out to the internet") == pytest.approx(gb * 0.09, abs=0.01)


def test_an_unknown_instance_type_is_named_not_priced():
    estimate = model.estimate(model.usage_from_settings(settings(compute={"backend_instance_type": "x9.large"})))
    assert estimate["unknown"] == ["instance type x9.large"]


def test_a_budget_below_the_estimate_fails_naming_the_variable():
    comparison = model.compare(model.usage_from_settings(settings()), "ha")
    assert over_budget(comparison, 10000) is None and over_budget(comparison, None) is None
    message = over_budget(comparison, 100)
    assert message.startswith("hatrading_budget_monthly: the plan costs about %.2f USD" % comparison["estimate"]["on_demand"])
    lines = model.render(comparison, model.TRAFFIC, 100)
    assert any("EXCEEDED" in entry for entry in lines) and lines[-1].startswith("  prices: AWS public price pages")


def test_the_profile_of_what_is_deployed():
    usage = model.usage_from_settings(settings())
    assert model.profile_of(usage) == "ha"
    assert model.profile_of(model.other_profile(usage, "ha")) == "cost"


def test_dynamodb_on_demand_with_a_replica_and_provisioned_at_its_minimum():
    traffic = dict(NO_TRAFFIC, dynamodb_writes_millions_month=10, dynamodb_reads_millions_month=30, dynamodb_gb=5)
    on_demand = model.estimate(model.usage_from_settings(settings(nosql={"billing_mode": "on_demand", "replica_regions": ["us-west-2"]}, traffic=traffic)))
    assert line(on_demand, "DynamoDB requests") == 16.25  # 10 M writes x 2 regions x 0.625 + 30 M reads x 0.125
    assert line(on_demand, "DynamoDB storage and backups") == 4.50  # 5 GB x 2 regions x (0.25 + 0.20 point-in-time recovery)
    provisioned = model.estimate(
        model.usage_from_settings(
            settings(nosql={"billing_mode": "provisioned", "read_capacity_min": 5, "write_capacity_min": 5, "point_in_time_recovery": False}, traffic=traffic)
        )
    )
    assert line(provisioned, "DynamoDB requests") == 5.69  # 2 tables x 730 h x (5 x 0.00013 + 5 x 0.00065) = 5.694
    assert line(provisioned, "DynamoDB storage and backups") == 1.25
    assert [e["group"] for e in provisioned["items"]].index("nosql") > [e["group"] for e in provisioned["items"]].index("database")


def test_eks_control_plane_and_a_node_group_per_az():
    estimate = model.estimate(model.usage_from_settings(settings(eks={"node_instance_types": ["t3.medium"], "node_desired_size": 2})))
    assert line(estimate, "EKS control plane") == 73.00  # 730 x 0.10
    assert line(estimate, "EKS nodes") == 121.47  # 2 AZs x 2 nodes x 730 x 0.0416 = 121.472
    unpriced = model.estimate(model.usage_from_settings(settings(eks={"node_instance_types": ["x9.large"]})))
    assert unpriced["unknown"] == ["instance type x9.large"]


def test_no_growth_tier_no_growth_line():
    estimate = model.estimate(model.usage_from_settings(settings()))
    assert not [e for e in estimate["items"] if e["group"] in ("nosql", "eks")]


def test_the_growth_tiers_priced_from_what_is_deployed():
    report = {
        "network": {"nat_gateways": []},
        "compute": {"launch_templates": [], "auto_scaling_groups": [], "load_balancers": []},
        "database": {},
        "cdn": {},
        "pipeline": {},
        "monitoring": {},
        "nosql": {
            "tables": [
                {"billing": "PAY_PER_REQUEST", "point_in_time_recovery": True, "replicas": [], "capacity": {"read": 0, "write": 0}},
                {"billing": "PAY_PER_REQUEST", "point_in_time_recovery": True, "replicas": [], "capacity": {"read": 0, "write": 0}},
            ]
        },
        "eks": {
            "cluster": "s-eks",
            "nodegroups": [
                {"name": "a", "desired": 1, "instance_types": ["t3.large"]},
                {"name": "b", "desired": 2, "instance_types": ["t3.large"]},
            ],
        },
    }
    usage = model.usage_from_report(report)
    assert usage["nosql"] == {"provisioned": False, "tables": 2, "read_capacity": 0, "write_capacity": 0, "point_in_time_recovery": True, "replicas": 0}
    assert usage["eks"] == {"clusters": 1, "nodes": {"type": "t3.large", "count": 3}}
    assert line(model.estimate(usage), "EKS nodes") == 182.21  # 3 x 730 x 0.0832 = 182.208
