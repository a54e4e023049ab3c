"""The report's text and page, from a report as read.py builds it (no AWS)."""

import re

B = "us-east-1b"

from ansible_collections.hatrading.aws.plugins.module_utils.report import html
from ansible_collections.hatrading.aws.plugins.module_utils.report import text


def instance(iid, az, target):
    return {"id": iid, "az": az, "lifecycle": "InService", "health": "Healthy", "target": target, "image": "img:1"}


def report():
    subnets = [
        {"name": "s-%s-%s" % (layer, az[-1]), "id": "subnet-%s%s" % (layer, az[-1]), "az": az, "cidr": "10.0.%d.0/24" % i, "layer": layer}
        for i, (layer, az) in enumerate((layer, az) for layer in ("public", "app", "data") for az in ("us-east-1a", "us-east-1b"))
    ]
    group = {"min": 2, "desired": 2, "max": 4, "size": "2/2/4", "subnets": 2, "health_check": "ELB (grace 60s)", "policies": [], "warm_pool": "no warm pool"}
    return {
        "stack": "demo",
        "region": "us-east-1",
        "network": {
            "vpc": {"id": "vpc-1", "name": "demo-vpc", "cidr": "10.0.0.0/16"},
            "subnets": subnets,
            "nat_gateways": [
                {"name": "demo-nat-a", "id": "nat-a", "subnet": "s-public-a", "az": "us-east-1a", "state": "available", "public_ip": "1.2.3.4"},
                {"name": "demo-nat-b", "id": "nat-b", "subnet": "s-public-b", "az": "us-east-1b", "state": "available", "public_ip": "1.2.3.5"},
            ],
            "route_tables": [],
            "network_acls": [],
            "security_groups": [{"name": "<script>alert(1)</script>", "id": "sg-1", "ingress": [], "egress": []}],
            "flow_logs": [],
        },
        "database": {
            "database": {
                "name": "demo-database",
                "kind": "rds instance",
                "engine": "postgres 16.4",
                "status": "available",
                "multi_az": True,
                "storage_encrypted": True,
                "kms_key": "k",
                "backup_retention_days": 7,
                "deletion_protection": True,
                "endpoint": "db.local",
                "members": [
                    {"id": "demo-database", "class": "db.t3.medium", "az": "us-east-1a", "role": "primary"},
                    {"id": "demo-database", "class": "db.t3.medium", "az": "us-east-1b", "role": "standby"},
                ],
            },
            "secret_arn": "arn:secret",
        },
        "compute": {
            "launch_templates": [],
            "auto_scaling_groups": [
                dict(group, tier="frontend", name="demo-frontend", instances=[instance("i-f1", "us-east-1a", "healthy"), instance("i-f2", B, "unhealthy")]),
                dict(group, tier="backend", name="demo-backend", instances=[instance("i-b1", "us-east-1a", "initial"), instance("i-b2", B, "healthy")]),
            ],
            "load_balancers": [
                {"tier": "frontend", "name": "demo-alb-pub", "scheme": "internet-facing", "dns": "pub", "azs": ["us-east-1a", "us-east-1b"]},
                {"tier": "backend", "name": "demo-alb-int", "scheme": "internal", "dns": "int", "azs": ["us-east-1a", "us-east-1b"]},
            ],
            "target_groups": [],
        },
        "cdn": {"distribution": None, "bucket": None},
        "monitoring": {"topic_arn": None, "topic": None, "dashboard": None, "alarm_states": {}, "alarms": [], "log_groups": []},
        "pipeline": {
            "pipeline": None,
            "artifact_bucket": None,
            "code_repository": "demo-trading",
            "repositories": [],
            "build_project": None,
            "deployment_groups": [],
            "stages": [],
        },
        "nosql": {"tables": []},
        "eks": {"cluster": None, "nodegroups": []},
        "observability": {"workspace": None},
        "logs": {"domain": None},
    }


def test_the_text_has_a_section_per_tier():
    lines = text.render(report())
    assert lines[0] == "== stack demo (us-east-1) =="
    assert "cdn: nothing for this stack" in lines and "pipeline: nothing for this stack" in lines
    assert any(line.startswith("Database   demo-database") for line in lines)


