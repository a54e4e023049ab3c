# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Elastic Load Balancing v2: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import error_code
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class ELBv2(Service):
    NAME = "elbv2"
    NOT_FOUND = (
        "LoadBalancerNotFound",
        "TargetGroupNotFound",
        "ListenerNotFound",
    )

    add_tags = api("add_tags")
    create_listener = api("create_listener")
    create_load_balancer = api("create_load_balancer")
    create_target_group = api("create_target_group")
    delete_listener = api("delete_listener", missing=None)
    delete_load_balancer = api("delete_load_balancer", missing=None)
    delete_target_group = api("delete_target_group", missing=None)
    deregister_targets = api("deregister_targets", missing=None)
    describe_listeners = api("describe_listeners", "Listeners", pages=True)
    describe_load_balancer_attributes = api("describe_load_balancer_attributes")
    describe_load_balancers = api("describe_load_balancers", "LoadBalancers", pages=True)
    describe_tags = api("describe_tags")
    describe_target_group_attributes = api("describe_target_group_attributes")
    describe_target_groups = api("describe_target_groups", "TargetGroups", pages=True)
    describe_target_health = api("describe_target_health")
    modify_listener = api("modify_listener")
    modify_load_balancer_attributes = api("modify_load_balancer_attributes")
    modify_target_group = api("modify_target_group")
    modify_target_group_attributes = api("modify_target_group_attributes")
    set_security_groups = api("set_security_groups")
    set_subnets = api("set_subnets")

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
