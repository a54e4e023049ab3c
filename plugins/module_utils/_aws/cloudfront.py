# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudFront: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import READ_CACHE
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

    # writes need the ETag of the latest read (IfMatch): these reads give (item, ETag), or (None, None) when it is gone
    _distribution_config = api("get_distribution_config", missing={})
    _distribution = api("get_distribution", missing={})
    _origin_access_control = api("get_origin_access_control", missing={})

    def distribution_config(self, distribution_id):
        answer = self._distribution_config(Id=distribution_id)
        return answer.get("DistributionConfig"), answer.get("ETag")

    def distribution(self, distribution_id):
        answer = self._distribution(Id=distribution_id)
        return answer.get("Distribution"), answer.get("ETag")

    def origin_access_control_etag(self, control_id):
        return self._origin_access_control(Id=control_id).get("ETag")

    def tags_of(self, arn):
        """{key: value} of one resource."""
        return dict((tag["Key"], tag.get("Value", "")) for tag in self.list_tags_for_resource(Resource=arn).get("Tags", {}).get("Items") or [])

    def _items(self, operation, key):
        """Every item of a paginated list nested one level (``key``: the list's container); the pages' ``Items`` joined."""
        pages = self.retry(lambda: [item for page in self.client.get_paginator(operation).paginate() for item in page.get(key, {}).get("Items") or []])
        return READ_CACHE.answer(self.NAME, "%s:%s" % (operation, key), {}, pages)

    def distributions(self):
        """Every distribution summary of the account (CloudFront is global: no filter on the server side)."""
        return self._items("list_distributions", "DistributionList")

    def origin_access_controls(self):
        return self._items("list_origin_access_controls", "OriginAccessControlList")
