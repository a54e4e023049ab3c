# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECR: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class ECR(Service):
    NAME = "ecr"
    NOT_FOUND = (
        "RepositoryNotFoundException",
        "LifecyclePolicyNotFoundException",
        "ResourceNotFoundException",
    )

    create_repository = api("create_repository")
    delete_repository = api("delete_repository", missing=None)
    describe_repositories = api("describe_repositories", "repositories", pages=True)
    get_lifecycle_policy = api("get_lifecycle_policy")
    list_images = api("list_images", "imageIds", pages=True)
    list_tags_for_resource = api("list_tags_for_resource")
    put_image_scanning_configuration = api("put_image_scanning_configuration")
    put_image_tag_mutability = api("put_image_tag_mutability")
    put_lifecycle_policy = api("put_lifecycle_policy")
    tag_resource = api("tag_resource")
