"""hatrading.aws.stack_compute against moto: both app tiers in one module run.

What the one-tier modules do is covered in test_compute.py; here: the order of the steps, the
shared network reads, the front-end given the internal ALB's URL, warm pools, the image tag on
instances, one-pass teardown, and every option checked before the first AWS call.
"""

import base64

import pytest
import yaml

BACKEND_IMAGE = "127.0.0.1:5001/hatrading/backend:1.0.0"
FRONTEND_IMAGE = "127.0.0.1:5001/hatrading/frontend:1.0.0"
MODULE = "hatrading.aws.stack_compute"


def both_tiers(stack, backend_pool=None, frontend_image=FRONTEND_IMAGE):
    backend_group = {"min_size": 1, "desired_capacity": 1, "max_size": 3, "instance_refresh": False}
    if backend_pool is not None:
        backend_group["warm_pool"] = backend_pool
    return {
        "stack": stack,
        "tiers": [
            {
                "tier": "backend",
                "load_balancer": {"port": 8081},
                "launch_template": {"image": BACKEND_IMAGE, "port": 8081},
                "auto_scaling_group": backend_group,
            },
            {
                "tier": "frontend",
                "load_balancer": {"port": 8080},
                "launch_template": {"image": frontend_image, "port": 8080, "environment": {"LOG_LEVEL": "info"}},
                "auto_scaling_group": {"min_size": 1, "desired_capacity": 1, "max_size": 2, "instance_refresh": False},
                "load_balancer_urls": {"BACKEND_URL": "backend"},
            },
        ],
    }


def build_network(ansible, stack, cidr):
    result = ansible.module("hatrading.aws.stack_network", {"stack": stack, "vpc_cidr": cidr, "nat_mode": "none", "resilience": "cost"})
    assert result["rc"] == 0, result


def user_data_files(ec2, template_name):
    template = ec2.describe_launch_templates(LaunchTemplateNames=[template_name])["LaunchTemplates"][0]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"])["LaunchTemplateVersions"][0]
    return {f["path"]: f["content"] for f in yaml.safe_load(base64.b64decode(data["LaunchTemplateData"]["UserData"]))["write_files"]}


