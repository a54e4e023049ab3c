# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import retry_answer


class IAM(Service):
    NAME = "iam"
    NOT_FOUND = (
        "NoSuchEntity",
        "NoSuchEntityException",
    )


# Right after IAM creates a role, CodeBuild, CodeDeploy, CodePipeline and EventBridge may not be able to assume it
# yet; only that answer (not any invalid input) is retried, as ``RolePropagation``.
RolePropagationRetry = retry_answer(
    ("InvalidInputException", "InvalidRoleException", "InvalidStructureException"),
    lambda message: "assume" in message or "not authorized" in message,
    "RolePropagation",
)


class RoleUsingService(Service):
    """A service whose creates name a role IAM may have made a moment ago: that answer is retried (RolePropagationRetry)."""

    NOT_FOUND = ("ResourceNotFoundException",)
    RETRY_CLASS = RolePropagationRetry
    RETRY_CODES = ("RolePropagation",)
