#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: failover_drill
short_description: Run a failover drill against a stack under a synthetic order flow, with stop conditions, or write it as an FIS experiment template
version_added: 0.3.0
description:
  - "O(scenario=instance_loss): terminate one healthy instance of the tier's Auto Scaling group C(<stack>-<tier>) and wait for
    the group to be back to its desired healthy capacity (in service, and healthy in its target groups)."
  - "O(scenario=az_loss): take the group's subnets in O(az) (default: the first AZ holding an instance) out of the group,
    terminate every instance there, wait for the desired healthy capacity in the other AZs, then put the subnets back."
  - "O(scenario=database_failover): C(RebootDBInstance) with C(ForceFailover) (a Multi-AZ instance) or C(FailoverDBCluster)
    (O(db_cluster)), then wait until the primary has moved and the order flow is acknowledged again."
  - "O(scenario=bad_release): the group launches O(bad_release_version) of its launch template and one instance is replaced by it;
    the drill expects a stop condition to fire. Then the group's version is put back and the bad instances replaced."
  - "Stop conditions: any alarm of O(stop_alarms) in ALARM, or the synthetic order flow's error rate over O(max_error_rate)
    in the last O(error_window) seconds. Either ends the drill and restores the stack."
  - "With O(order_url), the module itself sends small resting orders (each with its own client_order_id) at O(order_rate) a
    second through that URL during the drill, and afterwards asks it for every acknowledged order (orders lost)."
  - O(mode=template) injects nothing; it writes the scenario as an AWS FIS experiment template (create or update, by its Name tag)
    with the same stop conditions, and with O(load_balancer) an error-rate alarm that stands for O(max_error_rate).
  - Only AWS APIs are called (Auto Scaling, EC2, RDS, CloudWatch, ELB, FIS), so the same drill runs against AWS and the lab.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  stack: {description: Name of the stack., type: str, required: true}
  scenario:
    description: The fault.
    type: str
    required: true
    choices: [instance_loss, az_loss, database_failover, bad_release]
  mode:
    description: V(run) the drill, or write it as an FIS V(template).
    type: str
    choices: [run, template]
    default: run
  tier: {description: The tier whose group the instance scenarios act on., type: str, choices: [backend, frontend], default: backend}
  az: {description: The AZ that O(scenario=az_loss) loses (default the first one holding an instance)., type: str}
  db_instance: {description: "The DB instance to fail over (default the stack's, by tag C(hatrading:stack)).", type: str}
  db_cluster: {description: The Aurora cluster to fail over instead of an instance., type: str}
  bad_release_version: {description: "The launch template version with the bad image, for O(scenario=bad_release).", type: str}
  order_url: {description: "Base URL answering C(POST /orders) (the front door's C(/api)); without it no synthetic flow runs.", type: str}
  order_rate: {description: Synthetic orders a second (one at a time)., type: float, default: 5}
  order_symbol: {description: Symbol of the synthetic orders (they rest far from any market)., type: str, default: DRILL}
  stop_alarms: {description: CloudWatch alarm names; one in ALARM stops the drill., type: list, elements: str, default: []}
  max_error_rate: {description: "Share of failed synthetic orders (0-1) in O(error_window) that stops the drill.", type: float, default: 0.2}
  min_requests:
    description:
      - Orders the error rate is computed over at least.
      - When the last O(error_window) seconds hold fewer (a front door slowed down), the last O(min_requests) orders count instead.
    type: int
    default: 10
  error_window: {description: Seconds of the error-rate window., type: float, default: 10}
  warmup: {description: Seconds of order flow before the fault., type: float, default: 5}
  duration: {description: Seconds the drill (and then the restore) may take at most., type: float, default: 300}
  poll_interval: {description: Seconds between the checks., type: float, default: 2}
  settle: {description: Seconds of order flow after the recovery., type: float, default: 5}
  report_dir: {description: "Directory where C(<stack>-<scenario>.json) and C(.md) are written.", type: path}
  fis_role_arn: {description: The IAM role FIS assumes (O(mode=template))., type: str}
  load_balancer: {description: "The front door ALB's name; with O(mode=template), its error-rate alarm is put and used as a stop condition.", type: str}
  audit:
    description:
      - After the drill and its restore, run the high-availability audit of M(hatrading.aws.stack_audit) (network, compute and database,
        with its default bounds) against the stack and put its counts and failed checks into the report (C(audit)).
      - A check that fails fails the task, like a drill that does not recover.
    type: bool
    default: false
