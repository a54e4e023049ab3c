"""hatrading.aws.eks_migration against moto: weighted target groups on the public ALB's listener, steps, a breach
that puts the weights back, a rerun that continues, rollback, check mode and bad input."""

import pytest
import yaml
from test_eks import STACK
from test_eks import network

ALARM = "ekst-frontend-alb-5xx"


def migrate(ansible, check=False, **args):
    params = dict({"stack": STACK, "region": "us-east-1", "bake_time": 1, "poll_interval": 1}, **args)
    return ansible.module("hatrading.aws.eks_migration", params, check=check)


@pytest.fixture
def alb(fresh_moto):
    """The compute tier's public ALB and target group, as names.compute makes them, forwarding plainly."""
    subnets, _key = network(fresh_moto)
    elbv2, ec2 = fresh_moto.client("elbv2"), fresh_moto.client("ec2")
    vpc = ec2.describe_subnets(SubnetIds=[subnets["public"]["us-east-1a"]])["Subnets"][0]["VpcId"]
    lb = elbv2.create_load_balancer(Name="ekst-alb-pub", Subnets=sorted(subnets["public"].values()), Scheme="internet-facing")["LoadBalancers"][0]
    tg = elbv2.create_target_group(Name="ekst-tg-fe", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}]
    )["Listeners"][0]
    fresh_moto.forget_calls()
    return listener["ListenerArn"], tg["TargetGroupArn"]


def pods(moto, count=2):
    """What the AWS Load Balancer Controller does once the TargetGroupBinding is applied: the pods' IPs registered."""
    elbv2 = moto.client("elbv2")
    arn = elbv2.describe_target_groups(Names=["ekst-tg-eks"])["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.40.%d.10" % (10 + n), "Port": 8080} for n in range(count)])
    return arn


def weights(moto, listener_arn):
    action = moto.client("elbv2").describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]["DefaultActions"][0]
    groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
    names = dict((g["TargetGroupArn"], g["TargetGroupName"]) for g in moto.client("elbv2").describe_target_groups()["TargetGroups"])
    return dict((names[g["TargetGroupArn"]], g.get("Weight", 1)) for g in groups)


def alarm(moto, state):
    cloudwatch = moto.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=ALARM,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_ELB_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue=state, StateReason="test")


def test_check_mode_plans_the_steps_and_changes_nothing(alb, moto, ansible):
    result = migrate(ansible, check=True, steps=[10, 50, 100])
    assert result["rc"] == 0 and result["changed"], result
    assert result["plan_text"][:4] == [
        "+ target_group ekst-tg-eks",
        "~ listener_weights ekst-alb-pub eks 10% (weights)",
        "~ listener_weights ekst-alb-pub eks 50% (weights)",
        "~ listener_weights ekst-alb-pub eks 100% (weights)",
    ]
    assert moto.mutating_calls() == []
    assert weights(moto, alb[0]) == {"ekst-tg-fe": 1}
    assert any("target group ekst-tg-eks has 0 healthy targets, 2 needed" in w for w in result["warnings"]), result.get("warnings")
    assert result["migration"]["target_group_binding"] is None  # no group yet, so no ARN to bind to


def test_steps_move_the_traffic_and_a_rerun_changes_nothing(alb, moto, ansible):
    alarm(moto, "OK")
    # no pods behind the EKS target group yet: the group is made, its binding returned, and no traffic moves
    empty = migrate(ansible, steps=[10, 50, 100])
    assert empty["failed"] and empty["msg"].startswith("target group ekst-tg-eks has 0 healthy targets, 2 needed"), empty
    assert weights(moto, alb[0]) == {"ekst-tg-fe": 1}
    binding = empty["migration"]["target_group_binding"]
    arn = pods(moto)
    assert binding["kind"] == "TargetGroupBinding" and binding["spec"]["targetGroupARN"] == arn
    assert binding["spec"]["serviceRef"] == {"name": "frontend", "port": 8080} and binding["metadata"]["namespace"] == "hatrading"
    result = migrate(ansible, steps=[10, 50, 100])
    assert result["rc"] == 0 and result["migration"]["done"] == [10, 50, 100], result
    assert weights(moto, alb[0]) == {"ekst-tg-fe": 0, "ekst-tg-eks": 100}
    group = moto.client("elbv2").describe_target_groups(Names=["ekst-tg-eks"])["TargetGroups"][0]
    assert group["TargetType"] == "ip" and group["HealthCheckPath"] == "/health"
    moto.forget_calls()
    again = migrate(ansible, steps=[10, 50, 100])
    assert again["rc"] == 0 and not again["changed"] and moto.mutating_calls() == []
    back = migrate(ansible, rollback=True)
    assert back["rc"] == 0 and back["changed"]
    assert weights(moto, alb[0]) == {"ekst-tg-fe": 100, "ekst-tg-eks": 0}


def test_an_alarm_during_a_bake_puts_the_weights_back(alb, moto, ansible):
    alarm(moto, "OK")
    assert migrate(ansible, rollback=True)["rc"] == 0  # at 0 %: only the EKS target group is made
    pods(moto)
    first = migrate(ansible, steps=[10])
    assert first["rc"] == 0 and weights(moto, alb[0]) == {"ekst-tg-fe": 90, "ekst-tg-eks": 10}
    alarm(moto, "ALARM")
    result = migrate(ansible, steps=[10, 50, 100])
    assert result["failed"] and "EKS weight 50%: alarm ekst-frontend-alb-5xx in ALARM; every listener is back at 10% EKS" in result["msg"], result
    assert weights(moto, alb[0]) == {"ekst-tg-fe": 90, "ekst-tg-eks": 10}


def test_bad_steps_fail_before_any_call(fresh_moto, ansible):
    result = migrate(ansible, steps=[50, 10])
    assert result["failed"] and result["msg"].startswith("Invalid eks_migration settings: steps:")
    assert fresh_moto.calls() == []


def test_the_playbook_writes_the_binding_the_pods_need_and_moves_nothing_without_them(alb, moto, ansible, tmp_path):
    path = tmp_path / "frontend-binding.yml"
    run = ansible.playbook(
        "playbooks/eks_migration.yml",
        extra_vars={"hatrading_stack": STACK, "hatrading_migration_bake_time": 1, "hatrading_migration_binding_path": str(path)},
    )
    assert run["rc"] != 0 and weights(moto, alb[0]) == {"ekst-tg-fe": 1}
    written = yaml.safe_load(path.read_text())
    arn = moto.client("elbv2").describe_target_groups(Names=["ekst-tg-eks"])["TargetGroups"][0]["TargetGroupArn"]
    assert written["kind"] == "TargetGroupBinding" and written["spec"]["targetGroupARN"] == arn
