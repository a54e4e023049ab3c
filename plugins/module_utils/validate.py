# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cross-field checks of the stack variables, as plain functions.

Each ``validate_<tier>(settings, prefix)`` returns a list of messages, each naming the
variable (``prefix`` + option) and the fix; an empty list means the settings are sound.
Types and choices are checked first by the role's ``meta/argument_specs.yml``; these
checks are what a type system cannot say. They run before any AWS call.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import LOG_RETENTION_DAYS
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import ipv4_network as _network
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_port
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_tags

LAYERS = ("public", "app", "data")
NAT_MODES = ("per_az", "single", "none")
RESILIENCE_LEVELS = ("ha", "cost")
MIN_AZS, MAX_AZS = 2, 6
# Computed subnets sit in slots layer * 8 + AZ index, so 5 extra prefix bits are the least.
MIN_SUBNET_NEWBITS = 5
__all__ = ["LOG_RETENTION_DAYS", "validate_port", "validate_stack_name", "validate_tags", "validate_network"]


def validate_network(settings, prefix=""):
    """Check the network tier's settings; returns the list of problems found."""

    def v(option):  # the variable's name as the user wrote it
        return prefix + option

    errors = validate_stack_name(settings.get("stack"), v("stack"))
    errors += validate_tags(settings.get("tags"), v("tags"))

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
    elif az_count < MIN_AZS and resilience == "ha":
        errors.append(
            "%s: one AZ cannot survive the loss of that AZ; an HA stack needs %d to %d AZs (or %s=cost)" % (v("az_count"), MIN_AZS, MAX_AZS, v("resilience"))
        )

    vpc = _network(settings.get("vpc_cidr"))
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
    errors += _validate_subnets(subnets, vpc, az_count, v("subnets"))

    for option in ("frontend_port", "backend_port", "internal_alb_port", "database_port"):
        if option in settings:
            errors += validate_port(settings[option], v(option))
    for port in settings.get("alb_listener_ports") or []:
        errors += validate_port(port, v("alb_listener_ports"))
    app_ports = [settings.get(option) for option in ("frontend_port", "backend_port") if option in settings]
    if len(app_ports) == 2 and app_ports[0] == app_ports[1]:
        errors.append("%s: the back-end port equals the front-end port; give each tier its own" % v("backend_port"))
    for cidr in settings.get("alb_ingress_cidrs") or []:
        if _network(cidr) is None:
            errors.append("%s: %r is not an IPv4 network in CIDR form" % (v("alb_ingress_cidrs"), cidr))

    retention = settings.get("flow_log_retention_days")
    if retention is not None and retention not in LOG_RETENTION_DAYS:
        errors.append(
            "%s: %r is not a CloudWatch Logs retention; use one of %s" % (v("flow_log_retention_days"), retention, ", ".join(map(str, LOG_RETENTION_DAYS)))
        )
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
            net = _network(cidr)
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
