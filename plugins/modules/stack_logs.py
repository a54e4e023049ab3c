#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_logs
short_description: Reconcile a stack's OpenSearch domain for logs and the Firehose delivery of its log groups into it
version_added: 0.2.0
description:
  - Owns one OpenSearch domain C(<stack>-logs) in the network tier's data subnets of every AZ (zone awareness with the
    AZ count), encrypted at rest with the stack's KMS key (C(alias/<stack>-database), made by the database tier) or
    O(kms_key), node-to-node encryption, HTTPS only (TLS 1.2), fine-grained access control, reachable only inside the
    VPC through its own security group C(<stack>-logs), an access policy granting only the stack's account, and the
    daily automated snapshot at O(snapshot_hour).
  - The master user is the IAM principal O(master_user_arn), or an internal user O(master_user_name) whose password is
    O(master_user_password) or, when that is empty, one made once and kept in Secrets Manager as C(<stack>/logs/master).
  - Delivery is one Firehose stream C(<stack>-logs) into the domain's index C(hatrading-logs) (rotated per
    O(index_rotation)), buffered and retried, with the documents it could not index in the bucket
    C(hatrading-<stack>-logs-<region>). CloudWatch Logs subscription filters send the app instances' log groups and the
    VPC flow log group to it; a group not made yet is made so its filter has a group.
  - Reads everything first, changes only the difference; a rerun makes no mutating call. Check mode returns the plan.
  - O(state=absent) stops the delivery (filters, stream, roles) and keeps the domain, the bucket and the secret unless
    O(delete_domain=true).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  engine_version:
    description: OpenSearch version, C(OpenSearch_<major>.<minor>).
    type: str
    default: OpenSearch_2.13
  instance_type:
    description: Instance type of the data nodes.
    type: str
    default: r6g.large.search
  instance_count:
    description: Number of data nodes; a multiple of the AZ count.
    type: int
    default: 2
  az_count:
    description: AZs of the domain (2 or 3 turn zone awareness on); 0 for every AZ of the data subnets (at most 3).
    type: int
    default: 0
  dedicated_master:
    description: Dedicated master nodes (O(master_count) of O(master_instance_type)).
    type: bool
    default: false
  master_instance_type:
    description: Instance type of the dedicated masters.
    type: str
    default: m6g.large.search
  master_count:
    description: Number of dedicated masters, 3 or 5.
    type: int
    default: 3
  volume_size:
    description: EBS (gp3) volume of each data node, in GiB.
    type: int
    default: 20
  snapshot_hour:
    description: Hour (UTC) of the automated daily snapshot.
    type: int
    default: 3
  tls_policy:
    description: TLS policy of the HTTPS endpoint.
    type: str
    choices: [Policy-Min-TLS-1-2-2019-07, Policy-Min-TLS-1-2-PFS-2023-10]
    default: Policy-Min-TLS-1-2-2019-07
  kms_key:
    description: KMS key (ID, ARN or alias) of the domain and the bucket; empty for the stack's key C(alias/<stack>-database).
    type: str
    default: ""
  master_user_arn:
    description: IAM role or user ARN of the fine-grained access master; empty for an internal master user.
    type: str
    default: ""
  master_user_name:
    description: Name of the internal master user.
    type: str
    default: admin
  master_user_password:
    description: Password of the internal master user; empty to make one, kept in Secrets Manager C(<stack>/logs/master).
    type: str
    default: ""
  index_rotation:
    description: How often Firehose starts a new index.
    type: str
    choices: [NoRotation, OneHour, OneDay, OneWeek, OneMonth]
    default: OneDay
  buffer_seconds:
    description: Firehose buffering interval (60-900 s).
    type: int
    default: 60
  buffer_mb:
    description: Firehose buffer size (1-100 MiB).
    type: int
    default: 5
  retry_seconds:
    description: How long Firehose retries a document the domain refuses before it goes to the bucket (0-7200 s).
    type: int
    default: 300
  ship_app_logs:
    description: Subscribe the app instances' log groups C(/hatrading/<stack>/{frontend,backend}/{host,container}).
    type: bool
    default: true
  ship_flow_logs:
    description: Subscribe the VPC flow log group C(/hatrading/<stack>/vpc-flow-logs).
    type: bool
    default: true
  filter_pattern:
    description: CloudWatch Logs filter pattern of the subscriptions; empty sends every event.
    type: str
    default: ""
  wait_timeout:
    description: Seconds to wait for a new domain to be ready (AWS takes 15-30 minutes) or a deleted one to be gone; 0 does not wait.
    type: int
    default: 3600
  confirm_delete:
    description: Must equal O(stack) for O(state=absent).
    type: str
    default: ""
  delete_domain:
    description: With O(state=absent), delete the domain (its indices and automated snapshots go with it) and its security group.
    type: bool
    default: false
