# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Elastic Load Balancing v2 reads, one wrapper per API call: retried, paginated, "not found" as empty."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

NOT_FOUND_CODES = ["LoadBalancerNotFound", "TargetGroupNotFound", "ListenerNotFound"]
RETRY = AWSRetry.jittered_backoff(retries=8)


def _not_found(error):
    return error.response.get("Error", {}).get("Code") in NOT_FOUND_CODES


def _by_names(client, operation, key, names):
    """The named resources that exist: the API refuses a whole batch when one name is missing,
    so a refused batch is asked again name by name."""
    try:
        return client.get_paginator(operation).paginate(Names=list(names)).build_full_result().get(key, [])
    except ClientError as error:
        if not _not_found(error):
            raise
    found = []
    for name in names:
        try:
            found += getattr(client, operation)(Names=[name]).get(key, [])
        except ClientError as error:
            if not _not_found(error):
                raise
    return found


@RETRY
def describe_load_balancers(client, names):
    return _by_names(client, "describe_load_balancers", "LoadBalancers", names)


@RETRY
def describe_target_groups(client, names):
    return _by_names(client, "describe_target_groups", "TargetGroups", names)


@RETRY
def describe_target_health(client, target_group_arn):
    return client.describe_target_health(TargetGroupArn=target_group_arn).get("TargetHealthDescriptions", [])


@RETRY
def describe_tags(client, arns):
    """{ARN: {key: value}} for up to 20 ARNs per call."""
    tags = {}
    arns = list(arns)
    for start in range(0, len(arns), 20):
        for item in client.describe_tags(ResourceArns=arns[start : start + 20]).get("TagDescriptions", []):
            tags[item["ResourceArn"]] = dict((t["Key"], t.get("Value", "")) for t in item.get("Tags") or [])
    return tags
