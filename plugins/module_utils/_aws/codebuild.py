# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CodeBuild: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class CodeBuild(Service):
    NAME = "codebuild"
    NOT_FOUND = ("ResourceNotFoundException",)

    batch_get_projects = api("batch_get_projects")
    delete_project = api("delete_project", missing=None)
    update_project = api("update_project")
