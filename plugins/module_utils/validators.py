# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tier name -> its cross-field checks; each check lives beside its tier's model."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.cdn.model import validate_cdn
from ansible_collections.hatrading.aws.plugins.module_utils.compute.model import validate_compute
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_checks import validate_stack
from ansible_collections.hatrading.aws.plugins.module_utils.database.model import validate_database
from ansible_collections.hatrading.aws.plugins.module_utils.eks.model import validate_eks
from ansible_collections.hatrading.aws.plugins.module_utils.logs.model import validate_logs
from ansible_collections.hatrading.aws.plugins.module_utils.monitoring.model import validate_monitoring
from ansible_collections.hatrading.aws.plugins.module_utils.network.model import validate_network
from ansible_collections.hatrading.aws.plugins.module_utils.nosql.model import validate_nosql
from ansible_collections.hatrading.aws.plugins.module_utils.observability.model import validate_observability
from ansible_collections.hatrading.aws.plugins.module_utils.pipeline.model import validate_pipeline

VALIDATORS = {
    "network": validate_network,
    "database": validate_database,
    "nosql": validate_nosql,
    "compute": validate_compute,
    "cdn": validate_cdn,
    "monitoring": validate_monitoring,
    "pipeline": validate_pipeline,
    "eks": validate_eks,
    "observability": validate_observability,
    "logs": validate_logs,
    "stack": validate_stack,  # across tiers: ports that must agree, ha without single instances
}
ARGUMENT_SPEC = dict(
    tier=dict(type="str", required=True),  # checked by check(): a new tier adds only its VALIDATORS line
    settings=dict(type="dict"),
    prefix=dict(type="str", default=""),
)


def check(tier, settings, prefix=""):
    """(message, errors): message is None when the settings are sound."""
    if tier not in VALIDATORS:
        errors = ["tier: %r is not a tier; use one of %s" % (tier, ", ".join(sorted(VALIDATORS)))]
        return "Invalid stack_validate call:\n- %s" % errors[0], errors
    errors = VALIDATORS[tier](settings, prefix)
    return failure_message(tier, errors), errors


def failure_message(tier, errors):
    """None when there is no error; else the first problem on the first line (Ansible shows that line first), the others under it."""
    if not errors:
        return None
    return "Invalid %s settings: %s" % (tier, "\n- ".join(errors))
