#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_report
short_description: Report what a stack holds, as text and as an HTML page with the architecture drawn
version_added: 0.3.0
description:
  - Reads every tier of the stack (found by the C(hatrading:stack) tag and the names the tiers use) and returns it as
    data, as lines for a terminal and as one self-contained HTML page.
  - The page draws the architecture as SVG from what AWS reports now, the VPC with one column per AZ and its subnets
    by layer, a NAT gateway per AZ, both ALBs, the Auto Scaling groups with each instance coloured by its target
    health, the database primary and standby, CloudFront and its S3 bucket, and the delivery pipeline, followed by the
    details of every tier, the month's cost estimate of what is deployed and, with O(audit=true), the HA audit.
  - Read only; never reads a secret's value (the database secret is shown by its ARN).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  audit:
    description: Add the HA audit's findings (M(hatrading.aws.stack_audit) with its defaults) to the page, from the same reads.
    type: bool
    default: true
  path:
    description:
      - Write the HTML page to this file too (its folder is made), unless in check mode; the result is then changed when the
        page differs from the file's content. C(report.yml) writes C(reports/<stack>.html) this way, without a task of its own.
    type: path
  read_cache:
    description:
      - The answers of the run's earlier reads, as a tier module of the run returned them in its result's C(read_cache)
        (C(site.yml) hands them on). A read asked again with the same parameters is answered from here instead of AWS.
    type: dict
extends_documentation_fragment:
  - hatrading.aws.stack_name
notes:
  - Supports check mode; it never changes anything.
"""

EXAMPLES = r"""
- name: Report the stack
  hatrading.aws.stack_report:
    stack: demo
  register: report

- name: Report the stack and write the page
  hatrading.aws.stack_report:
    stack: demo
    path: /tmp/demo.html
"""

RETURN = r"""
path:
  description: The file the page was written to (or, in check mode, would be), when O(path) is set.
  returned: when O(path) is set
  type: str
report:
  description: The stack by tier (network, database, compute, cdn, monitoring, pipeline), as plain data.
  returned: always
  type: dict
lines:
  description: The report as lines for a terminal.
  returned: always
  type: list
  elements: str
  sample: ["== stack demo (us-east-1) ==", "", "VPC        demo-vpc  vpc-0123  10.20.0.0/16"]
html:
  description: The report as one self-contained HTML page (inline SVG, no script).
  returned: always
  type: str
cost:
  description:
    - The month of what is deployed in dollars, priced as M(hatrading.aws.stack_cost) prices settings (items, on-demand and
      committed totals), beside the other resilience profile.
  returned: always
  type: dict
audit:
  description: The HA audit's findings and summary, when O(audit=true).
  returned: when O(audit=true)
  type: dict
"""

import os

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.audit import model as audit
from ansible_collections.hatrading.aws.plugins.module_utils.audit.read import read_snapshot
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import READ_CACHE_OPTION
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import aws_errors
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import start_read_cache
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView
from ansible_collections.hatrading.aws.plugins.module_utils.cost import model as cost
from ansible_collections.hatrading.aws.plugins.module_utils.report import html
from ansible_collections.hatrading.aws.plugins.module_utils.report import text
from ansible_collections.hatrading.aws.plugins.module_utils.report.read import read_report

ARGUMENT_SPEC = dict(stack=dict(type="str", required=True), audit=dict(type="bool", default=True), path=dict(type="path"), read_cache=READ_CACHE_OPTION)
AUDITED = ("network", "compute", "database")


def main():
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    stack = module.params["stack"]
    errors = validate_stack_name(stack)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid report settings: " + "; ".join(errors), errors=errors)
    start_read_cache(module)
    clients = Clients(module)
    view = StackView(clients, stack)
    try:
        report = read_report(clients, stack, module.region, view)
        # an optional tier is audited when it is there (its tables were read for the report: no second read)
        deployed = {"nosql": report["nosql"]["tables"], "observability": report["observability"]["workspace"], "logs": report["logs"]["domain"]}
        tiers = AUDITED + tuple(tier for tier in ("nosql", "observability", "logs") if deployed[tier])
        findings = audit.audit(read_snapshot(clients, stack, tiers, view), tiers=tiers) if module.params["audit"] else None
    except aws_errors() as error:
        module.fail_json_aws(error, msg="Failed to read stack %s for its report" % stack)
    usage = cost.usage_from_report(report)
    comparison = cost.compare(usage, cost.profile_of(usage))
    cost_lines = cost.render(comparison, usage["traffic"])
    result = dict(changed=False, report=report, lines=text.render(report) + [""] + cost_lines, cost=comparison)
    audit_lines = None
    if findings is not None:
        audit_lines = audit.render(findings)
        result["audit"] = dict(findings=findings, summary=audit.summary(findings))
    result["html"] = html.render(report, audit_lines, cost_lines)
    if module.params["path"]:
        result["path"] = module.params["path"]
        result["changed"] = write_page(module.params["path"], result["html"], module.check_mode)
    module.exit_json(**result)


def write_page(path, page, check_mode):
    """Write ``page`` to ``path`` when it differs (not in check mode); whether it differed."""
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == page:
                return False
    except (IOError, OSError):
        pass  # no page yet
    if not check_mode:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(page)
    return True


if __name__ == "__main__":
    main()
