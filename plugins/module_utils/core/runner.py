# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of every tier module, written once: validate, reconcile, then fail, warn, plan, diff and exit.

A tier module is its documentation, its argument spec and one call::

    def main():
        run_tier("cdn", ARGUMENT_SPEC, cdn.validate_params, cdn.reconcile)

``validate(params)`` returns messages (each naming the option) and runs before any AWS call;
``reconcile(clients, params, run, outcome)`` fills the :class:`Outcome` as it goes (so a failure
still reports the plan so far). ``run`` carries ``check_mode`` and ``region``: the tier code
never sees the Ansible module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
    from botocore.exceptions import WaiterError
    from botocore.parsers import ResponseParserError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import INTERRUPTION
from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan

Run = namedtuple("Run", "check_mode region")


class Outcome:
    """What a reconcile hands back: the plan (as far as it got), the module's own result keys, warnings.

    ``mask(value)`` hides a secret value (a password read to create a database) in whatever the module prints.
    """

    def __init__(self, plan=None, result=None, warnings=None, mask=None):
        self.plan = plan or Plan()
        self.result = result or {}
        self.warnings = list(warnings or [])
        self.mask = mask or (lambda value: None)
        self.step = None  # what a tier of several steps is reconciling now: an AWS failure names it


def aws_errors():
    """What an AWS call raises, an answer that is no AWS answer (HTML, an empty body) included."""
    return (ClientError, BotoCoreError, WaiterError, ResponseParserError)


def run_tier(tier, argument_spec, validate, reconcile, **module_options):
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True, **module_options)
    params = module.params
    errors = validate(params)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid %s settings: %s" % (tier, "; ".join(errors)), errors=errors)
    outcome = Outcome(mask=module.no_log_values.add)
    INTERRUPTION.listen()  # SIGTERM: stop between AWS calls and say what was done (TierError below)
    try:
        reconcile(Clients(module), params, Run(module.check_mode, module.region), outcome)
    except TierError as error:  # what the run found and did so far comes back with the failure
        module.fail_json(msg=str(error), plan=outcome.plan.as_list(), **_so_far(outcome))
    except aws_errors() as error:
        what = outcome.step or tier
        module.fail_json_aws(error, msg="Failed to reconcile the %s of stack %s" % (what, params.get("stack")), plan=outcome.plan.as_list(), **_so_far(outcome))
    exit_with(module, outcome)


def _so_far(outcome):
    """The tier's own result keys as far as the run got (a failure keeps them), never one of the result's own."""
    return dict((key, value) for key, value in outcome.result.items() if key not in ("msg", "plan", "plan_text", "changed", "failed", "diff"))


def exit_with(module, outcome):
    """Warnings, then the result with the plan (check mode's answer) and, in diff mode, the diff."""
    for warning in outcome.warnings:
        module.warn(warning)
    plan = outcome.plan
    result = dict(outcome.result, changed=plan.changed, plan=plan.as_list(), plan_text=plan.render())
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)
