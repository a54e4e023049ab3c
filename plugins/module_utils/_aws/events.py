# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EventBridge: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class Events(Service):
    NAME = "events"
    NOT_FOUND = ("ResourceNotFoundException",)

    describe_rule = api("describe_rule")
    list_tags_for_resource = api("list_tags_for_resource")
    list_targets_by_rule = api("list_targets_by_rule", "Targets", pages=True)
    put_rule = api("put_rule")
    tag_resource = api("tag_resource")
