# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class KMS(Service):
    NAME = "kms"
    NOT_FOUND = ("NotFoundException",)

    create_alias = api("create_alias")
    create_key = api("create_key")
    delete_alias = api("delete_alias", missing=None)
    describe_key = api("describe_key")
    enable_key_rotation = api("enable_key_rotation")
    tag_resource = api("tag_resource")
