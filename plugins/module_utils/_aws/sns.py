# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNS: every call the collection makes, reads and writes, one line each (see base.py)."""

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

    create_topic = api("create_topic")
    delete_topic = api("delete_topic", missing=None)
    get_topic_attributes = api("get_topic_attributes")
    list_subscriptions_by_topic = api("list_subscriptions_by_topic", "Subscriptions", pages=True)
    list_tags_for_resource = api("list_tags_for_resource")
    list_topics = api("list_topics", "Topics", pages=True)
    set_topic_attributes = api("set_topic_attributes")
    subscribe = api("subscribe")
    tag_resource = api("tag_resource")
