# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kinesis Data Firehose: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import retry_answer
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import waiter


class Firehose(Service):
    NAME = "firehose"
    NOT_FOUND = ("ResourceNotFoundException",)
    # right after IAM creates a role, Firehose may answer that it cannot assume it; only that answer is retried
    RETRY_CLASS = retry_answer(
        ("InvalidArgumentException",), lambda message: "role" in message and ("assume" in message or "not authorized" in message), "RolePropagation"
    )
    RETRY_CODES = ("RolePropagation",)

    describe_delivery_stream = api("describe_delivery_stream", "DeliveryStreamDescription", missing=None)

    WAITERS = {
        "stream_active": waiter(
            "DescribeDeliveryStream", "DeliveryStreamDescription.DeliveryStreamStatus", success=("ACTIVE",), failure=("CREATING_FAILED",), delay=10, attempts=60
        ),
    }
