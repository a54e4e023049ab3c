# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every app tier of a stack in one run: the order of the steps and the checks of their options.

The module stack_compute is a thin shell around :func:`step_params` (no AWS call) and
:func:`reconcile_stack`; each step is the same code the one-tier modules run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.hatrading.aws.plugins.module_utils import compute as model
from ansible_collections.hatrading.aws.plugins.module_utils import compute_balancer
from ansible_collections.hatrading.aws.plugins.module_utils import compute_group
from ansible_collections.hatrading.aws.plugins.module_utils import compute_template
from ansible_collections.hatrading.aws.plugins.module_utils.clients import ClientCache
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_tags

# tiers[].<part> -> the step that reconciles it; the dict's order is the order of a deploy
STEPS = {
    "load_balancer": compute_balancer,
    "launch_template": compute_template,
    "auto_scaling_group": compute_group,
}
TEARDOWN_ORDER = ("auto_scaling_group", "load_balancer", "launch_template")
WHAT = {"load_balancer": "load balancer", "launch_template": "launch template", "auto_scaling_group": "Auto Scaling group"}
COMMON_SPEC = dict(
    stack=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    tags=dict(type="dict", default={}),
)


class Outcome:
    def __init__(self):
        self.plan = Plan()
        self.tiers = {}
        self.warnings = []
        self.error = None  # (what failed, the exception)


def _validator(step):
    return ArgumentSpecValidator(dict(COMMON_SPEC, **step.ARGUMENT_SPEC), required_if=step.REQUIRED_IF)


def step_params(params):
    """Each tier's options of each step, checked as the one-tier module checks them; returns ({(tier, part): params}, errors).

    Errors name the option as the user wrote it: ``tiers[1].auto_scaling_group.min_size: ...``.
    """
    steps, errors = {}, []
    tiers = [entry["tier"] for entry in params["tiers"]]
    for tier in sorted(set(t for t in tiers if tiers.count(t) > 1)):
        errors.append("tiers: %s is listed more than once" % tier)
    for index, entry in enumerate(params["tiers"]):
        for part, step in STEPS.items():
            where = "tiers[%d].%s" % (index, part)
            given = entry.get(part) or {}
            reserved = sorted(set(given) & set(list(COMMON_SPEC) + ["tier"]))
            if reserved:
                errors.append("%s: %s are set once for the whole run, not per tier" % (where, ", ".join(reserved)))
                continue
            unknown = sorted(set(given) - set(step.ARGUMENT_SPEC))
            if unknown:
                known = ", ".join(sorted(set(step.ARGUMENT_SPEC) - set(["tier"])))
                errors.append("%s: unknown option %s; use %s" % (where, ", ".join(unknown), known))
                continue
            checked = _validator(step).validate(dict(given, stack=params["stack"], state=params["state"], tags=params["tags"], tier=entry["tier"]))
            if checked.error_messages:
                errors += ["%s: %s" % (where, message) for message in checked.error_messages]
                continue
            found = step.validate(checked.validated_parameters)
            errors += ["%s.%s" % (where, message) for message in found]
            steps[(entry["tier"], part)] = checked.validated_parameters
        for name, source in sorted((entry.get("load_balancer_urls") or {}).items()):
            if not model.ENV_NAME.match(str(name)):
                errors.append("tiers[%d].load_balancer_urls: %r is not an environment variable name" % (index, name))
            if source not in tiers:
                errors.append("tiers[%d].load_balancer_urls.%s: tier %r is not in tiers" % (index, name, source))
    return steps, errors


def _run(outcome, what, call, *args, **kwargs):
    """Run one step; an error is recorded in ``outcome`` and stops the run."""
    try:
        return call(*args, **kwargs)
    except (model.ComputeError, botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, botocore.exceptions.WaiterError) as error:
        outcome.error = (what, error)
        return None


def reconcile_stack(clients, network, params, steps, check_mode, region):
    """Plan and (unless ``check_mode``) apply every step of every tier in order; stops at the first error.

    ``steps`` comes from :func:`step_params`. Returns an Outcome: the plan so far, the results
    per tier, warnings, and the error (None when every step went through).
    """
    outcome = Outcome()
    entries = params["tiers"]
    order = list(STEPS) if params["state"] == "present" else list(TEARDOWN_ORDER)
    for entry in entries:
        outcome.tiers[entry["tier"]] = {}
    if params["state"] == "present":
        wanted = [steps[(entry["tier"], "launch_template")] for entry in entries]
        found = _run(outcome, "instance types", compute_template.check_instance_types, clients("ec2"), wanted, region)
        if outcome.error is None and found:
            outcome.error = ("launch templates", model.ComputeError("; ".join(found)))
        if outcome.error is not None:
            return outcome
    for part in order:
        for entry in entries:
            tier = entry["tier"]
            what = "%s %s" % (tier, WHAT[part])
            step_args = dict(steps[(tier, part)])
            if part == "launch_template" and entry.get("load_balancer_urls"):
                urls = dict((name, outcome.tiers.get(source, {}).get("url") or "") for name, source in entry["load_balancer_urls"].items())
                step_args["environment"] = dict(urls, **(step_args.get("environment") or {}))
            if part == "load_balancer":
                answer = _run(outcome, what, compute_balancer.reconcile, clients, step_args, check_mode, network=network)
            elif part == "launch_template":
                answer = _run(outcome, what, compute_template.reconcile, clients, step_args, check_mode, region, network=network, checked_types=True)
            else:
                answer = _run(outcome, what, compute_group.reconcile, clients, step_args, check_mode, network=network)
            if outcome.error is not None:
                return outcome
            plan, result = answer[0], answer[1]
            if part == "auto_scaling_group":
                outcome.warnings.extend(answer[2])
            outcome.plan.extend(plan.changes)
            outcome.tiers[tier].update(result)
    return outcome


def run_one_tier(step, what, reconcile):
    """main() of the one-tier modules (compute_load_balancer, compute_launch_template, compute_autoscaling).

    ``reconcile(clients, params, module)`` runs ``step`` and returns (plan, result) or (plan, result, warnings).
    """
    module = AnsibleAWSModule(argument_spec=dict(COMMON_SPEC, **step.ARGUMENT_SPEC), supports_check_mode=True, required_if=step.REQUIRED_IF)
    params = module.params
    errors = validate_stack_name(params["stack"]) + validate_tags(params["tags"], "tags") + step.validate(params)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid %s settings: " % what + "; ".join(errors), errors=errors)
    try:
        answer = reconcile(ClientCache(module, step.RETRIES), params, module)
    except model.ComputeError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, botocore.exceptions.WaiterError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the %s %s of stack %s" % (params["tier"], what, params["stack"]))
    plan, result = answer[0], answer[1]
    for warning in answer[2] if len(answer) > 2 else []:
        module.warn(warning)
    result.update(changed=plan.changed, plan=plan.as_list(), plan_text=plan.render())
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)
