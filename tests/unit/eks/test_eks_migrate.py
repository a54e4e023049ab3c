"""The migration's pure parts and one breached step against Stubber: the weights go back to where the run started."""

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.eks import migrate

ASG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/prod-tg-fe/1"
EKS = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/prod-tg-eks/2"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/prod-alb-pub/3/4"


def params(**extra):
    base = {"stack": "prod", "steps": [10, 25, 50, 100], "bake_time": 60, "poll_interval": 5, "frontend_port": 8080, "health_path": "/health"}
    return dict(base, namespace="hatrading", min_healthy_targets=2, **extra)


def test_weights_of_a_plain_and_a_weighted_forward():
    assert migrate.forward_weights({"DefaultActions": [{"Type": "forward", "TargetGroupArn": ASG}]}) == {ASG: 1}
    weighted = {
        "DefaultActions": [
            {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": ASG, "Weight": 75}, {"TargetGroupArn": EKS, "Weight": 25}]}}
        ]
    }
    assert migrate.eks_share(migrate.forward_weights(weighted), EKS) == 25
    assert migrate.forward_weights({"DefaultActions": [{"Type": "redirect"}]}) is None


def test_steps_must_rise_within_1_to_100():
    assert migrate.validate_params(params()) == []
    for steps in ([], [50, 10], [10, 10], [0, 50], [50, 101]):
        assert migrate.validate_params(params(steps=steps))[0].startswith("steps:"), steps
    assert migrate.validate_params(params(bake_time=-1))[0].startswith("bake_time:")


def action(eks_percent):
    groups = [{"TargetGroupArn": ASG, "Weight": 100 - eks_percent}, {"TargetGroupArn": EKS, "Weight": eks_percent}]
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": groups, "TargetGroupStickinessConfig": {"Enabled": False}}}]


def clients():
    return dict((name, boto3.client(name, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")) for name in ("elbv2", "cloudwatch"))


def healthy(count):
    pods = [{"Target": {"Id": "10.0.1.%d" % n, "Port": 8080}, "TargetHealth": {"State": "healthy"}} for n in range(count)]
    return {"TargetHealthDescriptions": pods + [{"Target": {"Id": "10.0.2.9", "Port": 8080}, "TargetHealth": {"State": "initial"}}]}


def applier_for(made, start, report, ticks=None, slept=None):
    return migrate.MigrationApplier(
        Clients(make=made.get),
        params(rollback_alarms=["prod-frontend-alb-5xx"]),
        {"VpcId": "vpc-1"},
        [{"ListenerArn": LISTENER}],
        ASG,
        EKS,
        start,
        (slept if slept is not None else []).append,
        lambda: next(ticks or iter(range(0, 1000, 5))),
        report,
    )


def test_no_traffic_moves_towards_an_eks_group_without_enough_healthy_pods():
    made = clients()
    elb = Stubber(made["elbv2"])
    elb.add_response("describe_target_health", healthy(1), {"TargetGroupArn": EKS})  # one healthy, one still initial
    with elb:
        applier = applier_for(made, 0, {})
        with pytest.raises(migrate.MigrationError) as refused:
            applier.update_listener_weights(Change(UPDATE, "listener_weights", "prod-alb-pub eks 10%", after={"eks": 10}))
        elb.assert_no_pending_responses()  # and no modify_listener: the stubber would have refused it
    assert str(refused.value).startswith("target group prod-tg-eks has 1 healthy targets, 2 needed before any traffic moves to EKS")


def test_a_move_back_needs_no_healthy_pods():
    made = clients()
    elb = Stubber(made["elbv2"])
    elb.add_response("modify_listener", {"Listeners": []}, {"ListenerArn": LISTENER, "DefaultActions": action(0)})
    with elb:
        applier = applier_for(made, 50, {})
        applier.update_listener_weights(Change(UPDATE, "listener_weights", "prod-alb-pub eks 0%", after={"eks": 0}))
        elb.assert_no_pending_responses()
    assert applier.done == [0]


def test_a_breached_step_puts_the_listener_back_and_skips_the_rest():
    made = clients()
    elb, cw = Stubber(made["elbv2"]), Stubber(made["cloudwatch"])
    alarms = ["prod-frontend-alb-5xx"]
    elb.add_response("describe_target_health", healthy(2), {"TargetGroupArn": EKS})
    elb.add_response("modify_listener", {"Listeners": []}, {"ListenerArn": LISTENER, "DefaultActions": action(25)})
    cw.add_response("describe_alarms", {"MetricAlarms": [{"AlarmName": alarms[0], "StateValue": "OK"}]}, {"AlarmNames": alarms})
    cw.add_response("describe_alarms", {"MetricAlarms": [{"AlarmName": alarms[0], "StateValue": "ALARM"}]}, {"AlarmNames": alarms})
    elb.add_response("modify_listener", {"Listeners": []}, {"ListenerArn": LISTENER, "DefaultActions": action(10)})
    ticks, slept = iter(range(0, 1000, 5)), []
    with elb, cw:
        applier = applier_for(made, 10, {}, ticks, slept)
        for weight in (25, 50):
            applier.update_listener_weights(Change(UPDATE, "listener_weights", "prod-alb-pub eks %d%%" % weight, after={"eks": weight}))
        elb.assert_no_pending_responses()
        cw.assert_no_pending_responses()
    assert applier.breach == (25, "alarm prod-frontend-alb-5xx in ALARM") and applier.done == [] and slept == [5]
