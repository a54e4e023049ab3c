"""Helpers for the lab tests: loopback HTTP, bounded polling, a stack in moto made with boto3 directly."""

import base64
import json
import time
import urllib.error
import urllib.request

from plane import engine  # lab/ is on sys.path (tests/conftest.py)


def http(url, method="GET", body=None, timeout=5):
    """(status, headers, parsed JSON or text) from a loopback URL."""
    assert url.startswith("http://127.0.0.1:"), url
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            raw, status, headers = answer.read(), answer.status, answer.headers  # case-insensitive (haproxy lowercases names)
    except urllib.error.HTTPError as error:
        raw, status, headers = error.read(), error.code, error.headers
    try:
        return status, headers, json.loads(raw)
    except ValueError:
        return status, headers, raw.decode()


def published_url(container, port):
    bindings = engine.inspect("container", container)[0]["NetworkSettings"]["Ports"]["%d/tcp" % port]
    return "http://127.0.0.1:%s" % bindings[0]["HostPort"]


def wait_until(what, probe, timeout=30.0, interval=0.2):
    """Bounded polling of a real condition; returns the probe's last truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


class StackInMoto:
    """Just enough of a stack in moto, made with boto3 directly: VPC, subnets, launch templates, ASGs, target groups, ALBs."""

    def __init__(self, moto, stack):
        self.moto, self.stack = moto, stack
        self.ec2, self.asg, self.elbv2 = moto.client("ec2"), moto.client("autoscaling"), moto.client("elbv2")
        self.vpc = self.ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [
            self.ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.40.%d.0/24" % n, AvailabilityZone="us-east-1%s" % az)["Subnet"]["SubnetId"]
            for n, az in ((1, "a"), (2, "b"))
        ]
        self.ami = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]

    def tags(self, **extra):
        return [{"Key": "hatrading:stack", "Value": self.stack}] + [{"Key": k, "Value": v} for k, v in extra.items()]

    def launch_template(self, name, user_data):
        data = {"ImageId": self.ami, "InstanceType": "t3.micro", "UserData": base64.b64encode(user_data.encode()).decode()}
        return self.ec2.create_launch_template(LaunchTemplateName="%s-%s" % (self.stack, name), LaunchTemplateData=data)["LaunchTemplate"]["LaunchTemplateId"]

    def target_group(self, name, port, delay=2):
        group = self.elbv2.create_target_group(
            Name="%s-%s" % (self.stack, name), Protocol="HTTP", Port=port, VpcId=self.vpc, HealthCheckPath="/health", TargetType="instance", Tags=self.tags()
        )["TargetGroups"][0]
        self.elbv2.modify_target_group_attributes(
            TargetGroupArn=group["TargetGroupArn"], Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": str(delay)}]
        )
        return group["TargetGroupArn"]

    def group(self, name, tier, template_id, size, target_groups=()):
        full = "%s-%s" % (self.stack, name)
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName=full,
            MinSize=size,
            MaxSize=size + 2,
            DesiredCapacity=size,
            LaunchTemplate={"LaunchTemplateId": template_id, "Version": "$Latest"},
            VPCZoneIdentifier=",".join(self.subnets),
            TargetGroupARNs=list(target_groups),
            Tags=[dict(t, PropagateAtLaunch=True, ResourceId=full, ResourceType="auto-scaling-group") for t in self.tags(**{"hatrading:tier": tier})],
        )
        return full

    def instances(self, group):
        found = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]["Instances"]
        return sorted(i["InstanceId"] for i in found)

    def load_balancer(self, name, scheme, listeners):
        arn = self.elbv2.create_load_balancer(Name="%s-%s" % (self.stack, name), Subnets=self.subnets, Scheme=scheme, Type="application", Tags=self.tags())[
            "LoadBalancers"
        ][0]["LoadBalancerArn"]
        for port, target_group in listeners:
            self.elbv2.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=port, DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}])
        return arn