def test_the_drawing_has_a_column_per_az_and_colours_instances_by_health():
    page = html.render(report(), ["ok   network.nat_per_az"])
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count(">us-east-1a<") == 1 and svg.count(">us-east-1b<") == 1
    assert "NAT demo-nat-a" in svg and "NAT demo-nat-b" in svg
    assert "public ALB demo-alb-pub" in svg and "internal ALB demo-alb-int" in svg
    boxes = dict((m.group(2), m.group(1)) for m in re.finditer(r'class="(\w+)"/>\s*<text[^>]*>(i-\w+)<', svg))
    assert boxes == {"i-f1": "ok", "i-f2": "bad", "i-b1": "wait", "i-b2": "ok"}
    assert "primary demo-database" in svg and "standby demo-database" in svg
    assert "HA audit" in page


def test_names_are_escaped():
    page = html.render(report())
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_the_nosql_tables_have_lines_and_boxes_only_when_deployed():
    assert not any("DynamoDB" in line for line in text.render(report())) and "table demo-" not in html.render(report())
    with_tables = report()
    table = {"name": "demo-market", "status": "ACTIVE", "billing": "PROVISIONED", "point_in_time_recovery": True, "deletion_protection": True}
    with_tables["nosql"] = {"tables": [dict(table, encrypted_with="arn:k", replicas=["us-west-2"])]}
    lines = text.render(with_tables)
    assert "DynamoDB: 1 tables (regional, each kept in 3 AZs by DynamoDB)" in lines
    assert "  table demo-market ACTIVE, PROVISIONED, point-in-time recovery on, deletion protection on, replicas in us-west-2" in lines
    page = html.render(with_tables)
    assert "table demo-market" in page[page.index("<svg") : page.index("</svg>")] and "<h2>nosql</h2>" in page


def test_the_logs_domain_has_lines_and_a_box_per_az_only_when_deployed():
    assert not any("OpenSearch" in line for line in text.render(report())) and "opensearch demo-logs" not in html.render(report())
    with_domain = report()
    with_domain["logs"] = {
        "domain": "demo-logs",
        "engine": "OpenSearch_2.13",
        "status": "active",
        "nodes": "2 x r6g.large.search",
        "masters": 0,
        "zone_awareness": True,
        "zones": ["us-east-1a", "us-east-1b"],
        "private": True,
        "encrypted": True,
        "fine_grained": True,
        "snapshot_hour": 3,
    }
    lines = text.render(with_domain)
    assert "OpenSearch domain demo-logs OpenSearch_2.13 active: 2 x r6g.large.search over 2 AZs (us-east-1a, us-east-1b), zone awareness on" in lines
    assert "  VPC only, encrypted at rest and in transit, fine-grained access, snapshot daily at 03:00 UTC" in lines
    page = html.render(with_domain)
    assert page[page.index("<svg") : page.index("</svg>")].count("opensearch demo-logs") == 2


def test_the_eks_cluster_and_its_node_groups_are_drawn_under_their_azs_only_when_deployed():
    assert "EKS cluster" not in html.render(report())
    with_eks = report()
    groups = [
        {"name": "demo-eks-us-east-1a", "status": "ACTIVE", "zone": "us-east-1a", "sizes": "1..3, 1 now", "desired": 1, "instance_types": ["t3.medium"]},
        {"name": "demo-eks-us-east-1b", "status": "CREATING", "zone": "us-east-1b", "sizes": "1..3, 1 now", "desired": 1, "instance_types": ["t3.medium"]},
    ]
    with_eks["eks"] = {
        "cluster": "demo-eks",
        "version": "1.33",
        "status": "ACTIVE",
        "endpoint": "private",
        "subnets": 2,
        "secrets_encrypted": True,
        "nodegroups": groups,
    }
    svg = html.render(with_eks)
    svg = svg[svg.index("<svg") : svg.index("</svg>")]
    assert "EKS cluster demo-eks (ACTIVE): Kubernetes 1.33, private endpoint, 2 subnets, secrets encrypted" in svg
    # each node group in its AZ's column, coloured by its status
    columns = dict(
        (m.group(3), (int(m.group(1)), m.group(2)))
        for m in re.finditer(r'<rect x="(\d+)" y="\d+" width="\d+" height="\d+" rx="\d+" class="(\w+)"/>\s*<text[^>]*>node group (\S+)<', svg)
    )
    assert columns["demo-eks-us-east-1a"][1] == "ok" and columns["demo-eks-us-east-1b"][1] == "wait"
    assert columns["demo-eks-us-east-1a"][0] < columns["demo-eks-us-east-1b"][0]
