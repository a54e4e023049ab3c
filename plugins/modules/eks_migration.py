#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: eks_migration
short_description: Move the front-end's traffic from the Auto Scaling group to EKS in steps, rolling back on an alarm
version_added: 0.2.0
description:
  - The public ALB C(<stack>-alb-pub)'s listeners that forward to the compute tier's C(<stack>-tg-fe) are set to
    forward to two weighted target groups, C(<stack>-tg-fe) and C(<stack>-tg-eks) (made here when missing; target
    type ip, for the AWS Load Balancer Controller to register the front-end pods in, through a TargetGroupBinding.)
  - Each step of O(steps) sets the EKS share, then bakes O(bake_time) seconds watching O(rollback_alarms) (by
    default the monitoring tier's alarms on the public ALB and the cluster, the kind the rolling update
    watches). An alarm in C(ALARM) puts every listener back on the share the run started from and fails, naming it.
  - No traffic moves towards EKS while C(<stack>-tg-eks) has fewer than O(min_healthy_targets) healthy targets. The
    run fails before its first step, naming the group, and returns RV(migration.target_group_binding) to apply
    (kubectl) so that the AWS Load Balancer Controller registers the front-end pods. Check mode warns instead.
  - A rerun continues from the share it finds (steps at or below it are skipped); at 100 % it changes nothing.
    O(rollback=true) moves all traffic back to the Auto Scaling group at once.
  - Check mode returns the steps it would take.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  tags:
    description: Extra tags on the target group C(<stack>-tg-eks) it creates, beside C(hatrading:stack), C(hatrading:tier) and C(Name).
    type: dict
    default: {}
  steps:
    description: The EKS shares (percent), rising.
    type: list
    elements: int
    default: [10, 25, 50, 100]
  bake_time:
    description: Seconds each step is watched before the next.
    type: int
    default: 300
  poll_interval:
    description: Seconds between two reads of the alarms during a bake.
    type: int
    default: 5
  rollback_alarms:
    description: Alarms that roll back; empty watches the monitoring tier's alarms on the public ALB and the cluster.
    type: list
    elements: str
    default: []
  rollback:
    description: Move all traffic back to the Auto Scaling group.
    type: bool
    default: false
  frontend_port:
    description: Port of the EKS target group (the front-end pods' port).
    type: int
    default: 8080
  health_path:
    description: Health check path of the EKS target group.
    type: str
    default: /health
  namespace:
    description: Kubernetes namespace of the front-end Service (the EKS tier's C(eks_namespace)), for the TargetGroupBinding.
    type: str
    default: hatrading
  min_healthy_targets:
    description: Healthy targets (front-end pods) C(<stack>-tg-eks) must have before the first move towards EKS.
    type: int
    default: 2
extends_documentation_fragment:
  - hatrading.aws.stack_name
"""

EXAMPLES = r"""
- name: 10, 25, 50 then 100 % of the front-end's traffic to EKS, 5 minutes under watch each
  hatrading.aws.eks_migration:
    stack: prod

- name: Everything back on the Auto Scaling group
  hatrading.aws.eks_migration:
    stack: prod
    rollback: true
"""

RETURN = r"""
plan:
  description: The steps taken, or in check mode the steps that would be taken.
  returned: always
  type: list
  elements: dict
plan_text:
  description: The plan as lines.
  returned: always
  type: list
  elements: str
migration:
  description: Where the run started, the steps asked and done, the listeners moved, the alarms watched, and on a breach its reason.
  returned: always
  type: dict
  sample: {"start_percent": 0, "steps": [10, 25], "done": [10], "breach": "alarm prod-frontend-alb-5xx in ALARM", "rolled_back_to": 0}
  contains:
    target_group_binding:
      description:
        - The TargetGroupBinding (C(elbv2.k8s.aws/v1beta1)) of the front-end Service to C(<stack>-tg-eks), by ARN, letting the
          public ALB's security groups reach the pods; null before the group exists (check mode of a first run).
      returned: always
      type: dict
"""

from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier
from ansible_collections.hatrading.aws.plugins.module_utils.eks import migrate

ARGUMENT_SPEC = dict(
    stack=dict(type="str", required=True),
    tags=dict(type="dict", default={}),
    steps=dict(type="list", elements="int", default=[10, 25, 50, 100]),
    bake_time=dict(type="int", default=300),
    poll_interval=dict(type="int", default=5),
    rollback_alarms=dict(type="list", elements="str", default=[]),
    rollback=dict(type="bool", default=False),
    frontend_port=dict(type="int", default=8080),
    health_path=dict(type="str", default="/health"),
    namespace=dict(type="str", default="hatrading"),
    min_healthy_targets=dict(type="int", default=2),
)


def main():
    run_tier("eks_migration", ARGUMENT_SPEC, migrate.validate_params, migrate.reconcile)


if __name__ == "__main__":
    main()
