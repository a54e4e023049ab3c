# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

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

    list_object_versions = api("list_object_versions", "Versions", pages=True)
    list_objects = api("list_objects", "Contents", pages=True)
    list_objects_v2 = api("list_objects_v2", "Contents", pages=True)
    # a bucket's optional settings: S3 answers "not found" for one never set, which reads as None here
    _exists = api("head_bucket", missing=None)
    _public_access_block = api("get_public_access_block", "PublicAccessBlockConfiguration", missing=None)
    _ownership = api("get_bucket_ownership_controls", "OwnershipControls", missing=None)
    _encryption = api("get_bucket_encryption", "ServerSideEncryptionConfiguration", missing=None)
    _versioning = api("get_bucket_versioning", "Status", missing=None)
    _policy = api("get_bucket_policy", "Policy", missing=None)
    _tags = api("get_bucket_tagging", "TagSet", missing=None)
    object_head = api("head_object", missing=None)

    def bucket_settings(self, bucket):
        """{"exists": False}, or what a bucket's owner sets (seven reads, None for a setting never made).

        A bucket of another account answers 403 to the first read, which is raised (S3 names are global).
        """
        if self._exists(Bucket=bucket) is None:
            return {"exists": False}
        return {
            "exists": True,
            "public_access_block": self._public_access_block(Bucket=bucket),
            "ownership": self._ownership(Bucket=bucket),
            "encryption": self._encryption(Bucket=bucket),
            "versioning": self._versioning(Bucket=bucket),
            "policy": self._policy(Bucket=bucket),
            "tags": dict((tag["Key"], tag.get("Value", "")) for tag in self._tags(Bucket=bucket) or []),
        }

    def objects(self, bucket):
        """Every current object: {key: {"etag", "size"}} (the ETag without its quotes)."""
        return dict((item["Key"], {"etag": item.get("ETag", "").strip('"'), "size": item.get("Size")}) for item in self.list_objects_v2(Bucket=bucket))

    def object_versions(self, bucket):
        """Every version and delete marker as {"Key", "VersionId"}: what emptying a versioned bucket deletes."""

        def all_pages():
            pages = self.client.get_paginator("list_object_versions").paginate(Bucket=bucket).build_full_result()
            return pages.get("Versions", []) + pages.get("DeleteMarkers", [])

        return [{"Key": item["Key"], "VersionId": item.get("VersionId") or "null"} for item in self.retry(all_pages)()]

    def delete_versions(self, bucket, versions):
        """DeleteObjects, 1000 versions per call (the API's limit); stops at the first batch with errors and returns them."""
        for start in range(0, len(versions), 1000):
            errors = self.call("delete_objects", Bucket=bucket, Delete={"Objects": versions[start : start + 1000], "Quiet": True}).get("Errors")
            if errors:
                return errors
        return []

    RETRY_CODES = ("NoSuchBucket", "OperationAborted")  # a bucket just made may not answer yet everywhere
