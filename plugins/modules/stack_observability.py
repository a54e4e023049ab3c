#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_observability
short_description: Reconcile the Prometheus and Grafana of a stack (Amazon Managed Service for Prometheus and Amazon Managed Grafana)
version_added: 0.2.0
description:
  - Owns an Amazon Managed Service for Prometheus workspace with the alias C(<stack>-prometheus), and in it one rule
    groups namespace C(<stack>-rules) holding every group of O(rule_files) (alert and recording rules as code).
  - Routes every alert of those rules to the monitoring tier's SNS topic C(<stack>-alarms) with an alert manager definition
    on the workspace (one C(sns_configs) receiver, alerts grouped by C(alertname)), compared as parsed YAML. The topic's
    ARN is made from its name and the workspace's account; the monitoring tier lets C(aps.amazonaws.com) publish to it.
  - Feeds it with a collector. O(collector=agent) writes the Prometheus scrape configuration of the back-end's C(/metrics)
    (each back-end instance's agent scrapes its own C(127.0.0.1:<scrape_port>) and labels its series with its instance
    ID and AZ, a SigV4 remote write to the workspace) to the SSM parameter
    C(/hatrading/<stack>/observability/scrape-config), read by the agent the compute tier runs on the back-end
    (M(hatrading.aws.compute_launch_template) option C(prometheus_agent)). O(collector=managed_scraper)
    makes an AMP managed scraper C(<stack>-scraper) on the eks tier's cluster (the back-end's pods).
  - With O(grafana_enabled=true), an Amazon Managed Grafana workspace C(<stack>-grafana) with the Prometheus workspace as
    its data source and O(dashboards) (Grafana dashboard JSON, each with its C(uid)). The dashboards go through the
    workspace's Grafana API with a service account token that lives 15 minutes and is deleted at once; their digest is kept
    as the tag C(hatrading:dashboards) on the workspace, so a rerun that finds it equal asks Grafana nothing.
  - Reads everything first, changes only the difference; a rerun makes no mutating call. Check mode returns the plan.
  - O(state=absent) removes the collector and the alert manager definition, and keeps both workspaces (the metrics,
    the dashboards) unless O(delete_workspaces=true).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  collector:
    description: What feeds the workspace; V(none) for nothing.
    type: str
    choices: [agent, managed_scraper, none]
    default: agent
  scrape_port:
    description: Port of the back-end's C(/metrics) on the instances.
    type: int
    default: 8081
  scrape_interval:
    description: Seconds between scrapes.
    type: int
    choices: [15, 30, 60]
    default: 30
  rule_files:
    description: Prometheus rule files, file name to its text (C(groups) of C(alert) and C(record) rules); all go to one namespace.
    type: dict
    default: {}
  alert_group_wait:
    description: How long the alert manager waits to send the first message of a new group of alerts (an Alertmanager duration).
    type: str
    default: 30s
  alert_group_interval:
    description: How long it waits before telling of new alerts in a group already sent.
    type: str
    default: 5m
  alert_repeat_interval:
    description: How long it waits before sending a firing alert again; no shorter than O(alert_group_interval).
    type: str
    default: 4h
  grafana_enabled:
    description: Make the Grafana workspace and provision O(dashboards).
    type: bool
    default: false
  grafana_authentication:
    description: How users sign in to Grafana.
    type: str
    choices: [AWS_SSO, SAML]
    default: AWS_SSO
  dashboards:
    description: Grafana dashboards, file name to its JSON (each with a C(uid) and a C(title)).
    type: dict
    default: {}
  wait_timeout:
    description: Seconds to wait for a new workspace or scraper to become active; 0 does not wait.
    type: int
    default: 600
  confirm_delete:
    description: Must equal O(stack) for O(state=absent).
    type: str
    default: ""
  delete_workspaces:
    description: With O(state=absent), delete the rules and both workspaces (the metrics and the dashboards are lost). Kept by default.
    type: bool
    default: false
extends_documentation_fragment:
  - hatrading.aws.stack
"""

EXAMPLES = r"""
- name: Prometheus workspace, rules and the agent's scrape configuration of stack "prod", with Grafana
  hatrading.aws.stack_observability:
    stack: prod
    rule_files:
      trading.yml: "{{ lookup('ansible.builtin.file', 'rules/trading.yml') }}"
    grafana_enabled: true
    dashboards:
      trading.json: "{{ lookup('ansible.builtin.file', 'dashboards/trading.json') }}"

- name: Stop collecting, keep the workspaces
  hatrading.aws.stack_observability:
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
    - {"action": "create", "kind": "workspace", "name": "prod-prometheus"}
    - {"action": "create", "kind": "rules", "name": "prod-rules"}
    - {"action": "create", "kind": "alert_manager", "name": "prod-prometheus"}
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ workspace prod-prometheus", "Plan: 1 to create, 0 to update, 0 to delete."]
notes:
  description: What the plan does not say (workspaces kept by a teardown, a missing cluster in check mode).
  returned: always
  type: list
  elements: str
observability:
  description: The tier's resources after the run.
  returned: always
  type: dict
  contains:
    workspace:
      description: The Prometheus workspace's alias.
      type: str
    workspace_id:
      description: Its ID (None before it exists).
      type: str
    prometheus_endpoint:
      description: Its Prometheus endpoint (remote write at C(api/v1/remote_write), queries at C(api/v1/query)).
      type: str
    rules_namespace:
      description: The rule groups namespace.
      type: str
    collector:
      description: The collector's resources found before the run (the SSM parameter, the scraper).
      type: list
      elements: str
    grafana_workspace_id:
      description: The Grafana workspace's ID, when there is one.
      type: str
    grafana_endpoint:
      description: The Grafana workspace's host name.
      type: str
"""

from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier
from ansible_collections.hatrading.aws.plugins.module_utils.observability import apply
from ansible_collections.hatrading.aws.plugins.module_utils.observability import model

ARGUMENT_SPEC = dict(
    TIER_SPEC,
    collector=dict(type="str", choices=list(model.COLLECTORS), default="agent"),
    scrape_port=dict(type="int", default=8081),
    scrape_interval=dict(type="int", choices=list(model.SCRAPE_INTERVALS), default=30),
    rule_files=dict(type="dict", default={}),
    alert_group_wait=dict(type="str", default=model.ALERT_TIMING_DEFAULTS["alert_group_wait"]),
    alert_group_interval=dict(type="str", default=model.ALERT_TIMING_DEFAULTS["alert_group_interval"]),
    alert_repeat_interval=dict(type="str", default=model.ALERT_TIMING_DEFAULTS["alert_repeat_interval"]),
    grafana_enabled=dict(type="bool", default=False),
    grafana_authentication=dict(type="str", choices=list(model.GRAFANA_AUTHENTICATION), default="AWS_SSO"),
    dashboards=dict(type="dict", default={}),
    wait_timeout=dict(type="int", default=600),
    confirm_delete=dict(type="str", default=""),
    delete_workspaces=dict(type="bool", default=False),
)


def main():
    run_tier("observability", ARGUMENT_SPEC, model.CHECKS.params, apply.reconcile)


if __name__ == "__main__":
    main()
