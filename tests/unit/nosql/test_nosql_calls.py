"""stack_nosql's applier against botocore Stubber: the requests moto cannot show.

moto 5.2.6 ignores UpdateTable's SSESpecification and ReplicaUpdates (no replica ever appears) and makes
tables ACTIVE at once. These tests check the exact requests instead (Stubber validates each against the
real DynamoDB and Application Auto Scaling models): a new key is one UpdateTable, each replica its own
UpdateTable after the stream is on, each update waits for ACTIVE, and a teardown backs up before it deletes.
"""

import boto3
import pytest
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.nosql import apply
from ansible_collections.hatrading.aws.plugins.module_utils.nosql import model

KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/prod-market"


@pytest.fixture
def aws():
    made, stubbers = {}, {}
    for service in ("dynamodb", "application-autoscaling"):
        made[service] = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        stubbers[service] = Stubber(made[service])
        stubbers[service].activate()
    yield Clients(make=made.get), stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def active(stub, table="prod-market"):
    stub.add_response("describe_table", {"Table": {"TableName": table, "TableStatus": "ACTIVE"}}, {"TableName": table})


def table_spec(**fields):
    want = model.desired_nosql({"stack": "prod"}, KEY)["table"]["prod-market"]
    return dict(want, arn=ARN, **fields)


def test_a_new_key_and_a_replica_are_separate_updates_each_waited_for(aws):
    clients, stubs = aws
    dynamodb = stubs["dynamodb"]
    new_key = KEY.replace("0a1b2c3d-0a1b", "9f9f9f9f-0a1b")
    dynamodb.add_response("update_table", {}, {"TableName": "prod-market", "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": new_key}})
    active(dynamodb)
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    dynamodb.add_response("update_table", {}, {"TableName": "prod-market", "StreamSpecification": stream})
    active(dynamodb)
    replica = {"Create": {"RegionName": "us-west-2", "KMSMasterKeyId": "alias/west"}}
    dynamodb.add_response("update_table", {}, {"TableName": "prod-market", "ReplicaUpdates": [replica]})
    active(dynamodb)
    doer = apply.NosqlApplier(clients, {"stack": "prod", "wait_timeout": 60, "replica_kms_keys": {"us-west-2": "alias/west"}})
    after = table_spec(kms_key=new_key, replicas=["us-west-2"], stream="NEW_AND_OLD_IMAGES")
    doer.update_table(Change(UPDATE, "table", "prod-market", before=table_spec(), after=after, fields=["kms_key", "replicas", "stream"]))


def test_a_replica_left_out_is_deleted(aws):
    clients, stubs = aws
    stubs["dynamodb"].add_response("update_table", {}, {"TableName": "prod-market", "ReplicaUpdates": [{"Delete": {"RegionName": "eu-west-1"}}]})
    active(stubs["dynamodb"])
    doer = apply.NosqlApplier(clients, {"stack": "prod", "wait_timeout": 60})
    change = Change(UPDATE, "table", "prod-market", before=table_spec(replicas=["eu-west-1"]), after=table_spec(), fields=["replicas"])
    doer.update_table(change)


def test_a_teardown_backs_each_table_up_before_deleting_it(aws):
    clients, stubs = aws
    dynamodb = stubs["dynamodb"]
    backup = "arn:aws:dynamodb:us-east-1:123456789012:table/prod-market/backup/01"
    details = {
        "BackupArn": backup,
        "BackupName": "prod-market-final",
        "BackupStatus": "CREATING",
        "BackupType": "USER",
        "BackupCreationDateTime": "2026-01-01T00:00:00Z",
    }
    dynamodb.add_response("create_backup", {"BackupDetails": details}, {"TableName": "prod-market", "BackupName": ANY})
    dynamodb.add_response("delete_table", {}, {"TableName": "prod-market"})
    dynamodb.add_client_error("describe_table", "ResourceNotFoundException", expected_params={"TableName": "prod-market"})
    doer = apply.NosqlApplier(clients, {"stack": "prod", "wait_timeout": 60})
    plan = Plan([Change(DELETE, "table", "prod-market", before=table_spec(), ref={"backup": True})])
    plan.apply(doer.handlers(), doer.finishers())
    assert doer.backups == [backup]


def test_the_scaling_requests_name_the_table_and_dimension(aws):
    clients, stubs = aws
    scaling = stubs["application-autoscaling"]
    target = {"ServiceNamespace": "dynamodb", "ResourceId": "table/prod-market", "ScalableDimension": "dynamodb:table:WriteCapacityUnits"}
    scaling.add_response("register_scalable_target", {}, dict(target, MinCapacity=5, MaxCapacity=50))
    configuration = {"TargetValue": 70.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBWriteCapacityUtilization"}}
    policy = dict(target, PolicyName="prod-market-write-target", PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration=configuration)
    scaling.add_response("put_scaling_policy", {"PolicyARN": "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1"}, policy)
    doer = apply.NosqlApplier(clients, {"stack": "prod"})
    doer.create_scalable_target(Change("create", "scalable_target", "prod-market/write", after={"min": 5, "max": 50}))
    spec = {"target": "prod-market/write", "metric": "DynamoDBWriteCapacityUtilization", "target_value": 70.0}
    doer.create_scaling_policy(Change("create", "scaling_policy", "prod-market-write-target", after=spec))
