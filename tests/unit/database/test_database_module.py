"""The database's applier against botocore Stubber: the calls moto cannot show.

moto 5.2.5 applies ModifyDBInstance at once whatever ApplyImmediately says, and its
RestoreDBClusterFromSnapshot collides with its own automated snapshot names within a
minute; these tests check the exact requests instead (Stubber validates them against
the real RDS service model).
"""

import json

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.database import apply as database_apply
from ansible_collections.hatrading.aws.plugins.module_utils.database import model

KEY = "arn:aws:kms:us-east-1:123456789012:key/k1"
PASSWORD = "Stubbed-Pw-1234567890"


def stubbed(service):
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


@pytest.fixture
def aws():
    made, stubbers = {}, {}
    for service in ("rds", "kms", "secretsmanager"):
        made[service], stubbers[service] = stubbed(service)
        stubbers[service].activate()
    yield Clients(make=made.get), stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def applier(clients, cfg=None, **params):
    """(the values masked in what the module prints, the applier)."""
    masked = set()
    options = dict({"wait": False, "wait_timeout": 60, "apply_immediately": False}, **params)
    settings = dict({"stack": "demo", "secret_name": "demo/database/master"}, **dict(options, **(cfg or {})))
    return masked, database_apply.DatabaseApplier(clients, settings, KEY, mask=masked.add)


def update(fields, before, after, kind="db_instance"):
    return Change(UPDATE, kind, "demo-database", before=dict(before, arn="arn:aws:rds:us-east-1:1:db:demo-database"), after=after, fields=fields)


def test_class_change_waits_for_the_window_online_change_applies_now(aws):
    clients, stubs = aws
    stubs["rds"].add_response("modify_db_instance", {}, {"DBInstanceIdentifier": "demo-database", "BackupRetentionPeriod": 14, "ApplyImmediately": True})
    stubs["rds"].add_response("modify_db_instance", {}, {"DBInstanceIdentifier": "demo-database", "DBInstanceClass": "db.m6g.large", "ApplyImmediately": False})
    _masked, apply = applier(clients)
    apply.update_db_instance(
        update(
            ["backup_retention_days", "instance_class"],
            {"backup_retention_days": 7, "instance_class": "db.t3.medium"},
            {"backup_retention_days": 14, "instance_class": "db.m6g.large"},
        )
    )


def test_apply_immediately_restarts_now(aws):
    clients, stubs = aws
    stubs["rds"].add_response("modify_db_instance", {}, {"DBInstanceIdentifier": "demo-database", "DBInstanceClass": "db.m6g.large", "ApplyImmediately": True})
    _masked, apply = applier(clients, apply_immediately=True)
    apply.update_db_instance(update(["instance_class"], {"instance_class": "db.t3.medium"}, {"instance_class": "db.m6g.large"}))


def test_major_version_upgrade_is_allowed_explicitly(aws):
    clients, stubs = aws
    expected = {"DBClusterIdentifier": "demo-database", "EngineVersion": "17.2", "AllowMajorVersionUpgrade": True, "ApplyImmediately": False}
    stubs["rds"].add_response("modify_db_cluster", {}, expected)
    _masked, apply = applier(clients)
    apply.update_db_cluster(update(["engine_version"], {"engine_version": "16.4"}, {"engine_version": "17.2"}, kind="db_cluster"))


def test_log_exports_enable_and_disable(aws):
    clients, stubs = aws
    config = {"EnableLogTypes": ["upgrade"], "DisableLogTypes": ["general"]}
    stubs["rds"].add_response(
        "modify_db_instance", {}, {"DBInstanceIdentifier": "demo-database", "CloudwatchLogsExportConfiguration": config, "ApplyImmediately": True}
    )
    _masked, apply = applier(clients)
    apply.update_db_instance(update(["log_exports"], {"log_exports": ["general", "postgresql"]}, {"log_exports": ["postgresql", "upgrade"]}))


