# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TRANSITIONAL: Auto Scaling reads of the code not yet moved onto _aws/autoscaling.py (the compute tier's retry and waiters live there now)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["ScalingActivityInProgress", "ResourceContention"])


@RETRY
def describe_groups(client, names):
    """The groups among ``names`` that exist (unknown names are simply absent)."""
    if not names:
        return []
    paginator = client.get_paginator("describe_auto_scaling_groups")
    return paginator.paginate(AutoScalingGroupNames=list(names)).build_full_result().get("AutoScalingGroups", [])
