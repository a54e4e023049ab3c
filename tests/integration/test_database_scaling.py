"""Aurora reader auto scaling and Serverless v2 in the database tier, against moto: create, rerun, change, a reader
Aurora added is left alone, teardown, and the audit's check that readers can be placed in a second AZ."""

import pytest

STACK = "dbscale"
CLUSTER = STACK + "-database"
POLICY = CLUSTER + "-readers-target"
SCALED = dict(
    engine="aurora",
    aurora_reader_scaling=True,
    aurora_min_readers=1,
    aurora_max_readers=3,
    aurora_scaling_metric="connections",
    aurora_scaling_target=200,
    aurora_serverless_v2=True,
    aurora_serverless_min_acu=0.5,
    aurora_serverless_max_acu=8,
)


def database(ansible, check=False, **args):
    return ansible.module("hatrading.aws.database_instance", dict({"stack": STACK, "wait_timeout": 60}, **args), check=check)


@pytest.fixture
def network(fresh_moto, ansible):
    result = ansible.module("hatrading.aws.stack_network", {"stack": STACK, "vpc_cidr": "10.30.0.0/16"})
    assert result["rc"] == 0, result
    assert ansible.module("hatrading.aws.database_credentials", {"stack": STACK, "engine": "aurora-postgresql"})["rc"] == 0
    fresh_moto.forget_calls()


def test_reader_scaling_and_serverless_v2_then_a_quiet_rerun(network, moto, ansible):
    created = database(ansible, **SCALED)
    assert created["rc"] == 0, created
    kinds = [(s["action"], s["kind"]) for s in created["plan"]]
    assert kinds[-2:] == [("create", "scalable_target"), ("create", "scaling_policy")]
    scaling = moto.client("application-autoscaling")
    (target,) = scaling.describe_scalable_targets(ServiceNamespace="rds")["ScalableTargets"]
    assert (target["ResourceId"], target["ScalableDimension"], target["MinCapacity"], target["MaxCapacity"]) == (
        "cluster:" + CLUSTER,
        "rds:cluster:ReadReplicaCount",
        1,
        3,
    )
    (policy,) = scaling.describe_scaling_policies(ServiceNamespace="rds")["ScalingPolicies"]
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert policy["PolicyName"] == POLICY and config["TargetValue"] == 200.0
    assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] == "RDSReaderAverageDatabaseConnections"
    rds = moto.client("rds")
    cluster = rds.describe_db_clusters(DBClusterIdentifier=CLUSTER)["DBClusters"][0]
    assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 8.0}
    members = rds.describe_db_instances()["DBInstances"]
    assert {m["DBInstanceClass"] for m in members} == {"db.serverless"}
    assert len({m["AvailabilityZone"] for m in members}) == 2  # writer and reader in two AZs

    moto.forget_calls()
    again = database(ansible, **SCALED)
    assert again["rc"] == 0 and not again["changed"], again
    assert moto.mutating_calls() == []

    # a reader Application Auto Scaling added is not the tier's to delete
    rds.create_db_instance(
        DBInstanceIdentifier="application-autoscaling-0a1b", DBClusterIdentifier=CLUSTER, Engine="aurora-postgresql", DBInstanceClass="db.serverless"
    )
    moto.forget_calls()
    changed = database(ansible, **{**SCALED, "aurora_max_readers": 5, "aurora_serverless_max_acu": 16})
    assert changed["rc"] == 0, changed
    assert sorted((s["action"], s["kind"]) for s in changed["plan"]) == [("update", "db_cluster"), ("update", "scalable_target")]
    assert sorted(c["operation"] for c in moto.mutating_calls()) == ["ModifyDBCluster", "RegisterScalableTarget"]

    audit = ansible.module("hatrading.aws.stack_audit", {"stack": STACK, "tiers": ["database"], "fail_on": "never"})
    found = dict((f["check"], f) for f in audit["findings"])
    assert found["database.reader_azs"]["status"] == "pass", found

    off = database(ansible, engine="aurora", aurora_serverless_v2=True, aurora_serverless_max_acu=16)
    assert sorted((s["action"], s["kind"]) for s in off["plan"]) == [("delete", "scalable_target"), ("delete", "scaling_policy")]
    assert scaling.describe_scalable_targets(ServiceNamespace="rds")["ScalableTargets"] == []

    # the teardown removes the scaling before the cluster, and the reader Aurora added with the tier's members
    assert database(ansible, **SCALED)["rc"] == 0
    gone = database(ansible, state="absent", confirm_delete=STACK)
    assert gone["rc"] == 0, gone
    assert [s["kind"] for s in gone["plan"]][:2] == ["scaling_policy", "scalable_target"]
    assert scaling.describe_scalable_targets(ServiceNamespace="rds")["ScalableTargets"] == []
    assert rds.describe_db_clusters()["DBClusters"] == [] and rds.describe_db_instances()["DBInstances"] == []


def test_scaling_settings_fail_before_any_call_naming_the_variable(fresh_moto, ansible):
    bad = database(ansible, engine="rds", aurora_reader_scaling=True)
    assert bad["rc"] != 0 and "aurora_reader_scaling: only an Aurora cluster has it" in bad["msg"]
    bad = database(ansible, engine="aurora", aurora_reader_scaling=True, aurora_min_readers=0, aurora_serverless_v2=True, aurora_serverless_max_acu=0.7)
    assert "aurora_min_readers: 0 can leave no reader" in bad["msg"] and "aurora_serverless_min_acu, aurora_serverless_max_acu" in bad["msg"]
    assert fresh_moto.calls() == []
