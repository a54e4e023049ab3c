# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TRANSITIONAL: IAM inline policy names and deletes of the code not yet moved onto _aws/iam.py (the compute tier uses _aws now)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8)


def _missing(error):
    return error.response.get("Error", {}).get("Code") in ("NoSuchEntity", "NoSuchEntityException")


@RETRY
def list_role_policies(client, role_name):
    return client.get_paginator("list_role_policies").paginate(RoleName=role_name).build_full_result().get("PolicyNames", [])


def ignore_missing(call, *args, **kwargs):
    """Run a delete-like call; something already gone is what we wanted."""
    try:
        return call(*args, **kwargs)
    except ClientError as error:
        if _missing(error):
            return None
        raise
