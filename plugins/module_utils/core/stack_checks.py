# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks across tiers, before any AWS call: what one tier opens, the next must listen on; ``ha`` means no single instance.

Each tier's own checks cannot see these: the network tier's security groups open the ports it is
given, the compute and database tiers listen on theirs, and a stack where they differ deploys
"successfully" and cannot work. ``settings`` is ``{tier: settings without the role prefix}`` as
each tier's validate step checked them; a tier that is not there is not compared.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS

# (tier, option) pairs that must hold the same value: the first opens the way, the second listens
SAME_PORT = (
    (("network", "database_port"), ("database", "port"), "the database security group opens"),
    (("network", "frontend_port"), ("compute", "frontend_port"), "the front-end security group opens"),
    (("network", "backend_port"), ("compute", "backend_port"), "the back-end security group opens"),
    (("network", "internal_alb_port"), ("compute", "internal_alb_port"), "the internal ALB's security group opens"),
)


def _get(settings, tier, option):
    return (settings.get(tier) or {}).get(option)


def validate_ports(settings):
    errors = []
    for (opener, opened), (listener, listens), what in SAME_PORT:
        want, have = _get(settings, opener, opened), _get(settings, listener, listens)
        if want is not None and have is not None and want != have:
            errors.append("%s_%s: %s, but %s %s (%s_%s); give both the same port" % (listener, listens, have, what, want, opener, opened))
    listeners = _get(settings, "network", "alb_listener_ports")
    for option in ("listener_port", "https_port" if _get(settings, "compute", "certificate_arn") else None):
        port = _get(settings, "compute", option) if option else None
        if listeners is not None and port is not None and port not in listeners:
            errors.append("compute_%s: %s, but the public ALB's security group opens only %s (network_alb_listener_ports)" % (option, port, listeners))
    return errors


def validate_resilience(settings, profile):
    """Under ``ha`` every app tier keeps at least two instances (the network and database tiers check their own parts)."""
    if profile != "ha" or not settings.get("compute"):
        return []
    errors = []
    for tier in APP_TIERS:
        low = _get(settings, "compute", "%s_min_size" % tier)
        if low is not None and low < 2:
            errors.append(
                "compute_%s_min_size: %s leaves the %s one instance failure from an outage; hatrading_resilience=ha needs 2 or more "
                "(spread over the AZs), or set hatrading_resilience=cost" % (tier, low, tier)
            )
    return errors


def validate_stack(settings, prefix=""):
    """Every check across tiers; ``settings["profile"]`` is hatrading_resilience."""
    return validate_ports(settings) + validate_resilience(settings, settings.get("profile", "ha"))
