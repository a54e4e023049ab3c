# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon Managed Service for Prometheus: what the collection asks of it beyond a plain retried call (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import waiter


class AMP(Service):
    NAME = "amp"
    NOT_FOUND = ("ResourceNotFoundException",)
    # botocore has no waiter for an alert manager definition: AMP answers CREATING or UPDATING, then ACTIVE, or a
    # failed status with its reason (the waiter's last answer, read by the caller)
    WAITERS = {
        "alert_manager_settled": waiter(
            "DescribeAlertManagerDefinition",
            "alertManagerDefinition.status.statusCode",
            success=("ACTIVE",),
            failure=("CREATION_FAILED", "UPDATE_FAILED"),
        ),
    }

    # None when gone: reads of what may not exist yet
    describe_workspace = api("describe_workspace", "workspace", missing=None)
    describe_rule_groups_namespace = api("describe_rule_groups_namespace", "ruleGroupsNamespace", missing=None)
    describe_scraper = api("describe_scraper", "scraper", missing=None)
    describe_alert_manager_definition = api("describe_alert_manager_definition", "alertManagerDefinition", missing=None)
