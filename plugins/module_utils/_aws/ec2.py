# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class EC2(Service):
    NAME = "ec2"
    NOT_FOUND = (
        "InvalidVpcID.NotFound",
        "InvalidSubnetID.NotFound",
        "InvalidInternetGatewayID.NotFound",
        "InvalidNatGatewayID.NotFound",
        "InvalidRouteTableID.NotFound",
        "InvalidNetworkAclID.NotFound",
        "InvalidGroup.NotFound",
        "InvalidAllocationID.NotFound",
        "InvalidAssociationID.NotFound",
        "InvalidPermission.NotFound",
        "InvalidLaunchTemplateName.NotFoundException",
        "InvalidLaunchTemplateId.NotFound",
        "InvalidLaunchTemplateId.Malformed",
        "InvalidFlowLogId.NotFound",
        "InvalidInstanceID.NotFound",
    )
    RETRY_CODES = (
        "InvalidVpcID.NotFound",
        "InvalidSubnetID.NotFound",
        "InvalidInternetGatewayID.NotFound",
        "InvalidNatGatewayID.NotFound",
        "InvalidRouteTableID.NotFound",
        "InvalidNetworkAclID.NotFound",
        "InvalidGroup.NotFound",
        "InvalidAllocationID.NotFound",
        "InvalidLaunchTemplateId.NotFound",
        "InvalidIamInstanceProfile.NotFound",
    )

    allocate_address = api("allocate_address")
    associate_route_table = api("associate_route_table")
    attach_internet_gateway = api("attach_internet_gateway")
    create_flow_logs = api("create_flow_logs")
    create_internet_gateway = api("create_internet_gateway")
    create_launch_template = api("create_launch_template")
    create_launch_template_version = api("create_launch_template_version")
    create_nat_gateway = api("create_nat_gateway")
    create_network_acl = api("create_network_acl")
    create_network_acl_entry = api("create_network_acl_entry")
    create_route = api("create_route")
    create_route_table = api("create_route_table")
    create_security_group = api("create_security_group")
    create_subnet = api("create_subnet")
    create_tags = api("create_tags")
    create_vpc = api("create_vpc")
    delete_flow_logs = api("delete_flow_logs", missing=None)
    delete_internet_gateway = api("delete_internet_gateway", missing=None)
    delete_launch_template = api("delete_launch_template", missing=None)
    delete_nat_gateway = api("delete_nat_gateway", missing=None)
    delete_network_acl = api("delete_network_acl", missing=None)
    delete_network_acl_entry = api("delete_network_acl_entry", missing=None)
    delete_route = api("delete_route", missing=None)
    delete_route_table = api("delete_route_table", missing=None)
    delete_security_group = api("delete_security_group", missing=None)
    delete_subnet = api("delete_subnet", missing=None)
    delete_tags = api("delete_tags", missing=None)
    delete_vpc = api("delete_vpc", missing=None)
    describe_addresses = api("describe_addresses")
    describe_availability_zones = api("describe_availability_zones")
    describe_flow_logs = api("describe_flow_logs", "FlowLogs", pages=True)
    describe_instance_type_offerings = api("describe_instance_type_offerings", "InstanceTypeOfferings", pages=True)
    describe_instances = api("describe_instances", "Reservations", pages=True)
    describe_internet_gateways = api("describe_internet_gateways", "InternetGateways", pages=True)
    describe_launch_template_versions = api("describe_launch_template_versions", "LaunchTemplateVersions", pages=True)
    describe_launch_templates = api("describe_launch_templates", "LaunchTemplates", pages=True)
    describe_nat_gateways = api("describe_nat_gateways", "NatGateways", pages=True)
    describe_network_acls = api("describe_network_acls", "NetworkAcls", pages=True)
    describe_route_tables = api("describe_route_tables", "RouteTables", pages=True)
    describe_security_groups = api("describe_security_groups", "SecurityGroups", pages=True)
    describe_subnets = api("describe_subnets", "Subnets", pages=True)
    describe_tags = api("describe_tags", "Tags", pages=True)
    describe_vpcs = api("describe_vpcs", "Vpcs", pages=True)
    modify_launch_template = api("modify_launch_template")
    modify_vpc_attribute = api("modify_vpc_attribute")
    replace_network_acl_association = api("replace_network_acl_association")
    replace_network_acl_entry = api("replace_network_acl_entry")
    replace_route = api("replace_route")
    replace_route_table_association = api("replace_route_table_association")
    terminate_instances = api("terminate_instances")
