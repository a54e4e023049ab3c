# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets Manager: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class SecretsManager(Service):
    NAME = "secretsmanager"
    NOT_FOUND = ("ResourceNotFoundException",)

    create_secret = api("create_secret")
    delete_secret = api("delete_secret", missing=None)
    describe_secret = api("describe_secret")
    get_secret_value = api("get_secret_value")
    restore_secret = api("restore_secret")
    tag_resource = api("tag_resource")
