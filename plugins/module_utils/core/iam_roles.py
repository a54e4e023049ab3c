# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tier's IAM role as its plan compares it: trust, the tier's inline policy, (managed policies,) tags, ARN."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import canonical_json
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict


def read_role(iam, name, policy_name, managed=False):
    """None when the role does not exist; ``managed`` also lists the attached managed policies (one more read)."""
    role = iam.get_role(RoleName=name, missing=None)
    if not role:
        return None
    role = role["Role"]
    inline = iam.get_role_policy(RoleName=name, PolicyName=policy_name, missing=None)
    found = {
        "trust": canonical_json(role["AssumeRolePolicyDocument"]),
        "inline": canonical_json(inline["PolicyDocument"]) if inline else None,
        "tags": tag_dict(role.get("Tags")),
        "arn": role["Arn"],
    }
    if managed:
        found["managed"] = sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name))
    return found
