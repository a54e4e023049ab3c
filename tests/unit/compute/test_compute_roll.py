"""The rolling update without Ansible: which instances are stale, the plan, and the refresh strategy
against botocore's Stubber (moto has no instance refresh)."""

import boto3
import pytest
from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.compute import roll
from botocore.exceptions import WaiterError
from botocore.stub import Stubber


def member(instance_id, state="InService"):
    return {"InstanceId": instance_id, "LifecycleState": state, "AvailabilityZone": "us-east-1a", "HealthStatus": "Healthy"}


def tagged(instance_id, version):
    tags = [{"Key": "aws:ec2launchtemplate:version", "Value": version}] if version else []
    return {"InstanceId": instance_id, "Tags": tags}


def test_stale_instances_are_the_in_service_ones_on_another_version():
    group = {
        "LaunchTemplate": {"LaunchTemplateId": "lt-1", "Version": "3"},
        "Instances": [member("i-c"), member("i-a"), member("i-b"), member("i-d", "Pending")],
    }
    launched = roll.launched_versions([tagged("i-a", "2"), tagged("i-b", "3"), tagged("i-c", None)])
    assert launched == {"i-a": "2", "i-b": "3", "i-c": None}
    wanted = roll.wanted_version(group, None)
    assert roll.stale_instances(group, launched, wanted) == ["i-a", "i-c"]  # untagged counts as stale; pending is not ours yet
    plan = roll.plan_roll("demo-backend", ["i-a", "i-c"], launched, wanted)
    assert plan.render() == [
        "~ instance i-a (launch_template_version)",
        "~ instance i-c (launch_template_version)",
        "Plan: 0 to create, 2 to update, 0 to delete.",
    ]
    assert plan.diff()["before"]["instance/i-a"] == {"launch_template_version": "2"}


@pytest.mark.parametrize("version, expected", [("$Latest", "7"), ("$Default", "5"), ("4", "4"), (None, "5")])
def test_wanted_version_resolves_latest_and_default(version, expected):
    spec = {"LaunchTemplateId": "lt-1"}
    if version:
        spec["Version"] = version
    assert roll.wanted_version({"LaunchTemplate": spec}, {"LatestVersionNumber": 7, "DefaultVersionNumber": 5}) == expected


def test_batches_are_capped_at_what_detach_instances_takes():
    ids = ["i-%02d" % n for n in range(25)]
    assert [len(b) for b in roll.batches(ids, 2)][:2] == [2, 2]
    assert [len(b) for b in roll.batches(ids, 50)] == [20, 5]
    assert roll.batches([], 3) == []


def clients_of(asg):
    return Clients(make={"autoscaling": asg}.get)


def test_refresh_strategy_starts_a_refresh_and_waits_for_success():
    asg = boto3.client("autoscaling", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    preferences = {"MinHealthyPercentage": 90, "InstanceWarmup": 60, "SkipMatching": True}
    with Stubber(asg) as stub:
        stub.add_response(
            "start_instance_refresh", {"InstanceRefreshId": "r-1"}, {"AutoScalingGroupName": "demo-backend", "Strategy": "Rolling", "Preferences": preferences}
        )
        stub.add_response("describe_instance_refreshes", {"InstanceRefreshes": [{"InstanceRefreshId": "r-1", "Status": "InProgress"}]})
        stub.add_response("describe_instance_refreshes", {"InstanceRefreshes": [{"InstanceRefreshId": "r-1", "Status": "Successful"}]})
        roller = roll.Roller(clients_of(asg), timeout=30, delay=1)
        roller.refresh({"AutoScalingGroupName": "demo-backend"}, preferences)
        stub.assert_no_pending_responses()
    assert roller.refresh_id == "r-1" and roller.warnings == []


def test_refresh_strategy_fails_on_a_failed_refresh():
    asg = boto3.client("autoscaling", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(asg) as stub:
        stub.add_response("start_instance_refresh", {"InstanceRefreshId": "r-2"})
        stub.add_response("describe_instance_refreshes", {"InstanceRefreshes": [{"InstanceRefreshId": "r-2", "Status": "Failed"}]})
        roller = roll.Roller(clients_of(asg), timeout=30, delay=1)
        with pytest.raises(WaiterError):
            roller.refresh({"AutoScalingGroupName": "demo-backend"}, {"MinHealthyPercentage": 90})
