"""The pure checks the bad-input catalogue relies on: region names, RDS window lengths, the names in the messages."""

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_region
from ansible_collections.hatrading.aws.plugins.module_utils.database.model import validate_database


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-3", "us-gov-west-1", "cn-north-1", "ap-southeast-5", None, ""])
def test_regions_aws_has_pass(region):
    assert validate_region(region, "hatrading_region") == []


@pytest.mark.parametrize(
    "region, says",
    [("us-east-9", "not an AWS region botocore knows"), ("not a region", "not an AWS region name"), (5, "not an AWS region")],
)
def test_other_regions_fail_naming_the_variable(region, says):
    (error,) = validate_region(region, "hatrading_region")
    assert error.startswith("hatrading_region: ") and says in error


def database(**settings):
    return validate_database(dict({"stack": "demo", "resilience": "ha"}, **settings), "database_")


@pytest.mark.parametrize(
    "settings, variable",
    [
        ({"backup_window": "03:00-03:29"}, "database_backup_window"),
        ({"backup_window": "23:50-00:10"}, "database_backup_window"),
        ({"maintenance_window": "sun:05:00-sun:05:20"}, "database_maintenance_window"),
        ({"maintenance_window": "sun:23:50-mon:00:10"}, "database_maintenance_window"),
        ({"monitoring_interval": 60, "monitoring_role_arn": "role/rds-monitoring"}, "database_monitoring_role_arn"),
        ({"database_name": "1trading"}, "database_name"),
    ],
)
def test_database_refusals_name_the_variable(settings, variable):
    errors = database(**settings)
    assert errors and errors[0].startswith(variable + ": "), errors


@pytest.mark.parametrize(
    "settings",
    [
        {"backup_window": "03:00-03:30"},
        {"backup_window": "23:45-00:15"},
        {"maintenance_window": "sat:23:30-sun:00:00"},
        {"monitoring_interval": 60, "monitoring_role_arn": "arn:aws:iam::123456789012:role/rds-monitoring"},
    ],
)
def test_windows_of_thirty_minutes_and_role_arns_pass(settings):
    assert database(**settings) == []
