"""The lab moto's Auto Scaling and RDS mends (lab/moto_asg_mend.py, lab/moto_rds_failover_mend.py), with boto3 against moto in-thread."""

from collections import Counter

import botocore.exceptions
import moto_server  # lab/moto_server.py, on sys.path through tests/conftest.py
import pytest
from moto_asg_mend import scale_in_order


def _network(moto, zones=("a", "b")):
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.%d.0/24" % n, AvailabilityZone="us-east-1%s" % zone)["Subnet"]["SubnetId"]
        for n, zone in enumerate(zones, start=1)
    ]
    return vpc, subnets


def _group(moto, subnets, size, name="spread"):
    ec2, asg = moto.client("ec2"), moto.client("autoscaling")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    template = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=0,
        MaxSize=10,
        DesiredCapacity=size,
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"], "Version": "$Latest"},
        VPCZoneIdentifier=",".join(subnets),
    )
    return name


def _zones(moto, name):
    """AZ -> instance count, from Auto Scaling's answer and checked against EC2's."""
    members = moto.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["Instances"]
    described = moto.client("ec2").describe_instances(InstanceIds=[m["InstanceId"] for m in members])["Reservations"] if members else []
    ec2_zones = {i["InstanceId"]: i["Placement"]["AvailabilityZone"] for r in described for i in r["Instances"]}
    assert all(ec2_zones[m["InstanceId"]] == m["AvailabilityZone"] for m in members)
    return Counter(m["AvailabilityZone"] for m in members)


def test_a_group_spreads_over_its_subnets_zones(fresh_moto):
    _vpc, subnets = _network(fresh_moto, ("a", "b", "c"))
    name = _group(fresh_moto, subnets, 2)
    assert _zones(fresh_moto, name) == {"us-east-1a": 1, "us-east-1b": 1}

    asg = fresh_moto.client("autoscaling")
    asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=7)
    assert _zones(fresh_moto, name) == {"us-east-1a": 3, "us-east-1b": 2, "us-east-1c": 2}

    # scale-in takes from the fullest AZ first
    asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=5)
    assert sorted(_zones(fresh_moto, name).values()) == [1, 2, 2]
    asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=3)
    assert _zones(fresh_moto, name) == {"us-east-1a": 1, "us-east-1b": 1, "us-east-1c": 1}

    # a replacement goes where the terminated instance was (the emptiest AZ)
    members = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["Instances"]
    victim = next(m for m in members if m["AvailabilityZone"] == "us-east-1b")
    asg.terminate_instance_in_auto_scaling_group(InstanceId=victim["InstanceId"], ShouldDecrementDesiredCapacity=False)
    assert _zones(fresh_moto, name) == {"us-east-1a": 1, "us-east-1b": 1, "us-east-1c": 1}


def test_one_subnet_keeps_moto_behaviour(fresh_moto):
    _vpc, subnets = _network(fresh_moto)
    name = _group(fresh_moto, subnets[:1], 3, name="single")
    assert _zones(fresh_moto, name) == {"us-east-1a": 3}


def test_scale_in_order_is_balanced_and_spares_protected():
    class State:
        def __init__(self, ident, zone, protected=False):
            self.ident, self.zone, self.protected_from_scale_in = ident, zone, protected

    states = [State(1, "a"), State(2, "a"), State(3, "a"), State(4, "b"), State(5, "a", protected=True), State(6, "b")]
    # a:3 b:2 -> a, then a tie (2:2) goes to the oldest (2, in a), then b:2 a:1 -> 4, then the tie -> 3
    assert [s.ident for s in scale_in_order(states, lambda s: s.zone)] == [1, 2, 4, 3, 6]


def _multi_az_instance(moto, identifier="mend-db", multi_az=True):
    rds = moto.client("rds")
    _vpc, subnets = _network(moto)
    rds.create_db_subnet_group(DBSubnetGroupName=identifier, DBSubnetGroupDescription="two AZs", SubnetIds=subnets)
    rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="trading",
        MasterUserPassword="not-a-secret-1",
        DBSubnetGroupName=identifier,
        AvailabilityZone="us-east-1a",
        MultiAZ=multi_az,
    )
    return identifier


def _zones_of(moto, identifier):
    db = moto.client("rds").describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    return db["AvailabilityZone"], db.get("SecondaryAvailabilityZone")


def test_force_failover_swaps_the_primary_and_standby_zones(fresh_moto):
    rds = fresh_moto.client("rds")
    identifier = _multi_az_instance(fresh_moto)
    assert _zones_of(fresh_moto, identifier) == ("us-east-1a", "us-east-1b")
    answer = rds.reboot_db_instance(DBInstanceIdentifier=identifier, ForceFailover=True)["DBInstance"]
    assert (answer["AvailabilityZone"], answer["SecondaryAvailabilityZone"]) == ("us-east-1b", "us-east-1a")
    assert _zones_of(fresh_moto, identifier) == ("us-east-1b", "us-east-1a")
    rds.reboot_db_instance(DBInstanceIdentifier=identifier)  # a plain reboot does not fail over
    assert _zones_of(fresh_moto, identifier) == ("us-east-1b", "us-east-1a")
    rds.reboot_db_instance(DBInstanceIdentifier=identifier, ForceFailover=True)
    assert _zones_of(fresh_moto, identifier) == ("us-east-1a", "us-east-1b")


