"""The report's parts the cost estimate reads: the logs domain's nodes and volume, the agent's scrape interval."""

from ansible_collections.hatrading.aws.plugins.module_utils.report import read


class View:
    """What logs_part and observability_part read of a stack view."""

    def __init__(self, domain=None, workspace=None, scrape_config=None):
        self.domain, self.workspace, self.config = domain, workspace, scrape_config

    def opensearch_domain(self):
        return self.domain

    def subnets(self):
        return [{"SubnetId": "subnet-a", "AvailabilityZone": "us-east-1a"}, {"SubnetId": "subnet-b", "AvailabilityZone": "us-east-1b"}]

    def amp_workspace(self):
        return self.workspace

    def amp_rules(self):
        return None

    def scrape_config(self):
        return self.config

    def amp_alert_manager(self):
        return None  # no alert manager definition: alerts routed nowhere


def test_the_logs_part_has_the_nodes_and_the_volume():
    domain = {
        "DomainName": "s-logs",
        "ClusterConfig": {
            "InstanceType": "r6g.large.search",
            "InstanceCount": 2,
            "DedicatedMasterEnabled": True,
            "DedicatedMasterType": "m6g.large.search",
            "DedicatedMasterCount": 3,
        },
        "EBSOptions": {"EBSEnabled": True, "VolumeType": "gp3", "VolumeSize": 20},
        "VPCOptions": {"SubnetIds": ["subnet-a", "subnet-b"]},
    }
    part = read.logs_part(View(domain=domain))
    assert (part["data_nodes"], part["instance_type"], part["volume_gb"]) == (2, "r6g.large.search", 20)
    assert (part["masters"], part["master_type"]) == (3, "m6g.large.search")
    assert part["nodes"] == "2 x r6g.large.search" and part["zones"] == ["us-east-1a", "us-east-1b"]


def test_the_observability_part_has_the_agents_scrape_interval():
    config = "global:\n  scrape_interval: 15s\nscrape_configs: []\n"
    part = read.observability_part(View(workspace={"alias": "s-prometheus", "status": {"statusCode": "ACTIVE"}}, scrape_config=config))
    assert part["agent_configuration"] and part["scrape_interval"] == 15 and part["alert_topics"] == []
    assert read.observability_part(View(workspace={"alias": "s-prometheus"}))["scrape_interval"] is None
