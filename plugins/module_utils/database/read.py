# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What of the stack's database exists: ``clients.rds``/``kms``/``secretsmanager``, and the network through the StackView."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core import names


def read_database(rds, stack, aurora_readers):
    """The stack's database as describe answers: cluster, instances, subnet and parameter groups."""
    n = names.database(stack)
    raw = {"kms_alias": n["kms_alias"], "clusters": rds.describe_db_clusters(DBClusterIdentifier=n["cluster"])}
    members = [m["DBInstanceIdentifier"] for cluster in raw["clusters"] for m in cluster.get("DBClusterMembers", [])]
    wanted = [n["instance"]] + [n["member"](index) for index in range(1, aurora_readers + 2)]
    raw["instances"] = rds.db_instances_named(set(members + wanted))
    raw["subnet_groups"] = rds.describe_db_subnet_groups(DBSubnetGroupName=n["subnet_group"])
    groups = rds.describe_db_parameter_groups(DBParameterGroupName=n["parameter_group"])
    raw["parameter_groups"] = [group for group in groups if group.get("DBParameterGroupName") == n["parameter_group"]]
    # the parameters the user set on the group (not the engine's defaults)
    raw["parameters"] = rds.describe_db_parameters(DBParameterGroupName=n["parameter_group"], Source="user") if raw["parameter_groups"] else []
    return raw


def read_reader_scaling(clients, stack):
    """The Aurora cluster's reader scaling target and policy (Application Auto Scaling): two reads."""
    n = names.database(stack)
    service = clients("application-autoscaling")
    targets = service.describe_scalable_targets(ServiceNamespace="rds", ResourceIds=["cluster:%s" % n["cluster"]])
    policies = service.describe_scaling_policies(ServiceNamespace="rds", PolicyNames=[n["reader_scaling_policy"]])
    return targets, [p for p in policies if p["ResourceId"] == "cluster:%s" % n["cluster"]]


def find_network(view):
    """[(subnet ID, AZ)] of the stack's data subnets and the ID of its database security group (the network tier's)."""
    subnets = sorted((subnet["SubnetId"], subnet["AvailabilityZone"]) for subnet in view.subnets_of("data"))
    return subnets, view.security_group_id(names.database(view.stack)["security_group"])


def snapshots(rds, identifier, aurora):
    """The DB (cluster) snapshot called ``identifier``: a list of one, or empty."""
    if aurora:
        return rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=identifier)
    return rds.describe_db_snapshots(DBSnapshotIdentifier=identifier)