def test_force_failover_on_a_single_az_instance_is_refused(fresh_moto):
    identifier = _multi_az_instance(fresh_moto, "single-db", multi_az=False)
    assert _zones_of(fresh_moto, identifier) == ("us-east-1a", None)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        fresh_moto.client("rds").reboot_db_instance(DBInstanceIdentifier=identifier, ForceFailover=True)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterCombination"


def test_a_load_balancer_and_a_listener_created_twice_are_one_as_on_aws(fresh_moto):
    """A retry after a lost answer (tests/faults) must not duplicate them in the lab (lab/moto_create_mend.py)."""
    _vpc, subnets = _network(fresh_moto)
    elbv2 = fresh_moto.client("elbv2")
    arns = [elbv2.create_load_balancer(Name="twice", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"] for _attempt in range(2)]
    assert arns[0] == arns[1] and len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1
    action = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]
    listeners = [elbv2.create_listener(LoadBalancerArn=arns[0], Protocol="HTTP", Port=80, DefaultActions=action)["Listeners"][0] for _attempt in range(2)]
    assert listeners[0]["ListenerArn"] == listeners[1]["ListenerArn"]
    assert len(elbv2.describe_listeners(LoadBalancerArn=arns[0])["Listeners"]) == 1
    with pytest.raises(botocore.exceptions.ClientError, match="DuplicateListener"):
        elbv2.create_listener(
            LoadBalancerArn=arns[0],
            Protocol="HTTPS",
            Port=80,
            DefaultActions=action,
            Certificates=[{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}],
        )


def test_a_target_group_and_an_auto_scaling_group_created_twice_are_answered_as_on_aws(fresh_moto):
    """CreateTargetGroup is idempotent for the same settings; CreateAutoScalingGroup of a name in use is AlreadyExists."""
    vpc, subnets = _network(fresh_moto)
    elbv2 = fresh_moto.client("elbv2")
    arns = [elbv2.create_target_group(Name="twice", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"] for _attempt in range(2)]
    assert arns[0] == arns[1] and len(elbv2.describe_target_groups()["TargetGroups"]) == 1
    with pytest.raises(botocore.exceptions.ClientError, match="DuplicateTargetGroupName"):
        elbv2.create_target_group(Name="twice", Protocol="HTTP", Port=8080, VpcId=vpc)

    name = _group(fresh_moto, subnets, 2, name="twice")
    asg = fresh_moto.client("autoscaling")
    first = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        asg.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=0, MaxSize=1, LaunchTemplate=first["LaunchTemplate"], VPCZoneIdentifier=subnets[0])
    assert raised.value.response["Error"]["Code"] == "AlreadyExists"
    assert "AutoScalingGroup by this name already exists" in raised.value.response["Error"]["Message"]
    kept = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    assert (kept["MaxSize"], sorted(i["InstanceId"] for i in kept["Instances"])) == (10, sorted(i["InstanceId"] for i in first["Instances"]))


def test_a_node_group_keeps_the_update_config_it_was_created_with_or_gets_awss_default(fresh_moto):
    _vpc, subnets = _network(fresh_moto)
    eks = fresh_moto.client("eks")
    role = "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(name="mend", roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
    eks.create_nodegroup(clusterName="mend", nodegroupName="plain", nodeRole=role, subnets=subnets[:1])
    eks.create_nodegroup(clusterName="mend", nodegroupName="asked", nodeRole=role, subnets=subnets[:1], updateConfig={"maxUnavailablePercentage": 25})
    described = dict((name, eks.describe_nodegroup(clusterName="mend", nodegroupName=name)["nodegroup"]) for name in ("plain", "asked"))
    assert described["plain"]["updateConfig"] == {"maxUnavailable": 1}  # what AWS answers when the create asked for none
    assert described["asked"]["updateConfig"] == {"maxUnavailablePercentage": 25}


def test_a_second_server_in_the_process_leaves_replacements_tagged_with_their_version_and_spread(fresh_moto):
    """Tests start several moto servers in one process (tests/integration/test_moto_clock.py): the mends go in once.

    Installed twice, the outer AZ-spread mend launched around the version-tag mend: a group switched
    to version 2 replaced a terminated member with an instance tagged "1", and the bad-release drill
    never saw its bad version (a CI failure).
    """
    moto_server.build_server().server_close()  # a second server, as another test module makes
    _vpc, subnets = _network(fresh_moto)
    name = _group(fresh_moto, subnets, 2, name="versions")
    ec2, asg = fresh_moto.client("ec2"), fresh_moto.client("autoscaling")
    ec2.create_launch_template_version(LaunchTemplateName=name, SourceVersion="1", LaunchTemplateData={"InstanceType": "t3.small"})
    asg.update_auto_scaling_group(AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateName": name, "Version": "2"})
    members = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["Instances"]
    ec2.terminate_instances(InstanceIds=[members[0]["InstanceId"]])

    after = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["Instances"]
    (replacement,) = [m["InstanceId"] for m in after if m["InstanceId"] != members[1]["InstanceId"]]
    (described,) = ec2.describe_instances(InstanceIds=[replacement])["Reservations"][0]["Instances"]
    assert {t["Key"]: t["Value"] for t in described["Tags"]}["aws:ec2launchtemplate:version"] == "2"
    assert described["InstanceType"] == "t3.small"
    assert _zones(fresh_moto, name) == {"us-east-1a": 1, "us-east-1b": 1}
