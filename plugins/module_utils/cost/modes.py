# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What hatrading.aws.stack_cost takes, and the budget rule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ARGUMENT_SPEC = dict(
    profile=dict(type="str", choices=["ha", "cost"], default="ha"),
    budget_monthly=dict(type="float"),
    traffic=dict(type="dict", default={}),
    settings=dict(type="dict"),
)

OVER_BUDGET = "hatrading_budget_monthly: the plan costs about %.2f USD a month on-demand (%.2f with 1-year commitments), "
OVER_BUDGET += "above the budget of %.2f; the %s profile would cost %.2f"


def over_budget(comparison, budget):
    """The failure message when the on-demand estimate is above ``budget``; None when within it or without one."""
    total = comparison["estimate"]["on_demand"]
    if budget is None or total <= budget:
        return None
    facts = (total, comparison["estimate"]["committed"], budget, comparison["other_profile"], comparison["other"]["on_demand"])
    return OVER_BUDGET % facts
