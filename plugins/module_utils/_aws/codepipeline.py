# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CodePipeline: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class CodePipeline(Service):
    NAME = "codepipeline"
    NOT_FOUND = (
        "PipelineNotFoundException",
        "ResourceNotFoundException",
    )

    get_pipeline = api("get_pipeline")
    list_tags_for_resource = api("list_tags_for_resource", "tags", pages=True)
    tag_resource = api("tag_resource")
    update_pipeline = api("update_pipeline")
