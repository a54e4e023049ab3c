# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DynamoDB: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class DynamoDB(Service):
    NAME = "dynamodb"
    NOT_FOUND = ("ResourceNotFoundException", "TableNotFoundException")

    # None when the table is gone: a read of a table that may not exist yet
    describe_table = api("describe_table", "Table", missing=None)
    describe_continuous_backups = api("describe_continuous_backups", "ContinuousBackupsDescription", missing=None)
    describe_time_to_live = api("describe_time_to_live", "TimeToLiveDescription", missing=None)
