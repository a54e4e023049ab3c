# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Auto Scaling: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import StackRetry
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import error_code

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

PROFILE_NOT_PROPAGATED = "InstanceProfileNotPropagated"


class LaunchRetry(StackRetry):
    """StackRetry that also waits out a new instance profile IAM has not yet propagated.

    Auto Scaling answers that case with a plain ValidationError ("Invalid IAM Instance Profile
    name"), the same code as real mistakes, so the message tells them apart.
    """

    @staticmethod
    def status_code_from_exception(error):
        code = error_code(error)
        message = ((getattr(error, "response", None) or {}).get("Error") or {}).get("Message") or ""
        if code == "ValidationError" and "instance profile" in message.lower():
            return PROFILE_NOT_PROPAGATED
        return code


def _in_service_at_least(bound):
    """A waiter on DescribeAutoScalingGroups: the group's in-service instances reach ``bound`` (a JMESPath of the group)."""
    in_service = "length(AutoScalingGroups[0].Instances[?LifecycleState=='InService'])"
    acceptor = {"matcher": "path", "expected": True, "state": "success", "argument": "%s >= %s" % (in_service, bound)}
    return {"operation": "DescribeAutoScalingGroups", "delay": 5, "maxAttempts": 120, "acceptors": [acceptor]}


class AutoScaling(Service):
    NAME = "autoscaling"
    NOT_FOUND = ()
    RETRY_CODES = (
        "ScalingActivityInProgress",
        "ResourceContention",
        PROFILE_NOT_PROPAGATED,
    )

    def groups_named(self, names):
        """The groups among ``names`` that exist (unknown names are simply absent)."""
        return self.describe_auto_scaling_groups(AutoScalingGroupNames=list(names)) if names else []

    RETRY_CLASS = LaunchRetry

    def group_named(self, name):
        """The group called ``name``, or None."""
        found = self.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
        return found[0] if found else None

    def start_rolling_refresh(self, group_name, preferences):
        """Start a rolling refresh; one already running is an answer, not an error. Returns (refresh id, warning)."""
        try:
            answer = self.start_instance_refresh(AutoScalingGroupName=group_name, Strategy="Rolling", Preferences=preferences)
        except ClientError as error:
            if error_code(error) != "InstanceRefreshInProgress":
                raise
            return None, "an instance refresh of %s is already running; the new version reaches the instances it has not yet replaced" % group_name
        return answer.get("InstanceRefreshId"), None

    # waiters botocore lacks: a group gone, a group in service, a refresh done
    WAITERS = {
        "version": 2,
        "waiters": {
            "GroupDeleted": {
                "operation": "DescribeAutoScalingGroups",
                "delay": 5,
                "maxAttempts": 120,
                "acceptors": [{"matcher": "path", "expected": True, "argument": "length(AutoScalingGroups[]) == `0`", "state": "success"}],
            },
            # the group's minimum in service (a deploy with wait), its desired capacity in service (a roll's surge)
            "GroupInService": _in_service_at_least("AutoScalingGroups[0].MinSize"),
            "DesiredInService": _in_service_at_least("AutoScalingGroups[0].DesiredCapacity"),
            "RefreshDone": {
                "operation": "DescribeInstanceRefreshes",
                "delay": 15,
                "maxAttempts": 240,
                "acceptors": [
                    {"matcher": "path", "expected": "Successful", "state": "success", "argument": "InstanceRefreshes[0].Status"},
                    {"matcher": "path", "expected": "Failed", "state": "failure", "argument": "InstanceRefreshes[0].Status"},
                    {"matcher": "path", "expected": "Cancelled", "state": "failure", "argument": "InstanceRefreshes[0].Status"},
                    {"matcher": "path", "expected": "RollbackSuccessful", "state": "failure", "argument": "InstanceRefreshes[0].Status"},
                ],
            },
        },
    }
