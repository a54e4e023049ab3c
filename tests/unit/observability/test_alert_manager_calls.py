"""The alert manager definition's calls against botocore Stubber: what moto 5.2.6 answers unlike AWS.

moto takes any text and answers ACTIVE at once; AMP answers CREATING or UPDATING (202) and may end in
CREATION_FAILED or UPDATE_FAILED with a reason. Stubber checks each request against the real AMP model.
"""

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.observability import apply
from ansible_collections.hatrading.aws.plugins.module_utils.observability import model

WORKSPACE_ARN = "arn:aws:aps:us-east-1:123456789012:workspace/ws-1"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:prod-alarms"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """The waiter's polls without its real delay."""
    monkeypatch.setattr("botocore.waiter.time.sleep", lambda seconds: None)


@pytest.fixture
def amp():
    client = boto3.client("amp", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.activate()
    yield Clients(make={"amp": client}.get), stubber
    stubber.assert_no_pending_responses()


def applier(clients, **settings):
    cfg = dict({"stack": "prod", "state": "present", "tags": {}, "wait_timeout": 60}, **settings)
    have = model.actual_observability("prod", {"workspace": {"workspaceId": "ws-1", "arn": WORKSPACE_ARN, "tags": {}}})
    return apply.ObservabilityApplier(clients, cfg, "us-east-1", have)


def data(**settings):
    config = model.alert_manager_config(dict({"stack": "prod"}, **settings), "us-east-1", TOPIC_ARN)
    return model.alert_manager_text(config).encode("utf-8")


def definition(status, reason=None):
    found = {"status": {"statusCode": status}, "data": data(), "createdAt": "2026-01-01T00:00:00Z", "modifiedAt": "2026-01-01T00:00:00Z"}
    if reason:
        found["status"]["statusReason"] = reason
    return {"alertManagerDefinition": found}


def change(action, before=None):
    after = model.desired_observability({"stack": "prod"}, "us-east-1", workspace_arn=WORKSPACE_ARN)["alert_manager"]["prod-prometheus"]
    return Change(action, "alert_manager", "prod-prometheus", before=before, after=after, fields=["config"])


def test_a_new_definition_names_the_topic_of_the_workspaces_account_and_is_waited_for(amp):
    clients, stub = amp
    stub.add_response("create_alert_manager_definition", {"status": {"statusCode": "CREATING"}}, {"workspaceId": "ws-1", "data": data()})
    stub.add_response("describe_alert_manager_definition", definition("CREATING"), {"workspaceId": "ws-1"})
    stub.add_response("describe_alert_manager_definition", definition("ACTIVE"), {"workspaceId": "ws-1"})
    applier(clients).create_alert_manager(change("create"))


def test_a_definition_amp_refuses_fails_the_run_with_amps_reason(amp):
    clients, stub = amp
    stub.add_response("create_alert_manager_definition", {"status": {"statusCode": "CREATING"}}, {"workspaceId": "ws-1", "data": data()})
    stub.add_response("describe_alert_manager_definition", definition("CREATION_FAILED", "sns_configs: topic_arn is invalid"), {"workspaceId": "ws-1"})
    with pytest.raises(model.ObservabilityError, match="CREATION_FAILED: sns_configs: topic_arn is invalid"):
        applier(clients).create_alert_manager(change("create"))


def test_a_definition_that_was_never_made_is_deleted_and_made_again(amp):
    clients, stub = amp
    stub.add_response("delete_alert_manager_definition", {}, {"workspaceId": "ws-1"})
    stub.add_response("create_alert_manager_definition", {"status": {"statusCode": "ACTIVE"}}, {"workspaceId": "ws-1", "data": data()})
    applier(clients).update_alert_manager(change("update", before={"config": None, "status": "CREATION_FAILED"}))


def test_a_changed_interval_is_one_put_waited_for(amp):
    clients, stub = amp
    put = data(alert_group_interval="10m")
    stub.add_response("put_alert_manager_definition", {"status": {"statusCode": "UPDATING"}}, {"workspaceId": "ws-1", "data": put})
    stub.add_response("describe_alert_manager_definition", definition("ACTIVE"), {"workspaceId": "ws-1"})
    applier(clients, alert_group_interval="10m").update_alert_manager(change("update", before={"config": {}, "status": "ACTIVE"}))


def test_without_a_wait_the_run_goes_on(amp):
    clients, stub = amp
    stub.add_response("create_alert_manager_definition", {"status": {"statusCode": "CREATING"}}, {"workspaceId": "ws-1", "data": data()})
    applier(clients, wait_timeout=0).create_alert_manager(change("create"))
