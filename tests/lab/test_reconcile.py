"""Instances as containers: what moto's Auto Scaling groups hold is what Docker runs."""

from labkit import http, wait_until
from plane import engine, instances

USER_DATA = """#!/bin/bash
# what the instance would run at boot
docker run -d --init --restart always -p 8081:8081 -e APP_MODE=lab %s
"""


def containers(stack):
    """instance id -> (container name, image, running) as Docker reports them."""
    return {
        c["Config"]["Labels"]["hatrading.instance-id"]: (c["Name"].lstrip("/"), c["Config"]["Image"], c["State"]["Running"])
        for c in engine.stack_containers(stack, ["label=hatrading.instance-id"])
    }


def test_containers_follow_the_auto_scaling_group(aws, stack):
    image = engine.registry_ref("hatrading/backend:1.0.0")
    template = aws.launch_template("backend", USER_DATA % image)
    target_group = aws.target_group("backend", 8081)
    group = aws.group("backend", "backend", template, 2, [target_group])
    first = aws.instances(group)
    assert len(first) == 2

    done = instances.reconcile(aws.moto, stack)
    assert sorted(done["created"]) == first and done["removed"] == []
    running = containers(stack)
    assert sorted(running) == first
    assert all(img == image and up for _name, img, up in running.values())
    for row in instances.instance_report(stack):
        engine.wait_healthy(row["container"], 30)
    for row in instances.instance_report(stack):
        assert row["health"] == "healthy" and row["tier"] == "backend" and row["asg"] == group
        status, headers, body = http(row["url"] + "/version")
        assert (status, body["version"], headers["X-Instance-Id"]) == (200, "1.0.0", row["instance_id"])
        env = engine.inspect("container", row["container"])[0]["Config"]["Env"]
        assert "APP_MODE=lab" in env and "PORT=8081" in env

    # a second round changes nothing
    assert instances.reconcile(aws.moto, stack) == {"created": [], "removed": [], "instances": first}

    # terminate one instance in moto: its container goes, the replacement gets one
    victim, survivor = first
    aws.asg.terminate_instance_in_auto_scaling_group(InstanceId=victim, ShouldDecrementDesiredCapacity=False)
    now = aws.instances(group)
    assert victim not in now and survivor in now and len(now) == 2
    replacement = (set(now) - {survivor}).pop()
    done = instances.reconcile(aws.moto, stack)
    assert done["removed"] == [victim] and done["created"] == [replacement]
    running = containers(stack)
    assert sorted(running) == sorted(now)
    assert engine.inspect("container", instances.container_name(stack, victim)) == []
    engine.wait_healthy(running[replacement][0], 30)

    # an instance terminated through EC2 loses its container too
    aws.ec2.terminate_instances(InstanceIds=[survivor])
    instances.reconcile(aws.moto, stack)
    assert survivor not in containers(stack)
    assert sorted(containers(stack)) == aws.instances(group)

    # scale in to zero: no containers left
    aws.asg.update_auto_scaling_group(AutoScalingGroupName=group, MinSize=0, DesiredCapacity=0)
    wait_until("moto to empty the group", lambda: aws.instances(group) == [], timeout=10)
    instances.reconcile(aws.moto, stack)
    assert containers(stack) == {}


def test_image_tag_overrides_user_data_and_other_stacks_are_ignored(aws, stack):
    template = aws.launch_template("api", USER_DATA % engine.registry_ref("hatrading/backend:1.0.0"))
    group = aws.group("api", "backend", template, 1)
    aws.asg.create_or_update_tags(
        Tags=[
            {
                "ResourceId": group,
                "ResourceType": "auto-scaling-group",
                "Key": "hatrading:image",
                "Value": "hatrading/backend:1.1.0",
                "PropagateAtLaunch": False,
            }
        ]
    )
    other = aws.asg.create_auto_scaling_group(
        AutoScalingGroupName="someone-else",
        MinSize=1,
        MaxSize=1,
        DesiredCapacity=1,
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
        VPCZoneIdentifier=aws.subnets[0],
        Tags=[{"Key": "hatrading:stack", "Value": "not-" + stack, "PropagateAtLaunch": True}],
    )
    assert other["ResponseMetadata"]["HTTPStatusCode"] == 200
    done = instances.reconcile(aws.moto, stack)
    assert done["created"] == aws.instances(group)
    (only,) = instances.instance_report(stack)
    assert only["image"] == "hatrading/backend:1.1.0" and only["version"] == "1.1.0"
    engine.wait_healthy(only["container"], 30)
    assert http(only["url"] + "/version")[2]["version"] == "1.1.0"
