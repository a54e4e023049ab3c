"""The cost estimate, checked against figures computed by hand (730 hours a month, prices.py)."""

import importlib.util
from pathlib import Path

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.cost import model
from ansible_collections.hatrading.aws.plugins.module_utils.monitoring import model as monitoring
from ansible_collections.hatrading.aws.plugins.module_utils.cost.modes import over_budget

NO_TRAFFIC = dict((key, 0) for key in model.TRAFFIC)
# the back-end's /metrics (standard library only), loaded from its file as tests/unit/test_invariants.py does
_METRICS = importlib.util.spec_from_file_location("hatrading_backend_metrics", Path(__file__).resolve().parents[3] / "apps" / "backend" / "app" / "metrics.py")
backend_metrics = importlib.util.module_from_spec(_METRICS)
_METRICS.loader.exec_module(backend_metrics)


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
    assert usage["observability"] is None and usage["logs"] is None
    assert line(model.estimate(usage), "EKS nodes") == 182.21  # 3 x 730 x 0.0832 = 182.208

    report["compute"] = {
        "launch_templates": [{"name": "s-backend", "instance_type": "t3.micro"}],
        "auto_scaling_groups": [{"name": "s-backend", "tier": "backend", "instances": ["i-1", "i-2"], "desired": 2}],
        "load_balancers": [],
    }
    report["observability"] = {"workspace": "s-prometheus", "agent_configuration": True, "scrape_interval": 60}
    report["logs"] = {
        "domain": "s-logs",
        "data_nodes": 2,
        "instance_type": "r6g.large.search",
        "masters": 3,
        "master_type": "m6g.large.search",
        "volume_gb": 30,
        "zones": ["us-east-1a", "us-east-1b"],
    }
    usage = model.usage_from_report(report)
    estimate = model.estimate(usage)
    assert line(estimate, "Prometheus samples ingested") == 0.20  # 2 instances x 26 series x 730 x 3600 / 60 = 2,277,600 -> 0.20498
    assert line(estimate, "OpenSearch data nodes") == 243.82
    assert line(estimate, "OpenSearch dedicated masters") == 280.32
    assert line(estimate, "OpenSearch storage") == 7.32  # 2 x 30 GB x 0.122
    assert line(estimate, "Firehose delivery") == pytest.approx(30 * 0.039 + 2 * 730 * 0.01, abs=0.01)  # the default 20 + 10 GB of logs
    assert not [e for e in estimate["items"] if e["item"] == "Grafana licences"]  # the report reads no Grafana workspace


def test_the_backend_series_are_what_its_metrics_endpoint_exposes():
    samples = [line for line in backend_metrics.Metrics("i-1").render().splitlines() if line and not line.startswith("#")]
    assert len(samples) == model.BACKEND_SERIES == 21


def test_prometheus_samples_from_the_backend_instances_and_the_scrape_interval():
    traffic = dict(NO_TRAFFIC, prometheus_query_billions_month=1)
    usage = model.usage_from_settings(settings(observability={"collector": "agent", "scrape_interval": 30}, traffic=traffic))
    estimate = model.estimate(usage)
    # 2 back-end instances x (21 + 5) series x 730 h x 3600 / 30 s = 4,555,200 samples; / 10 M x 0.90 = 0.40997
    assert line(estimate, "Prometheus samples ingested") == 0.41
    # stored: 4,555,200 x 150 days / (730 / 24) days x 2 bytes = 44,928,000 bytes = 0.04184 GB x 0.03 = 0.00126;
    # queries: 1 billion x 0.10 = 0.10
    assert line(estimate, "Prometheus storage and queries") == 0.10
    assert not [e for e in estimate["items"] if e["item"] == "Grafana licences"]
    faster = model.estimate(model.usage_from_settings(settings(observability={"scrape_interval": 15})))
    assert line(faster, "Prometheus samples ingested") == 0.82  # twice the samples: 9,110,400 / 10 M x 0.90 = 0.81994
    # a managed scraper scrapes the eks tier's back-end pods: 3 x 26 x 730 x 3600 / 60 = 3,416,400 -> 0.30748
    scraper = model.estimate(
        model.usage_from_settings(settings(observability={"collector": "managed_scraper", "scrape_interval": 60}, eks={"backend_min_replicas": 3}))
    )
    assert line(scraper, "Prometheus samples ingested") == 0.31


