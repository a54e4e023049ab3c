# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network's changes carried out, and the reconcile the module runs: read, plan, apply."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import uuid

from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_log_retention
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import Outcome
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_specifications
from ansible_collections.hatrading.aws.plugins.module_utils.network import flow_log
from ansible_collections.hatrading.aws.plugins.module_utils.network import model
from ansible_collections.hatrading.aws.plugins.module_utils.network import read


def flow_log_params(params, vpc_id=None):
    """The flow log step's parameters (vpc_flow_log's) from stack_network's ``flow_log`` option."""
    flow = params["flow_log"]
    return {
        "stack": params["stack"],
        "state": params["state"],
        "tier": "network",
        "name": flow.get("name") or "%s-vpc-flow-log" % params["stack"],
        "vpc_id": vpc_id,
        "log_group_name": flow.get("log_group_name"),
        "retention_days": flow.get("retention_days", 30),
        "traffic_type": flow.get("traffic_type", "ALL"),
        "max_aggregation_interval": flow.get("max_aggregation_interval", 600),
        "role_name": flow.get("role_name"),
        "retain_log_group": flow.get("retain_log_group", False),
        "tags": params.get("tags") or {},
    }


def validate_params(params):
    """The network's checks, and its flow log's (named ``flow_log.<option>``) when it has one."""
    errors = model.validate_params(params)
    if params.get("flow_log"):
        errors += validate_log_retention(params["flow_log"]["retention_days"], "flow_log.retention_days")
    return errors


def reconcile_with_flow_log(clients, params, run, outcome):
    """The network and, with ``flow_log``, its flow log in the same run (one module process fewer on every run).

    The flow log follows the VPC it logs: made after the network, deleted before it.
    """
    if not params.get("flow_log"):
        return reconcile(clients, params, run, outcome)
    present = params["state"] == "present"
    network, flow = Outcome(mask=outcome.mask), Outcome(mask=outcome.mask)

    def flow_step():
        vpc_id = network.result["network"].get("vpc_id") if present else None
        flow_log.reconcile(clients, flow_log_params(params, vpc_id), run, flow)

    steps = [("network", network, lambda: reconcile(clients, params, run, network)), ("flow log", flow, flow_step)]
    if not present:
        steps.reverse()
    try:
        for name, _part, step in steps:
            outcome.step = name
            step()
        outcome.step = None
    finally:  # a failure still reports the plan and the results so far
        outcome.plan = Plan([change for _name, part, _step in steps for change in part.plan.changes])
        outcome.result.update(network.result, flow_log=flow.result.get("flow_log", {}))
        outcome.warnings.extend(network.warnings + flow.warnings)


def reconcile(clients, params, run, outcome):
    """Read the stack's network, plan the way to the wanted one (or to none), apply it unless in check mode."""
    stack, present = params["stack"], params["state"] == "present"
    have = model.actual_network(read.read_network(clients.ec2, stack, with_addresses=not present), stack)
    if present:
        azs = _zones(clients.ec2, params, have)
        outcome.plan = model.plan_network(model.desired_network(model.settings_of(params), azs), have)
    else:
        outcome.plan = model.plan_teardown(have)
    outcome.warnings.extend(model.duplicate_warnings(have))
    applier = NetworkApplier(clients, stack, have, params["wait_timeout"], wait=params.get("wait", True))
    try:
        outcome.plan.apply(applier.handlers(), applier.finishers(), check_mode=run.check_mode)
    finally:
        outcome.warnings.extend(applier.warnings)
    gone = not present and not run.check_mode
    outcome.result["network"] = model.summarize_ids({} if gone else applier.ids)
    outcome.result["nat_gateways_pending"] = applier.pending_nats


def _zones(ec2, params, have):
    """The AZs to build over: the given ones, else those in use topped up from the region's (asked only when short)."""
    existing = [spec["az"] for spec in have["subnet"].values()]
    azs = params["availability_zones"]
    if not azs and len(set(existing)) < params["az_count"]:
        azs = model.choose_azs(params["az_count"], [], existing, read.available_zones(ec2))
    azs = model.choose_azs(params["az_count"], azs, existing, [])
    if len(azs) < params["az_count"]:
        raise model.NetworkPlanError("az_count: %d AZs wanted but the region offers %d (%s)" % (params["az_count"], len(azs), ", ".join(azs)))
    return azs


