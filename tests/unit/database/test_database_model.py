"""Pure functions of module_utils/database/model.py: validation, desired/actual state, plans, downtime."""

import copy

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.database import model

SUBNETS = [("subnet-a", "us-east-1a"), ("subnet-b", "us-east-1b")]
KEY = "arn:aws:kms:us-east-1:123456789012:key/k1"
CFG = {"stack": "demo", "tags": {"team": "platform"}}


def rds_answer(**overrides):
    """A describe_db_instances entry matching desired_database(CFG) (what a create leaves)."""
    db = {
        "DBInstanceIdentifier": "demo-database",
        "Engine": "postgres",
        "EngineVersion": "16.4",
        "DBInstanceClass": "db.t3.medium",
        "AllocatedStorage": 20,
        "StorageType": "gp3",
        "MultiAZ": True,
        "DBSubnetGroup": {"DBSubnetGroupName": "demo-database"},
        "DBParameterGroups": [{"DBParameterGroupName": "demo-database"}],
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-db"}],
        "KmsKeyId": KEY,
        "StorageEncrypted": True,
        "MasterUsername": "dbadmin",
        "BackupRetentionPeriod": 7,
        "PreferredBackupWindow": "03:00-04:00",
        "PreferredMaintenanceWindow": "sun:05:00-sun:06:00",
        "DeletionProtection": True,
        "EnabledCloudwatchLogsExports": ["upgrade", "postgresql"],
        "MonitoringInterval": 0,
        "PubliclyAccessible": False,
        "Endpoint": {"Address": "demo-database.x.rds.amazonaws.com", "Port": 5432},
        "DBInstanceStatus": "available",
        "DBInstanceArn": "arn:aws:rds:us-east-1:123456789012:db:demo-database",
        "AvailabilityZone": "us-east-1a",
        "TagList": [{"Key": k, "Value": v} for k, v in model.stack_tags("demo", "database", "demo-database", {"team": "platform"}, role="primary").items()],
    }
    db.update(overrides)
    return db


def raw_found(**instance):
    return {
        "kms_alias": "alias/demo-database",
        "kms_key": {"Arn": KEY, "KeyState": "Enabled"},
        "subnet_groups": [
            {
                "DBSubnetGroupName": "demo-database",
                "DBSubnetGroupDescription": "demo database: the data subnets of every AZ",
                "Subnets": [{"SubnetIdentifier": "subnet-a"}, {"SubnetIdentifier": "subnet-b"}],
            }
        ],
        "parameter_groups": [{"DBParameterGroupName": "demo-database", "DBParameterGroupFamily": "postgres16"}],
        "parameters": [],
        "clusters": [],
        "instances": [rds_answer(**instance)],
    }


def plan_for(cfg, raw):
    want = model.desired_database(cfg, SUBNETS, "sg-db", KEY)
    return model.plan_database(want, model.actual_database(raw))


# ---------------------------------------------------------------- validation


def test_defaults_are_valid():
    assert model.validate_database({"stack": "demo"}, "database_") == []


@pytest.mark.parametrize(
    "settings, variable",
    [
        ({"multi_az": False}, "database_multi_az"),
        ({"backup_retention_days": 0}, "database_backup_retention_days"),
        ({"backup_retention_days": 3}, "database_backup_retention_days"),
        ({"backup_retention_days": 36, "resilience": "cost"}, "database_backup_retention_days"),
        ({"engine": "oracle"}, "database_engine"),
        ({"flavor": "mssql"}, "database_flavor"),
        ({"engine_version": "sixteen"}, "database_engine_version"),
        ({"engine_version": "8.0.39"}, "database_engine_version"),  # a MySQL version for PostgreSQL
        ({"engine": "aurora", "flavor": "mysql", "engine_version": "8.0.39"}, "database_engine_version"),
        ({"allocated_storage": 10}, "database_allocated_storage"),
        ({"allocated_storage": 50, "storage_type": "io1"}, "database_allocated_storage"),
        ({"master_password": "hunter2hunter2"}, "database_master_password"),
        ({"instance_class": "t3.medium"}, "database_instance_class"),
        ({"backup_window": "3-4"}, "database_backup_window"),
        ({"maintenance_window": "sunday 5am"}, "database_maintenance_window"),
        ({"engine": "aurora", "aurora_readers": 0}, "database_aurora_readers"),
        ({"monitoring_interval": 60}, "database_monitoring_role_arn"),
        ({"monitoring_interval": 7}, "database_monitoring_interval"),
        ({"log_exports": ["slowquery"]}, "database_log_exports"),
        ({"master_username": "postgres"}, "database_master_username"),
        ({"restore_from_snapshot": "bad--name"}, "database_restore_from_snapshot"),
        ({"name": "1st"}, "database_name"),  # the role's database_name, its prefix stripped
        ({"state": "absent"}, "database_confirm_delete"),
        ({"state": "absent", "confirm_delete": "other"}, "database_confirm_delete"),
        ({"stack": "Bad_Stack"}, "database_stack"),
        ({"tags": {"hatrading:x": "1"}}, "database_tags"),
    ],
)
def test_bad_settings_name_the_variable(settings, variable):
    errors = model.validate_database(dict({"stack": "demo"}, **settings), "database_")
    assert errors and any(error.startswith(variable + ":") for error in errors), errors


