# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class IAM(Service):
    NAME = "iam"
    NOT_FOUND = (
        "NoSuchEntity",
        "NoSuchEntityException",
    )

    add_role_to_instance_profile = api("add_role_to_instance_profile")
    create_instance_profile = api("create_instance_profile")
    create_role = api("create_role")
    delete_instance_profile = api("delete_instance_profile", missing=None)
    delete_policy = api("delete_policy", missing=None)
    delete_role = api("delete_role", missing=None)
    delete_role_policy = api("delete_role_policy", missing=None)
    get_instance_profile = api("get_instance_profile")
    get_role = api("get_role")
    get_role_policy = api("get_role_policy")
    list_role_policies = api("list_role_policies", "PolicyNames", pages=True)
    put_role_policy = api("put_role_policy")
    remove_role_from_instance_profile = api("remove_role_from_instance_profile", missing=None)
    tag_role = api("tag_role")
    update_assume_role_policy = api("update_assume_role_policy")
