"""The report's EKS part: read through the stack view, printed as a line per cluster and node group, nothing without a cluster."""

from ansible_collections.hatrading.aws.plugins.module_utils.report import read
from ansible_collections.hatrading.aws.plugins.module_utils.report import text


class View:
    def __init__(self, cluster, groups):
        self.cluster, self.groups = cluster, groups

    def eks_cluster(self):
        return self.cluster

    def eks_nodegroups(self):
        return self.groups


CLUSTER = {
    "name": "prod-eks",
    "version": "1.33",
    "status": "ACTIVE",
    "resourcesVpcConfig": {"subnetIds": ["a", "b"], "endpointPrivateAccess": True, "endpointPublicAccess": False},
    "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": "k"}}],
}
GROUP = {
    "nodegroupName": "prod-us-east-1a",
    "status": "ACTIVE",
    "labels": {"topology.kubernetes.io/zone": "us-east-1a"},
    "scalingConfig": {"minSize": 1, "maxSize": 3, "desiredSize": 1},
}


def test_a_cluster_and_its_node_groups_are_reported():
    lines = text.eks_lines(read.eks_part(View(CLUSTER, [GROUP])))
    assert lines == [
        "EKS cluster prod-eks 1.33 ACTIVE, private endpoint, 2 app subnets, secrets encrypted",
        "  node group prod-us-east-1a in us-east-1a: ACTIVE, 1..3, 1 now",
    ]


def test_no_cluster_no_section():
    report = {"stack": "prod", "region": "us-east-1", "eks": read.eks_part(View(None, []))}
    assert text.eks_lines(report["eks"]) == []