extends_documentation_fragment:
  - hatrading.aws.connection
notes:
  - Check mode returns the plan (what would be terminated, moved or failed over) and injects nothing (and runs no audit).
  - The report's figures are in seconds from the fault; C(time_to_recover) needs both the capacity back and orders acknowledged again.
"""

EXAMPLES = r"""
- name: Lose one back-end instance under a synthetic order flow
  hatrading.aws.failover_drill:
    stack: prod
    scenario: instance_loss
    order_url: "https://trading.example.com/api"
    stop_alarms: [prod-backend-5xx]
    report_dir: reports

- name: The same drill as an FIS experiment template
  hatrading.aws.failover_drill:
    stack: prod
    scenario: instance_loss
    mode: template
    fis_role_arn: arn:aws:iam::123456789012:role/fis-drills
    stop_alarms: [prod-backend-5xx]
"""

RETURN = r"""
report:
  description:
    - The drill report (timeline, time to detect and recover, requests, orders, stop condition); with O(mode=template) the template.
    - With O(audit), C(audit) holds the audit's C(summary) (pass, warn, fail, skip counts), C(passed) and the C(failed) findings.
  returned: always
  type: dict
markdown:
  description: The report in Markdown.
  returned: when O(mode=run)
  type: str
experiment_template:
  description: The FIS experiment template as FIS answers it.
  returned: when O(mode=template)
  type: dict
"""

import os

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.audit import model as audit_model
from ansible_collections.hatrading.aws.plugins.module_utils.audit.read import read_snapshot
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import aws_errors
from ansible_collections.hatrading.aws.plugins.module_utils.drill import fis
from ansible_collections.hatrading.aws.plugins.module_utils.drill import report as render
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import SCENARIOS
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import DrillError
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import StopConditions
from ansible_collections.hatrading.aws.plugins.module_utils.drill.probe import OrderFlow
from ansible_collections.hatrading.aws.plugins.module_utils.drill.run import Drill

ARGUMENT_SPEC = dict(
    stack=dict(type="str", required=True),
    scenario=dict(type="str", required=True, choices=list(SCENARIOS)),
    mode=dict(type="str", choices=["run", "template"], default="run"),
    tier=dict(type="str", choices=["backend", "frontend"], default="backend"),
    az=dict(type="str"),
    db_instance=dict(type="str"),
    db_cluster=dict(type="str"),
    bad_release_version=dict(type="str"),
    order_url=dict(type="str"),
    order_rate=dict(type="float", default=5.0),
    order_symbol=dict(type="str", default="DRILL"),
    stop_alarms=dict(type="list", elements="str", default=[]),
    max_error_rate=dict(type="float", default=0.2),
    min_requests=dict(type="int", default=10),
    error_window=dict(type="float", default=10.0),
    warmup=dict(type="float", default=5.0),
    duration=dict(type="float", default=300.0),
    poll_interval=dict(type="float", default=2.0),
    settle=dict(type="float", default=5.0),
    report_dir=dict(type="path"),
    fis_role_arn=dict(type="str"),
    load_balancer=dict(type="str"),
    audit=dict(type="bool", default=False),
)

AUDIT_TIERS = ["network", "compute", "database"]


def drill_for(clients, params, flow=None):
    stop = StopConditions(params["stop_alarms"], params["max_error_rate"], params["min_requests"])
    return Drill(
        clients,
        params["stack"],
        params["scenario"],
        tier=params["tier"],
        az=params["az"],
        db_instance=params["db_instance"],
        db_cluster=params["db_cluster"],
        bad_release_version=params["bad_release_version"],
        stop=stop,
        flow=flow,
        warmup=params["warmup"],
        duration=params["duration"],
        poll=params["poll_interval"],
        window=params["error_window"],
        settle=params["settle"],
    )


def write_template(module, clients, params):
    drill = drill_for(clients, params)
    planned, group, database = drill.prepare()
    account = clients.sts.get_caller_identity()["Account"]
    alarms = list(params["stop_alarms"])
    if params["load_balancer"]:
        balancer = clients.elbv2.describe_load_balancers(Names=[params["load_balancer"]])[0]
        dimension = balancer["LoadBalancerArn"].split(":loadbalancer/", 1)[1]
        alarm = fis.error_rate_alarm(params["stack"], dimension, params["max_error_rate"])
        if not module.check_mode:
            clients.cloudwatch.put_metric_alarm(**alarm)
        alarms.append(alarm["AlarmName"])
    subnet_arns = []
    if params["scenario"] == "az_loss":
        removed = next(a["removed"] for a in planned["actions"] if a["action"] == "remove_subnets")
        subnet_arns = ["arn:aws:ec2:%s:%s:subnet/%s" % (module.region, account, s) for s in removed]
    wanted = fis.template(
        params["scenario"],
        params["stack"],
        params["fis_role_arn"],
        module.region,
        account,
        alarms=alarms,
        group=group["AutoScalingGroupName"] if group else None,
        az=planned.get("az"),
        subnet_arns=subnet_arns,
        database=database,
    )
    name = wanted["tags"]["Name"]
    existing = next((t for t in clients.fis.list_experiment_templates() if (t.get("tags") or {}).get("Name") == name), None)
    if module.check_mode:
        return {"changed": True, "report": wanted, "experiment_template": existing or {}}
    if existing:
        update = dict((k, v) for k, v in wanted.items() if k not in ("clientToken", "tags"))
        update["targets"] = dict((k, dict(v)) for k, v in update["targets"].items())
        made = clients.fis.update_experiment_template(id=existing["id"], **update)
    else:
        made = clients.fis.create_experiment_template(**wanted)
    return {"changed": True, "report": wanted, "experiment_template": made}


def audit_after(clients, stack):
    """stack_audit's checks with its defaults, on the stack as the drill left it: counts, verdict and the failed findings."""
    findings = audit_model.audit(read_snapshot(clients, stack, AUDIT_TIERS), tiers=AUDIT_TIERS)
    failed = [dict((k, f[k]) for k in ("check", "resource", "detail", "fix")) for f in findings if f["status"] == audit_model.FAIL]
    return {"summary": audit_model.summary(findings), "passed": audit_model.verdict(findings, "fail"), "failed": failed}


