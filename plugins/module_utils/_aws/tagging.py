# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource Groups Tagging API: find a resource by its stack tags where its own service cannot (a KMS key has no tag filter)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service


class Tagging(Service):
    NAME = "resourcegroupstaggingapi"
