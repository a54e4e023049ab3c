"""The compute tier against moto: modules one by one, then the role as a playbook.

Each test builds its own network with hatrading.aws.stack_network first, then asserts what moto
reports. moto facts: targets are healthy at once, all ASG instances land in one AZ, there is no
StartInstanceRefresh (so instance_refresh is off here; tests/unit/test_compute_calls.py covers it).
"""

import base64
import json

import pytest
import yaml

BACKEND_IMAGE = "127.0.0.1:5001/hatrading/backend:1.0.0"
FRONTEND_IMAGE = "127.0.0.1:5001/hatrading/frontend:1.0.0"


def build_network(ansible, stack, cidr):
    result = ansible.module("hatrading.aws.stack_network", {"stack": stack, "vpc_cidr": cidr, "nat_mode": "single", "resilience": "cost"})
    assert result["rc"] == 0, result
    return result["network"]


def backend_calls(stack, instance_type="t3.micro"):
    """The three module calls of the back-end tier, in the role's order."""
    return [
        ("hatrading.aws.compute_load_balancer", {"stack": stack, "tier": "backend", "port": 8081, "health_path": "/health"}),
        ("hatrading.aws.compute_launch_template", {"stack": stack, "tier": "backend", "image": BACKEND_IMAGE, "port": 8081, "instance_type": instance_type}),
        (
            "hatrading.aws.compute_autoscaling",
            {"stack": stack, "tier": "backend", "min_size": 2, "desired_capacity": 2, "max_size": 4, "instance_type": instance_type, "instance_refresh": False},
        ),
    ]


def teardown_calls(stack, tier="backend"):
    return [
        ("hatrading.aws.compute_autoscaling", {"stack": stack, "tier": tier, "state": "absent"}),
        ("hatrading.aws.compute_load_balancer", {"stack": stack, "tier": tier, "state": "absent"}),
        ("hatrading.aws.compute_launch_template", {"stack": stack, "tier": tier, "state": "absent"}),
    ]


