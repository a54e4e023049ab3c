"""The logs tier's pure functions: the checks (each naming its variable), the wanted state, the plan, the teardown."""

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.logs import model

KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
SUBNETS = {"us-east-1a": "subnet-a", "us-east-1b": "subnet-b", "us-east-1c": "subnet-c"}
FLOW = "/hatrading/prod/vpc-flow-logs"


def cfg(**settings):
    return dict({"stack": "prod", "region": "us-east-1", "state": "present", "tags": {}}, **settings)


def found(**parts):
    return dict({"kms_key": KEY, "subnets": SUBNETS, "vpc_id": "vpc-1", "security_group": "sg-1", "log_groups": [FLOW]}, **parts)


def empty():
    return dict((kind, {}) for kind in ("secret", "security_group", "bucket", "role", "domain", "delivery_stream", "log_group", "subscription_filter"))


def test_sound_settings_pass():
    assert model.validate_logs(cfg(), "logs_") == []
    assert model.validate_logs(cfg(az_count=3, instance_count=6, dedicated_master=True, master_count=5), "logs_") == []


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"engine_version": "2.13"}, "logs_engine_version: '2.13' is not an OpenSearch version"),
        ({"instance_type": "r6g.large"}, "logs_instance_type: 'r6g.large' is not an OpenSearch instance type"),
        ({"az_count": 4}, "logs_az_count: 4 is not an AZ count"),
        ({"az_count": 2, "instance_count": 3}, "logs_instance_count: 3 data nodes do not spread evenly over logs_az_count=2 AZs"),
        ({"dedicated_master": True, "master_count": 2}, "logs_master_count: 2 is not a dedicated master count; use 3 or 5"),
        ({"snapshot_hour": 24}, "logs_snapshot_hour: 24 is not an hour (UTC)"),
        ({"buffer_seconds": 30}, "logs_buffer_seconds: 30 is not a Firehose buffering interval"),
        ({"index_rotation": "daily"}, "logs_index_rotation: 'daily' is not an index rotation"),
        ({"tls_policy": "Policy-Min-TLS-1-0-2019-07"}, "logs_tls_policy: 'Policy-Min-TLS-1-0-2019-07' is not a TLS 1.2 policy"),
        ({"kms_key": "my key"}, "logs_kms_key: 'my key' is not a KMS key ID, ARN or alias"),
        ({"master_user_arn": "arn:aws:s3:::bucket"}, "logs_master_user_arn: 'arn:aws:s3:::bucket' is not an IAM role or user ARN"),
        ({"master_user_name": "1admin"}, "logs_master_user_name: '1admin' is not a user name"),
        ({"state": "absent"}, "logs_confirm_delete: deleting the logs tier of stack prod needs logs_confirm_delete=prod"),
    ],
)
def test_each_bad_setting_is_named(settings, message):
    errors = model.validate_logs(cfg(**settings), "logs_")
    assert any(error.startswith(message) for error in errors), errors


def test_a_bad_password_is_named_but_never_shown():
    errors = model.validate_logs(cfg(master_user_password="password"), "logs_")
    assert errors == ["logs_master_user_password: not a valid master password; use 8-128 characters with an upper, a lower, a digit and a special character"]
    both = model.validate_logs(cfg(master_user_password="Passw0rd!", master_user_arn="arn:aws:iam::123456789012:role/admin"), "logs_")
    assert both and "not both" in both[0] and "Passw0rd!" not in both[0]


def test_the_domain_spans_every_az_of_the_data_subnets_at_most_three():
    want = model.desired_logs(cfg(instance_count=3), found())["domain"]["prod-logs"]
    assert want["subnets"] == ["subnet-a", "subnet-b", "subnet-c"] and want["zone_awareness"] and want["az_count"] == 3
    two = model.desired_logs(cfg(az_count=2), found())["domain"]["prod-logs"]
    assert two["subnets"] == ["subnet-a", "subnet-b"] and two["az_count"] == 2
    one = model.desired_logs(cfg(az_count=1), found())["domain"]["prod-logs"]
    assert one["subnets"] == ["subnet-a"] and not one["zone_awareness"] and one["az_count"] is None


def test_the_domain_is_encrypted_private_and_granted_only_to_the_account():
    want = model.desired_logs(cfg(), found())["domain"]["prod-logs"]
    assert want["kms_key"] == KEY and want["node_to_node"] and want["enforce_https"] and want["fine_grained"] and want["internal_users"]
    policy = model.json.loads(want["access_policy"])
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "es:ESHttp*",
            "Resource": "arn:aws:es:us-east-1:123456789012:domain/prod-logs/*",
        }
    ]


def test_an_iam_master_needs_no_secret_and_a_given_password_neither():
    iam = model.desired_logs(cfg(master_user_arn="arn:aws:iam::123456789012:role/admin"), found())
    assert iam["secret"] == {} and not iam["domain"]["prod-logs"]["internal_users"]
    assert model.desired_logs(cfg(master_user_password="Passw0rd!"), found())["secret"] == {}
    assert list(model.desired_logs(cfg(), found())["secret"]) == ["prod/logs/master"]


