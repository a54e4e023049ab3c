# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch reads, one wrapper per API call: retried, paginated, "not found" as empty.

Mutations (PutMetricAlarm, DeleteAlarms, PutDashboard, DeleteDashboards) are called on a client made
with ``retry_decorator=AWSRetry.jittered_backoff()`` and ``aws_retry=True``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8)
NOT_FOUND_CODES = ("ResourceNotFound", "ResourceNotFoundException", "DashboardNotFoundError")
DELETE_BATCH = 100  # DeleteAlarms takes up to 100 names


def _code(error):
    return error.response.get("Error", {}).get("Code")


@RETRY
def describe_alarms(client, prefix):
    """Every metric alarm whose name starts with ``prefix``: one paginated call for all of them."""
    pages = client.get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"]).build_full_result()
    return pages.get("MetricAlarms", [])


@RETRY
def list_tags(client, arn):
    """{key: value} of one alarm (DescribeAlarms does not return tags)."""
    try:
        answer = client.list_tags_for_resource(ResourceARN=arn)
    except ClientError as error:
        if _code(error) in NOT_FOUND_CODES:
            return {}
        raise
    return dict((tag["Key"], tag.get("Value", "")) for tag in answer.get("Tags", []))


@RETRY
def get_dashboard(client, name):
    """The body (JSON text) of dashboard ``name``, or None."""
    try:
        return client.get_dashboard(DashboardName=name).get("DashboardBody")
    except ClientError as error:
        if _code(error) in NOT_FOUND_CODES:
            return None
        raise


def delete_alarms(client, names):
    for start in range(0, len(names), DELETE_BATCH):
        client.delete_alarms(AlarmNames=list(names[start : start + DELETE_BATCH]), aws_retry=True)


def delete_dashboard(client, name):
    try:
        client.delete_dashboards(DashboardNames=[name], aws_retry=True)
    except ClientError as error:
        if _code(error) not in NOT_FOUND_CODES:
            raise
