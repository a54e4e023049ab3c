"""The HA audit's checks on hand-made snapshots shaped like the describe answers (no AWS, no Ansible)."""

import copy

from ansible_collections.hatrading.aws.plugins.module_utils.audit import model as audit


def subnet(subnet_id, az, layer):
    return {
        "SubnetId": subnet_id,
        "AvailabilityZone": az,
        "Tags": [{"Key": "hatrading:layer", "Value": layer}, {"Key": "Name", "Value": "s-%s-%s" % (layer, az)}],
    }


def healthy_stack():
    subnets = [subnet("%s-%s" % (layer, az), az, layer) for layer in ("public", "app", "data") for az in ("a", "b")]
    instances = [
        {"InstanceId": "i-%s%d" % (az, n), "AvailabilityZone": az, "LifecycleState": "InService", "HealthStatus": "Healthy"} for n, az in ((1, "a"), (2, "b"))
    ]
    return {
        "stack": "s",
        "vpcs": [{"VpcId": "vpc-1"}],
        "subnets": subnets,
        "nat_gateways": [
            {"NatGatewayId": "nat-a", "SubnetId": "public-a", "State": "available"},
            {"NatGatewayId": "nat-b", "SubnetId": "public-b", "State": "available"},
        ],
        "route_tables": [
            {"Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-%s" % az}], "Associations": [{"SubnetId": "app-%s" % az}]}
            for az in ("a", "b")
        ],
        "flow_logs": [{"FlowLogId": "fl-1"}],
        "auto_scaling_groups": [
            {"AutoScalingGroupName": "s-backend", "MinSize": 2, "VPCZoneIdentifier": "app-a,app-b", "HealthCheckType": "ELB", "Instances": instances}
        ],
        "load_balancers": [{"LoadBalancerName": "s-alb-int", "Scheme": "internal", "AvailabilityZones": [{"ZoneName": "a"}, {"ZoneName": "b"}]}],
        "target_groups": [{"TargetGroupName": "s-tg-be", "TargetGroupArn": "arn:tg"}],
        "target_health": {"arn:tg": [{"Target": {"Id": i["InstanceId"]}, "TargetHealth": {"State": "healthy"}} for i in instances]},
        "db_instances": [
            {"DBInstanceIdentifier": "s-database", "MultiAZ": True, "AvailabilityZone": "a", "BackupRetentionPeriod": 7, "DeletionProtection": True}
        ],
        "db_clusters": [],
    }


def statuses(findings, check=None):
    return [(f["check"], f["resource"], f["status"]) for f in findings if check is None or f["check"] == check]


def test_a_healthy_stack_passes_every_check():
    findings = audit.audit(healthy_stack())
    assert [f for f in findings if f["status"] != audit.PASS] == []
    assert audit.summary(findings) == {"pass": 16, "warn": 0, "fail": 0, "skip": 0}
    assert audit.verdict(findings, "warn") is True
    assert audit.render(findings)[-1] == "Audit: 16 passed, 0 warnings, 0 failed, 0 skipped."


def test_one_az_layer_fails_and_names_the_variable():
    snapshot = healthy_stack()
    snapshot["subnets"] = [s for s in snapshot["subnets"] if s["SubnetId"] != "data-b"]
    [item] = [f for f in audit.audit(snapshot) if f["status"] == audit.FAIL]
    assert (item["check"], item["resource"], item["detail"]) == ("network.subnets_span_azs", "data subnets", "1 AZs (a)")
    assert "network_az_count" in item["fix"]


def test_single_nat_warns_twice_missing_az_and_crossing_egress():
    snapshot = healthy_stack()
    snapshot["nat_gateways"] = snapshot["nat_gateways"][:1]
    snapshot["route_tables"][1]["Routes"][0]["NatGatewayId"] = "nat-a"
    found = audit.audit_network(snapshot, 2)
    assert statuses(found, "network.nat_per_az") == [("network.nat_per_az", "NAT gateways", "warn")]
    assert statuses(found, "network.egress_stays_in_az") == [("network.egress_stays_in_az", "app route tables", "warn")]
    assert "s-app-b" in [f for f in found if f["check"] == "network.egress_stays_in_az"][0]["detail"]


def test_no_nat_and_no_flow_log_warn():
    snapshot = healthy_stack()
    snapshot.update(nat_gateways=[], flow_logs=[])
    found = audit.audit_network(snapshot, 2)
    assert {f["check"]: f["status"] for f in found if f["status"] != audit.PASS} == {"network.nat_per_az": "warn", "network.flow_logs": "warn"}


def test_two_vpcs_of_the_stack_fail_and_each_needs_its_flow_log():
    """A lost CreateVpc answer left a second VPC: the audit does not pass it, even with the other VPC logged."""
    snapshot = healthy_stack()
    snapshot.update(vpcs=[{"VpcId": "vpc-1"}, {"VpcId": "vpc-2"}], flow_logs=[{"FlowLogId": "fl-1", "ResourceId": "vpc-2"}])
    found = audit.audit_network(snapshot, 2)
    assert {f["check"]: f["status"] for f in found if f["status"] != audit.PASS} == {"network.one_vpc": "fail", "network.flow_logs": "warn"}


def test_group_with_one_instance_in_one_az_fails_and_warns():
    snapshot = healthy_stack()
    group = snapshot["auto_scaling_groups"][0]
    group.update(MinSize=1, VPCZoneIdentifier="app-a", HealthCheckType="EC2")
    found = audit.audit_compute(snapshot, 2, 2)
    assert {f["check"]: f["status"] for f in found if f["status"] != audit.PASS} == {
        "compute.group_spans_azs": "fail",
        "compute.group_min_size": "fail",
        "compute.group_health_check": "warn",
    }