def test_missing_log_groups_are_made_and_every_shipped_group_filtered():
    want = model.desired_logs(cfg(), found())
    app = ["/hatrading/prod/%s/%s" % (tier, kind) for tier in ("backend", "frontend") for kind in ("container", "host")]
    assert sorted(want["log_group"]) == app
    assert sorted(want["subscription_filter"]) == sorted(app + [FLOW])
    assert {f["destination"] for f in want["subscription_filter"].values()} == {"arn:aws:firehose:us-east-1:123456789012:deliverystream/prod-logs"}
    only_flow = model.desired_logs(cfg(ship_app_logs=False), found())
    assert list(only_flow["subscription_filter"]) == [FLOW] and only_flow["log_group"] == {}


def test_a_first_plan_is_ordered_so_each_step_finds_what_it_names():
    plan = model.plan_logs(model.desired_logs(cfg(), found(security_group=model.NEW)), empty())
    kinds = []
    for change in plan.changes:
        if change.kind not in kinds:
            kinds.append(change.kind)
    assert kinds == ["secret", "security_group", "bucket", "role", "domain", "delivery_stream", "log_group", "subscription_filter"]
    assert all(change.action == CREATE for change in plan.changes)


def test_a_domain_key_cannot_change_and_a_stream_subnet_neither():
    want = model.desired_logs(cfg(), found())
    have_domain = dict(want["domain"]["prod-logs"], kms_key=KEY.replace("0a1b2c3d-0a1b", "9f9f9f9f-0a1b"), arn="arn:domain")
    with pytest.raises(model.LogsError, match="a domain's key cannot change"):
        model.compare_domain(want["domain"]["prod-logs"], have_domain)
    have_stream = dict(want["delivery_stream"]["prod-logs"], subnets=["subnet-z"], arn="arn:stream")
    with pytest.raises(model.LogsError, match="Firehose sets a stream's VPC delivery at its create"):
        model.compare_stream(want["delivery_stream"]["prod-logs"], have_stream)


def test_a_read_domain_compares_equal_to_the_wanted_one():
    want = model.desired_logs(cfg(), found())["domain"]["prod-logs"]
    status = {
        "ARN": "arn:aws:es:us-east-1:123456789012:domain/prod-logs",
        "EngineVersion": "OpenSearch_2.13",
        "ClusterConfig": {
            "InstanceType": "r6g.large.search",
            "InstanceCount": 2,
            "ZoneAwarenessEnabled": True,
            "ZoneAwarenessConfig": {"AvailabilityZoneCount": 3},
        },
        "EBSOptions": {"EBSEnabled": True, "VolumeType": "gp3", "VolumeSize": 20},
        "VPCOptions": {"SubnetIds": ["subnet-c", "subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1"], "AvailabilityZones": sorted(SUBNETS)},
        "EncryptionAtRestOptions": {"Enabled": True, "KmsKeyId": KEY},
        "NodeToNodeEncryptionOptions": {"Enabled": True},
        "DomainEndpointOptions": {"EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07"},
        "AdvancedSecurityOptions": {"Enabled": True, "InternalUserDatabaseEnabled": True},
        "AccessPolicies": want["access_policy"],
        "SnapshotOptions": {"AutomatedSnapshotStartHour": 3},
        "Endpoints": {"vpc": "vpc-prod-logs.us-east-1.es.amazonaws.com"},
    }
    have = model.actual_domain(status, dict(want["tags"]))
    assert model.compare_domain(want, have) == [] and not have["public"] and have["zones"] == sorted(SUBNETS)
    status["SnapshotOptions"] = {"AutomatedSnapshotStartHour": 5}
    assert model.compare_domain(want, model.actual_domain(status, dict(want["tags"]))) == ["snapshot_hour"]


def test_the_teardown_stops_the_delivery_and_keeps_the_domain_unless_told():
    want = model.desired_logs(cfg(), found())
    have = empty()
    for kind in ("role", "domain", "delivery_stream", "subscription_filter"):
        have[kind] = dict((name, dict(spec, arn="arn")) for name, spec in want[kind].items())
    have["security_group"] = {"prod-logs": {"id": "sg-1"}}
    have["bucket"] = {"hatrading-prod-logs-us-east-1": {"exists": True}}
    kept = model.plan_teardown(cfg(state="absent"), have)
    assert {change.kind for change in kept.changes} == {"subscription_filter", "delivery_stream", "role"}
    assert all(change.action == DELETE for change in kept.changes)
    notes = model.plan_notes(cfg(state="absent"), have)
    assert "domain prod-logs kept with its indices and snapshots (delete_domain=false)" in notes
    assert "bucket hatrading-prod-logs-us-east-1 kept with the documents Firehose could not index" in notes
    gone = model.plan_teardown(cfg(state="absent", delete_domain=True), have)
    assert [(c.kind, c.name) for c in gone.changes][-2:] == [("domain", "prod-logs"), ("security_group", "prod-logs")]
    assert any("no final snapshot taken" in note for note in model.plan_notes(cfg(state="absent", delete_domain=True), have))