def test_both_tiers_in_one_run(fresh_moto, ansible):
    stack = "it-stack-compute"
    build_network(ansible, stack, "10.44.0.0/16")
    ec2, asg, elb = (fresh_moto.client(s) for s in ("ec2", "autoscaling", "elbv2"))
    args = both_tiers(stack, backend_pool={"min_size": 1, "pool_state": "Stopped"})

    # check mode: the whole plan in deploy order, and not one mutating call
    fresh_moto.forget_calls()
    planned = ansible.module(MODULE, args, check=True)
    assert planned["rc"] == 0 and planned["changed"], planned
    order = [(step["kind"], step["name"]) for step in planned["plan"] if step["kind"] in ("load_balancer", "launch_template", "auto_scaling_group")]
    assert order == [
        ("load_balancer", "it-stack-compute-alb-int"),
        ("load_balancer", "it-stack-compute-alb-pub"),
        ("launch_template", "it-stack-compute-backend"),
        ("launch_template", "it-stack-compute-frontend"),
        ("auto_scaling_group", "it-stack-compute-backend"),
        ("auto_scaling_group", "it-stack-compute-frontend"),
    ]
    assert {"action": "create", "kind": "warm_pool", "name": "it-stack-compute-backend"} in planned["plan"]
    assert fresh_moto.mutating_calls() == []

    # apply
    fresh_moto.forget_calls()
    built = ansible.module(MODULE, args)
    assert built["rc"] == 0 and built["changed"], built
    reads = [c for c in fresh_moto.calls() if c["kind"] == "read"]
    # the network is read once for all six steps, not once per step
    assert sum(1 for c in reads if c["operation"] in ("DescribeSubnets", "DescribeSecurityGroups")) == 2
    internal = elb.describe_load_balancers(Names=["it-stack-compute-alb-int"])["LoadBalancers"][0]
    assert internal["Scheme"] == "internal"
    assert built["tiers"]["backend"]["url"] == "http://%s:80" % internal["DNSName"]
    env = user_data_files(ec2, "it-stack-compute-frontend")["/etc/hatrading/frontend.env"]
    assert "BACKEND_URL=http://%s:80\n" % internal["DNSName"] in env and "LOG_LEVEL=info\n" in env

    # group metrics each minute (the monitoring dashboard charts GroupInServiceInstances)
    for group in asg.describe_auto_scaling_groups(AutoScalingGroupNames=["it-stack-compute-backend", "it-stack-compute-frontend"])["AutoScalingGroups"]:
        assert {(m["Metric"], m["Granularity"]) for m in group["EnabledMetrics"]} >= {("GroupInServiceInstances", "1Minute")}
    pool = asg.describe_warm_pool(AutoScalingGroupName="it-stack-compute-backend")["WarmPoolConfiguration"]
    assert (pool["MinSize"], pool["PoolState"]) == (1, "Stopped")
    assert not asg.describe_warm_pool(AutoScalingGroupName="it-stack-compute-frontend").get("WarmPoolConfiguration")
    # every instance says which image it was launched to run (the inventory's image_tag)
    images = {}
    for group in asg.describe_auto_scaling_groups(AutoScalingGroupNames=["it-stack-compute-backend", "it-stack-compute-frontend"])["AutoScalingGroups"]:
        ids = [i["InstanceId"] for i in group["Instances"]]
        assert ids, group["AutoScalingGroupName"]
        for reservation in ec2.describe_instances(InstanceIds=ids)["Reservations"]:
            for instance in reservation["Instances"]:
                images[instance["InstanceId"]] = {t["Key"]: t["Value"] for t in instance["Tags"]}.get("hatrading:image")
    assert sorted(set(images.values())) == [BACKEND_IMAGE, FRONTEND_IMAGE]

    # rerun: nothing to do, no mutating call
    fresh_moto.forget_calls()
    again = ansible.module(MODULE, args)
    assert again["rc"] == 0 and again["changed"] is False, again["plan_text"]
    assert fresh_moto.mutating_calls() == []

    # a new front-end image: a new template version and the group moved to it; the back-end untouched
    fresh_moto.forget_calls()
    newer = ansible.module(MODULE, both_tiers(stack, backend_pool={"min_size": 1, "pool_state": "Stopped"}, frontend_image=FRONTEND_IMAGE[:-5] + "1.1.0"))
    assert newer["rc"] == 0 and newer["changed"]
    assert {(s["kind"], s["name"]) for s in newer["plan"]} == {
        ("launch_template_version", "it-stack-compute-frontend"),
        ("auto_scaling_group", "it-stack-compute-frontend"),
    }
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["it-stack-compute-frontend"])["AutoScalingGroups"][0]
    assert group["LaunchTemplate"]["Version"] == "2"

    # the warm pool no longer wanted: deleted
    dropped = ansible.module(MODULE, both_tiers(stack, frontend_image=FRONTEND_IMAGE[:-5] + "1.1.0"))
    assert [(s["action"], s["kind"]) for s in dropped["plan"]] == [("delete", "warm_pool")]
    assert not asg.describe_warm_pool(AutoScalingGroupName="it-stack-compute-backend").get("WarmPoolConfiguration")

    # absent: groups, then load balancers, then templates and identities; then nothing left to do
    gone = ansible.module(MODULE, {"stack": stack, "state": "absent", "tiers": [{"tier": "frontend"}, {"tier": "backend"}]})
    assert gone["rc"] == 0 and gone["changed"]
    kinds = [s["kind"] for s in gone["plan"]]
    assert kinds.index("auto_scaling_group") < kinds.index("load_balancer") < kinds.index("launch_template")
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=["it-stack-compute-backend", "it-stack-compute-frontend"])["AutoScalingGroups"] == []
    assert [x for x in elb.describe_load_balancers()["LoadBalancers"] if x["LoadBalancerName"].startswith(stack)] == []
    assert ec2.describe_launch_templates(Filters=[{"Name": "tag:hatrading:stack", "Values": [stack]}])["LaunchTemplates"] == []
    fresh_moto.forget_calls()
    assert ansible.module(MODULE, {"stack": stack, "state": "absent", "tiers": [{"tier": "frontend"}, {"tier": "backend"}]})["changed"] is False
    assert fresh_moto.mutating_calls() == []


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda a: a["tiers"][0]["auto_scaling_group"].update(min_size=3, max_size=2), "tiers[0].auto_scaling_group.min_size:"),
        (lambda a: a["tiers"][1]["launch_template"].update(image="hatrading/frontend"), "tiers[1].launch_template.image:"),
        (lambda a: a["tiers"][0]["load_balancer"].update(health_path="health"), "tiers[0].load_balancer.health_path:"),
        (lambda a: a["tiers"][0]["auto_scaling_group"].update(warm_pool={"min_size": 1}, spot_share=50), "tiers[0].auto_scaling_group.warm_pool:"),
        (lambda a: a["tiers"][1].update(load_balancer_urls={"BACKEND_URL": "database"}), "tiers[1].load_balancer_urls.BACKEND_URL:"),
        (lambda a: a["tiers"][1].update(tier="backend"), "tiers: backend is listed more than once"),
        (lambda a: a["tiers"][0]["launch_template"].update(stack="other"), "tiers[0].launch_template: stack are set once"),
        (lambda a: a["tiers"][0]["launch_template"].pop("image"), "tiers[0].launch_template:"),
    ],
)
def test_bad_input_fails_before_any_call(moto, ansible, change, expected):
    args = both_tiers("it-stack-compute-bad")
    change(args)
    moto.forget_calls()
    result = ansible.module(MODULE, args)
    assert result["rc"] != 0 and result.get("failed")
    assert any(error.startswith(expected) for error in result["errors"]), result["errors"]
    assert moto.calls() == []


def test_instance_type_the_region_lacks_stops_the_run_before_any_change(fresh_moto, ansible):
    args = both_tiers("it-stack-compute-type")
    args["tiers"][0]["launch_template"]["instance_type"] = "zz9.large"
    args["tiers"][0]["auto_scaling_group"]["instance_type"] = "zz9.large"
    fresh_moto.forget_calls()
    result = ansible.module(MODULE, args)
    assert result["rc"] != 0 and "backend instance_type: zz9.large is not offered in region us-east-1" in result["msg"], result["msg"]
    assert [c["operation"] for c in fresh_moto.calls()] == ["DescribeInstanceTypeOfferings"]
