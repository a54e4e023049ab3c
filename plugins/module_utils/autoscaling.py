# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Auto Scaling reads, one wrapper per API call, and the waiter botocore lacks (group deleted)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
    from botocore.waiter import WaiterModel
    from botocore.waiter import create_waiter_with_client
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["ScalingActivityInProgress", "ResourceContention"])
PROFILE_NOT_PROPAGATED = "InstanceProfileNotPropagated"


class LaunchRetry(AWSRetry):
    """AWSRetry that also waits out a new instance profile IAM has not yet propagated.

    Auto Scaling answers that case with a plain ValidationError ("Invalid IAM Instance Profile
    name"), the same code as real mistakes, so the message tells them apart.
    """

    @staticmethod
    def status_code_from_exception(error):
        details = error.response.get("Error", {})
        if details.get("Code") == "ValidationError" and "instance profile" in details.get("Message", "").lower():
            return PROFILE_NOT_PROPAGATED
        return details.get("Code")


# IAM usually propagates within seconds; 6 jittered retries give it up to about two minutes
LAUNCH_RETRY = LaunchRetry.jittered_backoff(retries=6, catch_extra_error_codes=["ScalingActivityInProgress", "ResourceContention", PROFILE_NOT_PROPAGATED])

WAITERS = {
    "version": 2,
    "waiters": {
        "GroupDeleted": {
            "operation": "DescribeAutoScalingGroups",
            "delay": 5,
            "maxAttempts": 120,
            "acceptors": [{"matcher": "path", "expected": True, "argument": "length(AutoScalingGroups[]) == `0`", "state": "success"}],
        },
        "GroupInService": {
            "operation": "DescribeAutoScalingGroups",
            "delay": 5,
            "maxAttempts": 120,
            "acceptors": [
                {
                    "matcher": "path",
                    "expected": True,
                    "state": "success",
                    "argument": "length(AutoScalingGroups[0].Instances[?LifecycleState=='InService']) >= AutoScalingGroups[0].MinSize",
                },
            ],
        },
    },
}


def wait(client, name, timeout, delay=5, **params):
    """Wait up to ``timeout`` seconds on one of WAITERS (GroupDeleted, GroupInService)."""
    waiter = create_waiter_with_client(name, WaiterModel(WAITERS), client)
    waiter.wait(WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(timeout) // delay)}, **params)


@RETRY
def describe_group(client, name):
    """The group called ``name``, or None."""
    groups = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name]).get("AutoScalingGroups", [])
    return groups[0] if groups else None


@RETRY
def describe_groups(client, names):
    """The groups among ``names`` that exist (unknown names are simply absent)."""
    if not names:
        return []
    paginator = client.get_paginator("describe_auto_scaling_groups")
    return paginator.paginate(AutoScalingGroupNames=list(names)).build_full_result().get("AutoScalingGroups", [])


@RETRY
def describe_policies(client, group_name):
    return client.get_paginator("describe_policies").paginate(AutoScalingGroupName=group_name).build_full_result().get("ScalingPolicies", [])


def start_instance_refresh(client, group_name, preferences):
    """Start a rolling refresh; one already running is reported, not an error. Returns (refresh id, message)."""
    try:
        answer = client.start_instance_refresh(AutoScalingGroupName=group_name, Strategy="Rolling", Preferences=preferences, aws_retry=True)
        return answer.get("InstanceRefreshId"), None
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "InstanceRefreshInProgress":
            return None, "an instance refresh of %s is already running; the new version reaches the instances it has not yet replaced" % group_name
        raise
