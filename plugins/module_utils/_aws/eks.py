# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EKS: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import retry_answer


class EKS(Service):
    NAME = "eks"
    NOT_FOUND = ("ResourceNotFoundException",)
    # a create naming a role IAM made a moment ago: EKS may answer that it cannot assume it; only that answer is retried
    RETRY_CLASS = retry_answer(("InvalidParameterException",), lambda message: "role" in message and "assume" in message, "RolePropagation")
    RETRY_CODES = ("RolePropagation",)
    describe_cluster = api("describe_cluster", "cluster", missing=None)
    describe_nodegroup = api("describe_nodegroup", "nodegroup", missing=None)
    describe_addon = api("describe_addon", "addon", missing=None)
    describe_access_entry = api("describe_access_entry", "accessEntry", missing=None)
