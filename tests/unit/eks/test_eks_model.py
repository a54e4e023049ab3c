"""The EKS tier's pure parts: validation naming the variable, the wanted state, the plan, and the Kubernetes objects
checked against the Kubernetes OpenAPI schemas (kubernetes-validate ships them, one set per minor version)."""

import json

import kubernetes_validate
import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.eks import manifests
from ansible_collections.hatrading.aws.plugins.module_utils.eks import model

ACCOUNT = "123456789012"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123"
PROVIDER = "arn:aws:iam::%s:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123" % ACCOUNT
KEY = "arn:aws:kms:us-east-1:%s:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f" % ACCOUNT
SUBNETS = {"us-east-1a": "subnet-a", "us-east-1b": "subnet-b", "us-east-1c": "subnet-c"}


def cfg(**settings):
    return dict({"stack": "prod", "region": "us-east-1"}, **settings)


def test_good_settings_pass():
    assert model.validate_eks(cfg(), "eks_") == []


@pytest.mark.parametrize(
    "settings, variable",
    [
        ({"kubernetes_version": "1.3"}, "eks_kubernetes_version"),
        ({"kms_key_arn": "alias/mine"}, "eks_kms_key_arn"),
        ({"endpoint_private_access": False}, "eks_endpoint_private_access"),
        ({"public_access_cidrs": ["10.0.0.0/8"]}, "eks_public_access_cidrs"),
        ({"endpoint_public_access": True, "public_access_cidrs": ["ten"]}, "eks_public_access_cidrs"),
        ({"log_types": ["api", "kubelet"]}, "eks_log_types"),
        ({"log_retention_days": 31}, "eks_log_retention_days"),
        ({"node_min_size": 2, "node_desired_size": 1}, "eks_node_desired_size"),
        ({"node_max_size": -1}, "eks_node_max_size"),
        ({"node_instance_types": []}, "eks_node_instance_types"),
        ({"node_capacity_type": "RESERVED"}, "eks_node_capacity_type"),
        ({"access_entries": [{"principal_arn": "arn:aws:iam::123456789012:role/ops", "policy": "Root"}]}, "eks_access_entries[0].policy"),
        ({"access_entries": [{"principal_arn": "ops"}]}, "eks_access_entries[0].principal_arn"),
        ({"access_entries": [{"principal_arn": "arn:aws:iam::123456789012:role/ops", "namespaces": ["Bad_NS"]}]}, "eks_access_entries[0].namespaces"),
        ({"addons": ["Core DNS"]}, "eks_addons"),
        ({"namespace": "Trading"}, "eks_namespace"),
        ({"backend_port": 70000}, "eks_backend_port"),
        ({"frontend_health_path": "health"}, "eks_frontend_health_path"),
        ({"frontend_min_replicas": 5, "frontend_max_replicas": 4}, "eks_frontend_min_replicas"),
        ({"cpu_target_percent": 99}, "eks_cpu_target_percent"),
        ({"backend_nosql_session_ttl_attribute": "expires at"}, "eks_backend_nosql_session_ttl_attribute"),
        ({"stack": "Prod"}, "eks_stack"),
        ({"state": "absent"}, "eks_confirm_delete"),
    ],
)
def test_bad_settings_name_the_variable(settings, variable):
    errors = model.validate_eks(cfg(**settings), "eks_")
    assert errors and all(error.startswith(variable) for error in errors), errors


def test_teardown_with_confirmation_passes():
    assert model.validate_eks(cfg(state="absent", confirm_delete="prod"), "eks_") == []


def test_one_node_group_per_az_in_its_own_subnet():
    groups = model.desired_nodegroups(cfg(), SUBNETS)
    assert sorted(groups) == ["prod-us-east-1a", "prod-us-east-1b", "prod-us-east-1c"]
    assert [g["subnets"] for g in groups.values()] == [["subnet-a"], ["subnet-b"], ["subnet-c"]]
    assert groups["prod-us-east-1b"]["labels"]["topology.kubernetes.io/zone"] == "us-east-1b"
    assert groups["prod-us-east-1b"]["tags"] == {"hatrading:stack": "prod", "hatrading:tier": "eks", "Name": "prod-us-east-1b"}


def test_cluster_in_every_app_subnet_private_by_default():
    want = model.desired_cluster(cfg(), SUBNETS.values(), KEY, "arn:aws:iam::%s:role/prod-eks-cluster" % ACCOUNT)
    assert want["subnets"] == ["subnet-a", "subnet-b", "subnet-c"]
    assert (want["endpoint_private_access"], want["endpoint_public_access"], want["public_access_cidrs"]) == (True, False, None)
    assert want["logging"] == sorted(model.LOG_TYPES) and want["kms_key_arn"] == KEY


