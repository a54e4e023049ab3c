# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What of the stack's network exists: filtered describes through ``clients.ec2``, nothing else."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.network.model import TIER

AVAILABLE_ZONES = [{"Name": "state", "Values": ["available"]}, {"Name": "zone-type", "Values": ["availability-zone"]}]


def read_network(ec2, stack, with_addresses=False):
    """The stack's network as describe answers: one call per resource type, filtered server-side."""
    raw = {"vpcs": ec2.describe_vpcs(Filters=stack_filters(stack, TIER))}
    raw["internet_gateways"] = ec2.describe_internet_gateways(Filters=stack_filters(stack, TIER))
    if with_addresses:
        raw["addresses"] = addresses(ec2, stack)
    vpc_ids = [vpc["VpcId"] for vpc in raw["vpcs"]]
    if vpc_ids:  # everything else lives inside the VPC
        in_vpc = [{"Name": "vpc-id", "Values": vpc_ids}]
        raw["subnets"] = ec2.describe_subnets(Filters=in_vpc)
        raw["nat_gateways"] = ec2.describe_nat_gateways(Filter=in_vpc + [{"Name": "state", "Values": ["pending", "available"]}])
        raw["route_tables"] = ec2.describe_route_tables(Filters=in_vpc)
        raw["network_acls"] = ec2.describe_network_acls(Filters=in_vpc)
        raw["security_groups"] = ec2.describe_security_groups(Filters=in_vpc)
    return raw


def addresses(ec2, stack):
    """The stack's Elastic IPs (NAT addresses)."""
    return ec2.describe_addresses(Filters=stack_filters(stack, TIER)).get("Addresses", [])


def unused_addresses(ec2, stack):
    """The stack's Elastic IPs no NAT holds (left by a failed run), by Name."""
    return [address for address in addresses(ec2, stack) if not address.get("AssociationId")]


def available_zones(ec2):
    return [zone["ZoneName"] for zone in ec2.describe_availability_zones(Filters=AVAILABLE_ZONES).get("AvailabilityZones", [])]


def acl_associations(ec2, vpc_id):
    """{subnet ID: its network ACL association ID} in the VPC."""
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    return dict((a["SubnetId"], a["NetworkAclAssociationId"]) for acl in acls for a in acl.get("Associations", []))


def default_group_id(ec2, vpc_id):
    found = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}])
    return found[0]["GroupId"]
