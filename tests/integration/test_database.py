"""hatrading.aws.database_instance and database_credentials against moto: create, check mode, rerun, window, absent, restore.

moto 5.2.5 applies ModifyDBInstance at once whatever ApplyImmediately says and reports no
PendingModifiedValues, so "deferred to the window" is asserted here as the module's plan and
report, and the ApplyImmediately=False call itself in tests/unit/test_database_module.py (Stubber).
"""

import json

import pytest

STACK = "dbt"
INSTANCE = STACK + "-database"


def build_network(ansible, stack=STACK):
    result = ansible.module("hatrading.aws.stack_network", {"stack": stack, "vpc_cidr": "10.20.0.0/16"})
    assert result["rc"] == 0, result
    return result["network"]


def credentials(ansible, **args):
    return ansible.module("hatrading.aws.database_credentials", dict({"stack": STACK}, **args))


def database(ansible, check=False, diff=False, **args):
    return ansible.module("hatrading.aws.database_instance", dict({"stack": STACK, "wait_timeout": 60}, **args), check=check, diff=diff)


def rds_instances(moto):
    return moto.client("rds").describe_db_instances()["DBInstances"]


def final_snapshots(moto, stack=STACK):
    snaps = moto.client("rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    return [s for s in snaps if s["DBSnapshotIdentifier"].startswith(stack + "-database-final-")]


@pytest.fixture
def network(fresh_moto, ansible):
    net = build_network(ansible)
    fresh_moto.forget_calls()
    return net


def test_create_check_rerun_and_deferred_class_change(network, moto, ansible):
    net = network
    # Check mode: the whole plan, nothing made.
    check = database(ansible, check=True)
    assert check["rc"] == 0, check
    assert check["changed"] is True
    kinds = [(step["action"], step["kind"]) for step in check["plan"]]
    assert kinds == [("create", "kms_key"), ("create", "db_subnet_group"), ("create", "db_parameter_group"), ("create", "db_instance")]
    assert moto.mutating_calls() == []
    assert rds_instances(moto) == []

    # Create: credentials first, then the database, as moto reports it.
    secret = credentials(ansible)
    assert secret["rc"] == 0 and secret["changed"], secret
    arn = secret["secret"]["arn"]
    assert "password" not in str(secret).lower().replace("password_length", "")
    created = database(ansible, diff=True)
    assert created["rc"] == 0, created
    assert created["changed"] is True
    (db,) = rds_instances(moto)
    assert db["DBInstanceIdentifier"] == INSTANCE
    assert db["Engine"] == "postgres" and db["MultiAZ"] is True
    assert db["StorageEncrypted"] is True
    key = moto.client("kms").describe_key(KeyId="alias/%s-database" % STACK)["KeyMetadata"]
    assert db["KmsKeyId"] == key["Arn"] == created["kms_key_arn"]
    assert db["BackupRetentionPeriod"] == 7 and db["PreferredBackupWindow"] == "03:00-04:00"
    assert db["PreferredMaintenanceWindow"] == "sun:05:00-sun:06:00"
    assert db["DeletionProtection"] is True and db["PubliclyAccessible"] is False
    assert sorted(db["EnabledCloudwatchLogsExports"]) == ["postgresql", "upgrade"]
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [net["security_groups"][STACK + "-database"]]
    data_subnets = sorted(v for k, v in net["subnets"].items() if k.startswith(STACK + "-data-"))
    assert sorted(s["SubnetIdentifier"] for s in db["DBSubnetGroup"]["Subnets"]) == data_subnets
    assert len({s["SubnetAvailabilityZone"]["Name"] for s in db["DBSubnetGroup"]["Subnets"]}) == 2
    assert db["DBParameterGroups"][0]["DBParameterGroupName"] == INSTANCE
    assert created["database"]["endpoint"] == db["Endpoint"]["Address"]
    assert "db_instance/%s" % INSTANCE in created["diff"]["after"]
    assert moto.client("secretsmanager").describe_secret(SecretId=arn)["Name"] == STACK + "/database/master"

    # Rerun: nothing to do, and not one mutating call.
    moto.forget_calls()
    assert credentials(ansible)["changed"] is False
    again = database(ansible)
    assert again["rc"] == 0 and again["changed"] is False, again
    assert again["plan"] == []
    assert moto.mutating_calls() == []

    # A class change restarts the database: planned for the maintenance window.
    check = database(ansible, check=True, instance_class="db.t3.large")
    assert check["plan"] == [{"action": "update", "kind": "db_instance", "name": INSTANCE, "fields": ["instance_class"]}]
    assert check["downtime"] == [
        {"kind": "db_instance", "name": INSTANCE, "fields": ["instance_class"], "reboot": True, "when": "in the maintenance window sun:05:00-sun:06:00"}
    ]
    assert any(line.startswith("! db_instance %s: instance_class" % INSTANCE) for line in check["plan_text"])
    assert moto.mutating_calls() == []
    changed = database(ansible, instance_class="db.t3.large")
    assert changed["changed"] is True and changed["downtime"][0]["when"].startswith("in the maintenance window")
    assert [c["operation"] for c in moto.mutating_calls()] == ["ModifyDBInstance"]
    assert rds_instances(moto)[0]["DBInstanceClass"] == "db.t3.large"  # moto applies at once (see module docstring)
    moto.forget_calls()
    assert database(ansible, instance_class="db.t3.large")["changed"] is False
    assert moto.mutating_calls() == []


def test_absent_needs_confirmation_takes_final_snapshot_and_restores(network, moto, ansible):
    assert credentials(ansible)["changed"] is True
    assert database(ansible)["changed"] is True
    moto.forget_calls()

    refused = database(ansible, state="absent")
    assert refused["rc"] != 0 and refused.get("failed")
    assert "confirm_delete" in refused["msg"]
    refused = database(ansible, state="absent", confirm_delete="other")
    assert refused["rc"] != 0 and "confirm_delete" in refused["msg"]
    assert moto.calls() == []  # refused before any AWS call
    assert len(rds_instances(moto)) == 1

    check = database(ansible, state="absent", confirm_delete=STACK, check=True)
    assert check["changed"] is True and check["final_snapshot"].startswith(INSTANCE + "-final-")
    assert moto.mutating_calls() == [] and len(rds_instances(moto)) == 1

    gone = database(ansible, state="absent", confirm_delete=STACK)
    assert gone["rc"] == 0 and gone["changed"] is True, gone
    assert rds_instances(moto) == []
    (snapshot,) = final_snapshots(moto)
    assert snapshot["DBSnapshotIdentifier"] == gone["final_snapshot"]
    assert snapshot["Encrypted"] is True and snapshot["Status"] == "available"
    client = moto.client("rds")
    assert client.describe_db_subnet_groups()["DBSubnetGroups"] == []
    assert moto.client("kms").describe_key(KeyId="alias/%s-database" % STACK)["KeyMetadata"]["KeyState"] == "Enabled"  # the snapshot needs it
    moto.forget_calls()
    assert database(ansible, state="absent", confirm_delete=STACK)["changed"] is False  # deleting what is gone
    assert moto.mutating_calls() == []

    # A snapshot that does not exist: refused before anything changes.
    missing = database(ansible, restore_from_snapshot="no-such-snapshot")
    assert missing["rc"] != 0 and "restore_from_snapshot" in missing["msg"] and "not found" in missing["msg"]
    assert moto.mutating_calls() == []

    # AWS deletes a deleted instance's automated snapshots; moto keeps them, and names the restored
    # instance's first one the same ("rds:<id>-<minute>"), failing a restore made within the minute.
    for automated in client.describe_db_snapshots(SnapshotType="automated")["DBSnapshots"]:
        client.delete_db_snapshot(DBSnapshotIdentifier=automated["DBSnapshotIdentifier"])
    restored = database(ansible, restore_from_snapshot=snapshot["DBSnapshotIdentifier"])
    assert restored["rc"] == 0 and restored["changed"] is True, restored
    assert any("restored from snapshot %s" % snapshot["DBSnapshotIdentifier"] in line for line in restored["plan_text"])
    (db,) = rds_instances(moto)
    assert db["DBInstanceIdentifier"] == INSTANCE and db["MultiAZ"] is True and db["StorageEncrypted"] is True
    assert db["BackupRetentionPeriod"] == 7 and db["DeletionProtection"] is True
    moto.forget_calls()
    rerun = database(ansible, restore_from_snapshot=snapshot["DBSnapshotIdentifier"])
    assert rerun["changed"] is False, rerun["plan"]
    assert moto.mutating_calls() == []


def test_aurora_writer_and_reader_in_two_azs(network, moto, ansible):
    assert credentials(ansible, engine="aurora-postgresql")["changed"] is True
    created = database(ansible, engine="aurora", instance_class="db.r6g.large")
    assert created["rc"] == 0, created
    cluster = moto.client("rds").describe_db_clusters(DBClusterIdentifier=INSTANCE)["DBClusters"][0]
    assert cluster["Engine"] == "aurora-postgresql" and cluster["StorageEncrypted"] is True and cluster["DeletionProtection"] is True
    members = {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in cluster["DBClusterMembers"]}
    assert members == {INSTANCE + "-1": True, INSTANCE + "-2": False}
    azs = {db["DBInstanceIdentifier"]: db["AvailabilityZone"] for db in rds_instances(moto)}
    assert len(set(azs.values())) == 2
    assert created["database"]["multi_az"] is True and created["database"]["reader_endpoint"]
    moto.forget_calls()
    assert database(ansible, engine="aurora", instance_class="db.r6g.large")["changed"] is False
    assert moto.mutating_calls() == []

    gone = database(ansible, state="absent", confirm_delete=STACK)
    assert gone["rc"] == 0 and gone["changed"], gone
    snapshots = moto.client("rds").describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=gone["final_snapshot"])["DBClusterSnapshots"]
    assert len(snapshots) == 1
    assert moto.client("rds").describe_db_clusters()["DBClusters"] == [] and rds_instances(moto) == []


