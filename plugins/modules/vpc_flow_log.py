#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vpc_flow_log
short_description: Reconcile a VPC flow log to CloudWatch Logs, its log group and its delivery role
version_added: 0.1.0
description:
  - Keeps one flow log (found by its C(Name) and C(hatrading:stack) tags) on a VPC, delivering to a CloudWatch
    Logs group with a retention, through an IAM role that may write to that group only.
  - A rerun that finds everything in place makes three read calls and no change. Flow logs cannot be modified,
    so a changed setting replaces the flow log.
  - The role's trust policy and the tags of the role and the log group are set when they are created and not
    compared afterwards (reading them would cost two more calls on every run).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  name:
    description: Name of the flow log (its C(Name) tag); also names the plan steps.
    type: str
    required: true
  tier:
    description: Value of the C(hatrading:tier) tag.
    type: str
    default: network
  vpc_id:
    description:
      - The VPC to log. Required when O(state=present), except in check mode, where a missing one stands for a
        VPC that the same run would create.
    type: str
  log_group_name:
    description: CloudWatch Logs group receiving the records. Defaults to C(/hatrading/<stack>/vpc-flow-logs).
    type: str
  retention_days:
    description: Days CloudWatch Logs keeps the records.
    type: int
    default: 30
  traffic_type:
    description: Which traffic to record.
    type: str
    choices: [ALL, ACCEPT, REJECT]
    default: ALL
  max_aggregation_interval:
    description: Seconds over which records are aggregated.
    type: int
    choices: [60, 600]
    default: 600
  role_name:
    description: IAM role the flow log service assumes to deliver. Defaults to C(<stack>-vpc-flow-logs).
    type: str
  retain_log_group:
    description: With O(state=absent), keep the log group and its records.
    type: bool
    default: false
extends_documentation_fragment:
  - hatrading.aws.stack
"""

EXAMPLES = r"""
- name: Record all traffic of the stack's VPC for 90 days
  hatrading.aws.vpc_flow_log:
    stack: prod
    name: prod-vpc-flow-log
    vpc_id: "{{ network.network.vpc_id }}"
    retention_days: 90

- name: Remove the flow log, its role and its log group
  hatrading.aws.vpc_flow_log:
    stack: prod
    name: prod-vpc-flow-log
    state: absent
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "update", "kind": "log_group", "name": "prod-vpc-flow-log", "fields": ["retention_days"]}]
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["~ log_group prod-vpc-flow-log (retention_days)", "Plan: 0 to create, 1 to update, 0 to delete."]
flow_log:
  description: The flow log after the changes (in check mode, as found); empty when there is none.
  returned: always
  type: dict
  contains:
    flow_log_id:
      description: ID of the flow log.
      type: str
      sample: fl-0a1b2c3d
    log_group_name:
      description: The log group receiving the records.
      type: str
      sample: /hatrading/prod/vpc-flow-logs
    role_arn:
      description: ARN of the delivery role.
      type: str
      sample: arn:aws:iam::123456789012:role/prod-vpc-flow-logs
"""

from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier
from ansible_collections.hatrading.aws.plugins.module_utils.network import flow_log

ARGUMENT_SPEC = dict(
    TIER_SPEC,
    name=dict(type="str", required=True),
    tier=dict(type="str", default="network"),
    vpc_id=dict(type="str"),
    **flow_log.FLOW_LOG_OPTIONS,
)


def main():
    run_tier("flow log", ARGUMENT_SPEC, flow_log.validate_params, flow_log.reconcile)


if __name__ == "__main__":
    main()
