# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM reads, one wrapper per API call: retried, "no such entity" as None."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff()


def _none_if_missing(call, key, **params):
    try:
        return call(**params)[key]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return None
        raise


@RETRY
def get_role(client, role_name):
    return _none_if_missing(client.get_role, "Role", RoleName=role_name)


@RETRY
def get_role_policy(client, role_name, policy_name):
    """The inline policy document (a dict), or None when the role or the policy is missing."""
    return _none_if_missing(client.get_role_policy, "PolicyDocument", RoleName=role_name, PolicyName=policy_name)
