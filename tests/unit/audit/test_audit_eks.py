"""The HA audit's EKS checks on hand-made snapshots shaped like DescribeCluster / DescribeNodegroup answers."""

from ansible_collections.hatrading.aws.plugins.module_utils.audit import model as audit


def snapshot(node_azs=("a", "b"), cluster_azs=("a", "b"), encrypted=True, public=False):
    subnets = [{"SubnetId": "app-%s" % az, "AvailabilityZone": az, "Tags": []} for az in ("a", "b", "c")]
    cluster = {
        "name": "s-eks",
        "resourcesVpcConfig": {"subnetIds": ["app-%s" % az for az in cluster_azs], "endpointPublicAccess": public, "publicAccessCidrs": ["0.0.0.0/0"]},
        "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": "k"}}] if encrypted else [],
        "logging": {"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]},
    }
    groups = [{"nodegroupName": "s-" + az, "status": "ACTIVE", "subnets": ["app-" + az], "scalingConfig": {"maxSize": 3}} for az in node_azs]
    return {"stack": "s", "subnets": subnets, "eks_cluster": cluster, "eks_nodegroups": groups}


def statuses(found):
    return dict((item["check"], item["status"]) for item in found)


def test_a_cluster_and_nodes_over_two_azs_pass():
    found = audit.audit(snapshot(), tiers=("eks",))
    assert set(statuses(found).values()) == {audit.PASS}
    assert statuses(found).keys() == {"eks.cluster_spans_azs", "eks.nodes_span_azs", "eks.secrets_encrypted", "eks.audit_log", "eks.private_endpoint"}


def test_nodes_in_one_az_fail_with_the_fix():
    found = [f for f in audit.audit_eks(snapshot(node_azs=("a",)), 2) if f["check"] == "eks.nodes_span_azs"][0]
    assert found["status"] == audit.FAIL and found["detail"] == "1 active node groups over 1 AZs (a)" and "node group per AZ" in found["fix"]


def test_an_inactive_node_group_does_not_count():
    state = snapshot()
    state["eks_nodegroups"][1]["status"] = "DEGRADED"
    assert statuses(audit.audit_eks(state, 2))["eks.nodes_span_azs"] == audit.FAIL


def test_unencrypted_secrets_and_an_open_endpoint_warn():
    found = statuses(audit.audit_eks(snapshot(encrypted=False, public=True), 2))
    assert found["eks.secrets_encrypted"] == found["eks.private_endpoint"] == audit.WARN


def test_no_cluster_is_skipped():
    assert statuses(audit.audit_eks({"stack": "s", "subnets": [], "eks_cluster": None}, 2)) == {"eks.cluster": audit.SKIP}
