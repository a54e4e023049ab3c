# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compute tier's reconciles: every step of every app tier (stack_compute), or one step of one tier.

Each step's Applier is in its file (``balancer.BalancerApplier``, ``template.TemplateApplier``,
``group.GroupApplier``); this module runs the steps in order and fills the runner's Outcome.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.compute import balancer
from ansible_collections.hatrading.aws.plugins.module_utils.compute import group
from ansible_collections.hatrading.aws.plugins.module_utils.compute import model
from ansible_collections.hatrading.aws.plugins.module_utils.compute import read
from ansible_collections.hatrading.aws.plugins.module_utils.compute import template

# tiers[].<step> -> the step's reconcile(clients, view, params, run) -> (plan, result, warnings)
RECONCILES = {"load_balancer": balancer.reconcile, "launch_template": template.reconcile, "auto_scaling_group": group.reconcile}


def _run_step(outcome, step, clients, view, params, run, **options):
    """One step of one tier; its plan, results and warnings go into ``outcome`` (the plan so far survives a failure)."""
    outcome.step = "%s %s" % (params["tier"], model.STEPS[step][2])
    plan, result, warnings = RECONCILES[step](clients, view, params, run, **options)
    outcome.plan.extend(plan.changes)
    outcome.warnings.extend(warnings)
    return result


def _one_tier(step):
    def reconcile(clients, params, run, outcome):
        outcome.result.update(_run_step(outcome, step, clients, read.stack_view(clients, params["stack"]), params, run))

    return reconcile


# reconcile of the one-tier modules compute_load_balancer, compute_launch_template, compute_autoscaling
reconcile_balancer = _one_tier("load_balancer")
reconcile_template = _one_tier("launch_template")
reconcile_group = _one_tier("auto_scaling_group")


def reconcile(clients, params, run, outcome):
    """stack_compute: every step of every tier, in order; stops at the first error.

    Present: every load balancer, then every launch template (a tier's container may be given
    another tier's load balancer URL), then every group. Absent: groups, load balancers, templates.
    A refusal names the step: ``backend load balancer: ...``.
    """
    steps, _errors = model.step_params(params)  # checked by validate_params before any call
    entries = params["tiers"]
    tiers = outcome.result.setdefault("tiers", {})
    for entry in entries:
        tiers[entry["tier"]] = {}
    view = read.stack_view(clients, params["stack"])
    present = params["state"] == "present"
    if present:
        _check_instance_types(clients, [steps[(entry["tier"], "launch_template")] for entry in entries], run, outcome)
    for step in model.STEPS if present else model.TEARDOWN_ORDER:
        for entry in entries:
            tier = entry["tier"]
            step_args = dict(steps[(tier, step)])
            options = {}
            if step == "launch_template":
                options["checked_types"] = True
                if entry.get("load_balancer_urls"):
                    urls = dict((name, tiers.get(source, {}).get("url") or "") for name, source in entry["load_balancer_urls"].items())
                    step_args["environment"] = dict(urls, **(step_args.get("environment") or {}))
            try:
                tiers[tier].update(_run_step(outcome, step, clients, view, step_args, run, **options))
            except model.ComputeError as error:
                raise model.ComputeError("%s: %s" % (outcome.step, error)) from error


def _check_instance_types(clients, wanted, run, outcome):
    outcome.step = "instance types"
    found = read.check_instance_types(clients, wanted, run.region)
    if found:
        raise model.ComputeError("launch templates: " + "; ".join(found))
