# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch Logs: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class Logs(Service):
    NAME = "logs"
    NOT_FOUND = ("ResourceNotFoundException",)

    create_log_group = api("create_log_group")
    delete_log_group = api("delete_log_group", missing=None)
    describe_log_groups = api("describe_log_groups", "logGroups", pages=True)
    list_tags_for_resource = api("list_tags_for_resource")
    put_retention_policy = api("put_retention_policy")
    tag_resource = api("tag_resource")
