# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudFront: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class CloudFront(Service):
    NAME = "cloudfront"
    NOT_FOUND = (
        "NoSuchDistribution",
        "NoSuchOriginAccessControl",
        "NoSuchResource",
    )
    RETRY_CODES = ("OriginAccessControlInUse",)

    create_distribution_with_tags = api("create_distribution_with_tags")
    create_invalidation = api("create_invalidation")
    create_origin_access_control = api("create_origin_access_control")
    delete_origin_access_control = api("delete_origin_access_control", missing=None)
    get_distribution = api("get_distribution")
    get_distribution_config = api("get_distribution_config")
    get_origin_access_control = api("get_origin_access_control")
    list_distributions = api("list_distributions", "DistributionList.Items", pages=True)
    list_origin_access_controls = api("list_origin_access_controls", "OriginAccessControlList.Items", pages=True)
    list_tags_for_resource = api("list_tags_for_resource")
    tag_resource = api("tag_resource")
    update_distribution = api("update_distribution")
    update_origin_access_control = api("update_origin_access_control")
