# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3 reads, one wrapper per API call: retried, paginated, "not configured" / "not found" as None."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8)
# Codes S3 answers when a bucket has no such configuration (yet).
ABSENT_CODES = (
    "NoSuchBucket",
    "NoSuchBucketPolicy",
    "NoSuchTagSet",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchKey",
    "404",
    "NotFound",
)


def code(error):
    return error.response.get("Error", {}).get("Code")


def _or_none(call, key, **params):
    try:
        answer = call(**params)
    except ClientError as error:
        if code(error) in ABSENT_CODES:
            return None
        raise
    return answer.get(key) if key else answer


@RETRY
def bucket_exists(client, bucket):
    """True when the bucket exists and is ours; False when it does not exist; a 403 is raised (someone else's)."""
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as error:
        if code(error) in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise
    return True


@RETRY
def get_public_access_block(client, bucket):
    return _or_none(client.get_public_access_block, "PublicAccessBlockConfiguration", Bucket=bucket)


@RETRY
def get_bucket_ownership_controls(client, bucket):
    return _or_none(client.get_bucket_ownership_controls, "OwnershipControls", Bucket=bucket)


@RETRY
def get_bucket_encryption(client, bucket):
    return _or_none(client.get_bucket_encryption, "ServerSideEncryptionConfiguration", Bucket=bucket)


@RETRY
def get_bucket_versioning(client, bucket):
    return (_or_none(client.get_bucket_versioning, None, Bucket=bucket) or {}).get("Status")


@RETRY
def get_bucket_policy(client, bucket):
    return _or_none(client.get_bucket_policy, "Policy", Bucket=bucket)


@RETRY
def get_bucket_tagging(client, bucket):
    return dict((tag["Key"], tag.get("Value", "")) for tag in _or_none(client.get_bucket_tagging, "TagSet", Bucket=bucket) or [])


@RETRY
def list_objects(client, bucket):
    """Every current object: {key: {"etag", "size"}} (the ETag without its quotes)."""
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = {"etag": item.get("ETag", "").strip('"'), "size": item.get("Size")}
    return found


@RETRY
def head_object(client, bucket, key):
    return _or_none(client.head_object, None, Bucket=bucket, Key=key)


@RETRY
def list_object_versions(client, bucket):
    """Every version and delete marker as {"Key", "VersionId"}: what emptying a versioned bucket deletes."""
    found = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            found.append({"Key": item["Key"], "VersionId": item.get("VersionId") or "null"})
    return found


def read_bucket(client, bucket):
    """Everything the CDN tier compares about its bucket, or {"exists": False}."""
    if not bucket_exists(client, bucket):
        return {"exists": False}
    return {
        "exists": True,
        "public_access_block": get_public_access_block(client, bucket),
        "ownership": get_bucket_ownership_controls(client, bucket),
        "encryption": get_bucket_encryption(client, bucket),
        "versioning": get_bucket_versioning(client, bucket),
        "policy": get_bucket_policy(client, bucket),
        "tags": get_bucket_tagging(client, bucket),
    }
