# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Elastic Load Balancing v2: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import error_code


class ELBv2(Service):
    NAME = "elbv2"
    NOT_FOUND = (
        "LoadBalancerNotFound",
        "TargetGroupNotFound",
        "ListenerNotFound",
    )

    def _named(self, operation, key, names):
        """The named resources that exist: the API refuses a whole batch when one name is missing,
        so a refused batch is asked again name by name."""
        if not names:
            return []
        try:
            return self.paginate(operation, key, Names=list(names))
        except ClientError as error:
            if error_code(error) not in self.NOT_FOUND:
                raise
        found = []
        for name in names:
            try:
                found += self.call(operation, Names=[name]).get(key, [])
            except ClientError as error:
                if error_code(error) not in self.NOT_FOUND:
                    raise
        return found

    def load_balancers_named(self, names):
        return self._named("describe_load_balancers", "LoadBalancers", names)

    def target_groups_named(self, names):
        return self._named("describe_target_groups", "TargetGroups", names)

    def tags_of(self, arns):
        """{ARN: {key: value}}, 20 ARNs per call (the API's limit)."""
        tags, arns = {}, list(arns)
        for start in range(0, len(arns), 20):
            for item in self.call("describe_tags", ResourceArns=arns[start : start + 20]).get("TagDescriptions", []):
                tags[item["ResourceArn"]] = dict((t["Key"], t.get("Value", "")) for t in item.get("Tags") or [])
        return tags

    # a listener or target group still in use while its load balancer goes away
    RETRY_CODES = ("ResourceInUse",)