def test_empty_engine_version_takes_the_default():
    assert model.validate_database({"stack": "demo", "engine_version": ""}, "database_") == []


def test_module_database_name_is_named_as_the_option():
    errors = model.validate_database({"stack": "demo", "database_name": "1st"})
    assert errors and errors[0].startswith("database_name:"), errors


def test_password_value_is_never_repeated():
    errors = model.validate_database({"stack": "demo", "master_password": "S3cret-canary"}, "database_")
    assert errors and "S3cret-canary" not in " ".join(errors)


@pytest.mark.parametrize(
    "settings",
    [
        {"multi_az": False, "resilience": "cost", "backup_retention_days": 1},
        {"engine": "aurora", "aurora_readers": 0, "resilience": "cost"},
        {"engine": "aurora", "flavor": "mysql", "engine_version": "8.0.mysql_aurora.3.05.2"},
        {"flavor": "mysql", "engine_version": "8.0.39", "log_exports": ["error", "slowquery", "audit"]},
        {"engine_version": "16"},
        {"state": "absent", "confirm_delete": "demo", "multi_az": False},  # absent ignores the build settings
        {
            "monitoring_interval": 60,
            "monitoring_role_arn": "arn:aws:iam::123456789012:role/m",
            "performance_insights": True,
            "performance_insights_retention_days": 93,
        },
    ],
)
def test_sound_settings_pass(settings):
    assert model.validate_database(dict({"stack": "demo"}, **settings), "database_") == []


# ---------------------------------------------------------------- desired state


@pytest.mark.parametrize(
    "engine, version, family",
    [
        ("postgres", "16.4", "postgres16"),
        ("postgres", "16", "postgres16"),
        ("mysql", "8.0.39", "mysql8.0"),
        ("aurora-postgresql", "15.6", "aurora-postgresql15"),
        ("aurora-mysql", "8.0.mysql_aurora.3.05.2", "aurora-mysql8.0"),
    ],
)
def test_parameter_family(engine, version, family):
    assert model.parameter_family(engine, version) == family


def test_rds_desired_state():
    want = model.desired_database(CFG, SUBNETS, "sg-db", KEY)
    db = want["db_instance"]["demo-database"]
    assert db["multi_az"] is True and db["storage_encrypted"] is True and db["publicly_accessible"] is False
    assert db["kms_key"] == KEY and db["security_groups"] == ["sg-db"] and db["log_exports"] == ["postgresql", "upgrade"]
    assert db["tags"]["hatrading:stack"] == "demo" and db["tags"]["hatrading:tier"] == "database" and db["tags"]["team"] == "platform"
    assert want["db_subnet_group"]["demo-database"]["subnets"] == ["subnet-a", "subnet-b"]
    assert list(want["kms_key"]) == ["alias/demo-database"]
    assert want["db_cluster"] == {}


def test_given_key_means_no_stack_key():
    want = model.desired_database(dict(CFG, kms_key_id="alias/shared"), SUBNETS, "sg-db", KEY)
    assert want["kms_key"] == {}