def test_grafana_licences_when_grafana_is_on():
    on = model.estimate(model.usage_from_settings(settings(observability={"grafana_enabled": True})))
    assert line(on, "Grafana licences") == 9.00  # the one editor a workspace needs
    team = model.estimate(
        model.usage_from_settings(settings(observability={"grafana_enabled": True}, traffic=dict(NO_TRAFFIC, grafana_editors=2, grafana_viewers=3)))
    )
    assert line(team, "Grafana licences") == 33.00  # 2 x 9 + 3 x 5


def test_opensearch_nodes_storage_and_the_firehose_delivery():
    traffic = dict(NO_TRAFFIC, log_gb_month=20, flow_log_gb_month=10)
    logs = {"instance_type": "r6g.large.search", "instance_count": 2, "volume_size": 20}
    estimate = model.estimate(model.usage_from_settings(settings(logs=logs, traffic=traffic)))
    assert line(estimate, "OpenSearch data nodes") == 243.82  # 2 x 730 x 0.167 = 243.82
    assert line(estimate, "OpenSearch storage") == 4.88  # 2 nodes x 20 GB x 0.122
    assert line(estimate, "Firehose delivery") == 15.77  # 30 GB x (0.029 + 0.01) = 1.17 + 2 AZs x 730 x 0.01 = 14.60
    assert not [e for e in estimate["items"] if e["item"] == "OpenSearch dedicated masters"]
    with_masters = dict(logs, dedicated_master=True, master_instance_type="m6g.large.search")
    masters = model.estimate(model.usage_from_settings(settings(logs=with_masters, traffic=traffic)))
    assert line(masters, "OpenSearch dedicated masters") == 280.32  # 3 x 730 x 0.128
    app_only = model.estimate(model.usage_from_settings(settings(logs=dict(logs, ship_flow_logs=False, az_count=1), traffic=traffic)))
    assert line(app_only, "Firehose delivery") == 8.08  # 20 GB x 0.039 = 0.78 + 1 AZ x 730 x 0.01 = 7.30
    unpriced = model.estimate(model.usage_from_settings(settings(logs=dict(logs, instance_type="x9.large.search"))))
    assert unpriced["unknown"] == ["OpenSearch instance type x9.large.search"]
    groups = [e["group"] for e in estimate["items"]]
    assert groups.index("logs") > groups.index("database") and groups.index("logs") < groups.index("monitoring")


def growth_found(stack):
    """What the monitoring tier would find of a stack with every tier: 2 app tiers, Aurora with a reader, 2 NATs, the growth tiers."""
    tiers = dict(
        (tier, {"load_balancer": "app/%s/1" % tier, "target_group": "targetgroup/%s/1" % tier, "auto_scaling_group": tier}) for tier in ("frontend", "backend")
    )
    return {
        "tiers": tiers,
        "database": {"engine": "aurora", "cluster": stack + "-database", "writers": [stack + "-database-1"], "readers": [stack + "-database-2"]},
        "nat_gateways": [(stack + "-nat-a", "nat-1"), (stack + "-nat-b", "nat-2")],
        "dynamodb_tables": [stack + "-market", stack + "-sessions"],
        "eks_cluster": stack + "-eks",
        "amp_workspace": stack + "-prometheus",
        "opensearch_domain": (stack + "-logs", "123456789012"),
    }


def test_the_alarms_line_counts_what_the_monitoring_tier_makes():
    plain = model.estimate(model.usage_from_settings(settings(monitoring={"dashboard": True})))
    assert line(plain, "alarms and dashboard") == 5.20  # 8 x 2 tiers + 4 (RDS) + 2 NATs = 22 alarms x 0.10 + 3.00
    growth = settings(
        database={"engine": "aurora", "aurora_readers": 1},
        monitoring={"dashboard": True},
        nosql={"billing_mode": "on_demand"},
        eks={"node_desired_size": 1},
        observability={"collector": "agent"},
        logs={"instance_count": 2},
    )
    usage = model.usage_from_settings(growth)
    # 16 + Aurora 3 + its reader 1 + 2 NATs + 2 tables x 2 throttles + EKS 2 + AMP 1 + OpenSearch 3 = 32
    assert model.alarms_of(usage) == 32
    assert line(model.estimate(usage), "alarms and dashboard") == 6.20
    # the same count as the alarms the monitoring tier wants for such a stack (one list of alarms, not a typed number)
    alarms, _notes = monitoring.desired_alarms({"stack": "s"}, growth_found("s"), "arn:aws:sns:us-east-1:123456789012:s-alarms")
    assert len(alarms) == 32
