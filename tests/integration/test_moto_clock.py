"""The lab moto's realistic clock (lab/moto_clock.py): in-between states for AWS's durations / scale, and latency.

A moto server of its own runs in-thread with the clock on at a high scale (SCALE times faster than AWS),
so each transition lasts a fraction of a second to a few seconds. Each test creates a resource with boto3,
sees its in-between state, then the ready state once the scaled duration has passed (never before).
"""

import time
import urllib.request

import boto3
import moto_clock  # lab/moto_clock.py, on sys.path through tests/conftest.py
import moto_server
import pytest
from botocore.config import Config

SCALE = 200.0
REGION = "us-east-1"
SLACK = 5.0  # seconds a loaded, shared 2-core machine may add to a poll (the lower bounds are exact)


@pytest.fixture(scope="module")
def clock_url():
    server, url = moto_server.start_in_thread(clock=moto_clock.Clock("realistic", scale=SCALE, seed=13))
    # moto's backends are one per process: start from an empty account, whatever the tests before left
    urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST")).close()
    yield url
    server.shutdown()
    moto_clock.install(moto_clock.Clock())  # the other tests' servers share this process: instant again


def client(url, service):
    config = Config(retries={"total_max_attempts": 1})
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing", config=config)


def scaled(kind):
    low, high = moto_clock.AWS_SECONDS[kind]
    return low / SCALE, high / SCALE


def watch(read, final, timeout=30.0):
    """Poll read() until it gives ``final``; returns [(seconds since start, state)] at each change."""
    started = time.monotonic()
    seen = []
    while time.monotonic() - started < timeout:
        state = read()
        if not seen or seen[-1][1] != state:
            seen.append((time.monotonic() - started, state))
        if state == final:
            return seen
        time.sleep(0.02)
    raise AssertionError("no %s within %.0f s: %s" % (final, timeout, seen))


def assert_lasted(seen, kind, made_at_most=0.0):
    """The ready state came after the scaled duration (never earlier) and not much later."""
    low, high = scaled(kind)
    reached = seen[-1][0]
    assert reached >= low - made_at_most, seen
    assert reached <= high + SLACK, seen


def network(url):
    ec2 = client(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.%d.0/24" % n, AvailabilityZone=REGION + zone)["Subnet"]["SubnetId"] for n, zone in enumerate("ab")]
    return ec2, vpc, subnets


def test_nat_gateway_pending_then_available_and_waiter(clock_url):
    ec2, _vpc, subnets = network(clock_url)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    started = time.monotonic()
    gateway = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation)["NatGateway"]
    gateway_id = gateway["NatGatewayId"]
    state = ec2.describe_nat_gateways(NatGatewayIds=[gateway_id])["NatGateways"][0]["State"]
    assert state == "pending"
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[gateway_id], WaiterConfig={"Delay": 0.1, "MaxAttempts": 200})
    waited = time.monotonic() - started
    low, high = scaled("nat_gateway")
    assert low <= waited <= high + SLACK
    # a filter on state sees the shown state too
    assert [g["NatGatewayId"] for g in ec2.describe_nat_gateways(Filters=[{"Name": "state", "Values": ["available"]}])["NatGateways"]] == [gateway_id]


def test_load_balancer_provisioning_then_active(clock_url):
    _ec2, _vpc, subnets = network(clock_url)
    elb = client(clock_url, "elbv2")
    arn = elb.create_load_balancer(Name="clock-alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]

    def read():
        return elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]

    seen = watch(read, "active")
    assert seen[0][1] == "provisioning"
    assert_lasted(seen, "load_balancer")
    elb.get_waiter("load_balancer_available").wait(LoadBalancerArns=[arn], WaiterConfig={"Delay": 0.1, "MaxAttempts": 5})


def test_db_instances_single_and_multi_az(clock_url):
    rds = client(clock_url, "rds")
    common = dict(DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="admin1", MasterUserPassword="secret-password-1", AllocatedStorage=20)
    rds.create_db_instance(DBInstanceIdentifier="clock-single", MultiAZ=False, **common)
    rds.create_db_instance(DBInstanceIdentifier="clock-multi", MultiAZ=True, **common)

    def status(name):
        return rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["DBInstanceStatus"]

    seen = watch(lambda: status("clock-single"), "available")
    assert [state for _seconds, state in seen] == ["creating", "backing-up", "available"]
    assert_lasted(seen, "db_instance_single_az", made_at_most=0.5)
    assert status("clock-multi") in ("creating", "backing-up")  # Multi-AZ takes longer
    rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="clock-multi", WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})

    rds.modify_db_instance(DBInstanceIdentifier="clock-single", BackupRetentionPeriod=3, ApplyImmediately=True)
    seen = watch(lambda: status("clock-single"), "available")
    assert seen[0][1] == "modifying"
    assert_lasted(seen, "db_modify")
    rds.modify_db_instance(DBInstanceIdentifier="clock-single", BackupRetentionPeriod=4, ApplyImmediately=False)
    assert status("clock-single") == "available"  # left for the maintenance window, as AWS does


