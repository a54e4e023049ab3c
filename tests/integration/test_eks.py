"""hatrading.aws.stack_eks against moto: check mode plans, create, rerun with no mutating call, change, teardown, bad input.

moto 5.2 implements the EKS cluster and node group API (create, describe, list, update config, delete, tags) and
IAM's OIDC providers (lab/moto_iam_mend.py gives it the AWS managed policies the tier attaches). It has no
add-on and no access-entry API, so these runs set ``addons: []`` and ``access_entries: []``;
tests/unit/eks/test_eks_calls.py covers those calls (and the version upgrade) with Stubber.
moto makes a cluster and a node group ACTIVE at once, so the waiters pass on their first poll, and its TagResource
tags clusters only (not node groups): a change of the stack's tags is covered with Stubber too.
"""

import json

import pytest

STACK = "ekst"
CLUSTER = "ekst-eks"
AZS = ("us-east-1a", "us-east-1b")
NO_MOTO_API = {"addons": [], "access_entries": []}


def eks(ansible, check=False, diff=False, **args):
    return ansible.module("hatrading.aws.stack_eks", dict({"stack": STACK, "region": "us-east-1"}, **dict(NO_MOTO_API, **args)), check=check, diff=diff)


def network(moto, stack=STACK):
    """The network tier's tags on a VPC, an app and a public subnet per AZ, and the stack's key under its alias."""
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    found = {}
    for index, az in enumerate(AZS):
        for layer, offset in (("app", 10), ("public", 0)):
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.%d.0/24" % (offset + index), AvailabilityZone=az)["Subnet"]["SubnetId"]
            tags = {"hatrading:stack": stack, "hatrading:tier": "network", "hatrading:layer": layer, "Name": "%s-%s-%s" % (stack, layer, az)}
            ec2.create_tags(Resources=[subnet], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
            found.setdefault(layer, {})[az] = subnet
    kms = moto.client("kms")
    key = kms.create_key(Description="stack key")["KeyMetadata"]
    kms.create_alias(AliasName="alias/%s-database" % stack, TargetKeyId=key["KeyId"])
    return found, key["Arn"]


@pytest.fixture
def stack(fresh_moto):
    return network(fresh_moto)


@pytest.fixture
def built(stack, fresh_moto, ansible):
    result = eks(ansible)
    assert result["rc"] == 0 and result["changed"], result
    fresh_moto.forget_calls()
    return result


def steps(result):
    return [(step["action"], step["kind"], step["name"]) for step in result["plan"]]


def test_check_mode_plans_and_creates_nothing(stack, fresh_moto, ansible):
    fresh_moto.forget_calls()
    result = eks(ansible, check=True, diff=True)
    assert result["rc"] == 0 and result["changed"], result
    assert steps(result) == [
        ("create", "role", "ekst-eks-cluster"),
        ("create", "role", "ekst-eks-node"),
        ("create", "role", "ekst-eks-frontend"),
        ("create", "role", "ekst-eks-backend"),
        ("create", "log_group", "/aws/eks/ekst-eks/cluster"),
        ("create", "cluster", CLUSTER),
        ("create", "oidc_provider", "issuer of ekst-eks"),
        ("create", "nodegroup", "ekst-us-east-1a"),
        ("create", "nodegroup", "ekst-us-east-1b"),
    ]
    assert result["diff"]["after"]["cluster/%s" % CLUSTER]["kms_key_arn"] == stack[1]
    assert fresh_moto.mutating_calls() == []
    assert fresh_moto.client("eks").list_clusters()["clusters"] == []


def test_create_spreads_the_cluster_and_nodes_over_the_azs(stack, built, moto):
    subnets, key_arn = stack
    client = moto.client("eks")
    cluster = client.describe_cluster(name=CLUSTER)["cluster"]
    assert sorted(cluster["resourcesVpcConfig"]["subnetIds"]) == sorted(subnets["app"].values())
    assert cluster["resourcesVpcConfig"]["endpointPrivateAccess"] is True
    assert cluster["resourcesVpcConfig"]["endpointPublicAccess"] is False
    assert cluster["encryptionConfig"] == [{"resources": ["secrets"], "provider": {"keyArn": key_arn}}]
    enabled = [t for setup in cluster["logging"]["clusterLogging"] if setup["enabled"] for t in setup["types"]]
    assert sorted(enabled) == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert cluster["tags"]["hatrading:stack"] == STACK and cluster["tags"]["hatrading:tier"] == "eks" and cluster["tags"]["Name"] == CLUSTER
    assert cluster["roleArn"].endswith(":role/ekst-eks-cluster")
    for az in AZS:
        group = client.describe_nodegroup(clusterName=CLUSTER, nodegroupName="ekst-" + az)["nodegroup"]
        assert group["subnets"] == [subnets["app"][az]]
        assert group["labels"]["topology.kubernetes.io/zone"] == az
        assert group["nodeRole"].endswith(":role/ekst-eks-node")
        assert group["tags"]["hatrading:tier"] == "eks"
    assert built["eks"]["availability_zones"] == list(AZS)
    logs = moto.client("logs").describe_log_groups(logGroupNamePrefix="/aws/eks/ekst-eks/cluster")["logGroups"]
    assert [g["retentionInDays"] for g in logs] == [30]


def test_create_binds_each_service_account_to_its_own_role(built, moto):
    iam = moto.client("iam")
    issuer = built["eks"]["issuer"]
    host = issuer.split("://", 1)[1]
    providers = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert [arn for arn in providers if arn.endswith("oidc-provider/" + host)], providers
    for tier in ("frontend", "backend"):
        role = iam.get_role(RoleName="ekst-eks-" + tier)["Role"]
        doc = role["AssumeRolePolicyDocument"]
        doc = json.loads(doc) if isinstance(doc, str) else doc
        statement = doc["Statement"][0]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"]["Federated"].endswith("oidc-provider/" + host)
        assert statement["Condition"]["StringEquals"][host + ":sub"] == "system:serviceaccount:hatrading:" + tier
        policy = iam.get_role_policy(RoleName="ekst-eks-" + tier, PolicyName="least-privilege")["PolicyDocument"]
        actions = sorted(a for s in policy["Statement"] for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))
        wanted = ["logs:CreateLogStream", "logs:PutLogEvents"] + (["secretsmanager:GetSecretValue"] if tier == "backend" else [])
        assert actions == sorted(wanted)
    accounts = [o for o in built["eks"]["manifests"] if o["kind"] == "ServiceAccount"]
    assert sorted(o["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] for o in accounts) == sorted(built["eks"]["service_account_roles"].values())


def test_rerun_changes_nothing_and_only_reads(built, moto, ansible):
    result = eks(ansible)
    assert result["rc"] == 0 and not result["changed"], result["plan_text"]
    assert moto.mutating_calls() == []


def test_change_updates_in_place(built, moto, ansible):
    result = eks(ansible, node_max_size=5, log_types=["api", "audit"], log_retention_days=90)
    assert result["rc"] == 0 and result["changed"], result
    kinds = sorted(set((s["action"], s["kind"]) for s in result["plan"]))
    assert ("update", "cluster") in kinds and ("update", "nodegroup") in kinds and ("update", "log_group") in kinds
    client = moto.client("eks")
    group = client.describe_nodegroup(clusterName=CLUSTER, nodegroupName="ekst-us-east-1a")["nodegroup"]
    assert group["scalingConfig"]["maxSize"] == 5
    cluster = client.describe_cluster(name=CLUSTER)["cluster"]
    assert sorted(t for s in cluster["logging"]["clusterLogging"] if s["enabled"] for t in s["types"]) == ["api", "audit"]
    again = eks(ansible, node_max_size=5, log_types=["api", "audit"], log_retention_days=90)
    assert not again["changed"], again["plan_text"]


def test_teardown_keeps_the_log_group(built, moto, ansible):
    refused = eks(ansible, state="absent")
    assert refused["failed"] and "confirm_delete" in refused["msg"]
    result = eks(ansible, state="absent", confirm_delete=STACK)
    assert result["rc"] == 0 and result["changed"], result
    assert moto.client("eks").list_clusters()["clusters"] == []
    assert result["eks"]["kept"] == ["log_group /aws/eks/ekst-eks/cluster"]
    assert moto.client("logs").describe_log_groups(logGroupNamePrefix="/aws/eks/ekst-eks")["logGroups"]
    roles = [r["RoleName"] for r in moto.client("iam").list_roles()["Roles"]]
    assert not [r for r in roles if r.startswith("ekst-eks")]
    assert moto.client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    again = eks(ansible, state="absent", confirm_delete=STACK)
    assert not again["changed"], again["plan_text"]


def test_bad_input_fails_before_any_call(fresh_moto, ansible):
    result = eks(ansible, node_min_size=3, node_desired_size=1, kubernetes_version="v1", access_entries=[{"principal_arn": "bob"}])
    assert result["failed"]
    assert "node_desired_size" in result["msg"] and "kubernetes_version" in result["msg"] and "access_entries[0].principal_arn" in result["msg"]
    assert fresh_moto.calls() == []


def test_without_the_network_tier_it_says_so(fresh_moto, ansible):
    result = eks(ansible)
    assert result["failed"] and "deploy the network tier" in result["msg"]
    assert fresh_moto.mutating_calls() == []


def test_the_audit_checks_the_cluster_and_node_groups_span_the_azs(built, ansible):
    result = ansible.module("hatrading.aws.stack_audit", {"stack": STACK, "region": "us-east-1", "tiers": ["eks"]})
    found = dict((item["check"], item["status"]) for item in result["findings"])
    assert found["eks.cluster_spans_azs"] == found["eks.nodes_span_azs"] == "pass", result["findings"]
    assert found["eks.secrets_encrypted"] == found["eks.audit_log"] == found["eks.private_endpoint"] == "pass"


def test_the_monitoring_tier_alarms_on_the_cluster(built, moto, ansible):
    result = ansible.module("hatrading.aws.stack_monitoring", {"stack": STACK, "region": "us-east-1"})
    assert result["rc"] == 0, result.get("msg")
    alarms = moto.client("cloudwatch").describe_alarms(AlarmNamePrefix="ekst-eks-")["MetricAlarms"]
    assert sorted((a["AlarmName"], a["Namespace"], a["Dimensions"][0]["Value"]) for a in alarms) == [
        ("ekst-eks-api-5xx", "AWS/EKS", CLUSTER),
        ("ekst-eks-pending-pods", "AWS/EKS", CLUSTER),
    ]


def test_the_report_shows_the_cluster_and_a_node_group_per_az(built, ansible):
    result = ansible.module("hatrading.aws.stack_report", {"stack": STACK, "region": "us-east-1"})
    assert result["rc"] == 0, result.get("msg")
    lines = result["lines"]
    assert "EKS cluster ekst-eks 1.33 ACTIVE, private endpoint, 2 app subnets, secrets encrypted" in lines
    assert [line for line in lines if line.startswith("  node group ekst-")] == [
        "  node group ekst-us-east-1a in us-east-1a: ACTIVE, 1..3, 1 now",
        "  node group ekst-us-east-1b in us-east-1b: ACTIVE, 1..3, 1 now",
    ]
