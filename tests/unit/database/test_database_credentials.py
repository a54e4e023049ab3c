"""database_credentials: the generated password and the secret's plan."""

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.database import apply
from ansible_collections.hatrading.aws.plugins.module_utils.database import credentials as creds

TAGS = {"hatrading:stack": "demo", "hatrading:tier": "database", "Name": "demo/database/master"}


@pytest.mark.parametrize("length", [16, 32, 64])
def test_password_is_strong_and_rds_safe(length):
    passwords = {creds.generate_password(length) for _attempt in range(20)}
    assert len(passwords) == 20  # never the same twice
    for password in passwords:
        assert len(password) == length
        assert not set(password) & set('/@" ')
        assert any(c.islower() for c in password) and any(c.isupper() for c in password) and any(c.isdigit() for c in password)


def test_missing_secret_is_created():
    plan = creds.plan_secret("demo/database/master", TAGS, None, present=True)
    assert plan.as_list() == [{"action": "create", "kind": "secret", "name": "demo/database/master"}]


def test_existing_secret_is_kept():
    found = {"ARN": "arn:x", "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()] + [{"Key": "owner", "Value": "me"}]}
    assert creds.plan_secret("demo/database/master", TAGS, found, present=True).changes == []


def test_secret_pending_deletion_is_restored():
    found = {"ARN": "arn:x", "DeletedDate": "2026-01-01", "Tags": []}
    (change,) = creds.plan_secret("demo/database/master", TAGS, found, present=True).changes
    assert change.fields == ["restore", "tags"]


@pytest.mark.parametrize("found, changed", [(None, False), ({"ARN": "arn:x", "DeletedDate": "2026-01-01"}, False), ({"ARN": "arn:x"}, True)])
def test_absent(found, changed):
    assert creds.plan_secret("demo/database/master", TAGS, found, present=False).changed is changed


@pytest.mark.parametrize(
    ("engine", "flavor", "recorded"),
    [("rds", "postgres", "postgres"), ("rds", "mysql", "mysql"), ("aurora", "postgres", "aurora-postgresql"), ("aurora", "mysql", "aurora-mysql")],
)
def test_database_instance_credentials_record_the_engine_it_runs(engine, flavor, recorded):
    """database_instance's credentials option hands the secret step the RDS engine name and the database's own settings."""
    params = {
        "stack": "demo", "state": "present", "tags": {"team": "a"}, "secret_name": None, "engine": engine, "flavor": flavor,
        "master_username": "admin1", "database_name": "trades", "port": 6000, "credentials": {"password_length": 40, "kms_key_id": None},
    }  # fmt: skip
    step = apply.credentials_params(params)
    assert step["engine"] == recorded and step["secret_name"] == "demo/database/master"
    assert (step["username"], step["database_name"], step["port"], step["password_length"]) == ("admin1", "trades", 6000, 40)
    assert creds.validate_params(step) == []