def test_aurora_readers_go_to_other_azs():
    want = model.desired_database(dict(CFG, engine="aurora", aurora_readers=2), SUBNETS + [("subnet-c", "us-east-1c")], "sg-db", KEY)
    members = want["db_instance"]
    assert [(name, spec["az"], spec["role"]) for name, spec in members.items()] == [
        ("demo-database-1", "us-east-1a", "writer"),
        ("demo-database-2", "us-east-1b", "reader"),
        ("demo-database-3", "us-east-1c", "reader"),
    ]
    assert want["db_cluster"]["demo-database"]["engine"] == "aurora-postgresql"


# ---------------------------------------------------------------- plans


def test_nothing_found_plans_everything_in_order():
    raw = {"kms_alias": "alias/demo-database", "kms_key": None, "subnet_groups": [], "parameter_groups": [], "parameters": [], "clusters": [], "instances": []}
    want = model.desired_database(CFG, SUBNETS, "sg-db", "alias/demo-database")
    plan = model.plan_database(want, model.actual_database(raw))
    assert [(c.action, c.kind) for c in plan.changes] == [
        ("create", "kms_key"),
        ("create", "db_subnet_group"),
        ("create", "db_parameter_group"),
        ("create", "db_instance"),
    ]


def test_matching_database_plans_nothing():
    assert plan_for(CFG, raw_found()).changes == []


def test_major_version_alone_matches_any_minor():
    assert plan_for(dict(CFG, engine_version="16"), raw_found()).changes == []


def test_class_change_is_a_restart_in_the_window():
    plan = plan_for(dict(CFG, instance_class="db.m6g.large"), raw_found())
    assert [(c.action, c.kind, c.fields) for c in plan.changes] == [("update", "db_instance", ["instance_class"])]
    reboots = model.downtime(plan, False, "sun:05:00-sun:06:00")
    assert reboots == [
        {"kind": "db_instance", "name": "demo-database", "fields": ["instance_class"], "reboot": True, "when": "in the maintenance window sun:05:00-sun:06:00"}
    ]
    assert model.downtime(plan, True, "sun:05:00-sun:06:00")[0]["when"] == "immediately"
    assert any(note.startswith("! db_instance demo-database: instance_class") for note in model.plan_notes(plan, reboots))


def test_pending_change_counts_as_done():
    raw = raw_found(PendingModifiedValues={"DBInstanceClass": "db.m6g.large"})
    assert plan_for(dict(CFG, instance_class="db.m6g.large"), raw).changes == []
    assert model.actual_database(raw)["db_instance"]["demo-database"]["pending"] == ["instance_class"]


def test_online_changes_are_not_restarts():
    plan = plan_for(dict(CFG, backup_retention_days=14, log_exports=["postgresql"], tags={"team": "trading"}), raw_found())
    (change,) = plan.changes
    assert change.fields == ["backup_retention_days", "log_exports", "tags"]
    assert model.downtime(plan, False, "w") == []


def test_field_not_reported_is_not_compared():
    # moto (and older API versions) omit PerformanceInsightsEnabled: unknown is not a difference.
    assert plan_for(dict(CFG, performance_insights=False), raw_found()).changes == []


def test_storage_only_grows():
    assert plan_for(dict(CFG, allocated_storage=20), raw_found(AllocatedStorage=40)).changes == []
    assert plan_for(dict(CFG, allocated_storage=50), raw_found()).changes[0].fields == ["allocated_storage"]


@pytest.mark.parametrize(
    "instance, needle",
    [
        ({"KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/other"}, "kms_key"),
        ({"MasterUsername": "root2"}, "master_username"),
        ({"Engine": "mysql"}, "engine"),
    ],
)
def test_fixed_fields_are_refused(instance, needle):
    with pytest.raises(model.DatabasePlanError, match=needle):
        plan_for(CFG, raw_found(**instance))


def test_engine_switch_is_refused():
    with pytest.raises(model.DatabasePlanError, match="switching engines"):
        plan_for(dict(CFG, engine="aurora"), raw_found())


