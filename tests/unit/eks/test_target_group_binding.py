"""The migration's TargetGroupBinding, checked against the AWS Load Balancer Controller's CRD schema (a Kubernetes
custom resource: kubernetes-validate ships only the built-in kinds), and its place in the Service it binds."""

import json
from pathlib import Path

import jsonschema
import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.eks import manifests
from ansible_collections.hatrading.aws.plugins.module_utils.eks import migrate

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "targetgroupbinding-v1beta1.json").read_text())
ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/prod-tg-eks/0123456789abcdef"


def test_the_binding_is_valid_against_the_crd_and_binds_by_arn():
    binding = manifests.target_group_binding("prod", "hatrading", ARN, 8080, ["sg-alb"])
    jsonschema.validate(binding, SCHEMA)
    assert binding["metadata"] == {"name": "frontend", "namespace": "hatrading", "labels": manifests._labels("prod", "frontend")}
    assert binding["spec"]["serviceRef"] == {"name": "frontend", "port": 8080} and binding["spec"]["targetGroupARN"] == ARN
    # the public ALB's security group may reach the pods on their port (the controller writes the rule)
    assert binding["spec"]["networking"] == {"ingress": [{"from": [{"securityGroup": {"groupID": "sg-alb"}}], "ports": [{"port": 8080, "protocol": "TCP"}]}]}


def test_the_schema_catches_a_broken_binding():
    broken = manifests.target_group_binding("prod", "hatrading", ARN, 8080)
    broken["spec"]["targetType"] = "pod"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)
    del broken["spec"]["targetType"]
    broken["spec"]["targetGroupArn"] = ARN  # a misspelt field: kubectl's strict validation refuses it
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_the_binding_names_the_service_and_port_the_eks_tier_makes():
    cfg = {"stack": "prod", "namespace": "hatrading", "frontend_port": 8080}
    service = next(
        o
        for o in manifests.manifests(cfg, {"frontend": "f:1", "backend": "b:1"}, {"frontend": "r1", "backend": "r2"}, [])
        if o["kind"] == "Service" and o["metadata"]["name"] == "frontend"
    )
    binding = manifests.target_group_binding("prod", "hatrading", ARN, 8080)
    assert binding["spec"]["serviceRef"]["name"] == service["metadata"]["name"]
    assert binding["metadata"]["namespace"] == service["metadata"]["namespace"]
    assert binding["spec"]["serviceRef"]["port"] in [p["port"] for p in service["spec"]["ports"]]


def test_a_bad_namespace_or_target_count_fails_before_any_call():
    params = {
        "stack": "prod",
        "steps": [10, 100],
        "bake_time": 0,
        "frontend_port": 8080,
        "health_path": "/health",
        "namespace": "Trading",
        "min_healthy_targets": 0,
    }
    errors = migrate.validate_params(params)
    assert any(e.startswith("namespace: 'Trading'") for e in errors) and any(e.startswith("min_healthy_targets: 0") for e in errors)
