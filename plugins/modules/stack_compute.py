#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_compute
short_description: Reconcile every app tier of a stack (load balancers, launch templates, Auto Scaling groups) in one run
version_added: 0.2.0
description:
  - The compute tier in one module run, what the C(hatrading.aws.compute) role calls. For each entry of O(tiers) it
    reconciles what M(hatrading.aws.compute_load_balancer), M(hatrading.aws.compute_launch_template) and
    M(hatrading.aws.compute_autoscaling) reconcile for one tier, with the same options, plans and results.
  - "Order with O(state=present): every load balancer, then every launch template (so a tier's container can be given
    another tier's load balancer URL, see O(tiers[].load_balancer_urls)), then every Auto Scaling group.
    With O(state=absent): groups, then load balancers, then templates and identities."
  - One module run instead of one per resource and tier; the stack's subnets and security groups are read once and
    shared, and the region's instance types are checked in one call for all tiers.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  tiers:
    description:
      - The app tiers to reconcile, each at most once.
    type: list
    elements: dict
    required: true
    suboptions:
      tier:
        description: Which app tier.
        type: str
        required: true
        choices: [frontend, backend]
      load_balancer:
        description:
          - The options of M(hatrading.aws.compute_load_balancer) except C(stack), C(state), C(tags) and C(tier)
            (port, health_path, listener_port, certificate_arn, deregistration_delay, ...). Checked the same way.
        type: dict
        default: {}
      launch_template:
        description:
          - The options of M(hatrading.aws.compute_launch_template) except C(stack), C(state), C(tags) and C(tier)
            (image, port, instance_type, environment, registry_auth, ...). Checked the same way.
        type: dict
        default: {}
      auto_scaling_group:
        description:
          - The options of M(hatrading.aws.compute_autoscaling) except C(stack), C(state), C(tags) and C(tier)
            (min_size, desired_capacity, max_size, cpu_target, spot_share, warm_pool, ...). Checked the same way.
        type: dict
        default: {}
      load_balancer_urls:
        description:
          - "Container environment variables set to another tier's load balancer URL, variable name to tier,
            for example C({BACKEND_URL: backend}) for the front-end. That tier must be in O(tiers)."
        type: dict
        default: {}
extends_documentation_fragment:
  - hatrading.aws.stack
notes:
  - Every option of each tier is checked before the first AWS call; errors name the option as C(tiers[N].<part>.<option>).
"""

EXAMPLES = r"""
- name: Both app tiers of stack prod
  hatrading.aws.stack_compute:
    stack: prod
    tiers:
      - tier: backend
        load_balancer: {port: 8081, listener_port: 80}
        launch_template: {image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/backend:1.4.2", port: 8081}
        auto_scaling_group: {min_size: 2, desired_capacity: 2, max_size: 6}
      - tier: frontend
        load_balancer: {port: 8080, certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/0b5a0f4e-1111-2222-3333-444455556666"}
        launch_template: {image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/frontend:1.4.2", port: 8080}
        auto_scaling_group: {min_size: 2, desired_capacity: 2, max_size: 4, warm_pool: {min_size: 1}}
        load_balancer_urls: {BACKEND_URL: backend}

- name: Delete both tiers (groups first)
  hatrading.aws.stack_compute:
    stack: prod
    state: absent
    tiers: [{tier: frontend}, {tier: backend}]
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order, over every tier.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "create", "kind": "load_balancer", "name": "prod-alb-int"}]
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ load_balancer prod-alb-int", "Plan: 1 to create, 0 to update, 0 to delete."]
tiers:
  description:
    - Per tier, the results M(hatrading.aws.compute_load_balancer) (load_balancer, target_group, url, resource_label),
      M(hatrading.aws.compute_launch_template) (launch_template, instance_profile) and
      M(hatrading.aws.compute_autoscaling) (auto_scaling_group, refresh_preferences, warm_pool, instance_refresh_id) return.
  returned: always
  type: dict
  sample:
    backend:
      url: http://prod-alb-int-1234.us-east-1.elb.amazonaws.com:80
      load_balancer: {name: prod-alb-int, scheme: internal}
      launch_template: {name: prod-backend, version: 3}
      auto_scaling_group: {name: prod-backend, launch_template_version: "3"}
"""

from ansible_collections.hatrading.aws.plugins.module_utils.compute import apply
from ansible_collections.hatrading.aws.plugins.module_utils.compute import model
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier

ARGUMENT_SPEC = dict(
    model.COMMON_SPEC,
    tiers=dict(
        type="list",
        elements="dict",
        required=True,
        options=dict(
            tier=dict(type="str", required=True, choices=list(APP_TIERS)),
            load_balancer=dict(type="dict", default={}),
            launch_template=dict(type="dict", default={}),
            auto_scaling_group=dict(type="dict", default={}),
            load_balancer_urls=dict(type="dict", default={}),
        ),
    ),
)


def main():
    run_tier("compute", ARGUMENT_SPEC, model.validate_params, apply.reconcile)


if __name__ == "__main__":
    main()
