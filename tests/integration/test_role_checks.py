"""A tier role run directly from a user's play (issue 15, section 3): a bad variable fails on a first line naming it.

ansible-core checks a role's meta/argument_specs.yml before the role's first task, and its failure dumps the whole
spec (about 250 lines) under "Validation of arguments failed"; no role can turn that check off. Every tier role
therefore depends on hatrading.aws.settings_check, which runs the tier's own checks before ansible-core's.
"""

import json

import pytest


def direct_play(tmp_path, form, tier, variables):
    """A play that runs one tier role as a user would: ``roles:`` or ``include_role``."""
    play = {"name": "direct", "hosts": "localhost", "connection": "local", "gather_facts": False, "vars": dict(variables, hatrading_stack="direct")}
    if form == "roles":
        play["roles"] = [{"role": "hatrading.aws.%s" % tier}]
    else:
        play["tasks"] = [{"name": "run the %s role" % tier, "ansible.builtin.include_role": {"name": "hatrading.aws.%s" % tier}}]
    path = tmp_path / "direct.yml"
    path.write_text(json.dumps([play]))
    return path


@pytest.mark.parametrize(
    "form, tier, variable, value, says",
    [
        ("roles", "database", "database_port", "not-a-port", "unable to convert to int"),
        ("include_role", "database", "database_engine", "oracle", "must be one of"),
        ("roles", "compute", "compute_backend_min_size", "abc", "unable to convert to int"),
        ("include_role", "network", "network_nat_mode", "both", "must be one of"),
        ("roles", "monitoring", "monitoring_periode", "60", "did you mean monitoring_period"),  # misspelt: ansible-core would not notice
    ],
)
def test_a_bad_variable_of_a_role_run_directly_is_named_on_the_first_line(fresh_moto, ansible, tmp_path, form, tier, variable, value, says):
    out = ansible.playbook(direct_play(tmp_path, form, tier, {variable: value}))
    failed = [(name, result) for name, result in out["tasks"].items() if result.get("failed")]
    assert out["rc"] != 0 and len(failed) == 1, failed
    name, result = failed[0]
    assert name == "hatrading.aws.settings_check : Check first (no AWS call) the variables of the tier %s" % tier, name  # before ansible-core's
    first = result["msg"].splitlines()[0]
    assert first.startswith("Invalid %s settings: %s: " % (tier, variable)) and says in first, first
    assert value in first or says.startswith("did you mean"), first
    assert "argument_spec_data" not in result and "ansible_facts" not in result
    assert fresh_moto.calls() == []
