"""Both app tiers in one run, without Ansible: option checks, warm-pool plans, the shared stack
view of the network and the retry that waits out IAM propagation (real AWS only; moto has no propagation delay)."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.compute import group, model, read, template
from ansible_collections.hatrading.aws.plugins.module_utils.compute.model import step_params
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE, DELETE, UPDATE
from botocore.exceptions import ClientError
from botocore.stub import Stubber

IMAGE = "127.0.0.1:5001/hatrading/backend:1.0.0"


def client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def stack_params(**backend_group):
    group = dict({"min_size": 1, "desired_capacity": 1, "max_size": 2}, **backend_group)
    return {
        "stack": "demo",
        "state": "present",
        "tags": {},
        "tiers": [
            {
                "tier": "backend",
                "load_balancer": {"port": 8081},
                "launch_template": {"image": IMAGE, "port": 8081},
                "auto_scaling_group": group,
                "load_balancer_urls": {},
            },
            {
                "tier": "frontend",
                "load_balancer": {"port": 8080},
                "launch_template": {"image": IMAGE.replace("backend", "frontend"), "port": 8080},
                "auto_scaling_group": {"min_size": 1, "desired_capacity": 1, "max_size": 2},
                "load_balancer_urls": {"BACKEND_URL": "backend"},
            },
        ],
    }


def test_step_params_fill_each_step_with_its_module_defaults():
    steps, errors = step_params(stack_params())
    assert errors == []
    assert sorted(steps) == [(tier, part) for tier in ("backend", "frontend") for part in ("auto_scaling_group", "launch_template", "load_balancer")]
    balancer = steps[("frontend", "load_balancer")]
    assert (balancer["stack"], balancer["tier"], balancer["port"], balancer["deregistration_delay"]) == ("demo", "frontend", 8080, 30)
    assert steps[("backend", "auto_scaling_group")]["warm_pool"] is None


def test_step_params_convert_strings_as_the_modules_do():
    params = stack_params(min_size="2", desired_capacity="2", max_size="4")
    steps, errors = step_params(params)
    assert errors == [] and steps[("backend", "auto_scaling_group")]["min_size"] == 2


@pytest.mark.parametrize(
    "group, expected",
    [
        ({"min_size": 3, "max_size": 2}, "tiers[0].auto_scaling_group.min_size: 3 is above max_size 2"),
        ({"warm_pool": {"min_size": -1}}, "tiers[0].auto_scaling_group.warm_pool.min_size: -1"),
        ({"warm_pool": {"min_size": 3, "max_prepared_capacity": 2}}, "tiers[0].auto_scaling_group.warm_pool.min_size: 3 is above"),
        ({"warm_pool": {"min_size": 1}, "spot_share": 20}, "tiers[0].auto_scaling_group.warm_pool: a warm pool cannot serve"),
        ({"warm_pool": {"pool_state": "Frozen"}}, "tiers[0].auto_scaling_group: value of pool_state must be one of"),
        ({"size": 3}, "tiers[0].auto_scaling_group: unknown option size; use cpu_target"),
    ],
)
def test_step_params_errors_name_the_option(group, expected):
    _steps, errors = step_params(stack_params(**group))
    assert any(error.startswith(expected) for error in errors), errors


def test_warm_pool_plan_create_update_delete_and_nothing():
    assert group.desired_warm_pool({}) is None
    assert group.desired_warm_pool({"min_size": None, "pool_state": None}) is None
    want = group.desired_warm_pool({"min_size": 1})
    assert want == {"min_size": 1, "max_prepared_capacity": -1, "pool_state": "Stopped", "reuse_on_scale_in": False}
    assert [c.action for c in group.plan_warm_pool("demo-backend", want, None)] == [CREATE]
    have = group.actual_warm_pool({"WarmPoolConfiguration": {"MinSize": 1, "PoolState": "Stopped", "Status": "Active"}})
    assert group.plan_warm_pool("demo-backend", want, have) == []  # an unset max equals -1
    running = dict(want, pool_state="Running")
    [change] = group.plan_warm_pool("demo-backend", running, have)
    assert (change.action, change.fields) == (UPDATE, ["pool_state"])
    assert [c.action for c in group.plan_warm_pool("demo-backend", None, have)] == [DELETE]
    assert group.plan_warm_pool("demo-backend", None, group.actual_warm_pool({"AutoScalingGroupName": "x"})) == []


def test_role_level_warm_pool_with_spot_is_refused():
    errors = model.validate_compute({"spot_share": 30, "backend_warm_pool": {"min_size": 1}, "frontend_warm_pool": {}}, prefix="compute_")
    assert errors == ["compute_backend_warm_pool: a warm pool cannot serve a group with spot instances (compute_spot_share > 0); AWS refuses the pair"]


def test_network_view_reads_subnets_and_groups_once():
    ec2 = client("ec2")
    subnets = [
        {"SubnetId": "subnet-b", "VpcId": "vpc-1", "Tags": [{"Key": "hatrading:layer", "Value": "app"}]},
        {"SubnetId": "subnet-a", "VpcId": "vpc-1", "Tags": [{"Key": "hatrading:layer", "Value": "app"}]},
        {"SubnetId": "subnet-p", "VpcId": "vpc-1", "Tags": [{"Key": "hatrading:layer", "Value": "public"}]},
    ]
    groups = [{"GroupId": "sg-1", "GroupName": "x", "Tags": [{"Key": "Name", "Value": "demo-backend"}]}]
    stack_filter = [{"Name": "tag:hatrading:stack", "Values": ["demo"]}, {"Name": "tag:hatrading:tier", "Values": ["network"]}]
    with Stubber(ec2) as stub:
        stub.add_response("describe_subnets", {"Subnets": subnets}, {"Filters": stack_filter})
        stub.add_response("describe_security_groups", {"SecurityGroups": groups}, {"Filters": stack_filter})
        view = read.stack_view(Clients(make={"ec2": ec2}.get), "demo")
        assert view.subnet_ids("app") == ["subnet-a", "subnet-b"]
        assert view.subnet_ids("public") == ["subnet-p"] and view.vpc_id("public") == "vpc-1"
        assert view.security_group_id("demo-backend") == "sg-1" and view.security_group_id("demo-frontend") is None
        assert view.subnet_ids("data") == [] and view.vpc_id("data") is None
        stub.assert_no_pending_responses()


def test_launch_retry_waits_out_an_instance_profile_iam_has_not_propagated(monkeypatch):
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    asg = client("autoscaling")
    message = "Invalid IAM Instance Profile name"
    call = Clients(make={"autoscaling": asg}.get).autoscaling.create_auto_scaling_group
    with Stubber(asg) as stub:
        stub.add_client_error("create_auto_scaling_group", service_error_code="ValidationError", service_message=message, http_status_code=400)
        stub.add_client_error("create_auto_scaling_group", service_error_code="ValidationError", service_message=message, http_status_code=400)
        stub.add_response("create_auto_scaling_group", {})
        call(AutoScalingGroupName="demo-backend", MinSize=1, MaxSize=2)
        stub.assert_no_pending_responses()


def test_launch_retry_raises_other_validation_errors_at_once(monkeypatch):
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: pytest.fail("a real mistake must not be retried"))
    asg = client("autoscaling")
    call = Clients(make={"autoscaling": asg}.get).autoscaling.create_auto_scaling_group
    with Stubber(asg) as stub:
        mistake = "Max bound, 1, must be >= 2"
        stub.add_client_error("create_auto_scaling_group", service_error_code="ValidationError", service_message=mistake, http_status_code=400)
        with pytest.raises(ClientError):
            call(AutoScalingGroupName="demo-backend", MinSize=2, MaxSize=1)


def test_codedeploy_bucket_adds_the_agent_and_read_access_to_revisions_only():
    params = {"stack": "demo", "tier": "backend", "tags": {}, "image": IMAGE, "port": 8081, "health_path": "/health", "registry_auth": "auto"}
    params.update(instance_type="t3.micro", metadata_hop_limit=1, root_volume_size=20, registry_secret_arn=None, environment={})
    plain = template.tier_spec(dict(params, codedeploy_bucket=None), "eu-west-1")
    deploying = template.tier_spec(dict(params, codedeploy_bucket="hatrading-demo-pipeline-eu-west-1"), "eu-west-1")
    assert "codedeploy" not in template.render_user_data(plain) and "ruby" not in template.render_user_data(plain)
    text = template.render_user_data(deploying)
    assert "  - ruby\n" in text and "https://aws-codedeploy-eu-west-1.s3.eu-west-1.amazonaws.com/latest/install" in text
    sids = {s["Sid"]: s for s in template.instance_policy(deploying)["Statement"]}
    assert sids["DeploymentRevisions"]["Resource"] == "arn:aws:s3:::hatrading-demo-pipeline-eu-west-1/*"
    assert sids["DeploymentRevisions"]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert "DeploymentRevisions" not in {s["Sid"] for s in template.instance_policy(plain)["Statement"]}
    errors = model.validate_tier({"codedeploy_bucket": "Not_A_Bucket"}, lambda option: "compute_" + option)
    assert errors == [
        "compute_codedeploy_bucket: 'Not_A_Bucket' is not a valid S3 bucket name;"
        " use 3-63 lower-case letters, digits, dots and dashes, starting and ending with a letter or digit"
    ]
