# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets Manager and KMS reads, one wrapper per API call: retried, "not found" as None.

Secret values are read by :func:`get_secret_string` only, and only where a module needs
them to create something; nothing here logs or returns them to Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8)
NOT_FOUND_CODES = ("ResourceNotFoundException", "NotFoundException")


def _none_if_missing(call, **params):
    try:
        return call(**params)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in NOT_FOUND_CODES:
            return None
        raise


@RETRY
def describe_secret(client, secret_id):
    """The secret's metadata (never its value), or None."""
    return _none_if_missing(client.describe_secret, SecretId=secret_id)


@RETRY
def get_secret_string(client, secret_id):
    """The current value of a secret, or None. Callers must keep it out of every result and log."""
    answer = _none_if_missing(client.get_secret_value, SecretId=secret_id)
    return answer.get("SecretString") if answer else None


@RETRY
def describe_key(client, key_id):
    """KMS key metadata by ID, ARN or alias (``alias/...``), or None."""
    answer = _none_if_missing(client.describe_key, KeyId=key_id)
    return answer["KeyMetadata"] if answer else None
