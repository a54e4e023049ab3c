"""hatrading.aws.compute_rolling_update against moto: surge, drain, terminate; capacity kept; a rerun does nothing.

moto answers at once (instances in service and targets healthy immediately); the lab test
tests/lab/test_rolling_update.py runs the same roll with real containers under load.
"""

MODULE = "hatrading.aws.compute_rolling_update"
IMAGE = "127.0.0.1:5001/hatrading/backend:%s"


def backend(stack, version):
    tier = {
        "tier": "backend",
        "load_balancer": {"port": 8081, "deregistration_delay": 0},
        "launch_template": {"image": IMAGE % version, "port": 8081},
        "auto_scaling_group": {"min_size": 2, "desired_capacity": 3, "max_size": 3, "instance_refresh": False},
    }
    return {"stack": stack, "tiers": [tier]}


def versions(ec2, ids):
    found = {}
    for reservation in ec2.describe_instances(InstanceIds=ids)["Reservations"]:
        for instance in reservation["Instances"]:
            found[instance["InstanceId"]] = {t["Key"]: t["Value"] for t in instance["Tags"]}["aws:ec2launchtemplate:version"]
    return found


def test_roll_replaces_every_stale_instance_and_keeps_capacity(fresh_moto, ansible):
    stack = "it-roll"
    assert ansible.module("hatrading.aws.stack_network", {"stack": stack, "vpc_cidr": "10.47.0.0/16", "nat_mode": "none", "resilience": "cost"})["rc"] == 0
    assert ansible.module("hatrading.aws.stack_compute", backend(stack, "1.0.0"))["rc"] == 0
    asg, ec2, elb = (fresh_moto.client(s) for s in ("autoscaling", "ec2", "elbv2"))
    group_name = "it-roll-backend"

    def group():
        return asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])["AutoScalingGroups"][0]

    old = sorted(i["InstanceId"] for i in group()["Instances"])
    assert len(old) == 3

    # nothing to roll yet: no change, no mutating call
    fresh_moto.forget_calls()
    idle = ansible.module(MODULE, {"stack": stack, "tiers": ["backend"]})
    assert idle["rc"] == 0 and idle["changed"] is False and fresh_moto.mutating_calls() == []

    # a new image: template version 2, the group pinned to it, the instances still on 1
    assert ansible.module("hatrading.aws.stack_compute", backend(stack, "1.1.0"))["changed"]
    assert group()["LaunchTemplate"]["Version"] == "2"

    fresh_moto.forget_calls()
    planned = ansible.module(MODULE, {"stack": stack, "tiers": ["backend"]}, check=True, diff=True)
    assert planned["changed"] and sorted(step["name"] for step in planned["plan"]) == old
    assert planned["diff"]["after"]["instance/%s" % old[0]] == {"launch_template_version": "2"}
    assert fresh_moto.mutating_calls() == []

    fresh_moto.forget_calls()
    rolled = ansible.module(MODULE, {"stack": stack, "tiers": ["backend"], "batch_size": 2, "poll_interval": 1})
    assert rolled["rc"] == 0 and rolled["changed"], rolled.get("msg")
    operations = [c["operation"] for c in fresh_moto.mutating_calls()]
    # two batches (2 + 1): surge, deregister, detach and terminate each; processes suspended and resumed
    assert operations.count("SetDesiredCapacity") == 2 and operations.count("DeregisterTargets") == 2
    assert operations.count("DetachInstances") == 2 and operations.count("TerminateInstances") == 2
    assert operations[0] == "SuspendProcesses" and operations[-1] == "ResumeProcesses"
    order = [operations.index(op) for op in ("SetDesiredCapacity", "DeregisterTargets", "DetachInstances", "TerminateInstances")]
    assert order == sorted(order)
    # the max size (3) was raised for the surge and put back
    assert [c for c in operations if c == "UpdateAutoScalingGroup"] == ["UpdateAutoScalingGroup"] * 2

    after = group()
    now = sorted(i["InstanceId"] for i in after["Instances"])
    assert set(now).isdisjoint(old) and len(now) == 3
    assert set(versions(ec2, now).values()) == {"2"}
    assert (after["DesiredCapacity"], after["MaxSize"], after["SuspendedProcesses"]) == (3, 3, [])
    assert sorted(pair["old"] for pair in rolled["tiers"]["backend"]["replaced"]) == old
    target_group = elb.describe_target_groups(Names=["it-roll-tg-be"])["TargetGroups"][0]["TargetGroupArn"]
    registered = elb.describe_target_health(TargetGroupArn=target_group)["TargetHealthDescriptions"]
    assert sorted(d["Target"]["Id"] for d in registered) == now

    fresh_moto.forget_calls()
    again = ansible.module(MODULE, {"stack": stack, "tiers": ["backend"]})
    assert again["changed"] is False and fresh_moto.mutating_calls() == []


def test_missing_group_and_bad_settings(moto, ansible):
    moto.forget_calls()
    bad = ansible.module(MODULE, {"stack": "it-roll-bad", "batch_size": 0, "tiers": ["backend", "backend"]})
    assert bad["rc"] != 0 and {e.split(":")[0] for e in bad["errors"]} == {"batch_size", "tiers"}
    assert moto.calls() == []
    missing = ansible.module(MODULE, {"stack": "it-roll-none", "tiers": ["frontend"]})
    assert missing["rc"] != 0 and "it-roll-none-frontend of stack it-roll-none not found" in missing["msg"]
    assert moto.mutating_calls() == []
