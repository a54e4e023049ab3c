# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 reads, one wrapper per API call: retried, paginated, "not found" as empty.

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

# Right after a create, EC2 may not yet know the new ID everywhere (eventual consistency).
EVENTUAL_CODES = [
    "InvalidVpcID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidInternetGatewayID.NotFound",
    "InvalidNatGatewayID.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidNetworkAclID.NotFound",
    "InvalidGroup.NotFound",
    "InvalidAllocationID.NotFound",
]
NOT_FOUND_CODES = EVENTUAL_CODES + ["InvalidAssociationID.NotFound", "InvalidPermission.NotFound"]
RETRY = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=EVENTUAL_CODES)


def _paginate(client, operation, key, **params):
    return client.get_paginator(operation).paginate(**params).build_full_result().get(key, [])


@RETRY
def describe_vpcs(client, filters):
    return _paginate(client, "describe_vpcs", "Vpcs", Filters=filters)


@RETRY
def describe_subnets(client, filters):
    return _paginate(client, "describe_subnets", "Subnets", Filters=filters)


@RETRY
def describe_internet_gateways(client, filters):
    return _paginate(client, "describe_internet_gateways", "InternetGateways", Filters=filters)


@RETRY
def describe_nat_gateways(client, filters):
    return _paginate(client, "describe_nat_gateways", "NatGateways", Filter=filters)


@RETRY
def describe_route_tables(client, filters):
    return _paginate(client, "describe_route_tables", "RouteTables", Filters=filters)


@RETRY
def describe_network_acls(client, filters):
    return _paginate(client, "describe_network_acls", "NetworkAcls", Filters=filters)


@RETRY
def describe_security_groups(client, filters):
    return _paginate(client, "describe_security_groups", "SecurityGroups", Filters=filters)


@RETRY
def describe_addresses(client, filters):
    return client.describe_addresses(Filters=filters).get("Addresses", [])


@RETRY
def describe_availability_zones(client):
    filters = [{"Name": "state", "Values": ["available"]}, {"Name": "zone-type", "Values": ["availability-zone"]}]
    return client.describe_availability_zones(Filters=filters).get("AvailabilityZones", [])


@RETRY
def describe_flow_logs(client, filters):
    return _paginate(client, "describe_flow_logs", "FlowLogs", Filters=filters)


def ignore_not_found(call, *args, **kwargs):
    """Run a delete-like call; something already gone is what we wanted."""
    try:
        return call(*args, **kwargs)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in NOT_FOUND_CODES:
            return None
        raise