def run_drill(module, clients, params):
    if module.check_mode:
        planned = drill_for(clients, params).prepare()[0]
        return {"changed": False, "report": {"stack": params["stack"], "scenario": params["scenario"], "plan": planned, "state": "planned"}}
    flow = OrderFlow(params["order_url"], params["order_symbol"], params["order_rate"], params["duration"] * 2 + 60) if params["order_url"] else None
    report = drill_for(clients, params, flow).run()
    if params["audit"]:
        report["audit"] = audit_after(clients, params["stack"])
    markdown = render.as_markdown(report)
    if params["report_dir"]:
        os.makedirs(params["report_dir"], exist_ok=True)
        base = os.path.join(params["report_dir"], "%s-%s" % (params["stack"], params["scenario"]))
        with open(base + ".json", "w") as handle:
            handle.write(render.as_json(report))
        with open(base + ".md", "w") as handle:
            handle.write(markdown)
    return {"changed": True, "report": report, "markdown": markdown}


def main():
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[("db_instance", "db_cluster")],
        required_if=[("mode", "template", ("fis_role_arn",)), ("scenario", "bad_release", ("bad_release_version",))],
    )
    params = module.params
    clients = Clients(module)
    try:
        result = write_template(module, clients, params) if params["mode"] == "template" else run_drill(module, clients, params)
    except DrillError as error:
        module.fail_json(msg="stack %s: %s" % (params["stack"], error))
    except aws_errors() as error:
        module.fail_json_aws(error, msg="stack %s: the %s drill failed" % (params["stack"], params["scenario"]))
    if params["mode"] == "run" and not module.check_mode and params["scenario"] == "bad_release" and not result["report"].get("stop_condition"):
        module.fail_json(msg="stack %s: no stop condition caught the bad release within %.0f s" % (params["stack"], params["duration"]), **result)
    if params["mode"] == "run" and result["report"].get("state") == "failed":
        module.fail_json(msg="stack %s: the %s drill did not recover within %.0f s" % (params["stack"], params["scenario"], params["duration"]), **result)
    audited = result["report"].get("audit")
    if audited and not audited["passed"]:
        failed = "; ".join("%s %s: %s" % (f["check"], f["resource"], f["detail"]) for f in audited["failed"])
        module.fail_json(msg="stack %s fails its HA audit after the %s drill: %s" % (params["stack"], params["scenario"], failed), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