@pytest.mark.parametrize(
    "args, variable",
    [
        # The module refuses on its own too (the role's validate step covers multi_az and storage; unit tests all the checks).
        ({"backup_retention_days": 0}, "backup_retention_days"),
        ({"engine_version": "sixteen"}, "engine_version"),
    ],
)
def test_bad_input_fails_before_any_call(fresh_moto, ansible, args, variable):
    result = database(ansible, **args)
    assert result["rc"] != 0 and variable in result["msg"]
    assert fresh_moto.calls() == []


def test_check_mode_before_the_network_exists(fresh_moto, ansible):
    # A first `--check` of the whole stack: the database plan assumes the network the same run would build.
    check = database(ansible, check=True)
    assert check["rc"] == 0, check
    assert [(step["action"], step["kind"]) for step in check["plan"]][-1] == ("create", "db_instance")
    assert fresh_moto.mutating_calls() == []
    missing = database(ansible)
    assert missing["rc"] != 0 and "build the network first" in missing["msg"]
    assert fresh_moto.mutating_calls() == []


def test_the_credentials_made_first_in_the_same_run_and_never_shown(network, moto, ansible):
    """database_instance's credentials option: the secret, then the database, in one module run (the role's way)."""
    secrets = moto.client("secretsmanager")
    made = database(ansible, credentials={"password_length": 24}, engine="aurora", aurora_readers=1, instance_class="db.r6g.large")
    assert made["rc"] == 0, made.get("msg")
    kinds = [change["kind"] for change in made["plan"]]
    assert kinds[0] == "secret" and "db_cluster" in kinds
    value = json.loads(secrets.get_secret_value(SecretId="%s/database/master" % STACK)["SecretString"])
    assert value["engine"] == "aurora-postgresql" and value["username"] == "dbadmin" and len(value["password"]) == 24
    assert made["secret"]["arn"] == secrets.describe_secret(SecretId="%s/database/master" % STACK)["ARN"]
    assert value["password"] not in json.dumps(made)

    moto.forget_calls()
    again = database(ansible, credentials={"password_length": 24}, engine="aurora", aurora_readers=1, instance_class="db.r6g.large")
    assert again["rc"] == 0 and again["changed"] is False, again.get("plan_text")
    assert moto.mutating_calls() == []
    assert json.loads(secrets.get_secret_value(SecretId="%s/database/master" % STACK)["SecretString"])["password"] == value["password"]

    short = database(ansible, credentials={"password_length": 8})
    assert short["rc"] != 0 and "credentials.password_length" in short["msg"]
