#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_network
short_description: Reconcile the whole network of a stack (VPC, subnets, gateways, routes, NACLs, security-group chain)
version_added: 0.1.0
description:
  - Reads the stack's network in a few filtered, paginated describes (found by the C(hatrading:stack) and
    C(hatrading:tier=network) tags), compares it with the wanted one, and applies only the difference.
  - Builds a VPC over 2 to 6 AZs with three subnet layers per AZ (public, app, data), an internet gateway,
    NAT gateways per AZ, single or none, route tables (public to the internet gateway, app to the NAT of its
    own AZ, data with no way out), a network ACL per layer and the least-privilege security-group chain
    public ALB, front-end, internal ALB, back-end, database. The VPC's default security group is emptied.
  - A rerun that finds everything in place makes only read calls and reports no change.
  - Fields AWS cannot change in place (VPC and subnet CIDRs, a subnet's AZ) are refused with a message
    rather than replaced, since replacing them would take down what runs there.
  - Flow logs are managed by M(hatrading.aws.vpc_flow_log).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  vpc_cidr:
    description: IPv4 CIDR of the VPC, /16 to /24. Required when O(state=present).
    type: str
  availability_zones:
    description:
      - The AZs to use, in order. When empty, the AZs the stack already uses are kept and topped up in name
        order to O(az_count).
    type: list
    elements: str
    default: []
  az_count:
    description: How many AZs to use when O(availability_zones) is empty.
    type: int
    default: 2
  subnet_newbits:
    description:
      - Extra prefix bits of the computed subnets (a /16 VPC with 5 gives /21 subnets). Subnet slots are
        layer * 8 + AZ index, so adding an AZ never moves an existing subnet.
    type: int
    default: 5
  subnets:
    description: Explicit CIDRs per layer (keys V(public), V(app), V(data)), one per AZ, instead of computed ones.
    type: dict
  nat_mode:
    description:
      - V(per_az) gives every AZ its own NAT gateway (the HA choice); V(single) one NAT for all (cost);
        V(none) leaves the app subnets without a way out.
    type: str
    choices: [per_az, single, none]
    default: per_az
  resilience:
    description: V(ha) refuses settings that leave a single point of failure (one AZ, one NAT); V(cost) allows them.
    type: str
    choices: [ha, cost]
    default: ha
  alb_listener_ports:
    description: Ports the public ALB listens on.
    type: list
    elements: int
    default: [80, 443]
  alb_ingress_cidrs:
    description: Who may reach the public ALB.
    type: list
    elements: str
    default: [0.0.0.0/0]
  frontend_port:
    description: Port of the front-end container on its instances.
    type: int
    default: 8080
  internal_alb_port:
    description: Port the internal ALB listens on.
    type: int
    default: 80
  backend_port:
    description: Port of the back-end container on its instances.
    type: int
    default: 8081
  database_port:
    description: Port of the database.
    type: int
    default: 5432
  restrict_default_security_group:
    description: Remove every rule of the VPC's default security group, so nothing can use it by accident.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for NAT gateways to become available or deleted.
    type: int
    default: 900
extends_documentation_fragment:
  - hatrading.aws.stack
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Build the network of stack "prod" over three AZs
  hatrading.aws.stack_network:
    stack: prod
    vpc_cidr: 10.20.0.0/16
    az_count: 3
    nat_mode: per_az
    tags:
      cost-center: trading

- name: Show what would change, without changing it
  hatrading.aws.stack_network:
    stack: prod
    vpc_cidr: 10.20.0.0/16
  check_mode: true
  register: network_plan

- name: Print the plan
  ansible.builtin.debug:
    var: network_plan.plan_text

- name: Delete the network of stack "prod"
  hatrading.aws.stack_network:
    stack: prod
    state: absent
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample:
    - {"action": "create", "kind": "subnet", "name": "prod-public-us-east-1a"}
    - {"action": "update", "kind": "route_table", "name": "prod-app-us-east-1a", "fields": ["routes"]}
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ vpc prod-vpc", "Plan: 1 to create, 0 to update, 0 to delete."]
network:
  description: IDs of the stack's network by Name, after the changes (in check mode, as found).
  returned: always
  type: dict
  contains:
    vpc_id:
      description: ID of the VPC, or null when there is none.
      type: str
      sample: vpc-0a1b2c3d
    internet_gateway_id:
      description: ID of the internet gateway.
      type: str
      sample: igw-0a1b2c3d
    subnets:
      description: Subnet IDs by Name.
      type: dict
      sample: {"prod-app-us-east-1a": "subnet-0a1b2c3d"}
    nat_gateways:
      description: NAT gateway IDs by Name.
      type: dict
      sample: {"prod-nat-us-east-1a": "nat-0a1b2c3d"}
    route_tables:
      description: Route table IDs by Name.
      type: dict
      sample: {"prod-public": "rtb-0a1b2c3d"}
    network_acls:
      description: Network ACL IDs by Name.
      type: dict
      sample: {"prod-data": "acl-0a1b2c3d"}
    security_groups:
      description: Security group IDs by Name.
      type: dict
      sample: {"prod-backend": "sg-0a1b2c3d"}
"""

import uuid

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils import ec2
from ansible_collections.hatrading.aws.plugins.module_utils import network as model
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_specifications
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_network
from ansible_collections.hatrading.aws.plugins.module_utils.waiters import wait

SETTINGS = (
    "stack",
    "vpc_cidr",
    "availability_zones",
    "az_count",
    "subnet_newbits",
    "subnets",
    "nat_mode",
    "resilience",
    "alb_listener_ports",
    "alb_ingress_cidrs",
    "frontend_port",
    "internal_alb_port",
    "backend_port",
    "database_port",
    "restrict_default_security_group",
    "tags",
)


def read_network(client, stack, with_addresses=False):
    """The stack's network as describe answers: one call per resource type, filtered server-side."""
    raw = {"vpcs": ec2.describe_vpcs(client, stack_filters(stack, model.TIER))}
    raw["internet_gateways"] = ec2.describe_internet_gateways(client, stack_filters(stack, model.TIER))
    if with_addresses:
        raw["addresses"] = ec2.describe_addresses(client, stack_filters(stack, model.TIER))
    vpc_ids = [vpc["VpcId"] for vpc in raw["vpcs"]]
    if vpc_ids:  # everything else lives inside the VPC
        in_vpc = [{"Name": "vpc-id", "Values": vpc_ids}]
        raw["subnets"] = ec2.describe_subnets(client, in_vpc)
        raw["nat_gateways"] = ec2.describe_nat_gateways(client, in_vpc + [{"Name": "state", "Values": ["pending", "available"]}])
        raw["route_tables"] = ec2.describe_route_tables(client, in_vpc)
        raw["network_acls"] = ec2.describe_network_acls(client, in_vpc)
        raw["security_groups"] = ec2.describe_security_groups(client, in_vpc)
    return raw


class NetworkApplier(Applier):
    """Carries out a network plan: one method per (kind, action), IDs kept by Name as they appear."""

    def __init__(self, module, client, stack, have):
        self.module = module
        self.client = client
        self.stack = stack
        self.timeout = module.params["wait_timeout"]
        self.ids = dict((kind, dict((name, spec.get("id")) for name, spec in specs.items())) for kind, specs in have.items() if isinstance(specs, dict))
        self.have = have
        self._nacl_associations = None
        self._spare_addresses = None

    def finishers(self):
        return {("nat_gateway", CREATE): self.wait_nat_available, ("nat_gateway", DELETE): self.release_after_nat_deleted}

    # -- shared pieces
    def _id(self, kind, name):
        return self.ids[kind][name]

    def _vpc_id(self):
        return next(iter(self.ids["vpc"].values()))

    def _tag(self, kind, change):
        missing = missing_tags(change.after.get("tags", {}), (change.before or {}).get("tags", {}))
        if missing:
            self.client.create_tags(Resources=[self._id(kind, change.name)], Tags=tag_list(missing), aws_retry=True)

    def _target(self, target):
        kind, name = target.split("/", 1)
        if kind == "internet_gateway":
            return {"GatewayId": self._id(kind, name)}
        return {"NatGatewayId": self._id(kind, name)}

    def _peer(self, peer):
        if peer.startswith("sg:"):
            name = peer[3:]
            group_id = self._group_id(name) if name in self.ids["security_group"] or name == model.DEFAULT_SG else name
            return {"UserIdGroupPairs": [{"GroupId": group_id}]}
        if peer.startswith("pl:"):
            return {"PrefixListIds": [{"PrefixListId": peer[3:]}]}
        if ":" in peer:
            return {"Ipv6Ranges": [{"CidrIpv6": peer}]}
        return {"IpRanges": [{"CidrIp": peer}]}

    def _permissions(self, rules):
        permissions = []
        for proto, low, high, peer in rules:
            perm = {"IpProtocol": "-1" if proto == "all" else proto}
            if proto != "all":
                perm.update(FromPort=low, ToPort=high)
            perm.update(self._peer(peer))
            permissions.append(perm)
        return permissions

    # -- VPC and internet gateway
    def create_vpc(self, change):
        vpc = self.client.create_vpc(CidrBlock=change.after["cidr"], TagSpecifications=tag_specifications("vpc", change.after["tags"]), aws_retry=True)["Vpc"]
        self.ids["vpc"][change.name] = vpc["VpcId"]
        wait(self.client, "vpc_available", self.timeout, VpcIds=[vpc["VpcId"]])
        # Private DNS names for instances and interface endpoints (one attribute per call).
        self.client.modify_vpc_attribute(VpcId=vpc["VpcId"], EnableDnsSupport={"Value": True}, aws_retry=True)
        self.client.modify_vpc_attribute(VpcId=vpc["VpcId"], EnableDnsHostnames={"Value": True}, aws_retry=True)

    def update_vpc(self, change):
        self._tag("vpc", change)

    def delete_vpc(self, change):
        ec2.ignore_not_found(self.client.delete_vpc, VpcId=change.ref["id"], aws_retry=True)

    def create_internet_gateway(self, change):
        igw = self.client.create_internet_gateway(TagSpecifications=tag_specifications("internet-gateway", change.after["tags"]), aws_retry=True)[
            "InternetGateway"
        ]
        self.ids["internet_gateway"][change.name] = igw["InternetGatewayId"]
        self.client.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=self._vpc_id(), aws_retry=True)

    def update_internet_gateway(self, change):
        self._tag("internet_gateway", change)
        if "attached" in change.fields:
            self.client.attach_internet_gateway(InternetGatewayId=change.ref["id"], VpcId=self._vpc_id(), aws_retry=True)

    def delete_internet_gateway(self, change):
        for vpc_id in change.ref.get("vpc_ids", []):
            ec2.ignore_not_found(self.client.detach_internet_gateway, InternetGatewayId=change.ref["id"], VpcId=vpc_id, aws_retry=True)
        ec2.ignore_not_found(self.client.delete_internet_gateway, InternetGatewayId=change.ref["id"], aws_retry=True)

    # -- subnets
    def create_subnet(self, change):
        spec = change.after
        subnet = self.client.create_subnet(
            VpcId=self._vpc_id(),
            CidrBlock=spec["cidr"],
            AvailabilityZone=spec["az"],
            TagSpecifications=tag_specifications("subnet", spec["tags"]),
            aws_retry=True,
        )["Subnet"]
        self.ids["subnet"][change.name] = subnet["SubnetId"]

    def update_subnet(self, change):
        self._tag("subnet", change)

    def delete_subnet(self, change):
        ec2.ignore_not_found(self.client.delete_subnet, SubnetId=change.ref["id"], aws_retry=True)

    # -- NAT gateways and their addresses
    def create_nat_gateway(self, change):
        allocation_id = self._address_for(change.name, change.after["tags"])
        nat = self.client.create_nat_gateway(
            SubnetId=self._id("subnet", change.after["subnet"]),
            AllocationId=allocation_id,
            TagSpecifications=tag_specifications("natgateway", change.after["tags"]),
            ClientToken=str(uuid.uuid4()),
            aws_retry=True,
        )["NatGateway"]
        self.ids["nat_gateway"][change.name] = nat["NatGatewayId"]

    def _address_for(self, name, tags):
        """An Elastic IP for a NAT: the stack's unused one of that Name (left by a failed run), else a new one."""
        if self._spare_addresses is None:  # read once, only when a NAT is to be created
            found = ec2.describe_addresses(self.client, stack_filters(self.stack, model.TIER))
            self._spare_addresses = dict((tag_dict(a.get("Tags")).get("Name"), a["AllocationId"]) for a in found if not a.get("AssociationId"))
        if name in self._spare_addresses:
            return self._spare_addresses.pop(name)
        address = self.client.allocate_address(Domain="vpc", TagSpecifications=tag_specifications("elastic-ip", tags), aws_retry=True)
        return address["AllocationId"]

    def wait_nat_available(self, changes):
        nat_ids = [self._id("nat_gateway", change.name) for change in changes]
        wait(self.client, "nat_gateway_available", self.timeout, NatGatewayIds=nat_ids)

    def update_nat_gateway(self, change):
        self._tag("nat_gateway", change)

    def delete_nat_gateway(self, change):
        ec2.ignore_not_found(self.client.delete_nat_gateway, NatGatewayId=change.ref["id"], aws_retry=True)

    def release_after_nat_deleted(self, changes):
        wait(self.client, "nat_gateway_deleted", self.timeout, NatGatewayIds=[change.ref["id"] for change in changes])
        for change in changes:
            for allocation_id in change.ref.get("allocation_ids", []):
                ec2.ignore_not_found(self.client.release_address, AllocationId=allocation_id, aws_retry=True)

    def delete_elastic_ip(self, change):
        ec2.ignore_not_found(self.client.release_address, AllocationId=change.ref["id"], aws_retry=True)

    # -- route tables
    def create_route_table(self, change):
        table = self.client.create_route_table(VpcId=self._vpc_id(), TagSpecifications=tag_specifications("route-table", change.after["tags"]), aws_retry=True)[
            "RouteTable"
        ]
        self.ids["route_table"][change.name] = table["RouteTableId"]
        self._set_routes(table["RouteTableId"], change.after["routes"], {})

    def update_route_table(self, change):
        self._tag("route_table", change)
        if "routes" in change.fields:
            self._set_routes(change.ref["id"], change.after["routes"], change.before["routes"])

    def _set_routes(self, table_id, want, have):
        for destination, target in sorted(want.items()):
            if destination not in have:
                self.client.create_route(RouteTableId=table_id, DestinationCidrBlock=destination, aws_retry=True, **self._target(target))
            elif have[destination] != target:
                self.client.replace_route(RouteTableId=table_id, DestinationCidrBlock=destination, aws_retry=True, **self._target(target))
        for destination in sorted(set(have) - set(want)):
            ec2.ignore_not_found(self.client.delete_route, RouteTableId=table_id, DestinationCidrBlock=destination, aws_retry=True)

    def delete_route_table(self, change):
        for association_id in change.ref.get("association_ids", []):  # gone with their subnets on AWS, not always on moto
            ec2.ignore_not_found(self.client.disassociate_route_table, AssociationId=association_id, aws_retry=True)
        ec2.ignore_not_found(self.client.delete_route_table, RouteTableId=change.ref["id"], aws_retry=True)

    def create_route_table_association(self, change):
        self.client.associate_route_table(
            RouteTableId=self._id("route_table", change.after["route_table"]), SubnetId=self._id("subnet", change.name), aws_retry=True
        )

    def update_route_table_association(self, change):
        self.client.replace_route_table_association(
            AssociationId=change.ref["id"], RouteTableId=self._id("route_table", change.after["route_table"]), aws_retry=True
        )

    # -- network ACLs
    def create_network_acl(self, change):
        acl = self.client.create_network_acl(VpcId=self._vpc_id(), TagSpecifications=tag_specifications("network-acl", change.after["tags"]), aws_retry=True)[
            "NetworkAcl"
        ]
        self.ids["network_acl"][change.name] = acl["NetworkAclId"]
        self._set_entries(acl["NetworkAclId"], change.after["entries"], [])

    def update_network_acl(self, change):
        self._tag("network_acl", change)
        if "entries" in change.fields:
            self._set_entries(change.ref["id"], change.after["entries"], change.before["entries"])

    def _set_entries(self, acl_id, want, have):
        have_by_rule = dict(((entry[0], entry[1]), entry) for entry in have)
        want_by_rule = dict(((entry[0], entry[1]), entry) for entry in want)
        for key, entry in sorted(want_by_rule.items()):
            direction, number, proto, low, high, cidr, action = entry
            params = dict(
                NetworkAclId=acl_id,
                RuleNumber=number,
                Egress=direction == "out",
                RuleAction=action,
                CidrBlock=cidr,
                Protocol={"tcp": "6", "udp": "17", "all": "-1"}.get(proto, proto),
            )
            if proto != "all":
                params["PortRange"] = {"From": low, "To": high}
            if key not in have_by_rule:
                self.client.create_network_acl_entry(aws_retry=True, **params)
            elif have_by_rule[key] != entry:
                self.client.replace_network_acl_entry(aws_retry=True, **params)
        for direction, number in sorted(set(have_by_rule) - set(want_by_rule)):
            ec2.ignore_not_found(self.client.delete_network_acl_entry, NetworkAclId=acl_id, RuleNumber=number, Egress=direction == "out", aws_retry=True)

    def delete_network_acl(self, change):
        # Hand any subnet still on it back to the VPC's default ACL (moto keeps deleted subnets' associations).
        default_acl = self.have.get("default_network_acl_id")
        for association_id in change.ref.get("association_ids", []) if default_acl else []:
            ec2.ignore_not_found(self.client.replace_network_acl_association, AssociationId=association_id, NetworkAclId=default_acl, aws_retry=True)
        ec2.ignore_not_found(self.client.delete_network_acl, NetworkAclId=change.ref["id"], aws_retry=True)

    def create_network_acl_association(self, change):
        # A new subnet sits on the VPC's default ACL; its association ID is read once for all new subnets.
        if self._nacl_associations is None:
            acls = ec2.describe_network_acls(self.client, [{"Name": "vpc-id", "Values": [self._vpc_id()]}])
            self._nacl_associations = dict((a["SubnetId"], a["NetworkAclAssociationId"]) for acl in acls for a in acl.get("Associations", []))
        association_id = self._nacl_associations[self._id("subnet", change.name)]
        self.client.replace_network_acl_association(
            AssociationId=association_id, NetworkAclId=self._id("network_acl", change.after["network_acl"]), aws_retry=True
        )

    def update_network_acl_association(self, change):
        self.client.replace_network_acl_association(
            AssociationId=change.ref["id"], NetworkAclId=self._id("network_acl", change.after["network_acl"]), aws_retry=True
        )

    # -- security groups
    def create_security_group(self, change):
        group = self.client.create_security_group(
            GroupName=change.name,
            Description=change.after["description"],
            VpcId=self._vpc_id(),
            TagSpecifications=tag_specifications("security-group", change.after["tags"]),
            aws_retry=True,
        )
        self.ids["security_group"][change.name] = group["GroupId"]

    def update_security_group(self, change):
        self._tag("security_group", change)

    def delete_security_group(self, change):
        ec2.ignore_not_found(self.client.delete_security_group, GroupId=change.ref["id"], aws_retry=True)

    def _group_id(self, name):
        if name == model.DEFAULT_SG and name not in self.ids["security_group"]:
            found = ec2.describe_security_groups(self.client, [{"Name": "vpc-id", "Values": [self._vpc_id()]}, {"Name": "group-name", "Values": ["default"]}])
            self.ids["security_group"][name] = found[0]["GroupId"]
        return self.ids["security_group"][name]

    def update_security_group_rules(self, change):
        group_id = self._group_id(change.name)
        for direction in ("ingress", "egress"):
            want, have = change.after[direction], change.before[direction]
            add = [rule for rule in want if rule not in have]
            drop = [rule for rule in have if rule not in want]
            verb = "authorize_security_group_" + direction
            if drop:
                self._revoke(group_id, direction, drop)
            if add:
                getattr(self.client, verb)(GroupId=group_id, IpPermissions=self._permissions(add), aws_retry=True)

    def _revoke(self, group_id, direction, rules):
        revoke = getattr(self.client, "revoke_security_group_" + direction)
        ec2.ignore_not_found(revoke, GroupId=group_id, IpPermissions=self._permissions(rules), aws_retry=True)

    def delete_security_group_references(self, change):
        for direction in ("ingress", "egress"):
            rules = [rule for rule in change.ref[direction] if rule[3].startswith("sg:")]
            if rules:
                self._revoke(change.ref["id"], direction, rules)


