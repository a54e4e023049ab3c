"""The compute tier's calls through the AWS layer against botocore's Stubber: calls moto lacks, and not-found handling."""

import boto3
import pytest
from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.compute import template
from botocore.exceptions import ClientError
from botocore.stub import Stubber

PREFS = {"MinHealthyPercentage": 90, "InstanceWarmup": 120, "SkipMatching": True, "AutoRollback": False}


def client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def wrapped(service, stubbed):
    """The Service the tier code calls (``clients.<service>``), around a stubbed client."""
    return Clients(make={service: stubbed}.get)(service)


def test_start_instance_refresh_sends_rolling_preferences():
    asg = client("autoscaling")
    with Stubber(asg) as stub:
        stub.add_response(
            "start_instance_refresh", {"InstanceRefreshId": "r-1"}, {"AutoScalingGroupName": "demo-backend", "Strategy": "Rolling", "Preferences": PREFS}
        )
        assert wrapped("autoscaling", asg).start_rolling_refresh("demo-backend", PREFS) == ("r-1", None)
        stub.assert_no_pending_responses()


def test_refresh_already_running_is_a_warning():
    asg = client("autoscaling")
    with Stubber(asg) as stub:
        stub.add_client_error("start_instance_refresh", service_error_code="InstanceRefreshInProgress", http_status_code=400)
        refresh_id, warning = wrapped("autoscaling", asg).start_rolling_refresh("demo-backend", PREFS)
    assert refresh_id is None and "already running" in warning


def test_other_refresh_errors_are_raised():
    asg = client("autoscaling")
    with Stubber(asg) as stub:
        stub.add_client_error("start_instance_refresh", service_error_code="ValidationError", http_status_code=400)
        with pytest.raises(ClientError):
            wrapped("autoscaling", asg).start_rolling_refresh("demo-backend", PREFS)


def test_group_deleted_waiter_polls_until_gone():
    asg = client("autoscaling")
    with Stubber(asg) as stub:
        stub.add_response(
            "describe_auto_scaling_groups",
            {
                "AutoScalingGroups": [
                    {
                        "AutoScalingGroupName": "g",
                        "MinSize": 0,
                        "MaxSize": 0,
                        "DesiredCapacity": 0,
                        "DefaultCooldown": 300,
                        "AvailabilityZones": ["us-east-1a"],
                        "HealthCheckType": "EC2",
                        "CreatedTime": "2026-01-01T00:00:00Z",
                        "Status": "Delete in progress",
                    }
                ]
            },
        )
        stub.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": []})
        wrapped("autoscaling", asg).wait("GroupDeleted", timeout=10, delay=1, AutoScalingGroupNames=["g"])
        stub.assert_no_pending_responses()


def test_describe_load_balancers_missing_name_is_empty():
    elb = client("elbv2")
    with Stubber(elb) as stub:
        stub.add_client_error("describe_load_balancers", service_error_code="LoadBalancerNotFound", http_status_code=400)
        stub.add_client_error("describe_load_balancers", service_error_code="LoadBalancerNotFound", http_status_code=400)
        assert wrapped("elbv2", elb).load_balancers_named(["demo-alb-pub"]) == []


def test_describe_target_groups_one_missing_one_found():
    elb = client("elbv2")
    group = {"TargetGroupArn": "arn:tg", "TargetGroupName": "demo-tg-be"}
    with Stubber(elb) as stub:
        stub.add_client_error("describe_target_groups", service_error_code="TargetGroupNotFound", http_status_code=400)
        stub.add_client_error(
            "describe_target_groups", service_error_code="TargetGroupNotFound", http_status_code=400, expected_params={"Names": ["demo-tg-fe"]}
        )
        stub.add_response("describe_target_groups", {"TargetGroups": [group]}, {"Names": ["demo-tg-be"]})
        assert wrapped("elbv2", elb).target_groups_named(["demo-tg-fe", "demo-tg-be"]) == [group]


def test_iam_missing_entities_are_none():
    iam_client = client("iam")
    with Stubber(iam_client) as stub:
        stub.add_client_error("get_instance_profile", service_error_code="NoSuchEntity", http_status_code=404)
        assert wrapped("iam", iam_client).get_instance_profile(InstanceProfileName="demo-backend-instance", missing=None) is None


def test_missing_launch_template_is_none():
    ec2 = client("ec2")
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_launch_templates", service_error_code="InvalidLaunchTemplateName.NotFoundException", http_status_code=400)
        assert template.launch_template(Clients(make={"ec2": ec2}.get), "demo-backend") is None


def test_throttled_read_is_retried():
    ec2 = client("ec2")
    record = {"LaunchTemplateId": "lt-1", "LaunchTemplateName": "demo-backend"}
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_launch_templates", service_error_code="RequestLimitExceeded", http_status_code=400)
        stub.add_response("describe_launch_templates", {"LaunchTemplates": [record]})
        assert template.launch_template(Clients(make={"ec2": ec2}.get), "demo-backend") == record
