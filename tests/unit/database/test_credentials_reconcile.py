"""database_credentials' reconcile against botocore Stubber: a new secret, its password masked, never returned."""

import json

import boto3
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import Outcome
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import Run
from ansible_collections.hatrading.aws.plugins.module_utils.database import credentials

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/database/master-AbCdEf"
PARAMS = {
    "stack": "demo",
    "state": "present",
    "tags": {},
    "secret_name": None,
    "username": "dbadmin",
    "database_name": "trading",
    "engine": "postgres",
    "port": 5432,
    "password_length": 32,
    "kms_key_id": None,
    "recovery_window_days": 7,
}


def stubbed():
    client = boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return Clients(make={"secretsmanager": client}.get), Stubber(client)


def test_a_missing_secret_is_created_with_a_masked_password():
    clients, stub = stubbed()
    stub.add_client_error("describe_secret", "ResourceNotFoundException", expected_params={"SecretId": "demo/database/master"})
    expected = {"Name": "demo/database/master", "Description": "Master credentials of the demo database", "SecretString": ANY, "Tags": ANY}
    expected["ClientRequestToken"] = ANY  # one per create: a retry after a lost answer sends the same
    stub.add_response("create_secret", {"ARN": ARN, "Name": "demo/database/master"}, expected)
    masked = set()
    outcome = Outcome(mask=masked.add)
    with stub:
        credentials.reconcile(clients, PARAMS, Run(check_mode=False, region="us-east-1"), outcome)
    assert [str(change) for change in outcome.plan.changes] == ["+ secret demo/database/master"]
    assert outcome.result == {"secret": {"arn": ARN, "name": "demo/database/master"}}
    (password,) = masked
    assert len(password) == 32 and password not in json.dumps(outcome.result)


def test_check_mode_reads_only():
    clients, stub = stubbed()
    stub.add_client_error("describe_secret", "ResourceNotFoundException")
    outcome = Outcome()
    with stub:
        credentials.reconcile(clients, PARAMS, Run(check_mode=True, region="us-east-1"), outcome)
    assert outcome.plan.changed and outcome.result == {"secret": {}}