def test_aurora_cluster_creating_then_available(clock_url):
    rds = client(clock_url, "rds")
    rds.create_db_cluster(DBClusterIdentifier="clock-aurora", Engine="aurora-postgresql", MasterUsername="admin1", MasterUserPassword="secret-password-1")

    def read():
        return rds.describe_db_clusters(DBClusterIdentifier="clock-aurora")["DBClusters"][0]["Status"]

    seen = watch(read, "available")
    assert seen[0][1] == "creating"
    assert_lasted(seen, "aurora")


def test_cloudfront_in_progress_then_deployed(clock_url):
    cloudfront = client(clock_url, "cloudfront")
    origin = {"Id": "o1", "DomainName": "assets.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
    config = {
        "CallerReference": "clock",
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "o1", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0},
    }
    distribution_id = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]

    def read():
        return cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"]

    seen = watch(read, "Deployed")
    assert seen[0][1] == "InProgress"
    assert_lasted(seen, "distribution")


def test_auto_scaling_instances_pending_then_in_service(clock_url):
    ec2, _vpc, subnets = network(clock_url)
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.create_launch_template(LaunchTemplateName="clock-lt", LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"})
    asg = client(clock_url, "autoscaling")
    asg.create_auto_scaling_group(
        AutoScalingGroupName="clock-asg",
        LaunchTemplate={"LaunchTemplateName": "clock-lt", "Version": "$Latest"},
        MinSize=2,
        MaxSize=2,
        DesiredCapacity=2,
        VPCZoneIdentifier=",".join(subnets),
    )

    def read():
        instances = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["clock-asg"])["AutoScalingGroups"][0]["Instances"]
        assert len(instances) == 2  # Pending instances count toward the desired capacity: moto launches no extra
        return ",".join(sorted(instance["LifecycleState"] for instance in instances))

    seen = watch(read, "InService,InService")
    assert seen[0][1] == "Pending,Pending"
    assert_lasted(seen, "asg_instance")


def test_latency_adds_about_the_configured_ms():
    # The delays are drawn from a seeded clock, so a twin clock with the same seed knows each one. A sleep is never
    # shorter than asked: the lower bound holds on a loaded machine; the upper bound only catches a runaway.
    twin = moto_clock.Clock(latency_ms=50, jitter=0.5, seed=1)
    delays = [twin.latency() for _call in range(21)]
    assert 0.035 <= sum(delays[1:]) / 20 <= 0.065  # jitter +-50% around 50 ms, mean over 20 calls
    assert min(delays) >= 0.025 and max(delays) <= 0.075

    server, url = moto_server.start_in_thread(clock=moto_clock.Clock(latency_ms=50, jitter=0.5, seed=1))
    try:
        sts = client(url, "sts")
        sts.get_caller_identity()  # the first draw, with the connection's cost
        elapsed = []
        for _attempt in range(20):
            started = time.monotonic()
            sts.get_caller_identity()
            elapsed.append(time.monotonic() - started)
    finally:
        server.shutdown()
        moto_clock.install(moto_clock.Clock())

    assert all(took >= delay for took, delay in zip(elapsed, delays[1:])), list(zip(elapsed, delays[1:]))
    assert sum(elapsed) < sum(delays[1:]) + 10, sum(elapsed)


def test_instant_clock_is_moto_as_it_is():
    server, url = moto_server.start_in_thread(clock=moto_clock.Clock())
    try:
        ec2, _vpc, subnets = network(url)
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        gateway = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
        assert ec2.describe_nat_gateways(NatGatewayIds=[gateway])["NatGateways"][0]["State"] == "available"
    finally:
        server.shutdown()


def test_options_from_environment_and_command_line():
    clock = moto_clock.Clock.from_env({"LAB_CLOCK": "realistic", "LAB_CLOCK_SCALE": "10", "LAB_LATENCY_MS": "50"})
    assert (clock.mode, clock.scale, clock.latency_ms) == ("realistic", 10.0, 50.0)
    assert 90 / 10 <= clock.seconds("nat_gateway") <= 120 / 10
    with pytest.raises(ValueError):
        moto_clock.Clock("fast")
    parser = __import__("argparse").ArgumentParser()
    moto_clock.add_arguments(parser)
    args = parser.parse_args(["--clock", "realistic", "--clock-scale", "30", "--latency-ms", "20"])
    assert moto_clock.from_args(args).describe() == "clock realistic (AWS durations / 30), latency 20 ms +-50%"
