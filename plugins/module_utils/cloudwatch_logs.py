# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch Logs reads, one wrapper per API call: retried and paginated."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


@AWSRetry.jittered_backoff()
def describe_log_group(client, name):
    """The log group called ``name`` exactly, or None (the API matches by prefix)."""
    pages = client.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name).build_full_result()
    return next((group for group in pages.get("logGroups", []) if group["logGroupName"] == name), None)


@AWSRetry.jittered_backoff()
def describe_log_groups(client, prefix):
    """Every log group whose name starts with ``prefix``: one paginated call."""
    return client.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix).build_full_result().get("logGroups", [])


@AWSRetry.jittered_backoff()
def list_tags(client, group):
    """{key: value} of one log group (a describe answer: its ``logGroupArn``, else its ``arn`` without ``:*``)."""
    arn = group.get("logGroupArn") or group["arn"].rstrip("*").rstrip(":")
    return client.list_tags_for_resource(resourceArn=arn).get("tags", {})
