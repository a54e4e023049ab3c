#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_cost
short_description: Estimate a stack's month in dollars from its settings, before any AWS call
version_added: 0.3.0
description:
  - Prices what the settings would build, NAT gateways (hours, public IPv4 and data processed), instances by type and count
    with the spot share and what a 1-year commitment saves, the database (Multi-AZ or single, Aurora instances, storage, I/O),
    load balancers (hours and LCUs), data out, CloudFront and the S3 bucket, alarms, dashboard and logs, the pipeline.
  - The growth tiers when their settings are given, DynamoDB (requests or capacity, storage, backups, replicas), the EKS
    control plane and nodes, Managed Prometheus (samples from the back-end's targets, storage, queries) and Managed
    Grafana licences, OpenSearch (data nodes, dedicated masters, gp3 storage) and its Firehose delivery.
  - The alarms are counted from the monitoring tier's own list of alarms, the growth tiers' included.
  - Prices come from a table shipped in the collection (C(plugins/module_utils/cost/prices.py)) with its date, region and
    source; traffic is an assumption, stated with every estimate and set with O(traffic).
  - Prices the other resilience profile beside it (V(ha) against V(cost)) and gives the difference.
  - With O(budget_monthly), a plan whose on-demand estimate is above it fails, so C(site.yml) stops before any change.
  - Runs on the controller as an action plugin; makes no AWS call.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  profile:
    description: The resilience profile the settings use (C(hatrading_resilience)).
    type: str
    choices: [ha, cost]
    default: ha
  budget_monthly:
    description: Fail when the on-demand estimate is above this many dollars a month.
    type: float
  traffic:
    description:
      - Traffic assumptions that override the defaults (V(requests_per_month), V(response_kb), V(cdn_gb_month),
        V(cdn_requests_per_month), V(nat_gb_month), V(log_gb_month), V(flow_log_gb_month), V(aurora_io_millions_month),
        V(build_minutes_month), V(image_gb), V(static_site_gb), V(dynamodb_writes_millions_month),
        V(dynamodb_reads_millions_month), V(dynamodb_gb), V(prometheus_query_billions_month), V(grafana_editors),
        V(grafana_viewers)).
    type: dict
    default: {}
  settings:
    description:
      - "The tiers' settings, C({tier: settings without the role prefix}). Inside site.yml leave it out; each tier's validate
        step has left its checked settings in the facts C(__hatrading_settings_<tier>)."
    type: dict
notes:
  - Supports check mode; it never changes anything.
"""

EXAMPLES = r"""
- name: Estimate the month and stop above 900 USD
  hatrading.aws.stack_cost:
    profile: "{{ hatrading_resilience | default('ha') }}"
    budget_monthly: 900
  register: cost

- name: Show it
  ansible.builtin.debug:
    msg: "{{ cost.lines | join('\n') }}"
"""

RETURN = r"""
cost:
  description: The estimate (items with their monthly dollars, on-demand and committed totals), the other profile's, the difference.
  returned: always
  type: dict
lines:
  description: The estimate as lines a person reads, with its assumptions and the source of the prices.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hatrading.aws.plugins.module_utils.cost import model
from ansible_collections.hatrading.aws.plugins.module_utils.cost.modes import ARGUMENT_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.cost.modes import over_budget


def main():
    # The action plugin of the same name does this on the controller; the module remains for its documentation and direct use.
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    usage = model.usage_from_settings(dict(params["settings"] or {}, traffic=params["traffic"]))
    comparison = model.compare(usage, params["profile"])
    lines = model.render(comparison, usage["traffic"], params["budget_monthly"])
    message = over_budget(comparison, params["budget_monthly"])
    if message:
        module.fail_json(msg=message, cost=comparison, lines=lines)
    module.exit_json(changed=False, cost=comparison, lines=lines)


if __name__ == "__main__":
    main()
