# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS reads, one wrapper per API call: retried, paginated, "not found" as empty.

Mutations are called on a client made with ``retry_decorator=AWSRetry.jittered_backoff()``
and ``aws_retry=True``, so every call is retried on throttling.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

NOT_FOUND_CODES = (
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
RETRY = AWSRetry.jittered_backoff(retries=8)


def _code(error):
    return error.response.get("Error", {}).get("Code")


def _paginate(client, operation, key, **params):
    try:
        return client.get_paginator(operation).paginate(**params).build_full_result().get(key, [])
    except ClientError as error:
        if _code(error) in NOT_FOUND_CODES:
            return []
        raise


@RETRY
def describe_db_instances(client, identifiers):
    """The DB instances among ``identifiers`` (one filtered call; unknown names are simply absent)."""
    if not identifiers:
        return []
    return _paginate(client, "describe_db_instances", "DBInstances", Filters=[{"Name": "db-instance-id", "Values": sorted(identifiers)}])


@RETRY
def describe_db_clusters(client, identifier):
    return _paginate(client, "describe_db_clusters", "DBClusters", DBClusterIdentifier=identifier)


@RETRY
def describe_db_subnet_groups(client, name):
    return _paginate(client, "describe_db_subnet_groups", "DBSubnetGroups", DBSubnetGroupName=name)


@RETRY
def describe_db_parameter_groups(client, name):
    groups = _paginate(client, "describe_db_parameter_groups", "DBParameterGroups", DBParameterGroupName=name)
    return [group for group in groups if group.get("DBParameterGroupName") == name]


@RETRY
def describe_db_parameters(client, name):
    """Parameters the user set on a group (not the engine defaults)."""
    return _paginate(client, "describe_db_parameters", "Parameters", DBParameterGroupName=name, Source="user")


@RETRY
def describe_db_snapshots(client, identifier):
    return _paginate(client, "describe_db_snapshots", "DBSnapshots", DBSnapshotIdentifier=identifier)


@RETRY
def describe_db_cluster_snapshots(client, identifier):
    return _paginate(client, "describe_db_cluster_snapshots", "DBClusterSnapshots", DBClusterSnapshotIdentifier=identifier)


def ignore_not_found(call, *args, **kwargs):
    """Run a delete-like call; something already gone is what we wanted."""
    try:
        return call(*args, **kwargs)
    except ClientError as error:
        if _code(error) in NOT_FOUND_CODES:
            return None
        raise
