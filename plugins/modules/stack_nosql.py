#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_nosql
short_description: Reconcile the DynamoDB tables of a stack (sessions, last trade and top of book per symbol)
version_added: 0.2.0
description:
  - Owns two tables, C(<stack>-sessions) (key C(session_id), expired by TTL) and C(<stack>-market)
    (key C(symbol), holding the last trade and the top of the book of each symbol, one GetItem away).
  - Each table is encrypted with the stack's KMS key (C(alias/<stack>-database), made by the database tier) or
    O(kms_key), has point-in-time recovery and deletion protection unless told otherwise, and carries the tags
    C(hatrading:stack), C(hatrading:tier=nosql) and C(Name).
  - O(billing_mode=provisioned) registers each table's read and write capacity with Application Auto Scaling
    (target tracking on the capacity utilisation); O(billing_mode=on_demand) removes that scaling.
  - O(replica_regions) makes the tables global tables (version 2019.11.21) with a replica in each region.
  - Reads everything first, changes only the difference; a rerun makes no mutating call. Check mode returns the plan.
  - O(state=absent) keeps the tables and their data unless O(delete_tables=true); then each table is backed up
    (unless O(backup_before_delete=false)) and deleted. A protected table is deleted only with O(deletion_protection=false).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  billing_mode:
    description: V(on_demand) (pay per request) or V(provisioned) (capacity scaled by Application Auto Scaling).
    type: str
    choices: [on_demand, provisioned]
    default: on_demand
  read_capacity_min:
    description: Lowest read capacity units of each table (provisioned).
    type: int
    default: 5
  read_capacity_max:
    description: Highest read capacity units of each table (provisioned).
    type: int
    default: 100
  write_capacity_min:
    description: Lowest write capacity units of each table (provisioned).
    type: int
    default: 5
  write_capacity_max:
    description: Highest write capacity units of each table (provisioned).
    type: int
    default: 100
  target_utilization:
    description: Percent of the provisioned capacity that target tracking keeps in use (20-90).
    type: int
    default: 70
  point_in_time_recovery:
    description: Continuous backups (restore to any second of the last 35 days).
    type: bool
    default: true
  session_ttl_attribute:
    description: Attribute of the sessions table holding the expiry (epoch seconds); empty for no TTL.
    type: str
    default: expires_at
  kms_key:
    description: KMS key (ID, ARN or alias) of the tables; empty (the default) for the stack's key C(alias/<stack>-database).
    type: str
    default: ""
  deletion_protection:
    description: Refuse DeleteTable while on. With O(state=absent) and O(delete_tables=true), V(false) lifts it first.
    type: bool
    default: true
  replica_regions:
    description: Other regions holding a replica of each table (a global table); empty for none.
    type: list
    elements: str
    default: []
  replica_kms_keys:
    description: KMS key of the replica in each region (a key lives in one region); the AWS managed key C(alias/aws/dynamodb) where not given.
    type: dict
    default: {}
  wait_timeout:
    description: Seconds to wait for a table to become ACTIVE or gone after a change; 0 does not wait.
    type: int
    default: 600
  confirm_delete:
    description: Must equal O(stack) for O(state=absent).
    type: str
    default: ""
  delete_tables:
    description: With O(state=absent), delete the tables (their data is lost, but for the backup). Kept by default.
    type: bool
    default: false
  backup_before_delete:
    description: With O(delete_tables=true), take an on-demand backup C(<table>-final-<UTC time>) of each table before deleting it.
    type: bool
    default: true
extends_documentation_fragment:
  - hatrading.aws.stack
"""

EXAMPLES = r"""
- name: Tables of stack "prod", provisioned and scaled, with a replica in us-west-2
  hatrading.aws.stack_nosql:
    stack: prod
    billing_mode: provisioned
    read_capacity_max: 400
    replica_regions: [us-west-2]

- name: Show what would change
  hatrading.aws.stack_nosql:
    stack: prod
  check_mode: true
  register: nosql_plan

- name: Delete the tables of stack "prod" (a backup of each first)
  hatrading.aws.stack_nosql:
    stack: prod
    state: absent
    confirm_delete: prod
    delete_tables: true
    deletion_protection: false
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample:
    - {"action": "create", "kind": "table", "name": "prod-sessions"}
    - {"action": "update", "kind": "point_in_time_recovery", "name": "prod-sessions", "fields": ["enabled"]}
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ table prod-sessions", "Plan: 1 to create, 0 to update, 0 to delete."]
notes:
  description: What the plan does not say (tables kept by a teardown, a key not there yet in check mode).
  returned: always
  type: list
  elements: str
nosql:
  description: The tier's tables after the changes.
  returned: always
  type: dict
  contains:
    tables:
      description: Table name of each use (C(sessions), C(market)).
      type: dict
      sample: {"sessions": "prod-sessions", "market": "prod-market"}
    existing:
      description: The tables that exist after the run.
      type: list
      elements: str
    backups:
      description: ARNs of the backups taken before deleting tables.
      type: list
      elements: str
    region:
      description: The tables' region.
      type: str
"""

from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier
from ansible_collections.hatrading.aws.plugins.module_utils.nosql import apply
from ansible_collections.hatrading.aws.plugins.module_utils.nosql import model

ARGUMENT_SPEC = dict(
    TIER_SPEC,
    billing_mode=dict(type="str", choices=sorted(model.BILLING_MODES), default="on_demand"),
    read_capacity_min=dict(type="int", default=5),
    read_capacity_max=dict(type="int", default=100),
    write_capacity_min=dict(type="int", default=5),
    write_capacity_max=dict(type="int", default=100),
    target_utilization=dict(type="int", default=70),
    point_in_time_recovery=dict(type="bool", default=True),
    session_ttl_attribute=dict(type="str", default="expires_at"),
    kms_key=dict(type="str", default="", no_log=False),
    deletion_protection=dict(type="bool", default=True),
    replica_regions=dict(type="list", elements="str", default=[]),
    replica_kms_keys=dict(type="dict", default={}, no_log=False),
    wait_timeout=dict(type="int", default=600),
    confirm_delete=dict(type="str", default=""),
    delete_tables=dict(type="bool", default=False),
    backup_before_delete=dict(type="bool", default=True),
)


def main():
    run_tier("nosql", ARGUMENT_SPEC, model.CHECKS.params, apply.reconcile)


if __name__ == "__main__":
    main()
