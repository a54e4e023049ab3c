"""stack_eks's calls that moto 5.2 cannot show, against botocore Stubber (every request and answer is checked
against the real EKS service model): the add-ons, the access entries and their policies, a Kubernetes version
upgrade (UpdateClusterVersion), and a node group's tags (moto's TagResource tags clusters only)."""

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.eks import apply
from ansible_collections.hatrading.aws.plugins.module_utils.eks import model
from ansible_collections.hatrading.aws.plugins.module_utils.eks import read

CLUSTER = "prod-eks"
ADMIN = "arn:aws:iam::123456789012:role/platform-admin"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
TAGS = {"hatrading:stack": "prod", "hatrading:tier": "eks", "Name": CLUSTER}


@pytest.fixture
def aws():
    client = boto3.client("eks", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.activate()
    yield Clients(make={"eks": client}.get), stubber
    stubber.assert_no_pending_responses()


def applier(clients):
    cfg = model.settings_of({"stack": "prod", "wait_timeout": 30})
    return apply.EksApplier(clients, cfg, None, {"issuer": ISSUER, "arn": "arn:aws:eks:us-east-1:123456789012:cluster/prod-eks"})


def addon(name, status="ACTIVE", tags=None):
    return {
        "addonName": name,
        "clusterName": CLUSTER,
        "status": status,
        "addonVersion": "v1.0.0-eksbuild.1",
        "tags": tags or {},
        "addonArn": "arn:aws:eks:us-east-1:123456789012:addon/prod-eks/%s/x" % name,
    }


def test_addons_are_created_then_waited_active_once_each(aws):
    clients, stubber = aws
    for name in ("vpc-cni", "coredns"):
        stubber.add_response(
            "create_addon",
            {"addon": addon(name, "CREATING")},
            {"clusterName": CLUSTER, "addonName": name, "resolveConflicts": "OVERWRITE", "tags": TAGS},
        )
    for name in ("vpc-cni", "coredns"):
        stubber.add_response("describe_addon", {"addon": addon(name)}, {"clusterName": CLUSTER, "addonName": name})
    plan = Plan([Change(CREATE, "addon", name, after={"tags": TAGS}) for name in ("vpc-cni", "coredns")])
    worker = applier(clients)
    plan.apply(worker.handlers(), worker.finishers())


def test_reading_addons_asks_only_for_the_wanted_ones_and_a_missing_one_is_absent(aws):
    clients, stubber = aws
    tags = dict(TAGS, Name="vpc-cni")
    stubber.add_response("describe_addon", {"addon": addon("vpc-cni", tags=tags)}, {"clusterName": CLUSTER, "addonName": "vpc-cni"})
    stubber.add_client_error(
        "describe_addon", "ResourceNotFoundException", http_status_code=404, expected_params={"clusterName": CLUSTER, "addonName": "coredns"}
    )
    found = read.read_addons(clients.eks, CLUSTER, ["vpc-cni", "coredns"])
    assert found == {"vpc-cni": {"tags": tags, "status": "ACTIVE", "version": "v1.0.0-eksbuild.1"}}
    want = model.desired_addons(model.settings_of({"stack": "prod", "addons": ["vpc-cni", "coredns"]}))
    assert [(c.action, c.name) for c in model.plan_present(dict(_empty(), addons=want), dict(_empty(), addons=found))] == [(CREATE, "coredns")]


def _empty():
    return dict((key, {}) for key in ("roles", "log_group", "cluster", "oidc_provider", "nodegroups", "addons", "access_entries"))


def entry(principal):
    return {
        "clusterName": CLUSTER,
        "principalArn": principal,
        "kubernetesGroups": [],
        "accessEntryArn": "arn:aws:eks:us-east-1:123456789012:access-entry/prod-eks/role/123456789012/platform-admin/x",
        "tags": TAGS,
        "type": "STANDARD",
    }


def test_an_access_entry_is_created_with_its_policy_scoped_to_namespaces(aws):
    clients, stubber = aws
    scope = {"type": "namespace", "namespaces": ["hatrading"]}
    stubber.add_response(
        "create_access_entry", {"accessEntry": entry(ADMIN)}, {"clusterName": CLUSTER, "principalArn": ADMIN, "type": "STANDARD", "tags": TAGS}
    )
    stubber.add_response(
        "associate_access_policy",
        {"clusterName": CLUSTER, "principalArn": ADMIN, "associatedAccessPolicy": {"policyArn": VIEW, "accessScope": scope}},
        {"clusterName": CLUSTER, "principalArn": ADMIN, "policyArn": VIEW, "accessScope": scope},
    )
    worker = applier(clients)
    worker.create_access_entry(Change(CREATE, "access_entry", ADMIN, after={"policies": {VIEW: scope}, "tags": TAGS}))


def test_reading_an_entry_then_swapping_its_policy(aws):
    clients, stubber = aws
    stubber.add_response("describe_access_entry", {"accessEntry": entry(ADMIN)}, {"clusterName": CLUSTER, "principalArn": ADMIN})
    stubber.add_response(
        "list_associated_access_policies",
        {"clusterName": CLUSTER, "principalArn": ADMIN, "associatedAccessPolicies": [{"policyArn": EDIT, "accessScope": {"type": "cluster"}}]},
        {"clusterName": CLUSTER, "principalArn": ADMIN},
    )
    have = read.read_access_entries(clients.eks, CLUSTER, [ADMIN])
    assert have == {ADMIN: {"policies": {EDIT: {"type": "cluster"}}, "tags": TAGS}}
    want = model.desired_access_entries(model.settings_of({"stack": "prod", "access_entries": [{"principal_arn": ADMIN}]}))
    (change,) = model.plan_present(dict(_empty(), access_entries=want), dict(_empty(), access_entries=have))
    assert (change.action, change.fields) == (UPDATE, ["policies"])
    stubber.add_response(
        "associate_access_policy",
        {"clusterName": CLUSTER, "principalArn": ADMIN, "associatedAccessPolicy": {"policyArn": VIEW, "accessScope": {"type": "cluster"}}},
        {"clusterName": CLUSTER, "principalArn": ADMIN, "policyArn": VIEW, "accessScope": {"type": "cluster"}},
    )
    stubber.add_response("disassociate_access_policy", {}, {"clusterName": CLUSTER, "principalArn": ADMIN, "policyArn": EDIT})
    applier(clients).update_access_entry(change)


def cluster(status="ACTIVE", version="1.33"):
    return {
        "name": CLUSTER,
        "arn": "arn:aws:eks:us-east-1:123456789012:cluster/prod-eks",
        "status": status,
        "version": version,
        "identity": {"oidc": {"issuer": ISSUER}},
    }


def test_a_version_upgrade_waits_for_the_cluster_before_anything_else(aws):
    clients, stubber = aws
    stubber.add_response(
        "update_cluster_version", {"update": {"id": "u1", "status": "InProgress", "type": "VersionUpdate"}}, {"name": CLUSTER, "version": "1.34"}
    )
    stubber.add_response("describe_cluster", {"cluster": cluster("UPDATING")}, {"name": CLUSTER})  # the waiter's polls
    stubber.add_response("describe_cluster", {"cluster": cluster("ACTIVE", "1.34")}, {"name": CLUSTER})
    stubber.add_response("describe_cluster", {"cluster": cluster("ACTIVE", "1.34")}, {"name": CLUSTER})  # the issuer, read again
    before = {"version": "1.33", "arn": cluster()["arn"], "tags": TAGS}
    worker = applier(clients)
    worker.eks.wait = _fast(worker.eks.wait)
    worker.update_cluster(Change(UPDATE, "cluster", CLUSTER, before=before, after={"version": "1.34", "tags": TAGS}, fields=["version"]))
    assert worker.issuer() == ISSUER


def _fast(wait):
    def fast(waiter, timeout, delay=5, **params):
        return wait(waiter, timeout, 1, **params)  # the waiter's own model, polled without the 15 s delay

    return fast


def test_node_group_tags_and_range_are_updated_in_place(aws):
    clients, stubber = aws
    arn = "arn:aws:eks:us-east-1:123456789012:nodegroup/prod-eks/prod-us-east-1a/x"
    before = {"min_size": 1, "max_size": 3, "desired_size": 3, "labels": {"a": "1", "old": "x"}, "tags": TAGS, "arn": arn}
    after = {"min_size": 1, "max_size": 2, "desired_size": 1, "labels": {"a": "2"}, "tags": dict(TAGS, owner="platform")}
    stubber.add_response(
        "update_nodegroup_config",
        {"update": {"id": "u2", "status": "InProgress", "type": "ConfigUpdate"}},
        {
            "clusterName": CLUSTER,
            "nodegroupName": "prod-us-east-1a",
            "scalingConfig": {"minSize": 1, "maxSize": 2, "desiredSize": 2},  # the autoscaler's 3, brought inside the new range
            "labels": {"addOrUpdateLabels": {"a": "2"}, "removeLabels": ["old"]},
        },
    )
    stubber.add_response("tag_resource", {}, {"resourceArn": arn, "tags": {"owner": "platform"}})
    fields = model.compare_nodegroup(after, before)
    assert fields == ["desired_size", "labels", "max_size", "tags"]
    applier(clients).update_nodegroup(Change(UPDATE, "nodegroup", "prod-us-east-1a", before=before, after=after, fields=fields))
