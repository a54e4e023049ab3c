# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Auto Scaling: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import error_code
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import retry_answer
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import waiter

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

PROFILE_NOT_PROPAGATED = "InstanceProfileNotPropagated"


# Auto Scaling answers a new instance profile IAM has not yet propagated with a plain ValidationError ("Invalid IAM
# Instance Profile name"), the same code as real mistakes, so the message tells them apart.
LaunchRetry = retry_answer(("ValidationError",), lambda message: "instance profile" in message, PROFILE_NOT_PROPAGATED)
IN_SERVICE = "length(AutoScalingGroups[0].Instances[?LifecycleState=='InService'])"


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
        "GroupDeleted": waiter("DescribeAutoScalingGroups", "length(AutoScalingGroups[]) == `0`", success=(True,)),
        # the group's minimum in service (a deploy with wait), its desired capacity in service (a roll's surge)
        "GroupInService": waiter("DescribeAutoScalingGroups", IN_SERVICE + " >= AutoScalingGroups[0].MinSize", success=(True,)),
        "DesiredInService": waiter("DescribeAutoScalingGroups", IN_SERVICE + " >= AutoScalingGroups[0].DesiredCapacity", success=(True,)),
        "RefreshDone": waiter(
            "DescribeInstanceRefreshes",
            "InstanceRefreshes[0].Status",
            success=("Successful",),
            failure=("Failed", "Cancelled", "RollbackSuccessful"),
            delay=15,
            attempts=240,
        ),
    }
