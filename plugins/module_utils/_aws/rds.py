# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS: every call the collection makes, reads and writes, one line each (see base.py)."""

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

    add_tags_to_resource = api("add_tags_to_resource")
    create_db_cluster = api("create_db_cluster")
    create_db_instance = api("create_db_instance")
    create_db_parameter_group = api("create_db_parameter_group")
    create_db_subnet_group = api("create_db_subnet_group")
    delete_db_cluster = api("delete_db_cluster", missing=None)
    delete_db_instance = api("delete_db_instance", missing=None)
    delete_db_parameter_group = api("delete_db_parameter_group", missing=None)
    delete_db_subnet_group = api("delete_db_subnet_group", missing=None)
    describe_db_cluster_snapshots = api("describe_db_cluster_snapshots", "DBClusterSnapshots", pages=True, missing=[])
    describe_db_clusters = api("describe_db_clusters", "DBClusters", pages=True, missing=[])
    describe_db_instances = api("describe_db_instances", "DBInstances", pages=True, missing=[])
    describe_db_parameter_groups = api("describe_db_parameter_groups", "DBParameterGroups", pages=True, missing=[])
    describe_db_parameters = api("describe_db_parameters", "Parameters", pages=True, missing=[])
    describe_db_snapshots = api("describe_db_snapshots", "DBSnapshots", pages=True, missing=[])
    describe_db_subnet_groups = api("describe_db_subnet_groups", "DBSubnetGroups", pages=True, missing=[])
    list_tags_for_resource = api("list_tags_for_resource")
    modify_db_cluster = api("modify_db_cluster")
    modify_db_instance = api("modify_db_instance")
    modify_db_parameter_group = api("modify_db_parameter_group")
    modify_db_subnet_group = api("modify_db_subnet_group")
    reset_db_parameter_group = api("reset_db_parameter_group")
    restore_db_cluster_from_snapshot = api("restore_db_cluster_from_snapshot")
    restore_db_instance_from_db_snapshot = api("restore_db_instance_from_db_snapshot")

    def db_instances_named(self, identifiers):
        """The DB instances among ``identifiers`` (one filtered call; unknown names are simply absent)."""
        if not identifiers:
            return []
        return self.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": sorted(identifiers)}])

    describe_db_engine_versions = api("describe_db_engine_versions", "DBEngineVersions", pages=True)
