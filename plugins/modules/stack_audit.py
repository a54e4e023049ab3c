#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_audit
short_description: Audit a stack's high availability from what AWS reports (read only)
version_added: 0.2.0
description:
  - Reads the stack's network, compute and database resources (found by the C(hatrading:stack) tag and the tier names)
    and checks what a single AZ or instance failure would do to them. Changes nothing.
  - "Network: every layer's subnets span O(min_azs) AZs; a NAT gateway in every app AZ and each app subnet's egress
    staying in its AZ; a VPC flow log."
  - "Compute: each Auto Scaling group spans O(min_azs) AZs, keeps at least O(min_instances), uses ELB health checks,
    has its minimum in service and spreads its instances over AZs; each load balancer spans O(min_azs) AZs; each
    target group has at least O(min_instances) healthy targets."
  - "Database: RDS Multi-AZ, or an Aurora reader in another AZ than the writer; automated backups kept at least
    O(min_backup_days) days; deletion protection."
  - Each finding is V(pass), V(warn) (works, one failure away from trouble), V(fail) (one AZ or instance failure takes
    the tier down) or V(skip) (the tier is not deployed), with the fix for warnings and failures.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  tiers:
    description: The tiers to audit (V(nosql), V(eks), V(observability) and V(logs), optional tiers, when they are deployed).
    type: list
    elements: str
    choices: [network, compute, database, nosql, eks, observability, logs]
    default: [network, compute, database]
  min_azs:
    description: AZs each layer, group and load balancer must span.
    type: int
    default: 2
  min_instances:
    description: Instances each group must keep, and healthy targets each target group must have.
    type: int
    default: 2
  min_backup_days:
    description: Days of automated database backups expected.
    type: int
    default: 7
  fail_on:
    description:
      - V(fail) fails the task when any check fails; V(warn) also on warnings; V(never) only reports.
    type: str
    choices: [fail, warn, never]
    default: fail
extends_documentation_fragment:
  - hatrading.aws.stack_name
notes:
  - Supports check mode (it never changes anything). Read calls only, about a dozen for a whole stack.
"""

EXAMPLES = r"""
- name: Audit stack prod; fail on any check that fails
  hatrading.aws.stack_audit:
    stack: prod
  register: audit

- name: Show the findings
  ansible.builtin.debug:
    var: audit.report
"""

RETURN = r"""
findings:
  description: Every check, in order (network, compute, database).
  returned: always
  type: list
  elements: dict
  sample:
    - check: compute.instances_spread
      tier: compute
      resource: prod-backend
      status: warn
      detail: 2 instances in us-east-1a
      fix: rebalance the group (AZRebalance must not be suspended); losing that AZ takes every instance
summary:
  description: How many findings of each status.
  returned: always
  type: dict
  sample: {"pass": 21, "warn": 2, "fail": 0, "skip": 0}
report:
  description: The findings as lines a person reads, ending with the counts.
  returned: always
  type: list
  elements: str
passed:
  description: Whether the audit passed under O(fail_on).
  returned: always
  type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.audit import model as audit
from ansible_collections.hatrading.aws.plugins.module_utils.audit.read import read_snapshot
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import aws_errors

ARGUMENT_SPEC = dict(
    stack=dict(type="str", required=True),
    tiers=dict(
        type="list",
        elements="str",
        choices=["network", "compute", "database", "nosql", "eks", "observability", "logs"],
        default=["network", "compute", "database"],
    ),
    min_azs=dict(type="int", default=2),
    min_instances=dict(type="int", default=2),
    min_backup_days=dict(type="int", default=7),
    fail_on=dict(type="str", choices=["fail", "warn", "never"], default="fail"),
)


def validate_params(params):
    errors = validate_stack_name(params["stack"], "stack")
    for option in ("min_azs", "min_instances"):
        if params[option] < 1:
            errors.append("%s: %d; give 1 or more" % (option, params[option]))
    if params["min_backup_days"] < 0:
        errors.append("min_backup_days: %d; give 0 or more" % params["min_backup_days"])
    return errors


def main():
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    errors = validate_params(params)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid audit settings: " + "; ".join(errors), errors=errors)
    try:
        snapshot = read_snapshot(Clients(module), params["stack"], params["tiers"])
    except aws_errors() as error:
        module.fail_json_aws(error, msg="Failed to read stack %s for the audit" % params["stack"])

    findings = audit.audit(snapshot, params["min_azs"], params["min_instances"], params["min_backup_days"], params["tiers"])
    result = dict(changed=False, findings=findings, summary=audit.summary(findings), report=audit.render(findings))
    result["passed"] = audit.verdict(findings, params["fail_on"])
    if not result["passed"]:
        module.fail_json(msg="stack %s failed its HA audit (fail_on=%s): %s" % (params["stack"], params["fail_on"], result["report"][-1]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
