#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: compute_autoscaling
short_description: Reconcile one app tier's Auto Scaling group and its target-tracking scaling policies
version_added: 0.1.0
description:
  - Manages the Auto Scaling group C(<stack>-<tier>) across the stack's app subnets of every AZ (or the public
    subnets with O(subnet_layer=public), the seed's placement), launched from the launch template C(<stack>-<tier>)
    pinned to its latest version, attached to the tier's target group, with ELB health checks and a grace period.
  - Target-tracking policies on average CPU and, when O(requests_per_target) is not 0, on ALB requests per target.
  - Optional mixed instances with O(spot_share) percent spot above one on-demand instance, or an optional O(warm_pool).
  - When a new template version appears, the group is pointed at it and, with O(instance_refresh=true), a rolling
    instance refresh starts with the preferences in RV(refresh_preferences) (min healthy percentage, warm-up,
    skip matching instances).
  - The desired capacity is set at creation; afterwards it belongs to the scaling policies and is changed only
    when it falls outside a new min..max. Target groups are only ever attached, so a rerun never deregisters targets.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  tier:
    description: Which app tier.
    type: str
    required: true
    choices: [frontend, backend]
  min_size:
    description: Fewest instances.
    type: int
  max_size:
    description: Most instances.
    type: int
  desired_capacity:
    description: Instances at creation, between O(min_size) and O(max_size).
    type: int
  subnet_layer:
    description: V(app) (private subnets behind the ALB) or V(public) (the seed's placement, needs public IPs).
    type: str
    choices: [app, public]
    default: app
  health_check_grace_period:
    description: Seconds after launch before ELB health checks count.
    type: int
    default: 120
  instance_warmup:
    description: Seconds a new instance needs before its metrics count (defaults to the grace period).
    type: int
  cpu_target:
    description: Average CPU percent the group keeps.
    type: int
    default: 50
  requests_per_target:
    description: ALB requests per target the group keeps; 0 disables that policy.
    type: int
    default: 1000
  spot_share:
    description: Percent of the instances above one on-demand instance that run on spot (0 for none).
    type: int
    default: 0
  spot_instance_types:
    description: Extra instance types for spot capacity (the template's type is always included).
    type: list
    elements: str
    default: []
  instance_type:
    description: The template's instance type, listed first among the mixed-instance overrides.
    type: str
    default: t3.micro
  instance_refresh:
    description: Start a rolling instance refresh when the group moves to a new template version.
    type: bool
    default: true
  refresh_min_healthy_percentage:
    description: Capacity kept in service during an instance refresh.
    type: int
    default: 90
  warm_pool:
    description:
      - A warm pool of pre-initialised instances that join the group fast on scale-out. Unset or an empty mapping for none;
        a pool that is no longer wanted is deleted.
      - AWS refuses a warm pool on a group with spot instances (O(spot_share) above 0); that pair fails before any call.
    type: dict
    suboptions:
      min_size:
        description: Instances kept in the pool at least (0 when unset).
        type: int
      max_prepared_capacity:
        description: Instances in the group and the pool together at most; unset or -1 for the group's O(max_size).
        type: int
      pool_state:
        description: The state of the pool's instances (V(Stopped) when unset).
        type: str
        choices: [Stopped, Running, Hibernated]
      reuse_on_scale_in:
        description: Return instances to the pool on scale-in instead of terminating them (false when unset).
        type: bool
  wait:
    description: Wait for O(min_size) instances in service after a create.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for instances in service or for a deleted group to be gone.
    type: int
    default: 600
extends_documentation_fragment:
  - hatrading.aws.stack
"""

EXAMPLES = r"""
- name: Back-end group, 2 to 6 instances, 30 % spot
  hatrading.aws.compute_autoscaling:
    stack: prod
    tier: backend
    min_size: 2
    desired_capacity: 2
    max_size: 6
    spot_share: 30
    spot_instance_types: [t3a.micro, t3.small]
    cpu_target: 50
    requests_per_target: 1000
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "update", "kind": "auto_scaling_group", "name": "prod-backend", "fields": ["launch_template_version"]}]
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["~ auto_scaling_group prod-backend (launch_template_version)", "Plan: 0 to create, 1 to update, 0 to delete."]
auto_scaling_group:
  description: Name and pinned template version of the group; empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Group name.
      type: str
      sample: prod-backend
    launch_template_version:
      description: The template version the group launches.
      type: str
      sample: "3"
refresh_preferences:
  description: The instance refresh preferences used when the template version changes.
  returned: when state is present
  type: dict
  sample: {"MinHealthyPercentage": 90, "InstanceWarmup": 120, "SkipMatching": true, "AutoRollback": false}
warm_pool:
  description: The warm pool as reconciled (defaults filled in).
  returned: when O(warm_pool) is set
  type: dict
  sample: {"min_size": 1, "max_prepared_capacity": -1, "pool_state": "Stopped", "reuse_on_scale_in": false}
instance_refresh_id:
  description: ID of the instance refresh started by this run.
  returned: when one was started
  type: str
"""

from ansible_collections.hatrading.aws.plugins.module_utils.compute import apply
from ansible_collections.hatrading.aws.plugins.module_utils.compute import model
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier

ARGUMENT_SPEC = model.argument_spec("auto_scaling_group")


def main():
    run_tier("Auto Scaling group", ARGUMENT_SPEC, model.validate_group_params, apply.reconcile_group, required_if=model.required_if("auto_scaling_group"))


if __name__ == "__main__":
    main()