def test_instances_bunched_in_one_az_warn_like_moto_places_them():
    snapshot = healthy_stack()
    for instance in snapshot["auto_scaling_groups"][0]["Instances"]:
        instance["AvailabilityZone"] = "a"
    [item] = [f for f in audit.audit_compute(snapshot, 2, 2) if f["status"] != audit.PASS]
    assert (item["check"], item["status"], item["detail"]) == ("compute.instances_spread", "warn", "2 instances in a")


def test_unhealthy_targets_and_a_short_group_fail():
    snapshot = healthy_stack()
    snapshot["target_health"]["arn:tg"][0]["TargetHealth"]["State"] = "unhealthy"
    snapshot["auto_scaling_groups"][0]["Instances"][0]["HealthStatus"] = "Unhealthy"
    found = {f["check"]: f for f in audit.audit_compute(snapshot, 2, 2)}
    assert found["compute.healthy_targets"]["status"] == audit.WARN and found["compute.healthy_targets"]["detail"].startswith("1 healthy of 2")
    assert found["compute.group_in_service"]["status"] == audit.FAIL
    snapshot["target_health"]["arn:tg"][1]["TargetHealth"]["State"] = "draining"
    assert {f["check"]: f["status"] for f in audit.audit_compute(snapshot, 2, 2)}["compute.healthy_targets"] == audit.FAIL


def test_single_az_database_without_protection():
    snapshot = healthy_stack()
    snapshot["db_instances"][0].update(MultiAZ=False, BackupRetentionPeriod=1, DeletionProtection=False)
    found = {f["check"]: f["status"] for f in audit.audit_database(snapshot, 7)}
    assert found == {"database.multi_az": "fail", "database.backups": "warn", "database.deletion_protection": "warn"}
    assert audit.verdict(audit.audit(snapshot), "fail") is False
    assert audit.verdict(audit.audit(snapshot), "never") is True


def test_aurora_needs_a_reader_in_another_az():
    snapshot = healthy_stack()
    cluster = {"DBClusterIdentifier": "s-database", "BackupRetentionPeriod": 7, "DeletionProtection": True}
    cluster["DBClusterMembers"] = [{"DBInstanceIdentifier": "s-database-0", "IsClusterWriter": True}]
    snapshot["db_clusters"] = [cluster]
    snapshot["db_instances"] = [{"DBInstanceIdentifier": "s-database-0", "DBClusterIdentifier": "s-database", "AvailabilityZone": "a"}]
    assert statuses(audit.audit_database(snapshot, 7), "database.failover_target") == [("database.failover_target", "s-database", "fail")]
    with_reader = copy.deepcopy(snapshot)
    with_reader["db_clusters"][0]["DBClusterMembers"].append({"DBInstanceIdentifier": "s-database-1", "IsClusterWriter": False})
    with_reader["db_instances"].append({"DBInstanceIdentifier": "s-database-1", "DBClusterIdentifier": "s-database", "AvailabilityZone": "b"})
    assert statuses(audit.audit_database(with_reader, 7), "database.failover_target") == [("database.failover_target", "s-database", "pass")]


def test_tiers_not_deployed_are_skipped_not_failed():
    empty = {k: ([] if isinstance(v, list) else ({} if isinstance(v, dict) else v)) for k, v in healthy_stack().items()}
    found = audit.audit(empty)
    assert [f["status"] for f in found] == ["skip", "skip", "skip"]
    assert audit.verdict(found, "warn") is True


def test_render_puts_the_fix_under_each_problem():
    snapshot = healthy_stack()
    snapshot["flow_logs"] = []
    lines = audit.render(audit.audit(snapshot))
    index = [i for i, line in enumerate(lines) if line.startswith("WARN")][0]
    assert lines[index + 1].strip().startswith("fix: deploy the network role")


def nosql_table(name, pitr="ENABLED", protected=True, status="ACTIVE", replicas=()):
    return {
        "TableName": name,
        "TableStatus": status,
        "DeletionProtectionEnabled": protected,
        "Replicas": [{"RegionName": region} for region in replicas],
        "ContinuousBackups": {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": pitr}},
    }


def test_nosql_tables_are_checked_for_pitr_protection_and_service():
    snapshot = {"stack": "s", "dynamodb_tables": [nosql_table("s-sessions", replicas=["us-west-2"]), nosql_table("s-market", pitr="DISABLED", protected=False)]}
    found = dict(((f["check"], f["resource"]), f) for f in audit.audit(snapshot, tiers=("nosql",)))
    assert found[("nosql.az_spread", "s-sessions")]["status"] == audit.PASS
    assert "replicas in us-west-2" in found[("nosql.az_spread", "s-sessions")]["detail"]
    assert found[("nosql.point_in_time_recovery", "s-sessions")]["status"] == audit.PASS
    assert found[("nosql.point_in_time_recovery", "s-market")]["status"] == audit.WARN
    assert found[("nosql.point_in_time_recovery", "s-market")]["fix"] == "nosql_point_in_time_recovery: true"
    assert found[("nosql.deletion_protection", "s-market")]["status"] == audit.WARN


def test_nosql_without_tables_is_skipped_and_not_audited_unless_asked():
    assert [f["status"] for f in audit.audit({"stack": "s", "dynamodb_tables": []}, tiers=("nosql",))] == [audit.SKIP]
    assert audit.audit({"stack": "s"}, tiers=()) == []
