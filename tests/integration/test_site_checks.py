"""site.yml before any AWS call: the checks across tiers, the cost estimate (printed in check mode) and the budget."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = "@" + str(REPO / "playbooks" / "vars" / "demo.yml")


def test_a_plan_above_the_budget_fails_before_any_aws_call(fresh_moto, ansible):
    out = ansible.playbook(REPO / "playbooks" / "site.yml", extra_args=["-e", DEMO], extra_vars={"hatrading_budget_monthly": 100})
    assert out["rc"] != 0
    verdict = out["tasks"]["Keep the plan within hatrading_budget_monthly"]
    assert verdict["failed"] and verdict["msg"].startswith("hatrading_budget_monthly: the plan costs about")
    assert fresh_moto.calls() == []


def test_check_mode_prints_the_estimate_of_both_profiles(fresh_moto, ansible):
    out = ansible.playbook(REPO / "playbooks" / "site.yml", extra_args=["-e", DEMO], extra_vars={"hatrading_budget_monthly": 2000}, check=True, tags="network")
    assert out["rc"] == 0, out["stderr"][-2000:]
    shown = out["tasks"]["Show the cost estimate"]["msg"]
    assert shown.startswith("Monthly cost estimate (USD ha, us-east-1 prices of ")
    assert "the cost profile: " in shown and "budget 2000.00: within" in shown
    assert fresh_moto.mutating_calls() == []


def test_tiers_that_disagree_fail_before_any_aws_call(fresh_moto, ansible):
    for extra, variable in (({"network_database_port": 3306}, "database_port"), ({"compute_frontend_port": 9090}, "compute_frontend_port")):
        out = ansible.playbook(REPO / "playbooks" / "site.yml", extra_args=["-e", DEMO], extra_vars=extra)
        failed = out["tasks"]["Check the tiers against each other (ports that must agree, no single instance under ha)"]
        assert out["rc"] != 0 and failed["failed"], extra
        assert failed["msg"].startswith("Invalid stack settings: %s: " % variable)
        assert fresh_moto.calls() == []


def test_teardown_refuses_an_empty_stack_name(fresh_moto, ansible):
    out = ansible.playbook(REPO / "playbooks" / "teardown.yml", extra_vars={"hatrading_stack": "", "hatrading_confirm_teardown": ""})
    guard = out["tasks"]["Refuse to delete without confirmation"]
    assert out["rc"] != 0 and guard["msg"] == 'hatrading_stack: "" is not a stack name; name the stack to delete'
    assert fresh_moto.calls() == []


@pytest.mark.parametrize(
    "tier, variable, value, says",
    [
        ("network", "network_nat_mode", "both", "must be one of"),
        ("database", "database_engine", "oracle", "must be one of"),
        ("compute", "compute_backend_min_size", "abc", "unable to convert to int"),
        ("cdn", "cdn_price_class", "PriceClass_1", "must be one of"),
        ("monitoring", "monitoring_period", "abc", "unable to convert to int"),
        ("pipeline", "pipeline_source", "svn", "must be one of"),
    ],
)
def test_a_variable_of_the_wrong_type_or_choice_is_named_on_the_first_line(fresh_moto, ansible, tier, variable, value, says):
    """Ansible shows a failure's first line first: it must name the variable and say what is wrong, not open a spec dump."""
    out = ansible.playbook(REPO / "playbooks" / "site.yml", extra_args=["-e", DEMO], extra_vars={variable: value})
    failed = [(name, result) for name, result in out["tasks"].items() if result.get("failed")]
    assert out["rc"] != 0 and len(failed) == 1, failed
    name, result = failed[0]
    assert name.startswith("hatrading.aws.%s : Check the %s variables" % (tier, tier)), name
    first = result["msg"].splitlines()[0]
    assert first.startswith("Invalid %s settings: %s: " % (tier, variable)) and says in first and value in first, first
    assert "argument_spec_data" not in result and "ansible_facts" not in result
    assert fresh_moto.calls() == []


def test_the_facts_a_deploy_sets_are_not_unknown_variables_to_a_later_check(fresh_moto, ansible):
    """A role sets <tier>_outputs after its deploy; a play that checks the same role again in that run must accept it."""
    outputs = dict(("%s_outputs" % tier, {}) for tier in ("database", "cdn", "monitoring", "pipeline"))
    out = ansible.playbook(REPO / "playbooks" / "site.yml", extra_args=["-e", DEMO], extra_vars=outputs, check=True)
    failed = [result.get("msg", "") for result in out["tasks"].values() if result.get("failed")]
    assert out["rc"] == 0 and failed == [], failed or out["stderr"][-2000:]
    assert fresh_moto.mutating_calls() == []
