# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class S3(Service):
    NAME = "s3"
    NOT_FOUND = (
        "404",
        "NoSuchBucket",
        "NoSuchBucketPolicy",
        "NoSuchTagSet",
        "NoSuchPublicAccessBlockConfiguration",
        "OwnershipControlsNotFoundError",
        "ServerSideEncryptionConfigurationNotFoundError",
        "NoSuchKey",
        "NotFound",
    )

    create_bucket = api("create_bucket")
    delete_bucket = api("delete_bucket", missing=None)
    delete_objects = api("delete_objects", missing=None)
    get_bucket_encryption = api("get_bucket_encryption")
    get_bucket_versioning = api("get_bucket_versioning")
    get_public_access_block = api("get_public_access_block")
    head_bucket = api("head_bucket")
    head_object = api("head_object")
    list_object_versions = api("list_object_versions", "Versions", pages=True)
    list_objects = api("list_objects", "Contents", pages=True)
    list_objects_v2 = api("list_objects_v2", "Contents", pages=True)
    put_bucket_encryption = api("put_bucket_encryption")
    put_bucket_ownership_controls = api("put_bucket_ownership_controls")
    put_bucket_policy = api("put_bucket_policy")
    put_bucket_tagging = api("put_bucket_tagging")
    put_bucket_versioning = api("put_bucket_versioning")
    put_object = api("put_object")
    put_public_access_block = api("put_public_access_block")
    RETRY_CODES = ("NoSuchBucket", "OperationAborted")  # a bucket created a moment ago; a conflicting operation on it
    get_bucket_ownership_controls = api("get_bucket_ownership_controls", "OwnershipControls")
    get_bucket_tagging = api("get_bucket_tagging", "TagSet")

    def object_versions(self, bucket):
        """Every version and delete marker as {"Key", "VersionId"}: what emptying a versioned bucket deletes."""

        def all_pages():
            return self.client.get_paginator("list_object_versions").paginate(Bucket=bucket).build_full_result()

        answer = self.retry(all_pages)()
        return [{"Key": item["Key"], "VersionId": item.get("VersionId") or "null"} for item in answer.get("Versions", []) + answer.get("DeleteMarkers", [])]