def test_service_account_roles_trust_only_their_own_account():
    roles = model.desired_roles(cfg(namespace="trading"), ACCOUNT, PROVIDER, ISSUER)
    trust = json.loads(roles["prod-eks-backend"]["trust"])["Statement"][0]
    assert trust["Principal"] == {"Federated": PROVIDER}
    assert trust["Condition"]["StringEquals"] == {
        "oidc.eks.us-east-1.amazonaws.com/id/ABC123:sub": "system:serviceaccount:trading:backend",
        "oidc.eks.us-east-1.amazonaws.com/id/ABC123:aud": "sts.amazonaws.com",
    }
    frontend = json.loads(roles["prod-eks-frontend"]["inline"])["Statement"]
    assert [s["Resource"] for s in frontend] == ["arn:aws:logs:us-east-1:%s:log-group:/hatrading/prod/eks/frontend:*" % ACCOUNT]
    backend = json.loads(roles["prod-eks-backend"]["inline"])["Statement"]
    assert backend[1]["Resource"] == "arn:aws:secretsmanager:us-east-1:%s:secret:prod/database/master-*" % ACCOUNT


def test_before_the_cluster_the_trust_is_known_after_apply():
    roles = model.desired_roles(cfg(), ACCOUNT, None, None)
    assert roles["prod-eks-frontend"]["trust"] == model.NEW
    assert (
        model.compare_role(
            roles["prod-eks-frontend"],
            {"trust": "{}", "managed": [], "inline": roles["prod-eks-frontend"]["inline"], "tags": roles["prod-eks-frontend"]["tags"]},
        )
        == []
    )


def test_node_group_desired_size_belongs_to_the_autoscaler():
    want = model.desired_nodegroups(cfg(), {"us-east-1a": "subnet-a"})["prod-us-east-1a"]
    have = dict(want, desired_size=3)
    assert model.compare_nodegroup(want, have) == []  # 3 lies within 1..3
    assert model.compare_nodegroup(dict(want, max_size=2), have) == ["desired_size", "max_size"]


def test_fixed_fields_are_warned_not_changed():
    want = model.desired_cluster(cfg(), ["subnet-a"], KEY, "role")
    have = dict(want, subnets=["subnet-z"], kms_key_arn="other", role_arn="role")
    assert model.fixed_changes(want, have, model.CLUSTER_FIXED) == ["subnets", "kms_key_arn"]
    assert model.compare_cluster(want, have) == []


def test_plan_orders_roles_cluster_provider_nodes_addons_entries():
    entry = {"principal_arn": "arn:aws:iam::%s:role/ops" % ACCOUNT, "policy": "AmazonEKSViewPolicy", "namespaces": ["hatrading"]}
    c = cfg(access_entries=[entry])
    want = {
        "roles": model.desired_roles(c, ACCOUNT, None, None),
        "log_group": model.desired_log_group(c),
        "cluster": {"prod-eks": model.desired_cluster(c, ["subnet-a"], KEY, "role")},
        "oidc_provider": {"issuer of prod-eks": {"url": model.NEW}},
        "nodegroups": model.desired_nodegroups(c, {"us-east-1a": "subnet-a"}),
        "addons": model.desired_addons(c),
        "access_entries": model.desired_access_entries(c),
    }
    have = dict((key, {}) for key in want)
    changes = model.plan_present(want, have)
    assert [c.kind for c in changes] == ["role"] * 4 + ["log_group", "cluster", "oidc_provider", "nodegroup"] + ["addon"] * 3 + ["access_entry"]
    assert all(c.action == CREATE for c in changes)
    assert want["access_entries"][entry["principal_arn"]]["policies"] == {
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy": {"type": "namespace", "namespaces": ["hatrading"]}
    }
    have = dict(want, access_entries={entry["principal_arn"]: {"policies": {}, "tags": {}}})
    assert [(c.action, c.kind, c.fields) for c in model.plan_present(want, have) if c.kind == "access_entry"] == [
        (UPDATE, "access_entry", ["policies", "tags"])
    ]


# ---------------------------------------------------------------- Kubernetes objects

IMAGES = {"frontend": "123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/prod/frontend:abc", "backend": "example/backend:1"}
ROLES = {"frontend": "arn:aws:iam::%s:role/prod-eks-frontend" % ACCOUNT, "backend": "arn:aws:iam::%s:role/prod-eks-backend" % ACCOUNT}


def objects(**settings):
    return manifests.manifests(cfg(**settings), IMAGES, ROLES, ["subnet-p1", "subnet-p2"])


def by_kind(found, kind, name):
    return next(o for o in found if o["kind"] == kind and o["metadata"]["name"] == name)