extends_documentation_fragment:
  - hatrading.aws.stack
"""

EXAMPLES = r"""
- name: Logs of stack "prod" in OpenSearch, three AZs, dedicated masters
  hatrading.aws.stack_logs:
    stack: prod
    instance_count: 3
    dedicated_master: true

- name: Show what would change
  hatrading.aws.stack_logs:
    stack: prod
  check_mode: true
  register: logs_plan

- name: Stop the delivery, keep the domain
  hatrading.aws.stack_logs:
    stack: prod
    state: absent
    confirm_delete: prod
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample:
    - {"action": "create", "kind": "domain", "name": "prod-logs"}
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
notes:
  description: What the plan does not say (what a teardown keeps, why no final snapshot, a key or subnets not there yet in check mode).
  returned: always
  type: list
  elements: str
logs:
  description: The tier's names and state after the run.
  returned: always
  type: dict
  contains:
    domain:
      description: The domain's name.
      type: str
    domain_exists:
      description: Whether the domain exists after the run.
      type: bool
    endpoint:
      description: The domain's VPC endpoint (as read before the run).
      type: str
    delivery_stream:
      description: The Firehose stream's name.
      type: str
    bucket:
      description: The bucket of the documents Firehose could not index.
      type: str
    master_secret:
      description: The Secrets Manager secret of the internal master user (when the tier made the password).
      type: str
    shipped_log_groups:
      description: The log groups with a subscription filter into the stream after the run.
      type: list
      elements: str
    region:
      description: The region.
      type: str
"""

from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier
from ansible_collections.hatrading.aws.plugins.module_utils.logs import apply
from ansible_collections.hatrading.aws.plugins.module_utils.logs import model

ARGUMENT_SPEC = dict(
    TIER_SPEC,
    engine_version=dict(type="str", default="OpenSearch_2.13"),
    instance_type=dict(type="str", default="r6g.large.search"),
    instance_count=dict(type="int", default=2),
    az_count=dict(type="int", default=0),
    dedicated_master=dict(type="bool", default=False),
    master_instance_type=dict(type="str", default="m6g.large.search"),
    master_count=dict(type="int", default=3),
    volume_size=dict(type="int", default=20),
    snapshot_hour=dict(type="int", default=3),
    tls_policy=dict(type="str", choices=list(model.TLS_POLICIES), default=model.TLS_POLICIES[0]),
    kms_key=dict(type="str", default="", no_log=False),
    master_user_arn=dict(type="str", default=""),
    master_user_name=dict(type="str", default="admin"),
    master_user_password=dict(type="str", default="", no_log=True),
    index_rotation=dict(type="str", choices=list(model.ROTATIONS), default="OneDay"),
    buffer_seconds=dict(type="int", default=60),
    buffer_mb=dict(type="int", default=5),
    retry_seconds=dict(type="int", default=300),
    ship_app_logs=dict(type="bool", default=True),
    ship_flow_logs=dict(type="bool", default=True),
    filter_pattern=dict(type="str", default=""),
    wait_timeout=dict(type="int", default=3600),
    confirm_delete=dict(type="str", default=""),
    delete_domain=dict(type="bool", default=False),
)


def main():
    run_tier("logs", ARGUMENT_SPEC, model.CHECKS.params, apply.reconcile)


if __name__ == "__main__":
    main()