class NetworkApplier(Applier):
    """Carries out a network plan: one method per (kind, action), IDs kept by Name as they appear."""

    def __init__(self, clients, stack, have, timeout, wait=True):
        self.ec2 = clients.ec2
        self.stack = stack
        self.timeout = timeout
        self.wait = wait
        self.pending_nats = []  # created and not waited for (wait=false): a later stack_wait waits
        self.ids = dict((kind, dict((name, spec.get("id")) for name, spec in specs.items())) for kind, specs in have.items() if isinstance(specs, dict))
        self.have = have
        self._nacl_associations = None
        self._nat_addresses = set()  # allocated in this run for new NATs
        self._deleted_nats = set()
        self.warnings = []

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
            self.ec2.create_tags(Resources=[self._id(kind, change.name)], Tags=tag_list(missing))

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
        vpc = self.ec2.create_vpc(CidrBlock=change.after["cidr"], TagSpecifications=tag_specifications("vpc", change.after["tags"]))["Vpc"]
        self.ids["vpc"][change.name] = vpc["VpcId"]
        self.ec2.wait("vpc_available", self.timeout, VpcIds=[vpc["VpcId"]])
        # Private DNS names for instances and interface endpoints (one attribute per call).
        self.ec2.modify_vpc_attribute(VpcId=vpc["VpcId"], EnableDnsSupport={"Value": True})
        self.ec2.modify_vpc_attribute(VpcId=vpc["VpcId"], EnableDnsHostnames={"Value": True})

    def update_vpc(self, change):
        self._tag("vpc", change)

    def delete_vpc(self, change):
        self.ec2.delete_vpc(VpcId=change.ref["id"])

    def create_internet_gateway(self, change):
        igw = self.ec2.create_internet_gateway(TagSpecifications=tag_specifications("internet-gateway", change.after["tags"]))["InternetGateway"]
        self.ids["internet_gateway"][change.name] = igw["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=self._vpc_id())

    def update_internet_gateway(self, change):
        self._tag("internet_gateway", change)
        if "attached" in change.fields:
            self.ec2.attach_internet_gateway(InternetGatewayId=change.ref["id"], VpcId=self._vpc_id())

    def delete_internet_gateway(self, change):
        for vpc_id in change.ref.get("vpc_ids", []):
            self.ec2.detach_internet_gateway(InternetGatewayId=change.ref["id"], VpcId=vpc_id)
        self.ec2.delete_internet_gateway(InternetGatewayId=change.ref["id"])

    # -- subnets
    def create_subnet(self, change):
        spec = change.after
        subnet = self.ec2.create_subnet(
            VpcId=self._vpc_id(),
            CidrBlock=spec["cidr"],
            AvailabilityZone=spec["az"],
            TagSpecifications=tag_specifications("subnet", spec["tags"]),
        )["Subnet"]
        self.ids["subnet"][change.name] = subnet["SubnetId"]

    def update_subnet(self, change):
        self._tag("subnet", change)

    def delete_subnet(self, change):
        self.ec2.delete_subnet(SubnetId=change.ref["id"])

    # -- NAT gateways and their addresses
    def create_nat_gateway(self, change):
        allocation_id = self._address_for(change.name, change.after["tags"])
        nat = self.ec2.create_nat_gateway(
            SubnetId=self._id("subnet", change.after["subnet"]),
            AllocationId=allocation_id,
            TagSpecifications=tag_specifications("natgateway", change.after["tags"]),
            ClientToken=str(uuid.uuid4()),
        )["NatGateway"]
        self.ids["nat_gateway"][change.name] = nat["NatGatewayId"]

    def _address_for(self, name, tags):
        """A new Elastic IP for a NAT (idle ones of the stack are released once the NATs are up)."""
        address = self.ec2.allocate_address(Domain="vpc", TagSpecifications=tag_specifications("elastic-ip", tags))
        self._nat_addresses.add(address["AllocationId"])
        return address["AllocationId"]

    def wait_nat_available(self, changes):
        nat_ids = [self._id("nat_gateway", change.name) for change in changes]
        if self.wait:
            self.ec2.wait("nat_gateway_available", self.timeout, NatGatewayIds=nat_ids)
        else:
            self.pending_nats.extend(nat_ids)
        # the addresses of NATs still pending are held too (allocated in this run): only strays go
        self._release_idle_addresses()

    def _release_idle_addresses(self):
        """Release the stack's Elastic IPs no NAT holds: left by a failed run, or allocated twice when an answer was lost."""
        held = self._held_addresses()
        for address in read.unused_addresses(self.ec2, self.stack):
            if address["AllocationId"] not in held:
                self.ec2.release_address(AllocationId=address["AllocationId"])
                name = tag_dict(address.get("Tags")).get("Name")
                self.warnings.append("elastic_ip %s: %s carried the stack's tags but no NAT held it; released" % (name, address["AllocationId"]))

    def update_nat_gateway(self, change):
        self._tag("nat_gateway", change)

    def delete_nat_gateway(self, change):
        self.ec2.delete_nat_gateway(NatGatewayId=change.ref["id"])
        self._deleted_nats.add(change.ref["id"])

    def release_after_nat_deleted(self, changes):
        self.ec2.wait("nat_gateway_deleted", self.timeout, NatGatewayIds=[change.ref["id"] for change in changes])
        kept = self._held_addresses()  # a duplicate NAT may share its address with the NAT kept
        for change in changes:
            for allocation_id in change.ref.get("allocation_ids", []):
                if allocation_id not in kept:
                    self.ec2.release_address(AllocationId=allocation_id)

    def _held_addresses(self):
        """The allocation IDs of the NATs kept (not deleted) or created in this run."""
        kept = [nat for nat in self.have["nat_gateway"].values() if nat.get("id") not in self._deleted_nats]
        return self._nat_addresses | set(a for nat in kept for a in nat.get("allocation_ids", []))

    def delete_elastic_ip(self, change):
        self.ec2.release_address(AllocationId=change.ref["id"])

    # -- route tables
    def create_route_table(self, change):
        table = self.ec2.create_route_table(
            VpcId=self._vpc_id(), TagSpecifications=tag_specifications("route-table", change.after["tags"]), ClientToken=str(uuid.uuid4())
        )["RouteTable"]
        self.ids["route_table"][change.name] = table["RouteTableId"]
        self._set_routes(table["RouteTableId"], change.after["routes"], {})

    def update_route_table(self, change):
        self._tag("route_table", change)
        if "routes" in change.fields:
            self._set_routes(change.ref["id"], change.after["routes"], change.before["routes"])

    def _set_routes(self, table_id, want, have):
        for destination, target in sorted(want.items()):
            if destination not in have:
                self.ec2.create_route(RouteTableId=table_id, DestinationCidrBlock=destination, **self._target(target))
            elif have[destination] != target:
                self.ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock=destination, **self._target(target))
        for destination in sorted(set(have) - set(want)):
            self.ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock=destination)

    def delete_route_table(self, change):
        for association_id in change.ref.get("association_ids", []):  # gone with their subnets on AWS, not always on moto
            self.ec2.disassociate_route_table(AssociationId=association_id)
        self.ec2.delete_route_table(RouteTableId=change.ref["id"])

    def create_route_table_association(self, change):
        self.ec2.associate_route_table(RouteTableId=self._id("route_table", change.after["route_table"]), SubnetId=self._id("subnet", change.name))

    def update_route_table_association(self, change):
        self.ec2.replace_route_table_association(AssociationId=change.ref["id"], RouteTableId=self._id("route_table", change.after["route_table"]))

    # -- network ACLs
    def create_network_acl(self, change):
        acl = self.ec2.create_network_acl(
            VpcId=self._vpc_id(), TagSpecifications=tag_specifications("network-acl", change.after["tags"]), ClientToken=str(uuid.uuid4())
        )["NetworkAcl"]
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
                self.ec2.create_network_acl_entry(**params)
            elif have_by_rule[key] != entry:
                self.ec2.replace_network_acl_entry(**params)
        for direction, number in sorted(set(have_by_rule) - set(want_by_rule)):
            self.ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=number, Egress=direction == "out")

    def delete_network_acl(self, change):
        # Hand any subnet still on it back to the VPC's default ACL (moto keeps deleted subnets' associations).
        default_acl = self.have.get("default_network_acl_id")
        for association_id in change.ref.get("association_ids", []) if default_acl else []:
            self.ec2.replace_network_acl_association(AssociationId=association_id, NetworkAclId=default_acl, missing=None)
        self.ec2.delete_network_acl(NetworkAclId=change.ref["id"])

    def create_network_acl_association(self, change):
        # A new subnet sits on the VPC's default ACL; its association ID is read once for all new subnets.
        if self._nacl_associations is None:
            self._nacl_associations = read.acl_associations(self.ec2, self._vpc_id())
        association_id = self._nacl_associations[self._id("subnet", change.name)]
        self.ec2.replace_network_acl_association(AssociationId=association_id, NetworkAclId=self._id("network_acl", change.after["network_acl"]))

    def update_network_acl_association(self, change):
        self.ec2.replace_network_acl_association(AssociationId=change.ref["id"], NetworkAclId=self._id("network_acl", change.after["network_acl"]))

    # -- security groups
    def create_security_group(self, change):
        group = self.ec2.create_security_group(
            GroupName=change.name,
            Description=change.after["description"],
            VpcId=self._vpc_id(),
            TagSpecifications=tag_specifications("security-group", change.after["tags"]),
        )
        self.ids["security_group"][change.name] = group["GroupId"]

    def update_security_group(self, change):
        self._tag("security_group", change)

    def delete_security_group(self, change):
        self.ec2.delete_security_group(GroupId=change.ref["id"])

    def _group_id(self, name):
        if name == model.DEFAULT_SG and name not in self.ids["security_group"]:
            self.ids["security_group"][name] = read.default_group_id(self.ec2, self._vpc_id())
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
                getattr(self.ec2, verb)(GroupId=group_id, IpPermissions=self._permissions(add))

    def _revoke(self, group_id, direction, rules):
        getattr(self.ec2, "revoke_security_group_" + direction)(GroupId=group_id, IpPermissions=self._permissions(rules), missing=None)

    def delete_security_group_references(self, change):
        for direction in ("ingress", "egress"):
            rules = [rule for rule in change.ref[direction] if rule[3].startswith("sg:")]
            if rules:
                self._revoke(change.ref["id"], direction, rules)
