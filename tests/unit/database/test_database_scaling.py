"""Aurora reader auto scaling and Serverless v2, pure: checks naming the variable, wanted state, plan, the audit's AZ check."""

from ansible_collections.hatrading.aws.plugins.module_utils.audit import model as audit
from ansible_collections.hatrading.aws.plugins.module_utils.database import model
from ansible_collections.hatrading.aws.plugins.module_utils.database import scaling


def cfg(**settings):
    return dict({"stack": "prod", "engine": "aurora", "aurora_readers": 1}, **settings)


def errors(**settings):
    return scaling.validate_scaling(cfg(**settings), lambda option: "database_" + option)


def test_sound_scaling_passes_and_each_bad_value_names_its_variable():
    assert errors(aurora_reader_scaling=True, aurora_serverless_v2=True) == []
    assert errors(engine="rds", aurora_serverless_v2=True)[0].startswith("database_aurora_serverless_v2: only an Aurora cluster")
    assert errors(aurora_reader_scaling=True, aurora_min_readers=3, aurora_max_readers=2)[0].startswith(
        "database_aurora_min_readers, database_aurora_max_readers"
    )
    assert errors(aurora_reader_scaling=True, aurora_readers=3, aurora_max_readers=2, aurora_min_readers=1)[0].startswith(
        "database_aurora_max_readers: 2 is below"
    )
    assert errors(aurora_reader_scaling=True, aurora_scaling_metric="memory")[0].startswith("database_aurora_scaling_metric")
    assert errors(aurora_reader_scaling=True, aurora_scaling_target=95)[0].startswith("database_aurora_scaling_target: 95 is not a target for cpu")
    assert errors(aurora_reader_scaling=True, aurora_scaling_metric="connections", aurora_scaling_target=500) == []
    assert errors(aurora_serverless_v2=True, aurora_serverless_min_acu=0.7)[0].startswith("database_aurora_serverless_min_acu")


def test_the_model_checks_include_scaling():
    found = model.validate_database(dict(cfg(aurora_reader_scaling=True, aurora_min_readers=0), resilience="ha"), "database_")
    assert any(e.startswith("database_aurora_min_readers: 0 can leave no reader") for e in found)


def test_wanted_scaling_and_its_plan_order():
    want = scaling.desired_scaling(cfg(aurora_reader_scaling=True, aurora_max_readers=6))
    assert want == {
        "scalable_target": {"prod-database": {"min": 1, "max": 6}},
        "scaling_policy": {"prod-database-readers-target": {"cluster": "prod-database", "metric": "RDSReaderAverageCPUUtilization", "target_value": 60.0}},
    }
    empty = scaling.actual_scaling([], [])
    assert [str(c) for c in scaling.plan_scaling(want, empty)] == ["+ scalable_target prod-database", "+ scaling_policy prod-database-readers-target"]
    assert scaling.plan_scaling(want, want) == []
    assert [str(c) for c in scaling.plan_teardown(want)] == ["- scaling_policy prod-database-readers-target", "- scalable_target prod-database"]
    assert scaling.desired_scaling(cfg()) == empty


def test_serverless_members_and_capacity():
    want = model.desired_database(cfg(aurora_serverless_v2=True, aurora_serverless_max_acu=4), [("s1", "a"), ("s2", "b")], "sg-1", "arn:aws:kms:k")
    assert want["db_cluster"]["prod-database"]["serverless_v2"] == {"MinCapacity": 0.5, "MaxCapacity": 4.0}
    assert {m["instance_class"] for m in want["db_instance"].values()} == {"db.serverless"}
    assert [m["az"] for m in want["db_instance"].values()] == ["a", "b"]


def test_a_reader_aurora_added_is_never_planned_away():
    want = model.desired_database(cfg(), [("s1", "a"), ("s2", "b")], "sg-1", "arn:aws:kms:k")
    have = {kind: dict(want[kind]) for kind in want}
    have["db_cluster"]["prod-database"] = dict(want["db_cluster"]["prod-database"], writers=["prod-database-1"])
    have["db_instance"]["application-autoscaling-1a2b"] = dict(want["db_instance"]["prod-database-2"])
    assert model.plan_database(want, have).of(action="delete") == []


def test_the_audit_fails_a_cluster_whose_readers_have_one_az():
    cluster = {"DBClusterIdentifier": "s-database", "AvailabilityZones": ["a"], "DBClusterMembers": [], "BackupRetentionPeriod": 7}
    found = dict((f["check"], f) for f in audit.audit({"stack": "s", "db_clusters": [cluster], "db_instances": []}, tiers=("database",)))
    assert found["database.reader_azs"]["status"] == audit.FAIL and found["database.reader_azs"]["fix"].startswith("give the data subnets")
    cluster["AvailabilityZones"] = ["a", "b"]
    found = dict((f["check"], f) for f in audit.audit({"stack": "s", "db_clusters": [cluster], "db_instances": []}, tiers=("database",)))
    assert found["database.reader_azs"]["status"] == audit.PASS