def test_parameter_changes():
    raw = raw_found()
    raw["parameters"] = [{"ParameterName": "log_connections", "ParameterValue": "1"}]
    plan = plan_for(dict(CFG, parameters={"log_min_duration_statement": 500}), raw)
    (change,) = plan.changes
    assert change.kind == "db_parameter_group" and change.fields == ["parameters"]
    assert change.after["parameters"] == {"log_min_duration_statement": "500"}


def test_pending_deletion_key_is_refused():
    raw = raw_found()
    raw["kms_key"]["KeyState"] = "PendingDeletion"
    with pytest.raises(model.DatabasePlanError, match="scheduled for deletion"):
        plan_for(dict(CFG), raw)


def test_teardown_takes_final_snapshot_of_the_data_only():
    have = model.actual_database(raw_found())
    plan = model.plan_teardown(have, "demo-database-final-x")
    assert [(c.action, c.kind, (c.ref or {}).get("final_snapshot")) for c in plan.changes] == [
        ("delete", "db_instance", "demo-database-final-x"),
        ("delete", "db_parameter_group", None),
        ("delete", "db_subnet_group", None),
    ]
    assert "kms_key" not in [c.kind for c in plan.changes]  # the snapshot needs the key
    assert model.plan_notes(plan, []) == ["- db_instance demo-database: final snapshot demo-database-final-x is taken first"]


def test_aurora_teardown_snapshots_the_cluster_not_its_members():
    raw = raw_found()
    raw["instances"] = [rds_answer(DBInstanceIdentifier="demo-database-1", DBClusterIdentifier="demo-database", Engine="aurora-postgresql")]
    raw["clusters"] = [
        {
            "DBClusterIdentifier": "demo-database",
            "Engine": "aurora-postgresql",
            "DBClusterMembers": [{"DBInstanceIdentifier": "demo-database-1", "IsClusterWriter": True}],
        }
    ]
    plan = model.plan_teardown(model.actual_database(raw), "snap")
    assert [(c.kind, c.name, (c.ref or {}).get("final_snapshot")) for c in plan.changes][:2] == [
        ("db_instance", "demo-database-1", None),
        ("db_cluster", "demo-database", "snap"),
    ]


def test_extra_aurora_reader_is_removed_but_never_the_writer():
    cfg = dict(CFG, engine="aurora", aurora_readers=1)
    want = model.desired_database(cfg, SUBNETS, "sg-db", KEY)
    have = model.actual_database({"kms_key": None, "instances": [], "clusters": []})
    have["db_cluster"]["demo-database"] = dict(copy.deepcopy(want["db_cluster"]["demo-database"]), writers=["demo-database-1"])
    for name, spec in want["db_instance"].items():
        have["db_instance"][name] = copy.deepcopy(spec)
    have["db_instance"]["demo-database-3"] = dict(copy.deepcopy(want["db_instance"]["demo-database-2"]))
    have["db_subnet_group"] = copy.deepcopy(want["db_subnet_group"])
    have["db_parameter_group"] = copy.deepcopy(want["db_parameter_group"])
    have["kms_key"] = {"alias/demo-database": {"arn": KEY}}
    plan = model.plan_database(want, have)
    assert [(c.action, c.name) for c in plan.changes] == [("delete", "demo-database-3")]
    have["db_cluster"]["demo-database"]["writers"] = ["demo-database-3"]
    with pytest.raises(model.DatabasePlanError, match="writer"):
        model.plan_database(want, have)


def test_a_backup_window_inside_the_maintenance_window_is_refused():
    assert model.windows_overlap("05:30-06:00", "sun:05:00-sun:06:00")
    assert model.windows_overlap("23:30-00:30", "mon:00:00-mon:01:00")  # both sides of midnight
    assert model.windows_overlap("01:00-02:00", "sun:23:00-mon:01:30")  # the week wraps
    assert not model.windows_overlap("03:00-04:00", "sun:05:00-sun:06:00")
    assert not model.windows_overlap("06:00-06:30", "sun:05:00-sun:06:00")  # touching is not overlapping
    errors = model.validate_database({"stack": "demo", "backup_window": "05:30-06:00", "maintenance_window": "sun:05:00-sun:06:00"}, "database_")
    assert "database_backup_window: 05:30-06:00 overlaps database_maintenance_window sun:05:00-sun:06:00" in " ".join(errors)