def run_all(ansible, tmp_path, calls, check=False, diff=False):
    """Run module calls as the tasks of one playbook (one Ansible start-up, not one per call); results in order."""
    tasks = [{"name": "step %d" % index, name: args} for index, (name, args) in enumerate(calls)]
    playbook = tmp_path / "steps.yml"
    playbook.write_text(json.dumps([{"name": "steps", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]))
    output = ansible.playbook(playbook, check=check, diff=diff)
    assert output["rc"] == 0, (output["tasks"], output["stderr"][-2000:])
    return [output["tasks"]["step %d" % index] for index in range(len(calls))]


def test_backend_tier_lifecycle(fresh_moto, ansible, tmp_path):
    stack = "it-compute"
    network = build_network(ansible, stack, "10.40.0.0/16")
    app_subnets = sorted(subnet_id for name, subnet_id in network["subnets"].items() if "-app-" in name)
    ec2, asg, elb, iam = (fresh_moto.client(s) for s in ("ec2", "autoscaling", "elbv2", "iam"))

    # check mode on nothing: a plan, and not one mutating call
    fresh_moto.forget_calls()
    planned = run_all(ansible, tmp_path, backend_calls(stack), check=True)
    assert all(result["changed"] for result in planned)
    assert [step["kind"] for step in planned[0]["plan"]] == ["target_group", "load_balancer", "listener"]
    assert [step["kind"] for step in planned[1]["plan"]] == ["iam_role", "iam_role_policy", "instance_profile", "launch_template"]
    assert fresh_moto.mutating_calls() == []
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"] == []

    # create
    created = run_all(ansible, tmp_path, backend_calls(stack))
    assert all(result["changed"] for result in created)
    templates = ec2.describe_launch_templates(LaunchTemplateNames=["it-compute-backend"])["LaunchTemplates"]
    assert templates[0]["LatestVersionNumber"] == 1
    data = ec2.describe_launch_template_versions(LaunchTemplateId=templates[0]["LaunchTemplateId"], Versions=["$Latest"])["LaunchTemplateVersions"][0][
        "LaunchTemplateData"
    ]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    assert data["NetworkInterfaces"][0]["AssociatePublicIpAddress"] is False
    user_data = yaml.safe_load(base64.b64decode(data["UserData"]))
    assert "docker pull %s" % BACKEND_IMAGE in {f["path"]: f["content"] for f in user_data["write_files"]}["/usr/local/bin/hatrading-backend"]
    policy = iam.get_role_policy(RoleName="it-compute-backend-instance", PolicyName="least-privilege")["PolicyDocument"]
    assert {s["Sid"] for s in policy["Statement"]} == {"SessionManager", "CloudWatchMetrics", "AgentDimensions", "Logs"}
    assert [r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName="it-compute-backend-instance")["InstanceProfile"]["Roles"]] == [
        "it-compute-backend-instance"
    ]

    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["it-compute-backend"])["AutoScalingGroups"][0]
    assert sorted(group["VPCZoneIdentifier"].split(",")) == app_subnets
    assert (group["MinSize"], group["DesiredCapacity"], group["MaxSize"]) == (2, 2, 4)
    assert (group["HealthCheckType"], group["HealthCheckGracePeriod"]) == ("ELB", 120)
    assert group["LaunchTemplate"]["Version"] == "1"
    assert len(group["Instances"]) == 2
    policies = {p["PolicyName"]: p for p in asg.describe_policies(AutoScalingGroupName="it-compute-backend")["ScalingPolicies"]}
    assert (
        policies["it-compute-backend-cpu"]["TargetTrackingConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ASGAverageCPUUtilization"
    )
    requests = policies["it-compute-backend-requests"]["TargetTrackingConfiguration"]
    assert requests["PredefinedMetricSpecification"]["ResourceLabel"] == created[0]["resource_label"]

    lb = elb.describe_load_balancers(Names=["it-compute-alb-int"])["LoadBalancers"][0]
    assert lb["Scheme"] == "internal"
    assert sorted(z["SubnetId"] for z in lb["AvailabilityZones"]) == app_subnets
    tg = elb.describe_target_groups(Names=["it-compute-tg-be"])["TargetGroups"][0]
    assert (tg["Port"], tg["HealthCheckPath"], tg["HealthyThresholdCount"], tg["UnhealthyThresholdCount"]) == (8081, "/health", 3, 2)
    attributes = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    assert attributes["deregistration_delay.timeout_seconds"] == "30"
    targets = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert sorted(t["Target"]["Id"] for t in targets) == sorted(i["InstanceId"] for i in group["Instances"])
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert [(x["Port"], x["DefaultActions"][0]["TargetGroupArn"]) for x in listeners] == [(80, tg["TargetGroupArn"])]

    # rerun: nothing to do, not one mutating call, no target deregistered
    fresh_moto.forget_calls()
    rerun = run_all(ansible, tmp_path, backend_calls(stack))
    assert [result["changed"] for result in rerun] == [False, False, False]
    assert fresh_moto.mutating_calls() == []
    assert ec2.describe_launch_templates(LaunchTemplateNames=["it-compute-backend"])["LaunchTemplates"][0]["LatestVersionNumber"] == 1
    assert len(elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]) == len(targets)

    # change the instance type: one new template version, the group moved to it (diff shows the field)
    changed = run_all(ansible, tmp_path, backend_calls(stack, "t3.small"), diff=True)
    assert changed[0]["changed"] is False
    assert changed[1]["plan"] == [{"action": "update", "kind": "launch_template_version", "name": "it-compute-backend", "fields": ["instance_type"]}]
    assert changed[1]["diff"]["after"]["launch_template_version/it-compute-backend"]["instance_type"] == "t3.small"
    assert changed[1]["launch_template"]["version"] == 2
    assert changed[2]["plan"][0]["fields"] == ["launch_template_version"]
    template = ec2.describe_launch_templates(LaunchTemplateNames=["it-compute-backend"])["LaunchTemplates"][0]
    assert (template["LatestVersionNumber"], template["DefaultVersionNumber"]) == (2, 2)
    latest = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"])["LaunchTemplateVersions"][0]
    assert latest["LaunchTemplateData"]["InstanceType"] == "t3.small"
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=["it-compute-backend"])["AutoScalingGroups"][0]["LaunchTemplate"]["Version"] == "2"

    # absent, in check mode first (nothing deleted), then for real, then again (nothing to do)
    fresh_moto.forget_calls()
    assert all(r["changed"] for r in run_all(ansible, tmp_path, teardown_calls(stack), check=True))
    assert fresh_moto.mutating_calls() == []
    assert all(r["changed"] for r in run_all(ansible, tmp_path, teardown_calls(stack)))
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=["it-compute-backend"])["AutoScalingGroups"] == []
    assert [x for x in elb.describe_load_balancers()["LoadBalancers"] if x["LoadBalancerName"].startswith("it-compute")] == []
    assert [x for x in elb.describe_target_groups()["TargetGroups"] if x["TargetGroupName"].startswith("it-compute")] == []
    assert ec2.describe_launch_templates(Filters=[{"Name": "tag:hatrading:stack", "Values": [stack]}])["LaunchTemplates"] == []
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("it-compute")] == []
    assert iam.list_instance_profiles()["InstanceProfiles"] == []
    fresh_moto.forget_calls()
    assert [r["changed"] for r in run_all(ansible, tmp_path, teardown_calls(stack))] == [False, False, False]
    assert fresh_moto.mutating_calls() == []


