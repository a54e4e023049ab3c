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
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import READ_CACHE
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


# Every tier module takes the answers of the run's earlier reads (the stack doc fragment's read_cache).
READ_CACHE_OPTION = dict(type="dict", no_log=False)


def start_read_cache(module):
    """Use the run's earlier answers when the play hands them on (O(read_cache)); a module alone reads itself."""
    if module.params.get("read_cache") is not None:
        READ_CACHE.start(module.params["read_cache"])


def run_tier(tier, argument_spec, validate, reconcile, read_cache=True, **module_options):
    """``read_cache``: the module documents O(read_cache) (the stack doc fragment) and takes the run's earlier answers."""
    if read_cache:
        argument_spec = dict(argument_spec, read_cache=READ_CACHE_OPTION)
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True, **module_options)
    params = module.params
    errors = validate(params)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid %s settings: %s" % (tier, "; ".join(errors)), errors=errors)
    outcome = Outcome(mask=module.no_log_values.add)
    INTERRUPTION.listen()  # SIGTERM: stop between AWS calls and say what was done (TierError below)
    start_read_cache(module)
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
    if module.params.get("read_cache") is not None:
        result["read_cache"] = READ_CACHE.handed_on()
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)
