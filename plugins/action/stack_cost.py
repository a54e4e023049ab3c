# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run hatrading.aws.stack_cost on the controller: an estimate from the checked settings, no AWS call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core import settings as declared
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import NAMES
from ansible_collections.hatrading.aws.plugins.module_utils.cost import model
from ansible_collections.hatrading.aws.plugins.module_utils.cost.modes import ARGUMENT_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.cost.modes import over_budget
from ansible_collections.hatrading.aws.plugins.plugin_utils.controller_action import ControllerAction


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def checked(self, args, task_vars, result):
        facts = task_vars.get("ansible_facts") or {}
        settings = args["settings"] or declared.checked_tiers(facts, NAMES)
        usage = model.usage_from_settings(dict(settings, traffic=args["traffic"]))
        comparison = model.compare(usage, args["profile"])
        lines = model.render(comparison, usage["traffic"], args["budget_monthly"])
        result.update(changed=False, cost=comparison, lines=lines)
        message = over_budget(comparison, args["budget_monthly"])
        if message:
            result.update(failed=True, msg=message)
        return result
