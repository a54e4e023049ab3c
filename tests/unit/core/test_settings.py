"""core/settings.py: a tier's settings read once from its role's argument spec."""

from pathlib import Path

import yaml

from ansible_collections.hatrading.aws.plugins.module_utils.core import settings
from ansible_collections.hatrading.aws.plugins.module_utils.validators import failure_message

REPO = Path(__file__).resolve().parents[3]


def network_options():
    spec = yaml.safe_load((REPO / "roles" / "network" / "meta" / "argument_specs.yml").read_text())
    return settings.spec_options(spec["argument_specs"]["main"]["options"])


def test_spec_options_drop_the_documentation():
    options = network_options()
    assert options["network_az_count"] == {"type": "int", "default": 2}
    assert all("description" not in option for option in options.values())


def test_values_are_converted_to_their_declared_types():
    """ansible-core before 2.19 hands "{{ x | int }}" over as a string."""
    converted, errors = settings.convert(network_options(), {"network_stack": "demo", "network_az_count": "3", "network_database_port": "5432"})
    assert errors == []
    assert converted["network_az_count"] == 3 and converted["network_database_port"] == 5432


def test_a_value_that_cannot_be_converted_names_the_variable():
    _converted, errors = settings.convert(network_options(), {"network_stack": "demo", "network_az_count": "three"})
    assert len(errors) == 1 and errors[0].startswith("network_az_count: ") and "three" in errors[0]


def test_a_wrong_choice_starts_with_the_variable():
    _converted, errors = settings.convert(network_options(), {"network_stack": "demo", "network_nat_mode": "both"})
    assert errors == ["network_nat_mode: value of network_nat_mode must be one of: per_az, single, none, got: both"]


def test_a_failure_puts_its_first_problem_on_the_first_line():
    message = failure_message("database", ["database_engine: 'oracle' is not an engine", "database_port: 70000 is not a port"])
    assert message.splitlines() == ["Invalid database settings: database_engine: 'oracle' is not an engine", "- database_port: 70000 is not a port"]
    assert failure_message("database", []) is None


def test_a_misspelt_variable_fails_with_the_closest_known_name():
    known = set(network_options()) | {"hatrading_resilience", "hatrading_stack"}
    names = ["network_az_cuont", "hatrading_resiliance", "hatrading_stack", "network_vpc_cidr", "other_thing", "network_zzzzzzzz"]
    errors = settings.unknown(names, known, ["network_", "hatrading_"])
    assert errors == [
        "hatrading_resiliance: unknown variable; did you mean hatrading_resilience?",
        "network_az_cuont: unknown variable; did you mean network_az_count?",
        "network_zzzzzzzz: unknown variable; no role of hatrading.aws reads it",
    ]


def test_messages_name_the_stack_variable_a_role_variable_copies():
    raw = {"network_stack": "{{ hatrading_stack }}", "network_region": "{{ hatrading_region | default('us-east-1') }}", "network_az_count": 2}
    assert settings.user_names(raw) == {"network_stack": "hatrading_stack", "network_region": "hatrading_region"}


def test_settings_lose_the_prefix_and_secrets_their_value():
    values = {"database_port": 5432, "database_master_password": "hunter2"}
    assert settings.settings_of(values, "database_", ["database_master_password"]) == {"port": 5432, "master_password": "<given>"}
