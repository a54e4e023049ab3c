# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudFront reads, one wrapper per API call: retried, paginated, "not found" as None."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8)
NOT_FOUND_CODES = ("NoSuchDistribution", "NoSuchOriginAccessControl", "NoSuchResource")


def _not_found(error):
    return error.response.get("Error", {}).get("Code") in NOT_FOUND_CODES


@RETRY
def list_distributions(client):
    """Every distribution summary of the account (CloudFront is global: no filter on the server side)."""
    found = []
    for page in client.get_paginator("list_distributions").paginate():
        found += page.get("DistributionList", {}).get("Items") or []
    return found


@RETRY
def list_tags(client, arn):
    items = client.list_tags_for_resource(Resource=arn).get("Tags", {}).get("Items") or []
    return dict((tag["Key"], tag.get("Value", "")) for tag in items)


@RETRY
def get_distribution_config(client, distribution_id):
    """(DistributionConfig, ETag), or (None, None) when it is gone."""
    try:
        answer = client.get_distribution_config(Id=distribution_id)
    except ClientError as error:
        if _not_found(error):
            return None, None
        raise
    return answer["DistributionConfig"], answer["ETag"]


@RETRY
def get_distribution(client, distribution_id):
    """(Distribution, ETag), or (None, None) when it is gone."""
    try:
        answer = client.get_distribution(Id=distribution_id)
    except ClientError as error:
        if _not_found(error):
            return None, None
        raise
    return answer["Distribution"], answer["ETag"]


@RETRY
def list_origin_access_controls(client):
    found = []
    for page in client.get_paginator("list_origin_access_controls").paginate():
        found += page.get("OriginAccessControlList", {}).get("Items") or []
    return found


@RETRY
def get_origin_access_control_etag(client, control_id):
    try:
        return client.get_origin_access_control(Id=control_id)["ETag"]
    except ClientError as error:
        if _not_found(error):
            return None
        raise


def ignore_not_found(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except ClientError as error:
        if not _not_found(error):
            raise
    return None
