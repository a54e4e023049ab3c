# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The private S3 bucket every tier that keeps files wants (the CDN's static files, the pipeline's artifacts). Pure data."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

BLOCK_ALL_PUBLIC_ACCESS = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def private_bucket(kms_key, tags):
    """Public access blocked, ACLs off, versioned; SSE-KMS with a bucket key when ``kms_key`` is given, else SSE-S3."""
    if kms_key:
        encryption = {"algorithm": "aws:kms", "kms_key": kms_key, "bucket_key": True}
    else:
        encryption = {"algorithm": "AES256", "kms_key": None, "bucket_key": False}
    return {
        "public_access_block": dict(BLOCK_ALL_PUBLIC_ACCESS),
        "ownership": "BucketOwnerEnforced",
        "encryption": encryption,
        "versioning": "Enabled",
        "tags": tags,
    }
