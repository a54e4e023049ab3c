"""site.yml before any AWS call: the checks across tiers, the cost estimate (printed in check mode) and the budget."""

from pathlib import Path

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
        assert failed["msg"].startswith("Invalid stack settings:\n- %s: " % variable)
        assert fresh_moto.calls() == []


def test_teardown_refuses_an_empty_stack_name(fresh_moto, ansible):
    out = ansible.playbook(REPO / "playbooks" / "teardown.yml", extra_vars={"hatrading_stack": "", "hatrading_confirm_teardown": ""})
    guard = out["tasks"]["Refuse to delete without confirmation"]
    assert out["rc"] != 0 and guard["msg"] == 'hatrading_stack: "" is not a stack name; name the stack to delete'
    assert fresh_moto.calls() == []
