# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNS: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class SNS(Service):
    NAME = "sns"
    NOT_FOUND = (
        "NotFound",
        "NotFoundException",
        "ResourceNotFound",
        "ResourceNotFoundException",
    )

    unsubscribe = api("unsubscribe", missing=None)
    PENDING = "PendingConfirmation"  # the SubscriptionArn ListSubscriptionsByTopic gives an unconfirmed subscription
    # False when the topic is gone (an answer may leave out an empty list)
    _attributes = api("get_topic_attributes", "Attributes", missing=False)
    _tags = api("list_tags_for_resource", "Tags", missing=False)
    _subscriptions = api("list_subscriptions_by_topic", "Subscriptions", pages=True, missing=False)

    def topic_named(self, name):
        """The ARN of the topic called ``name`` in this account and region, or None (ListTopics has no filter)."""
        return next((topic["TopicArn"] for topic in self.list_topics() if topic["TopicArn"].rsplit(":", 1)[-1] == name), None)

    def topic(self, arn):
        """{arn, attributes, tags, subscriptions} of one topic, or None when it is gone."""
        attributes = self._attributes(TopicArn=arn)
        tags = False if attributes is False else self._tags(ResourceArn=arn)
        subscriptions = False if tags is False else self._subscriptions(TopicArn=arn)
        if subscriptions is False:
            return None
        tags = dict((tag["Key"], tag.get("Value", "")) for tag in tags or [])
        return {"arn": arn, "attributes": attributes or {}, "tags": tags, "subscriptions": subscriptions or []}
