"""The validate step converts settings to the types the roles' argument specs declare.

Before ansible-core 2.19, ``"{{ x | int }}"`` reaches the action plugin as the string '20'; the
cross-field checks must see 20, whatever the ansible-core version.
"""

import pytest

from ansible_collections.hatrading.aws.plugins.action.stack_validate import native_settings
from ansible_collections.hatrading.aws.plugins.action.stack_validate import role_options
from ansible_collections.hatrading.aws.plugins.module_utils.validators import VALIDATORS
from ansible_collections.hatrading.aws.plugins.module_utils.validators import check

# As ansible-core 2.16-2.18 template the roles' validate tasks: every scalar a string but booleans.
DATABASE_AS_216_PASSES_IT = {
    "stack": "demo",
    "state": "present",
    "confirm_delete": "",
    "tags": {},
    "resilience": "ha",
    "engine": "rds",
    "flavor": "postgres",
    "engine_version": "16.4",
    "instance_class": "db.t3.medium",
    "allocated_storage": "20",
    "storage_type": "gp3",
    "multi_az": True,
    "aurora_readers": "1",
    "backup_retention_days": "7",
    "backup_window": "03:00-04:00",
    "maintenance_window": "sun:05:00-sun:06:00",
    "log_exports": [],
    "performance_insights": False,
    "performance_insights_retention_days": "7",
    "monitoring_interval": "0",
    "monitoring_role_arn": "",
    "port": "5432",
    "database_name": "trading",
    "master_username": "trading_admin",
    "secret_name": "",
    "restore_from_snapshot": "",
    "master_password": "",
}


def test_every_tier_has_a_role_spec_to_convert_by():
    for tier in VALIDATORS:
        assert role_options(tier), tier


def test_string_numbers_become_the_declared_int():
    settings = native_settings("database", DATABASE_AS_216_PASSES_IT, "database_")
    assert settings["allocated_storage"] == 20
    assert settings["port"] == 5432
    assert settings["monitoring_interval"] == 0
    assert settings["stack"] == "demo"
    assert settings["database_name"] == "trading"  # no option database_database_name: left as given


def test_the_database_check_passes_settings_templated_by_ansible_core_2_16():
    assert check("database", native_settings("database", DATABASE_AS_216_PASSES_IT, "database_"), "database_") == (None, [])


def test_without_conversion_the_check_would_refuse_them():
    # What ansible-core 2.16 users saw: the validators themselves stay strict about types.
    errors = VALIDATORS["database"](DATABASE_AS_216_PASSES_IT, "database_")
    assert any("database_port: '5432' is not a TCP port" in error for error in errors)


@pytest.mark.parametrize(
    "tier, prefix, key, given, expected",
    [
        ("network", "network_", "az_count", "3", 3),
        ("network", "network_", "alb_listener_ports", ["80", "443"], [80, 443]),
        ("network", "network_", "frontend_port", "8080", 8080),
        ("database", "database_", "multi_az", "true", True),
    ],
)
def test_each_declared_type_is_applied(tier, prefix, key, given, expected):
    assert native_settings(tier, {key: given}, prefix)[key] == expected


def test_a_value_that_does_not_convert_is_left_for_the_check_to_report():
    settings = native_settings("database", dict(DATABASE_AS_216_PASSES_IT, port="fifty"), "database_")
    assert settings["port"] == "fifty"
    message, _errors = check("database", settings, "database_")
    assert "database_port: 'fifty' is not a TCP port" in message