@pytest.mark.parametrize("version", ["1.31", "1.33", kubernetes_validate.latest_version()])
def test_every_object_is_valid_against_the_kubernetes_schemas(version):
    found = objects()
    assert sorted(set(o["kind"] for o in found)) == [
        "Deployment",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Namespace",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
    ]
    for item in found:
        kubernetes_validate.validate(item, version, strict=True)  # raises on an unknown or mistyped field


def test_the_schemas_catch_a_broken_object():
    broken = by_kind(objects(), "Deployment", "frontend")
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "eighty"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.33", strict=True)


def test_deployments_spread_over_zones_and_probe_the_health_paths():
    found = objects(backend_health_path="/ready", backend_port=9000, backend_min_replicas=3, backend_max_replicas=6)
    backend = by_kind(found, "Deployment", "backend")
    pod = backend["spec"]["template"]["spec"]
    zone = pod["topologySpreadConstraints"][0]
    assert (zone["topologyKey"], zone["whenUnsatisfiable"], zone["maxSkew"]) == ("topology.kubernetes.io/zone", "DoNotSchedule", 1)
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == container["livenessProbe"]["httpGet"]["path"] == "/ready"
    assert container["ports"] == [{"name": "http", "containerPort": 9000}]
    assert pod["serviceAccountName"] == "backend"
    assert by_kind(found, "HorizontalPodAutoscaler", "backend")["spec"]["minReplicas"] == 3
    assert by_kind(found, "HorizontalPodAutoscaler", "backend")["spec"]["maxReplicas"] == 6
    assert by_kind(found, "PodDisruptionBudget", "backend")["spec"]["maxUnavailable"] == 1
    frontend_env = by_kind(found, "Deployment", "frontend")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "BACKEND_URL", "value": "http://backend.hatrading.svc.cluster.local:9000"} in frontend_env
    assert by_kind(found, "ServiceAccount", "backend")["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLES["backend"]}


def test_the_ingress_is_an_internet_facing_alb_to_the_frontend():
    ingress = by_kind(objects(frontend_health_path="/healthz"), "Ingress", "frontend")
    assert ingress["spec"]["ingressClassName"] == "alb"
    notes = ingress["metadata"]["annotations"]
    assert notes["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert notes["alb.ingress.kubernetes.io/healthcheck-path"] == "/healthz"
    assert notes["alb.ingress.kubernetes.io/subnets"] == "subnet-p1,subnet-p2"
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"] == {"service": {"name": "frontend", "port": {"name": "http"}}}


@pytest.mark.parametrize("version", ["1.31", "1.33", kubernetes_validate.latest_version()])
def test_with_the_nosql_tier_the_backend_pods_get_the_tables_and_their_role_the_item_access(version):
    found = objects(backend_nosql_tables=True, backend_nosql_session_ttl_attribute="expires_at")
    backend = by_kind(found, "Deployment", "backend")
    kubernetes_validate.validate(backend, version, strict=True)
    env = backend["spec"]["template"]["spec"]["containers"][0]["env"]
    # the same environment as the compute tier's back-end gets (core.nosql_access), the port as before
    assert env == [
        {"name": "AWS_REGION", "value": "us-east-1"},
        {"name": "MARKET_TABLE", "value": "prod-market"},
        {"name": "PORT", "value": "8081"},
        {"name": "SESSIONS_TABLE", "value": "prod-sessions"},
        {"name": "SESSIONS_TTL_ATTRIBUTE", "value": "expires_at"},
    ]
    frontend_env = by_kind(found, "Deployment", "frontend")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert not [e for e in frontend_env if e["name"].endswith("_TABLE")]
    without = by_kind(objects(), "Deployment", "backend")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert without == [{"name": "PORT", "value": "8081"}]

    roles = model.desired_roles(cfg(backend_nosql_tables=True), ACCOUNT, PROVIDER, ISSUER)
    by_sid = dict((s.get("Sid"), s) for s in json.loads(roles["prod-eks-backend"]["inline"])["Statement"])
    assert by_sid["NoSqlTables"]["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert by_sid["NoSqlTables"]["Resource"] == ["arn:aws:dynamodb:us-east-1:*:table/prod-market", "arn:aws:dynamodb:us-east-1:*:table/prod-sessions"]
    assert by_sid["NoSqlTableKey"]["Condition"] == {"StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}}
    frontend = json.loads(roles["prod-eks-frontend"]["inline"])["Statement"]
    assert "NoSqlTables" not in [s.get("Sid") for s in frontend]
    plain = json.loads(model.desired_roles(cfg(), ACCOUNT, PROVIDER, ISSUER)["prod-eks-backend"]["inline"])["Statement"]
    assert "NoSqlTables" not in [s.get("Sid") for s in plain]
