# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CodeDeploy: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class CodeDeploy(Service):
    NAME = "codedeploy"
    NOT_FOUND = (
        "ApplicationDoesNotExistException",
        "DeploymentGroupDoesNotExistException",
        "ResourceNotFoundException",
    )

    create_application = api("create_application")
    delete_application = api("delete_application", missing=None)
    get_application = api("get_application")
    get_deployment_group = api("get_deployment_group")
    list_deployment_groups = api("list_deployment_groups", "deploymentGroups", pages=True)
    list_tags_for_resource = api("list_tags_for_resource")
    tag_resource = api("tag_resource")
    update_deployment_group = api("update_deployment_group")
