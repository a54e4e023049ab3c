# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class RDS(Service):
    NAME = "rds"
    NOT_FOUND = (
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
        "DBClusterNotFoundFault",
        "DBSubnetGroupNotFoundFault",
        "DBParameterGroupNotFound",
        "DBParameterGroupNotFoundFault",
        "DBSnapshotNotFound",
        "DBSnapshotNotFoundFault",
        "DBClusterSnapshotNotFoundFault",
    )

    describe_db_cluster_snapshots = api("describe_db_cluster_snapshots", "DBClusterSnapshots", pages=True, missing=[])
    describe_db_clusters = api("describe_db_clusters", "DBClusters", pages=True, missing=[])
    describe_db_instances = api("describe_db_instances", "DBInstances", pages=True, missing=[])
    describe_db_parameter_groups = api("describe_db_parameter_groups", "DBParameterGroups", pages=True, missing=[])
    describe_db_parameters = api("describe_db_parameters", "Parameters", pages=True, missing=[])
    describe_db_snapshots = api("describe_db_snapshots", "DBSnapshots", pages=True, missing=[])
    describe_db_subnet_groups = api("describe_db_subnet_groups", "DBSubnetGroups", pages=True, missing=[])

    def db_instances_named(self, identifiers):
        """The DB instances among ``identifiers`` (one filtered call; unknown names are simply absent)."""
        if not identifiers:
            return []
        return self.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": sorted(identifiers)}])

    describe_db_engine_versions = api("describe_db_engine_versions", "DBEngineVersions", pages=True)
    # one page: enough to know a class is offered (RDS answers a row per AZ and storage type, hundreds unfiltered)
    describe_orderable_db_instance_options = api("describe_orderable_db_instance_options", "OrderableDBInstanceOptions")
    reboot_db_instance = api("reboot_db_instance", "DBInstance")
    failover_db_cluster = api("failover_db_cluster", "DBCluster")
