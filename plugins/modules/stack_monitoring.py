#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_monitoring
short_description: Reconcile the monitoring of a stack (SNS topic, CloudWatch alarms, dashboard, log group retention)
version_added: 0.1.0
description:
  - Finds what the other tiers built by their names and stack tags (ALBs C(<stack>-alb-pub) and C(<stack>-alb-int),
    target groups C(<stack>-tg-fe) and C(<stack>-tg-be), Auto Scaling groups C(<stack>-frontend) and C(<stack>-backend),
    the RDS instance or Aurora cluster C(<stack>-database), the network tier's NAT gateways, the nosql tier's DynamoDB tables, the observability
    tier's Prometheus workspace and the logs tier's OpenSearch domain when they are deployed) and
    watches them.
  - Owns the SNS topic C(<stack>-alarms) (unencrypted unless O(kms_key) names a customer managed key) and its e-mail/https subscriptions, the CloudWatch alarms
    C(<stack>-<tier>-<metric>) (each with alarm and OK actions to the topic), the dashboard C(hatrading-<stack>), and the retention
    and tags of the app log groups C(/hatrading/<stack>/<tier>/host) and C(/hatrading/<stack>/<tier>/container).
  - Alarms of resources that do not exist (no database tier, no NAT gateway) are skipped and said so in RV(notes).
  - Reads everything in a few batched calls (one DescribeAlarms for every alarm of the stack), compares normalised
    wanted and actual state, and changes only the difference; a rerun makes no mutating call.
  - Alarms with the stack's name prefix that are no longer wanted are deleted only when their tags say they are
    this stack's monitoring alarms.
  - O(state=absent) deletes alarms, dashboard, subscriptions and topic; the log groups are kept unless
    O(delete_log_groups=true).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  kms_key:
    description:
      - KMS key (ID, ARN or alias) encrypting the topic; empty (the default) leaves it unencrypted.
      - CloudWatch can publish to an encrypted topic only when the key policy lets C(cloudwatch.amazonaws.com) use
        the key (C(kms:Decrypt), C(kms:GenerateDataKey*)). The AWS managed key C(alias/aws/sns) cannot allow that,
        so it is refused before any call.
    type: str
    default: ""
  subscriptions:
    description:
      - Who hears the alarms. Listed ones missing are subscribed, unlisted ones unsubscribed, existing ones left alone
        (never subscribed again, so nobody is asked to confirm twice).
    type: list
    elements: dict
    default: []
    suboptions:
      protocol:
        description: V(email) or V(https).
        type: str
        required: true
        choices: [email, https]
      endpoint:
        description: The e-mail address or https URL (never shown in the output, since a webhook URL may carry a token).
        type: str
        required: true
  thresholds:
    description:
      - Thresholds overriding the defaults, by key. Keys (default) are C(alb_5xx_count) (10), C(target_5xx_count) (10),
        C(latency_p99_seconds) (1.0), C(unhealthy_hosts) (0), C(healthy_hosts_min) (1), C(cpu_percent) (80),
        C(memory_percent) (85), C(disk_percent) (85), C(db_cpu_percent) (80), C(db_free_storage_gib) (2),
        C(db_freeable_memory_mib) (256), C(db_connections) (200), C(db_replica_lag_ms) (1000), C(nat_port_allocation_errors) (0),
        C(nosql_throttled_requests) (0), C(observability_active_series) (8000000), C(logs_free_storage_gib) (5),
        C(logs_jvm_memory_percent) (80); C(logs_cluster_red) (1) is fixed
        (an OpenSearch domain's ClusterStatus.red is 0 or 1).
    type: dict
    default: {}
  period:
    description: Seconds of each evaluated period, a multiple of 60 (every watched metric is per minute).
    type: int
    default: 60
  evaluation_periods:
    description: How many periods each alarm looks at.
    type: int
    default: 5
  datapoints_to_alarm:
    description: How many of those periods must breach for the alarm to fire.
    type: int
    default: 3
  log_retention_days:
    description: Retention of the app log groups.
    type: int
    default: 30
  dashboard:
    description: Keep the CloudWatch dashboard C(hatrading-<stack>).
    type: bool
    default: true
  confirm_delete:
    description: Must equal O(stack) for O(state=absent).
    type: str
    default: ""
  delete_log_groups:
    description: With O(state=absent), delete the app log groups too (their logs are lost).
    type: bool
    default: false
extends_documentation_fragment:
  - hatrading.aws.stack
"""

EXAMPLES = r"""
- name: Watch stack "prod", alarms by e-mail
  hatrading.aws.stack_monitoring:
    stack: prod
    kms_key: alias/prod-alarms
    subscriptions:
      - protocol: email
        endpoint: oncall@example.com
    thresholds:
      latency_p99_seconds: 0.5

- name: Show what would change
  hatrading.aws.stack_monitoring:
    stack: prod
  check_mode: true
  register: monitoring_plan

- name: Delete the monitoring of stack "prod" (the log groups stay)
  hatrading.aws.stack_monitoring:
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
    - {"action": "create", "kind": "metric_alarm", "name": "prod-frontend-latency-p99"}
    - {"action": "update", "kind": "metric_alarm", "name": "prod-backend-cpu-high", "fields": ["threshold"]}
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ sns_topic prod-alarms", "Plan: 1 to create, 0 to update, 0 to delete."]
notes:
  description: What was skipped and why (resources not found), unconfirmed subscriptions, encryption caveats.
  returned: always
  type: list
  elements: str
  sample: ["database: prod-database not found (no database tier); its alarms are skipped"]
monitoring:
  description: What the stack's monitoring is made of, after the changes.
  returned: always
  type: dict
  contains:
    topic_arn:
      description: ARN of the alarm topic, or null when there is none.
      type: str
      sample: arn:aws:sns:us-east-1:123456789012:prod-alarms
    dashboard:
      description: Name of the dashboard.
      type: str
      sample: prod
    dashboard_url:
      description: Console address of the dashboard.
      type: str
      sample: https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=prod
    alarms:
      description: Names of the stack's alarms.
      type: list
      elements: str
      sample: ["prod-frontend-alb-5xx"]
    log_groups:
      description: The app log groups whose retention is managed.
      type: list
      elements: str
      sample: ["/hatrading/prod/frontend/host"]
"""

from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier
from ansible_collections.hatrading.aws.plugins.module_utils.monitoring import apply
from ansible_collections.hatrading.aws.plugins.module_utils.monitoring import model

ARGUMENT_SPEC = dict(
    TIER_SPEC,
    kms_key=dict(type="str", default=model.DEFAULT_KMS_KEY, no_log=False),
    subscriptions=dict(
        type="list",
        elements="dict",
        default=[],
        # an https endpoint may carry a token (webhooks): never in the output
        options=dict(protocol=dict(type="str", required=True, choices=list(model.PROTOCOLS)), endpoint=dict(type="str", required=True, no_log=True)),
    ),
    thresholds=dict(type="dict", default={}),
    period=dict(type="int", default=60),
    evaluation_periods=dict(type="int", default=5),
    datapoints_to_alarm=dict(type="int", default=3),
    log_retention_days=dict(type="int", default=30),
    dashboard=dict(type="bool", default=True),
    confirm_delete=dict(type="str", default=""),
    delete_log_groups=dict(type="bool", default=False),
)


def main():
    run_tier("monitoring", ARGUMENT_SPEC, model.CHECKS.params, apply.reconcile)


if __name__ == "__main__":
    main()
