# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network of one stack as plain data: settings, their checks, what is wanted, what exists, the plan between.

No AWS call and no Ansible here. ``validate_params`` checks the module's options before any AWS
call (``validate_network`` the same settings under the role's variable names). ``desired_network``
turns the settings into descriptions keyed by kind and Name; ``actual_network`` turns describe answers into the same shape (plus IDs);
``plan_network`` and ``plan_teardown`` order the changes so each step's dependencies exist.
Descriptions hold only comparable values, so a rerun that finds everything in place
yields an empty plan, and check and diff mode read like a review.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import ipv4_network
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_cidr
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_log_retention
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_port
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_region
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_resources
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import options_set
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_LAYER
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_NAME
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import belongs_to
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict

TIER = "network"
LAYERS = ("public", "app", "data")
SLOTS_PER_LAYER = 8  # computed subnet slot = layer index * 8 + AZ index: AZs can be added later
ANYWHERE = "0.0.0.0/0"
EPHEMERAL = (1024, 65535)
DEFAULT_SG = "default"
# Kinds in the order they are created; teardown walks them backwards.
KINDS = (
    "vpc",
    "internet_gateway",
    "subnet",
    "nat_gateway",
    "route_table",
    "route_table_association",
    "network_acl",
    "network_acl_association",
    "security_group",
    "security_group_rules",
)
# The security-group chain: (component, description).
SECURITY_GROUPS = (
    ("alb-public", "public ALB: listener ports from the allowed CIDRs"),
    ("frontend", "front-end instances: app port from the public ALB only"),
    ("alb-internal", "internal ALB: listener port from the front-end only"),
    ("backend", "back-end instances: app port from the internal ALB only"),
    ("database", "database: DB port from the back-end only"),
)

NAT_MODES = ("per_az", "single", "none")
RESILIENCE_LEVELS = ("ha", "cost")
MIN_AZS, MAX_AZS = 2, 6
# Computed subnets sit in slots layer * 8 + AZ index, so 5 extra prefix bits are the least.
MIN_SUBNET_NEWBITS = 5


class NetworkPlanError(TierError):
    """The wanted network cannot be reached from the one that exists without losing something."""


# ---------------------------------------------------------------- settings


def settings_of(params):
    """The module's options as the settings the model reads (unset ones left out), with the region."""
    settings = options_set(params)
    settings["region"] = params.get("region")
    return settings


def validate_params(params):
    """The module's checks: a network to build is checked whole; a teardown needs only the stack."""
    return validate_network(settings_of(params)) if params.get("state") == "present" else []


def validate_network(settings, prefix=""):
    """Check the network tier's settings; returns the list of problems found."""

    def v(option):  # the variable's name as the user wrote it
        return prefix + option

    errors = validate_stack_name(settings.get("stack"), v("stack"))
    errors += validate_region(settings.get("region"), v("region"))
    errors += validate_tags(settings.get("tags"), v("tags"))
    errors += _validate_resilience(settings, v)
    az_count, az_errors = _validate_azs(settings, v)
    errors += az_errors
    errors += _validate_addresses(settings, az_count, v)
    errors += _validate_ports(settings, v)
    errors += validate_log_retention(settings.get("flow_log_retention_days"), v("flow_log_retention_days"))
    return errors


def _validate_resilience(settings, v):
    errors = []
    resilience = settings.get("resilience", "ha")
    nat_mode = settings.get("nat_mode", "per_az")
    if resilience not in RESILIENCE_LEVELS:
        errors.append("%s: %r is not a resilience level; use one of %s" % (v("resilience"), resilience, ", ".join(RESILIENCE_LEVELS)))
    if nat_mode not in NAT_MODES:
        errors.append("%s: %r is not a NAT mode; use one of %s" % (v("nat_mode"), nat_mode, ", ".join(NAT_MODES)))
    elif resilience == "ha" and nat_mode != "per_az":
        errors.append(
            "%s: %r leaves the app subnets of all but one AZ without their own way out; "
            "with %s=ha use per_az (or set %s=cost)" % (v("nat_mode"), nat_mode, v("resilience"), v("resilience"))
        )
    return errors


def _validate_azs(settings, v):
    """(the number of AZs the settings ask for, the problems found)."""
    errors = []
    zones = settings.get("availability_zones") or []
    az_count = len(zones) if zones else settings.get("az_count", 2)
    if zones:
        if len(set(zones)) != len(zones):
            errors.append("%s: %s lists an AZ twice; list each AZ once" % (v("availability_zones"), zones))
        region = settings.get("region")
        foreign = [zone for zone in zones if region and not str(zone).startswith(region)]
        if foreign:
            errors.append("%s: %s are not AZs of region %s" % (v("availability_zones"), ", ".join(foreign), region))
    if not isinstance(az_count, int) or isinstance(az_count, bool) or not 1 <= az_count <= MAX_AZS:
        errors.append("%s: %r is out of range; use %d to %d AZs" % (v("az_count"), az_count, MIN_AZS, MAX_AZS))
    elif az_count < MIN_AZS and settings.get("resilience", "ha") == "ha":
        errors.append(
            "%s: one AZ cannot survive the loss of that AZ; an HA stack needs %d to %d AZs (or %s=cost)" % (v("az_count"), MIN_AZS, MAX_AZS, v("resilience"))
        )
    return az_count, errors


def _validate_addresses(settings, az_count, v):
    """The VPC's CIDR and the subnets' (computed or given)."""
    errors = []
    vpc = ipv4_network(settings.get("vpc_cidr"))
    if vpc is None:
        errors.append("%s: %r is not an IPv4 network in CIDR form (for example 10.20.0.0/16, host bits zero)" % (v("vpc_cidr"), settings.get("vpc_cidr")))
    elif not 16 <= vpc.prefixlen <= 24:
        errors.append("%s: /%d is outside what a VPC takes for three layers of subnets; use /16 to /24" % (v("vpc_cidr"), vpc.prefixlen))
    subnets = settings.get("subnets") or {}
    if vpc is not None and not subnets:
        newbits = settings.get("subnet_newbits", MIN_SUBNET_NEWBITS)
        if not isinstance(newbits, int) or newbits < MIN_SUBNET_NEWBITS or vpc.prefixlen + newbits > 28:
            errors.append(
                "%s: %r does not fit; computed subnets need at least %d extra bits and at most /28 subnets (the VPC is /%d)"
                % (v("subnet_newbits"), newbits, MIN_SUBNET_NEWBITS, vpc.prefixlen)
            )
    return errors + _validate_subnets(subnets, vpc, az_count, v("subnets"))


def _validate_ports(settings, v):
    errors = []
    for option in ("frontend_port", "backend_port", "internal_alb_port", "database_port"):
        if option in settings:
            errors += validate_port(settings[option], v(option))
    for port in settings.get("alb_listener_ports") or []:
        errors += validate_port(port, v("alb_listener_ports"))
    app_ports = [settings.get(option) for option in ("frontend_port", "backend_port") if option in settings]
    if len(app_ports) == 2 and app_ports[0] == app_ports[1]:
        errors.append("%s: the back-end port equals the front-end port; give each tier its own" % v("backend_port"))
    for cidr in settings.get("alb_ingress_cidrs") or []:
        errors += validate_cidr(cidr, v("alb_ingress_cidrs"))
    return errors


def _validate_subnets(subnets, vpc, az_count, name):
    errors = []
    unknown = sorted(set(subnets) - set(LAYERS))
    if unknown:
        errors.append("%s: unknown layer(s) %s; the layers are %s" % (name, ", ".join(unknown), ", ".join(LAYERS)))
    if subnets and set(LAYERS) - set(subnets):
        errors.append("%s: give the CIDRs of every layer (%s) or of none" % (name, ", ".join(LAYERS)))
    seen = {}
    for layer in LAYERS:
        cidrs = subnets.get(layer) or []
        if subnets and len(cidrs) != az_count:
            errors.append("%s.%s: %d CIDR(s) for %s AZs; give one per AZ" % (name, layer, len(cidrs), az_count))
        for cidr in cidrs:
            net = ipv4_network(cidr)
            where = "%s.%s" % (name, layer)
            if net is None:
                errors.append("%s: %r is not an IPv4 network in CIDR form" % (where, cidr))
                continue
            if net.prefixlen > 28:
                errors.append("%s: %s is too small; AWS subnets are /16 to /28" % (where, cidr))
            if vpc is not None and not net.subnet_of(vpc):
                errors.append("%s: %s lies outside the VPC %s" % (where, cidr, vpc))
            for other, other_where in seen.items():
                if net == other:
                    errors.append("%s: %s is listed twice (also in %s)" % (where, cidr, other_where))
                elif net.overlaps(other):
                    errors.append("%s: %s overlaps %s (in %s)" % (where, cidr, other, other_where))
            seen[net] = where
    return errors


# ---------------------------------------------------------------- desired state


def subnet_cidrs(vpc_cidr, az_count, newbits, explicit=None):
    """{layer: [CIDR per AZ]}: the given ones, or slots of the VPC that never move when AZs are added."""
    if explicit:
        return {layer: list(explicit[layer]) for layer in LAYERS}
    vpc = ipaddress.IPv4Network(vpc_cidr)
    prefix = vpc.prefixlen + newbits
    size = 2 ** (32 - prefix)
    base = int(vpc.network_address)
    return {
        layer: [str(ipaddress.IPv4Network((base + (index * SLOTS_PER_LAYER + az) * size, prefix))) for az in range(az_count)]
        for index, layer in enumerate(LAYERS)
    }


def choose_azs(az_count, explicit, existing, available):
    """The AZs to use: the given list; else those the stack already uses, topped up in name order."""
    if explicit:
        return list(explicit)
    chosen = sorted(set(existing))[:az_count]
    for zone in sorted(available):
        if len(chosen) >= az_count:
            break
        if zone not in chosen:
            chosen.append(zone)
    return chosen


def _tcp(port_from, port_to, peer):
    return ["tcp", port_from, port_to, peer]


def _nacl_entries(direction, rules):
    """Number a direction's (protocol, from, to, cidr) rules 100, 110, ... in order."""
    return [[direction, 100 + 10 * index, proto, low, high, cidr, "allow"] for index, (proto, low, high, cidr) in enumerate(rules)]


def network_acl_entries(cfg, cidrs):
    """Stateless rules per layer: what crosses each subnet border, and the return traffic."""
    vpc = cfg["vpc_cidr"]
    low, high = EPHEMERAL
    web = [("tcp", port, port, cidr) for port in sorted(cfg["alb_listener_ports"]) for cidr in cfg["alb_ingress_cidrs"]]
    public = _nacl_entries("in", web + [("tcp", 80, 80, vpc), ("tcp", 443, 443, vpc), ("tcp", low, high, ANYWHERE)])
    public += _nacl_entries("out", [("tcp", 80, 80, ANYWHERE), ("tcp", 443, 443, ANYWHERE), ("tcp", low, high, ANYWHERE)])
    app_ports = sorted({cfg["frontend_port"], cfg["internal_alb_port"], cfg["backend_port"]})
    app = _nacl_entries("in", [("tcp", port, port, vpc) for port in app_ports] + [("tcp", low, high, ANYWHERE)])
    app += _nacl_entries(
        "out",
        [("tcp", 80, 80, ANYWHERE), ("tcp", 443, 443, ANYWHERE)]
        + [("tcp", cfg["database_port"], cfg["database_port"], cidr) for cidr in cidrs["data"]]
        + [("tcp", port, port, vpc) for port in app_ports]
        + [("tcp", low, high, vpc)],
    )
    data = _nacl_entries("in", [("tcp", cfg["database_port"], cfg["database_port"], cidr) for cidr in cidrs["app"]])
    data += _nacl_entries("out", [("tcp", low, high, cidr) for cidr in cidrs["app"]])
    return {"public": public, "app": app, "data": data}


def security_group_rules(cfg, stack):
    """The least-privilege chain; peers are CIDRs or sg:<Name> of a group of the chain."""
    sg = stack_names.network(stack)["security_group"]

    def peer(component):
        return "sg:" + sg(component)

    outbound = [_tcp(80, 80, ANYWHERE), _tcp(443, 443, ANYWHERE)]  # packages, registry, CloudWatch, SSM via NAT
    fp, ip, bp, dp = cfg["frontend_port"], cfg["internal_alb_port"], cfg["backend_port"], cfg["database_port"]
    return {
        "alb-public": {
            "ingress": [_tcp(port, port, cidr) for port in sorted(cfg["alb_listener_ports"]) for cidr in cfg["alb_ingress_cidrs"]],
            "egress": [_tcp(fp, fp, peer("frontend"))],
        },
        "frontend": {"ingress": [_tcp(fp, fp, peer("alb-public"))], "egress": [_tcp(ip, ip, peer("alb-internal"))] + outbound},
        "alb-internal": {"ingress": [_tcp(ip, ip, peer("frontend"))], "egress": [_tcp(bp, bp, peer("backend"))]},
        "backend": {"ingress": [_tcp(bp, bp, peer("alb-internal"))], "egress": [_tcp(dp, dp, peer("database"))] + outbound},
        "database": {"ingress": [_tcp(dp, dp, peer("backend"))], "egress": []},
    }


def _sorted_rules(rules):
    return sorted(rules, key=lambda rule: [str(part) for part in rule])


def desired_network(cfg, azs):
    """The whole network of ``cfg['stack']`` over ``azs``, as {kind: {Name: description}}."""
    stack, extra = cfg["stack"], cfg.get("tags") or {}
    n = stack_names.network(stack)

    def tags(name, **labels):
        return stack_tags(stack, TIER, name, extra, **labels)

    cidrs = subnet_cidrs(cfg["vpc_cidr"], len(azs), cfg.get("subnet_newbits", 5), cfg.get("subnets"))
    want = dict((kind, {}) for kind in KINDS)

    want["vpc"][n["vpc"]] = {"cidr": cfg["vpc_cidr"], "tags": tags(n["vpc"])}
    want["internet_gateway"][n["internet_gateway"]] = {"attached": True, "tags": tags(n["internet_gateway"])}
    for layer in LAYERS:
        for index, az in enumerate(azs):
            name = n["subnet"](layer, az)
            want["subnet"][name] = {"cidr": cidrs[layer][index], "az": az, "layer": layer, "tags": tags(name, layer=layer)}

    nat_mode = cfg.get("nat_mode", "per_az")
    nat_azs = {"per_az": list(azs), "single": list(azs[:1]), "none": []}[nat_mode]
    for az in nat_azs:
        name = n["nat_gateway"](az)
        want["nat_gateway"][name] = {"subnet": n["subnet"]("public", az), "az": az, "tags": tags(name, layer="public")}

    public_rt = n["route_table"]("public")
    want["route_table"][public_rt] = {"routes": {ANYWHERE: "internet_gateway/" + n["internet_gateway"]}, "tags": tags(public_rt, layer="public")}
    for az in azs:
        name = n["route_table"]("app", az)
        nat_az = az if nat_mode == "per_az" else (azs[0] if nat_mode == "single" else None)
        routes = {ANYWHERE: "nat_gateway/" + n["nat_gateway"](nat_az)} if nat_az else {}
        want["route_table"][name] = {"routes": routes, "tags": tags(name, layer="app")}
    data_rt = n["route_table"]("data")
    want["route_table"][data_rt] = {"routes": {}, "tags": tags(data_rt, layer="data")}  # local only: no way out
    for subnet, spec in want["subnet"].items():
        table = n["route_table"]("app", spec["az"]) if spec["layer"] == "app" else n["route_table"](spec["layer"])
        want["route_table_association"][subnet] = {"route_table": table}

    for layer, entries in network_acl_entries(cfg, cidrs).items():
        name = n["network_acl"](layer)
        want["network_acl"][name] = {"entries": sorted(entries), "tags": tags(name, layer=layer)}
    for subnet, spec in want["subnet"].items():
        want["network_acl_association"][subnet] = {"network_acl": n["network_acl"](spec["layer"])}

    for component, description in SECURITY_GROUPS:
        name = n["security_group"](component)
        want["security_group"][name] = {"description": description, "tags": tags(name, component=component)}
    for component, rules in security_group_rules(cfg, stack).items():
        want["security_group_rules"][n["security_group"](component)] = {key: _sorted_rules(value) for key, value in rules.items()}
    if cfg.get("restrict_default_security_group", True):
        want["security_group_rules"][DEFAULT_SG] = {"ingress": [], "egress": []}  # CIS: the default group allows nothing
    return want


# ---------------------------------------------------------------- actual state


def _named(resources, stack, id_key, kind=None, duplicates=None, dependents=None):
    """{Name: (resource, tags)} of the stack's network resources.

    Two carrying the same Name (an answer lost after the create took effect, then a retry) are never
    resolved silently: the one holding the most ``dependents(resource)`` is adopted (the first found among
    equals) and each other one is added to ``duplicates`` with its own count of dependents.
    """
    candidates = {}
    for resource in resources:
        tags = tag_dict(resource.get("Tags"))
        if belongs_to(tags, stack, TIER) and tags.get(TAG_NAME):
            candidates.setdefault(tags[TAG_NAME], []).append((resource, tags))
    found = {}
    for name, same_name in candidates.items():
        ranked = sorted(same_name, key=lambda candidate: -dependents(candidate[0])) if dependents else same_name  # stable: first among equals
        found[name] = ranked[0]
        for resource, _tags in ranked[1:]:
            if duplicates is not None:
                held = dependents(resource) if dependents else 0
                duplicates.append({"kind": kind, "name": name, "id": resource[id_key], "kept": ranked[0][0][id_key], "dependents": held, "resource": resource})
    return found


def _dependents(raw):
    """fn(resource) -> how many of the stack's other resources use it, by kind: what makes a duplicate the one to keep."""
    subnets_by_vpc, nats_by_subnet, subnet_tables = {}, {}, {}
    for subnet in raw.get("subnets", []):
        subnets_by_vpc[subnet.get("VpcId")] = subnets_by_vpc.get(subnet.get("VpcId"), 0) + 1
    for nat in raw.get("nat_gateways", []):
        nats_by_subnet[nat.get("SubnetId")] = nats_by_subnet.get(nat.get("SubnetId"), 0) + 1
    for table in raw.get("route_tables", []):
        for association in table.get("Associations", []):
            if association.get("SubnetId"):
                subnet_tables[association["SubnetId"]] = subnet_tables.get(association["SubnetId"], 0) + 1

    def associations(resource):
        return sum(1 for association in resource.get("Associations", []) if association.get("SubnetId"))

    return {
        "vpc": lambda vpc: subnets_by_vpc.get(vpc["VpcId"], 0),
        "internet_gateway": lambda igw: len(igw.get("Attachments", [])),
        "subnet": lambda subnet: nats_by_subnet.get(subnet["SubnetId"], 0) + subnet_tables.get(subnet["SubnetId"], 0),
        "nat_gateway": lambda nat: sum(
            1 for table in raw.get("route_tables", []) for route in table.get("Routes", []) if route.get("NatGatewayId") == nat["NatGatewayId"]
        ),
        "route_table": lambda table: associations(table) + sum(1 for route in table.get("Routes", []) if route.get("GatewayId") != "local"),
        "network_acl": associations,
        "security_group": lambda group: 0,
        "elastic_ip": lambda address: 1 if address.get("AssociationId") else 0,
    }


def _duplicate_spec(duplicate):
    """What the delete handler of the duplicate's kind needs: its ID, and what must go before it."""
    resource = duplicate["resource"]
    spec = {"id": duplicate["id"], "duplicate_of": duplicate["kept"], "dependents": duplicate["dependents"]}
    if duplicate["kind"] == "internet_gateway":
        spec["vpc_ids"] = [a["VpcId"] for a in resource.get("Attachments", [])]
    if duplicate["kind"] in ("route_table", "network_acl"):
        spec["association_ids"] = [
            a.get("RouteTableAssociationId") or a.get("NetworkAclAssociationId") for a in resource.get("Associations", []) if not a.get("Main")
        ]
    if duplicate["kind"] == "nat_gateway":
        spec["allocation_ids"] = [a["AllocationId"] for a in resource.get("NatGatewayAddresses", []) if a.get("AllocationId")]
    return spec


def duplicate_warnings(have):
    """One line per duplicate found: which was kept, and whether the other is deleted or left (and why)."""
    lines = []
    for kind, name, spec in have.get("duplicates", []):
        fate = (
            "deleting the empty one"
            if not spec["dependents"]
            else "leaving it, as %d of the stack's resources use it: move them and run again" % spec["dependents"]
        )
        lines.append(
            "%s %s: two carry the stack's tags, %s (kept, it holds the stack's resources) and %s; %s" % (kind, name, spec["duplicate_of"], spec["id"], fate)
        )
    return lines


def _permission_rules(permissions, group_names):
    rules = []
    for perm in permissions:
        proto = perm.get("IpProtocol", "-1")
        proto = "all" if proto == "-1" else proto
        low, high = perm.get("FromPort", -1 if proto == "all" else 0), perm.get("ToPort", -1 if proto == "all" else 0)
        for ip_range in perm.get("IpRanges", []):
            rules.append([proto, low, high, ip_range["CidrIp"]])
        for ip_range in perm.get("Ipv6Ranges", []):
            rules.append([proto, low, high, ip_range["CidrIpv6"]])
        for pair in perm.get("UserIdGroupPairs", []):
            rules.append([proto, low, high, "sg:" + group_names.get(pair["GroupId"], pair["GroupId"])])
        for prefix in perm.get("PrefixListIds", []):
            rules.append([proto, low, high, "pl:" + prefix["PrefixListId"]])
    return _sorted_rules(rules)


def _nacl_entry(entry):
    proto = {"6": "tcp", "17": "udp", "-1": "all"}.get(str(entry["Protocol"]), str(entry["Protocol"]))
    ports = entry.get("PortRange") or {}
    return [
        "out" if entry["Egress"] else "in",
        entry["RuleNumber"],
        proto,
        ports.get("From", -1),
        ports.get("To", -1),
        entry.get("CidrBlock") or entry.get("Ipv6CidrBlock"),
        entry["RuleAction"],
    ]


def actual_network(raw, stack):
    """Describe answers -> {kind: {Name: description + ids}}, the same shape as desired_network."""
    have = dict((kind, {}) for kind in KINDS + ("elastic_ip",))
    duplicates, dependents = [], _dependents(raw)

    def named(kind, key, id_key):
        return _named(raw.get(key, []), stack, id_key, kind, duplicates, dependents[kind])

    ids = {}  # resource ID -> "kind/Name", to name route targets and rule peers
    for name, (vpc, tags) in named("vpc", "vpcs", "VpcId").items():
        have["vpc"][name] = {"cidr": vpc["CidrBlock"], "tags": tags, "id": vpc["VpcId"]}
    for name, (igw, tags) in named("internet_gateway", "internet_gateways", "InternetGatewayId").items():
        attached = [a["VpcId"] for a in igw.get("Attachments", []) if a.get("State") in ("available", "attached", "attaching")]
        have["internet_gateway"][name] = {"attached": bool(attached), "tags": tags, "id": igw["InternetGatewayId"], "vpc_ids": attached}
        ids[igw["InternetGatewayId"]] = "internet_gateway/" + name
    subnet_names = {}
    for name, (subnet, tags) in named("subnet", "subnets", "SubnetId").items():
        have["subnet"][name] = {
            "cidr": subnet["CidrBlock"],
            "az": subnet["AvailabilityZone"],
            "layer": tags.get(TAG_LAYER),
            "tags": tags,
            "id": subnet["SubnetId"],
        }
        subnet_names[subnet["SubnetId"]] = name
    live_nats = [nat for nat in raw.get("nat_gateways", []) if nat.get("State") in ("pending", "available")]
    for name, (nat, tags) in _named(live_nats, stack, "NatGatewayId", "nat_gateway", duplicates, dependents["nat_gateway"]).items():
        allocations = [a["AllocationId"] for a in nat.get("NatGatewayAddresses", []) if a.get("AllocationId")]
        have["nat_gateway"][name] = {
            "subnet": subnet_names.get(nat["SubnetId"], nat["SubnetId"]),
            "az": have["subnet"].get(subnet_names.get(nat["SubnetId"]), {}).get("az"),
            "tags": tags,
            "id": nat["NatGatewayId"],
            "allocation_ids": allocations,
        }
        ids[nat["NatGatewayId"]] = "nat_gateway/" + name
    _actual_route_tables(have, raw, stack, ids, subnet_names, named)
    in_use = set(a for nat in have["nat_gateway"].values() for a in nat["allocation_ids"])
    for name, (address, tags) in named("elastic_ip", "addresses", "AllocationId").items():
        if address["AllocationId"] not in in_use:  # left over from a NAT that failed or was deleted
            have["elastic_ip"][name] = {"tags": tags, "id": address["AllocationId"], "public_ip": address.get("PublicIp")}
    _actual_network_acls(have, raw, stack, subnet_names, named)
    groups = named("security_group", "security_groups", "GroupId")
    group_names = dict((group["GroupId"], name) for name, (group, _tags) in groups.items())
    group_names.update((group["GroupId"], DEFAULT_SG) for group in raw.get("security_groups", []) if group.get("GroupName") == "default")
    for name, (group, tags) in groups.items():
        have["security_group"][name] = {"description": group.get("Description"), "tags": tags, "id": group["GroupId"]}
        have["security_group_rules"][name] = _group_rules(group, group_names)
    for group in raw.get("security_groups", []):
        if group.get("GroupName") == "default":
            have["security_group_rules"][DEFAULT_SG] = _group_rules(group, group_names)
            have["security_group"].setdefault(DEFAULT_SG, {"id": group["GroupId"], "builtin": True})
    have["duplicates"] = [(duplicate["kind"], duplicate["name"], _duplicate_spec(duplicate)) for duplicate in duplicates]
    return have


def _actual_route_tables(have, raw, stack, ids, subnet_names, named):
    """The stack's route tables, their routes (targets named by ``ids``) and which subnet uses which."""
    for name, (table, tags) in named("route_table", "route_tables", "RouteTableId").items():
        routes = {}
        for route in table.get("Routes", []):
            if route.get("GatewayId") == "local" or not route.get("DestinationCidrBlock") or route.get("Origin") == "CreateRouteTable":
                continue
            target = route.get("GatewayId") or route.get("NatGatewayId") or route.get("NetworkInterfaceId") or route.get("InstanceId") or "blackhole"
            routes[route["DestinationCidrBlock"]] = ids.get(target, "other/" + target)
        associations = [a["RouteTableAssociationId"] for a in table.get("Associations", []) if not a.get("Main")]
        have["route_table"][name] = {"routes": routes, "tags": tags, "id": table["RouteTableId"], "association_ids": associations}
        for assoc in table.get("Associations", []):
            if assoc.get("SubnetId") in subnet_names:
                have["route_table_association"][subnet_names[assoc["SubnetId"]]] = {"route_table": name, "id": assoc["RouteTableAssociationId"]}
    # Subnets on the main table (no explicit association) are found for the association step.
    for table in raw.get("route_tables", []):
        if belongs_to(tag_dict(table.get("Tags")), stack, TIER):
            continue
        for assoc in table.get("Associations", []):
            if assoc.get("SubnetId") in subnet_names:
                have["route_table_association"][subnet_names[assoc["SubnetId"]]] = {
                    "route_table": "other/" + table["RouteTableId"],
                    "id": assoc["RouteTableAssociationId"],
                }


def _actual_network_acls(have, raw, stack, subnet_names, named):
    """The stack's network ACLs, their entries, which subnet uses which, and the VPC's default ACL."""
    nacl_names = {}
    for name, (nacl, tags) in named("network_acl", "network_acls", "NetworkAclId").items():
        entries = [_nacl_entry(e) for e in nacl.get("Entries", []) if e["RuleNumber"] < 32767]
        associations = [a["NetworkAclAssociationId"] for a in nacl.get("Associations", [])]
        have["network_acl"][name] = {"entries": sorted(entries), "tags": tags, "id": nacl["NetworkAclId"], "association_ids": associations}
        nacl_names[nacl["NetworkAclId"]] = name
    for nacl in raw.get("network_acls", []):
        for assoc in nacl.get("Associations", []):
            if assoc.get("SubnetId") in subnet_names:
                acl_name = nacl_names.get(nacl["NetworkAclId"], "other/" + nacl["NetworkAclId"])
                have["network_acl_association"][subnet_names[assoc["SubnetId"]]] = {"network_acl": acl_name, "id": assoc["NetworkAclAssociationId"]}
        if nacl.get("IsDefault"):
            have["default_network_acl_id"] = nacl["NetworkAclId"]


def _group_rules(group, group_names):
    return {
        "ingress": _permission_rules(group.get("IpPermissions", []), group_names),
        "egress": _permission_rules(group.get("IpPermissionsEgress", []), group_names),
        "id": group["GroupId"],
    }


# ---------------------------------------------------------------- comparing


def _tags_differ(want, have):
    return ["tags"] if missing_tags(want.get("tags", {}), have.get("tags", {})) else []


def _fixed(kind, name, want, have, fields):
    """Fields AWS cannot change in place: refuse rather than replace (replacing loses what runs there)."""
    for field in fields:
        if want.get(field) != have.get(field):
            raise NetworkPlanError(
                "%s %s has %s %s but %s is wanted; it cannot change in place. Move what uses it, "
                "delete it (state=absent or by hand) and run again" % (kind, name, field, have.get(field), want.get(field))
            )


def _compare(kind, fixed=(), fields=()):
    def compare(want, have, name=None):
        _fixed(kind, name, want, have, fixed)
        return sorted(set(_tags_differ(want, have)) | set(f for f in fields if want.get(f) != have.get(f)))

    return compare


COMPARE = {
    "vpc": _compare("vpc", fixed=("cidr",)),
    "internet_gateway": _compare("internet_gateway", fields=("attached",)),
    "subnet": _compare("subnet", fixed=("cidr", "az")),
    "nat_gateway": _compare("nat_gateway", fixed=("subnet",)),
    "route_table": _compare("route_table", fields=("routes",)),
    "route_table_association": _compare("route_table_association", fields=("route_table",)),
    "network_acl": _compare("network_acl", fields=("entries",)),
    "network_acl_association": _compare("network_acl_association", fields=("network_acl",)),
    "security_group": _compare("security_group"),
    "security_group_rules": _compare("security_group_rules", fields=("ingress", "egress")),
}


def _diff(kind, want, have, delete_extra=True):
    compare = COMPARE[kind]
    for name in want:
        if name in have:
            compare(want[name], have[name], name)  # raises first on a field that cannot change in place
    changes = diff_resources(kind, want, have, compare=compare, delete_extra=delete_extra)
    for change in changes:  # handlers act on IDs: keep the record found
        change.ref = have.get(change.name)
    return changes


NEW_GROUP_RULES = {"ingress": [], "egress": [["all", -1, -1, ANYWHERE]]}
NEW_DEFAULT_GROUP_RULES = {"ingress": [["all", -1, -1, "sg:" + DEFAULT_SG]], "egress": [["all", -1, -1, ANYWHERE]]}


def plan_network(want, have):
    """The ordered changes from ``have`` to ``want``: creates and updates forward, deletes last, backwards."""
    forward, deletes = [], {}
    for kind in KINDS:
        # Associations and rules exist for as long as their subnet or group: never "deleted" on their own.
        delete_extra = kind not in ("route_table_association", "network_acl_association", "security_group_rules")
        wanted = want[kind]
        found = have[kind]
        if kind == "security_group_rules":
            found = dict(found)
            for name in wanted:  # what AWS gives a new group: allow-all egress (and self-ingress for the default one)
                found.setdefault(name, dict(NEW_DEFAULT_GROUP_RULES if name == DEFAULT_SG else NEW_GROUP_RULES))
        if kind == "security_group":
            found = dict((name, spec) for name, spec in found.items() if not spec.get("builtin"))
        for change in _diff(kind, wanted, found, delete_extra):
            (deletes.setdefault(kind, []) if change.action == DELETE else forward).append(change)
    for kind, name, spec in have.get("duplicates", []):
        if not spec["dependents"]:  # an empty duplicate goes; one in use stays (duplicate_warnings names it)
            deletes.setdefault(kind, []).append(_duplicate_delete(kind, name, spec))
    plan = Plan(forward)
    for kind in TEARDOWN_ORDER:
        plan.extend(deletes.get(kind, []))
    return plan


# Deleting: NATs before their subnets, subnets before their tables and ACLs, groups last but the VPC.
TEARDOWN_ORDER = ("security_group_references", "security_group", "nat_gateway", "elastic_ip", "subnet", "route_table", "network_acl", "internet_gateway", "vpc")


def plan_teardown(have):
    """Delete everything of the stack's network, in an order AWS accepts."""
    plan = Plan()
    referencing = [
        name
        for name, rules in have["security_group_rules"].items()
        if name != DEFAULT_SG and any(rule[3].startswith("sg:") for rule in rules["ingress"] + rules["egress"])
    ]
    for name in referencing:  # groups referring to each other cannot be deleted until the references go
        plan.extend([Change(DELETE, "security_group_references", name, before=have["security_group_rules"][name], ref=have["security_group_rules"][name])])
    duplicates = {}
    for kind, name, spec in have.get("duplicates", []):
        duplicates.setdefault(kind, []).append(_duplicate_delete(kind, name, spec))
    for kind in TEARDOWN_ORDER[1:]:
        for name, spec in have[kind].items():
            if spec.get("builtin"):
                continue
            plan.extend([Change(DELETE, kind, name, before=spec, ref=spec)])
        plan.extend(duplicates.get(kind, []))
    return plan


def _duplicate_delete(kind, name, spec):
    return Change(DELETE, kind, "%s (duplicate %s)" % (name, spec["id"]), before=spec, ref=spec)


def summarize_ids(ids):
    """IDs by Name ({kind: {Name: ID}}), for the module's return value."""

    def pick(kind):
        return dict((name, value) for name, value in sorted(ids.get(kind, {}).items()) if value and name != DEFAULT_SG)

    return {
        "vpc_id": next(iter(pick("vpc").values()), None),
        "internet_gateway_id": next(iter(pick("internet_gateway").values()), None),
        "subnets": pick("subnet"),
        "nat_gateways": pick("nat_gateway"),
        "route_tables": pick("route_table"),
        "network_acls": pick("network_acl"),
        "security_groups": pick("security_group"),
    }
