# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Auto Scaling: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class AutoScaling(Service):
    NAME = "autoscaling"
    NOT_FOUND = ()
    RETRY_CODES = (
        "ScalingActivityInProgress",
        "ResourceContention",
    )

    attach_load_balancer_target_groups = api("attach_load_balancer_target_groups")
    create_auto_scaling_group = api("create_auto_scaling_group")
    create_or_update_tags = api("create_or_update_tags")
    delete_auto_scaling_group = api("delete_auto_scaling_group", missing=None)
    delete_policy = api("delete_policy", missing=None)
    delete_warm_pool = api("delete_warm_pool", missing=None)
    describe_auto_scaling_groups = api("describe_auto_scaling_groups", "AutoScalingGroups", pages=True)
    describe_auto_scaling_instances = api("describe_auto_scaling_instances", "AutoScalingInstances", pages=True)
    describe_load_balancers = api("describe_load_balancers", "LoadBalancers", pages=True)
    describe_policies = api("describe_policies", "ScalingPolicies", pages=True)
    describe_tags = api("describe_tags", "Tags", pages=True)
    detach_instances = api("detach_instances", missing=None)
    enable_metrics_collection = api("enable_metrics_collection")
    put_scaling_policy = api("put_scaling_policy")
    put_warm_pool = api("put_warm_pool")
    resume_processes = api("resume_processes")
    set_desired_capacity = api("set_desired_capacity")
    start_instance_refresh = api("start_instance_refresh")
    suspend_processes = api("suspend_processes")
    update_auto_scaling_group = api("update_auto_scaling_group")

    def groups_named(self, names):
        """The groups among ``names`` that exist (unknown names are simply absent)."""
        return self.describe_auto_scaling_groups(AutoScalingGroupNames=list(names)) if names else []
