# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNS reads, one wrapper per API call: retried, paginated, "not found" as empty."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8)
NOT_FOUND_CODES = ("NotFound", "NotFoundException", "ResourceNotFound", "ResourceNotFoundException")
PENDING = "PendingConfirmation"  # the SubscriptionArn ListSubscriptionsByTopic gives an unconfirmed subscription


def _code(error):
    return error.response.get("Error", {}).get("Code")


@RETRY
def find_topic(client, name):
    """The ARN of the topic called ``name`` in this account and region, or None (ListTopics has no filter)."""
    for page in client.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                return topic["TopicArn"]
    return None


@RETRY
def describe_topic(client, arn):
    """{arn, attributes, tags, subscriptions} of one topic, or None when it is gone."""
    try:
        attributes = client.get_topic_attributes(TopicArn=arn).get("Attributes", {})
        tags = client.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
        pages = client.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn).build_full_result()
    except ClientError as error:
        if _code(error) in NOT_FOUND_CODES:
            return None
        raise
    return {
        "arn": arn,
        "attributes": attributes,
        "tags": dict((tag["Key"], tag.get("Value", "")) for tag in tags),
        "subscriptions": pages.get("Subscriptions", []),
    }


def ignore_not_found(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except ClientError as error:
        if _code(error) in NOT_FOUND_CODES:
            return None
        raise