@pytest.mark.parametrize(
    "module, args, variable",
    [
        ("hatrading.aws.compute_autoscaling", {"tier": "backend", "min_size": 3, "desired_capacity": 2, "max_size": 1}, "min_size"),
        ("hatrading.aws.compute_load_balancer", {"tier": "backend", "port": 8081, "health_path": "health"}, "health_path"),
        ("hatrading.aws.compute_load_balancer", {"tier": "frontend", "port": 8080, "certificate_arn": "arn:aws:acm:nope"}, "certificate_arn"),
        ("hatrading.aws.compute_launch_template", {"tier": "backend", "image": "hatrading/backend", "port": 8081}, "image"),
    ],
)
def test_bad_input_fails_before_any_call(moto, ansible, module, args, variable):
    moto.forget_calls()
    result = ansible.module(module, dict(args, stack="it-compute-bad"))
    assert result["rc"] != 0 and result.get("failed")
    assert any(error.startswith(variable + ":") for error in result["errors"]), result["msg"]
    assert moto.calls() == []


def test_instance_type_the_region_lacks_is_refused(fresh_moto, ansible):
    result = ansible.module(
        "hatrading.aws.compute_launch_template",
        {"stack": "it-compute-type", "tier": "backend", "image": BACKEND_IMAGE, "port": 8081, "instance_type": "zz9.large"},
    )
    assert result["rc"] != 0 and "instance_type: zz9.large is not offered" in result["msg"]
    assert fresh_moto.mutating_calls() == []