def network_settings(params):
    settings = dict((key, params[key]) for key in SETTINGS if params.get(key) is not None)
    settings["region"] = params.get("region")
    return settings


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        vpc_cidr=dict(type="str"),
        availability_zones=dict(type="list", elements="str", default=[]),
        az_count=dict(type="int", default=2),
        subnet_newbits=dict(type="int", default=5),
        subnets=dict(type="dict"),
        nat_mode=dict(type="str", choices=["per_az", "single", "none"], default="per_az"),
        resilience=dict(type="str", choices=["ha", "cost"], default="ha"),
        alb_listener_ports=dict(type="list", elements="int", default=[80, 443]),
        alb_ingress_cidrs=dict(type="list", elements="str", default=["0.0.0.0/0"]),
        frontend_port=dict(type="int", default=8080),
        internal_alb_port=dict(type="int", default=80),
        backend_port=dict(type="int", default=8081),
        database_port=dict(type="int", default=5432),
        restrict_default_security_group=dict(type="bool", default=True),
        tags=dict(type="dict", default={}),
        wait_timeout=dict(type="int", default=900),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True, required_if=[("state", "present", ["vpc_cidr"])])
    params = module.params
    cfg = network_settings(params)
    if params["state"] == "present":
        errors = validate_network(cfg)
        if errors:  # before any AWS call
            module.fail_json(msg="Invalid network settings: " + "; ".join(errors), errors=errors)

    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=ec2.EVENTUAL_CODES))
    try:
        raw = read_network(client, params["stack"], with_addresses=params["state"] == "absent")
        have = model.actual_network(raw, params["stack"])
        if params["state"] == "present":
            existing = [spec["az"] for spec in have["subnet"].values()]
            azs = params["availability_zones"]
            if not azs and len(set(existing)) < params["az_count"]:
                available = [zone["ZoneName"] for zone in ec2.describe_availability_zones(client)]
                azs = model.choose_azs(params["az_count"], [], existing, available)
            azs = model.choose_azs(params["az_count"], azs, existing, [])
            if len(azs) < params["az_count"]:
                module.fail_json(msg="az_count: %d AZs wanted but the region offers %d (%s)" % (params["az_count"], len(azs), ", ".join(azs)))
            plan = model.plan_network(model.desired_network(cfg, azs), have)
        else:
            plan = model.plan_teardown(have)
        applier = NetworkApplier(module, client, params["stack"], have)
        plan.apply(applier.handlers(), applier.finishers(), check_mode=module.check_mode)
    except model.NetworkPlanError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, botocore.exceptions.WaiterError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the network of stack %s" % params["stack"])

    gone = params["state"] == "absent" and not module.check_mode
    result = dict(changed=plan.changed, plan=plan.as_list(), plan_text=plan.render(), network=model.summarize_ids({} if gone else applier.ids))
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