def test_aurora_restore_sets_the_password_from_the_secret(aws):
    clients, stubs = aws
    want = model.desired_database({"stack": "demo", "engine": "aurora"}, [("subnet-a", "us-east-1a"), ("subnet-b", "us-east-1b")], "sg-db", KEY)
    spec = want["db_cluster"]["demo-database"]
    restore = {
        "DBClusterIdentifier": "demo-database",
        "SnapshotIdentifier": "demo-database-final-x",
        "Engine": "aurora-postgresql",
        "EngineVersion": spec["engine_version"],
        "Port": 5432,
        "DBSubnetGroupName": "demo-database",
        "VpcSecurityGroupIds": ["sg-db"],
        "KmsKeyId": KEY,
        "DeletionProtection": True,
        "EnableCloudwatchLogsExports": ["postgresql"],
        "Tags": model_tags(spec),
        "CopyTagsToSnapshot": True,
    }
    stubs["rds"].add_response("restore_db_cluster_from_snapshot", {}, restore)
    stubs["secretsmanager"].add_response(
        "get_secret_value", {"SecretString": json.dumps({"username": "dbadmin", "password": PASSWORD})}, {"SecretId": "demo/database/master"}
    )
    stubs["rds"].add_response(
        "modify_db_cluster",
        {},
        {
            "DBClusterIdentifier": "demo-database",
            "MasterUserPassword": PASSWORD,
            "BackupRetentionPeriod": 7,
            "PreferredBackupWindow": "03:00-04:00",
            "PreferredMaintenanceWindow": "sun:05:00-sun:06:00",
            "ApplyImmediately": True,
        },
    )
    masked, apply = applier(clients, {"restore_from_snapshot": "demo-database-final-x"})
    apply.create_db_cluster(Change("create", "db_cluster", "demo-database", after=spec))
    assert PASSWORD in masked  # masked in anything Ansible prints


def model_tags(spec):
    return [{"Key": k, "Value": v} for k, v in sorted(spec["tags"].items())]


def test_confirmed_delete_lifts_protection_then_snapshots(aws):
    clients, stubs = aws
    stubs["rds"].add_response("modify_db_instance", {}, {"DBInstanceIdentifier": "demo-database", "DeletionProtection": False, "ApplyImmediately": True})
    stubs["rds"].add_response(
        "delete_db_instance", {}, {"DBInstanceIdentifier": "demo-database", "DeleteAutomatedBackups": False, "FinalDBSnapshotIdentifier": "snap-1"}
    )
    _masked, apply = applier(clients)
    apply.delete_db_instance(Change(DELETE, "db_instance", "demo-database", ref={"deletion_protection": True, "final_snapshot": "snap-1"}))


def test_missing_secret_fails_without_a_value(aws):
    clients, stubs = aws
    stubs["secretsmanager"].add_client_error("get_secret_value", "ResourceNotFoundException", expected_params={"SecretId": "demo/database/master"})
    _masked, apply = applier(clients)
    with pytest.raises(model.DatabaseError, match="secret_name: secret demo/database/master not found"):
        apply.password()


def test_throttled_describe_is_retried():
    client, stubber = stubbed("rds")
    stubber.add_client_error("describe_db_subnet_groups", "Throttling")
    stubber.add_response("describe_db_subnet_groups", {"DBSubnetGroups": [{"DBSubnetGroupName": "demo-database"}]})
    rds = Clients(make={"rds": client}.get).rds
    with stubber:
        assert [g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups(DBSubnetGroupName="demo-database")] == ["demo-database"]


def test_not_found_is_empty():
    client, stubber = stubbed("rds")
    stubber.add_client_error("describe_db_clusters", "DBClusterNotFoundFault")
    rds = Clients(make={"rds": client}.get).rds
    with stubber:
        assert rds.describe_db_clusters(DBClusterIdentifier="demo-database") == []
