# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kinesis Data Firehose: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import StackRetry
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import error_code


class FirehoseRolePropagationRetry(StackRetry):
    """Right after IAM creates a role, Firehose may answer that it cannot assume it; only that answer is retried."""

    @staticmethod
    def status_code_from_exception(error):
        found = error_code(error)
        message = ((getattr(error, "response", None) or {}).get("Error", {}).get("Message") or "").lower()
        if found == "InvalidArgumentException" and "role" in message and ("assume" in message or "not authorized" in message):
            return "RolePropagation"
        return found


class Firehose(Service):
    NAME = "firehose"
    NOT_FOUND = ("ResourceNotFoundException",)
    RETRY_CLASS = FirehoseRolePropagationRetry
    RETRY_CODES = ("RolePropagation",)

    describe_delivery_stream = api("describe_delivery_stream", "DeliveryStreamDescription", missing=None)

    WAITERS = {
        "version": 2,
        "waiters": {
            "stream_active": {
                "operation": "DescribeDeliveryStream",
                "delay": 10,
                "maxAttempts": 60,
                "acceptors": [
                    {"state": "success", "matcher": "path", "argument": "DeliveryStreamDescription.DeliveryStreamStatus", "expected": "ACTIVE"},
                    {"state": "failure", "matcher": "path", "argument": "DeliveryStreamDescription.DeliveryStreamStatus", "expected": "CREATING_FAILED"},
                ],
            },
        },
    }