def test_https_listener_redirects_http(fresh_moto, ansible):
    stack = "it-compute-tls"
    network = build_network(ansible, stack, "10.41.0.0/16")
    public_subnets = sorted(subnet_id for name, subnet_id in network["subnets"].items() if "-public-" in name)
    certificate = fresh_moto.client("acm").request_certificate(DomainName="trade.example.com")["CertificateArn"]
    args = {"stack": stack, "tier": "frontend", "port": 8080, "certificate_arn": certificate}
    assert ansible.module("hatrading.aws.compute_load_balancer", args)["changed"]
    elb = fresh_moto.client("elbv2")
    lb = elb.describe_load_balancers(Names=["it-compute-tls-alb-pub"])["LoadBalancers"][0]
    assert lb["Scheme"] == "internet-facing"
    assert sorted(z["SubnetId"] for z in lb["AvailabilityZones"]) == public_subnets
    listeners = {x["Port"]: x for x in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
    assert listeners[80]["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"
    assert listeners[443]["Protocol"] == "HTTPS"
    assert listeners[443]["Certificates"][0]["CertificateArn"] == certificate
    assert listeners[443]["DefaultActions"][0]["Type"] == "forward"
    fresh_moto.forget_calls()
    assert ansible.module("hatrading.aws.compute_load_balancer", args)["changed"] is False
    assert fresh_moto.mutating_calls() == []


PLAYBOOK = """
- name: Compute tier
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: hatrading.aws.compute
"""


def small_compute_vars(stack, max_size=1, **more):
    """The compute role's variables for a stack of one instance per tier (at most ``max_size``), no instance refresh."""
    sizes = dict(("compute_%s_%s" % (tier, key), 1) for tier in ("frontend", "backend") for key in ("min_size", "desired_capacity"))
    sizes.update(("compute_%s_max_size" % tier, max_size) for tier in ("frontend", "backend"))
    images = {"compute_frontend_image": FRONTEND_IMAGE, "compute_backend_image": BACKEND_IMAGE}
    return dict(hatrading_stack=stack, hatrading_region="us-east-1", compute_instance_refresh=False, **dict(sizes, **images), **more)


def test_role_builds_both_tiers_and_reruns_clean(fresh_moto, ansible, tmp_path):
    stack = "it-compute-role"
    playbook = tmp_path / "compute.yml"
    playbook.write_text(PLAYBOOK)
    extra = small_compute_vars(stack, max_size=2)
    # check mode before even the network exists (as in a first `site.yml --check`): a plan, no change
    fresh_moto.forget_calls()
    checked = ansible.playbook(playbook, extra, check=True)
    assert checked["rc"] == 0, checked["stderr"][-3000:]
    plan = checked["tasks"]["hatrading.aws.compute : Load balancers, launch templates and Auto Scaling groups of both tiers"]["plan"]
    assert {"action": "create", "kind": "auto_scaling_group", "name": "it-compute-role-frontend"} in plan
    assert {"action": "create", "kind": "load_balancer", "name": "it-compute-role-alb-int"} in plan
    assert fresh_moto.mutating_calls() == []

    build_network(ansible, stack, "10.42.0.0/16")

    first = ansible.playbook(playbook, extra)
    assert first["rc"] == 0, first["stderr"][-3000:]
    assert first["stats"]["localhost"]["changed"] == 1  # one module run builds both tiers
    asg, elb, ec2 = fresh_moto.client("autoscaling"), fresh_moto.client("elbv2"), fresh_moto.client("ec2")
    groups = {g["AutoScalingGroupName"]: g for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]}
    assert sorted(groups) == ["it-compute-role-backend", "it-compute-role-frontend"]
    schemes = sorted(x["Scheme"] for x in elb.describe_load_balancers()["LoadBalancers"])
    assert schemes == ["internal", "internet-facing"]
    # the front-end finds the back-end through the internal ALB
    internal = elb.describe_load_balancers(Names=["it-compute-role-alb-int"])["LoadBalancers"][0]["DNSName"]
    template = ec2.describe_launch_templates(LaunchTemplateNames=["it-compute-role-frontend"])["LaunchTemplates"][0]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"])["LaunchTemplateVersions"][0][
        "LaunchTemplateData"
    ]
    env = {f["path"]: f["content"] for f in yaml.safe_load(base64.b64decode(data["UserData"]))["write_files"]}["/etc/hatrading/frontend.env"]
    assert "BACKEND_URL=http://%s:80\n" % internal in env

    fresh_moto.forget_calls()
    second = ansible.playbook(playbook, extra)
    assert second["rc"] == 0
    assert second["stats"]["localhost"]["changed"] == 0
    assert fresh_moto.mutating_calls() == []

    bad = ansible.playbook(playbook, dict(extra, compute_backend_image="hatrading/backend", compute_frontend_max_size=0))
    assert bad["rc"] != 0
    message = json.dumps(bad["tasks"])
    assert "compute_backend_image" in message and "compute_frontend_max_size" in message
