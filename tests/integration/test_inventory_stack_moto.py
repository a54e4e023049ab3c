"""hatrading.aws.stack inventory against moto: exact groups, health following (de)registration, cache, errors.

Each test seeds moto with boto3 directly (instances of two tiers, an Auto Scaling group, target groups
with registered targets, decoys of another stack) and runs `ansible-inventory` as a user would.
"""

import json
import os
import re
import subprocess
import threading
from pathlib import Path

import boto3
import moto_server  # lab/moto_server.py, on sys.path through tests/conftest.py
import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
STACK = "invt"
DECOY = "other"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"


def tags(**pairs):
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


def seed(moto, stack=STACK, region=REGION):
    """A small stack plus decoys; returns the instance IDs by role."""
    ec2, asg, elb = (_client(moto, service, region) for service in ("ec2", "autoscaling", "elbv2"))
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet_a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24", AvailabilityZone=region + "a")["Subnet"]["SubnetId"]
    subnet_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.2.0/24", AvailabilityZone=region + "b")["Subnet"]["SubnetId"]

    def run(subnet, count, **tag_pairs):
        spec = [{"ResourceType": "instance", "Tags": tags(**tag_pairs)}]
        answer = ec2.run_instances(ImageId=ami, MinCount=count, MaxCount=count, InstanceType="t3.micro", SubnetId=subnet, TagSpecifications=spec)
        return sorted(instance["InstanceId"] for instance in answer["Instances"])

    # frontend: two standalone instances in two zones, tagged as the compute tier tags them, with a running image tag
    frontend = run(subnet_a, 1, **{"hatrading:stack": stack, "hatrading:tier": "compute", "hatrading:component": "frontend", "hatrading:image": "web:1.4"})
    frontend += run(subnet_b, 1, **{"hatrading:stack": stack, "hatrading:tier": "compute", "hatrading:component": "frontend", "hatrading:image": "web:1.4"})
    frontend.sort()
    # backend: an Auto Scaling group of three (tags propagated) plus one standalone instance tagged tier=backend
    ec2.create_launch_template(LaunchTemplateName="%s-backend" % stack, LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"})

    def tg_tags(component):
        return tags(**{"hatrading:stack": stack, "hatrading:tier": "compute", "hatrading:component": component})

    tg_backend = elb.create_target_group(Name="%s-tg-be" % stack, Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance", Tags=tg_tags("backend"))
    tg_frontend = elb.create_target_group(Name="%s-tg-fe" % stack, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance", Tags=tg_tags("frontend"))
    tg_backend = tg_backend["TargetGroups"][0]["TargetGroupArn"]
    tg_frontend = tg_frontend["TargetGroups"][0]["TargetGroupArn"]
    propagated = [
        {"Key": key, "Value": value, "PropagateAtLaunch": True}
        for key, value in {"hatrading:stack": stack, "hatrading:tier": "compute", "hatrading:component": "backend"}.items()
    ]
    asg.create_auto_scaling_group(
        AutoScalingGroupName="%s-backend" % stack,
        LaunchTemplate={"LaunchTemplateName": "%s-backend" % stack, "Version": "$Latest"},
        MinSize=0,
        MaxSize=5,
        DesiredCapacity=3,
        VPCZoneIdentifier="%s,%s" % (subnet_a, subnet_b),
        TargetGroupARNs=[tg_backend],
        Tags=propagated,
    )
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["%s-backend" % stack])["AutoScalingGroups"][0]
    asg_members = sorted(instance["InstanceId"] for instance in group["Instances"])
    standalone = run(subnet_b, 1, **{"hatrading:stack": stack, "hatrading:tier": "backend"})
    elb.register_targets(TargetGroupArn=tg_frontend, Targets=[{"Id": instance_id} for instance_id in frontend])
    # decoys: another stack (with its own group and target group) and an untagged instance
    run(subnet_a, 2, **{"hatrading:stack": DECOY, "hatrading:tier": "compute", "hatrading:component": "backend"})
    run(subnet_a, 1, Name="%s-lookalike" % stack)
    decoy_tags = tags(**{"hatrading:stack": DECOY, "hatrading:component": "backend"})
    tg_decoy = elb.create_target_group(Name="%s-tg" % DECOY, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance", Tags=decoy_tags)
    elb.register_targets(TargetGroupArn=tg_decoy["TargetGroups"][0]["TargetGroupArn"], Targets=[{"Id": standalone[0]}])
    return {
        "frontend": frontend,
        "asg": asg_members,
        "standalone": standalone,
        "tg_backend": tg_backend,
        "tg_frontend": tg_frontend,
        "zones": {zone: sorted(i for i in frontend + asg_members + standalone if _zone(ec2, i) == zone) for zone in (region + "a", region + "b")},
    }


def _client(moto, service, region):
    return boto3.client(service, endpoint_url=moto.url, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")


def _zone(ec2, instance_id):
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["Placement"]["AvailabilityZone"]


def inventory_file(directory, **options):
    config = {"plugin": "hatrading.aws.stack", "stack": STACK, "regions": [REGION]}
    config.update(options)
    path = Path(directory) / "test.hatrading_stack.yml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def run_inventory(env, path, *args):
    run_env = dict(os.environ)
    run_env.update(env)
    run_env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        ANSIBLE_NOCOLOR="1",
        PATH=str(REPO / ".venv" / "bin") + os.pathsep + run_env.get("PATH", ""),
    )
    argv = [str(VENV_BIN / "ansible-inventory"), "-i", str(path)] + list(args or ["--list"])
    return subprocess.run(argv, check=False, cwd=REPO, env=run_env, capture_output=True, text=True, timeout=300)


def listing(env, path, *args):
    proc = run_inventory(env, path, "--list", *args)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout), proc.stderr


def members(doc, group):
    return sorted(doc.get(group, {}).get("hosts", []))


def plain(value):
    """Host variables as ansible-inventory prints them, without the `__ansible_unsafe` wrappers."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def test_groups_and_host_vars_of_a_seeded_stack(fresh_moto, tmp_path):
    ids = seed(fresh_moto)
    fresh_moto.forget_calls()
    doc = listing(fresh_moto.env(), inventory_file(tmp_path))[0]

    backend = sorted(ids["asg"] + ids["standalone"])
    everyone = sorted(ids["frontend"] + backend)
    assert sorted(doc["_meta"]["hostvars"]) == everyone  # no decoy
    assert members(doc, "tier_frontend") == ids["frontend"]
    assert members(doc, "tier_backend") == backend
    assert members(doc, "region_us_east_1") == everyone
    for zone, zone_members in ids["zones"].items():
        assert members(doc, "az_" + zone.replace("-", "_")) == zone_members
    assert members(doc, "asg_invt_backend") == ids["asg"]
    assert members(doc, "lifecycle_inservice") == ids["asg"]
    # healthy: the ASG members (backend target group) and the frontends (frontend target group); the standalone
    # backend is registered only in the decoy stack's target group, which does not count
    assert members(doc, "healthy") == sorted(ids["asg"] + ids["frontend"])
    assert "unhealthy" not in doc and "draining" not in doc

    one = plain(doc["_meta"]["hostvars"][ids["asg"][0]])
    assert one["instance_id"] == ids["asg"][0]
    assert one["tier"] == "backend" and one["region"] == REGION
    assert one["asg_name"] == "invt-backend" and one["lifecycle_state"] == "InService"
    assert one["launch_template_version"] == "1"
    assert "launch_template_name" not in one and "instance_tags" not in one  # only the essential ones without all_hostvars
    assert one["target_group_arns"] == [ids["tg_backend"]]
    assert one["health"] == "healthy" and "target_health" not in one  # one target group: `health` says it
    assert one["private_ip_address"].startswith("10.42.")
    assert one["ansible_connection"] == "amazon.aws.aws_ssm"
    assert one["ansible_host"] == ids["asg"][0] and "ansible_aws_ssm_instance_id" not in one
    assert one["ansible_aws_ssm_region"] == REGION
    front = plain(doc["_meta"]["hostvars"][ids["frontend"][0]])
    assert front["image_tag"] == "web:1.4" and "asg_name" not in front and "lifecycle_state" not in front  # unset, not None
    lone = plain(doc["_meta"]["hostvars"][ids["standalone"][0]])
    assert lone["tier"] == "backend" and lone["target_group_arns"] == [] and "health" not in lone

    # few calls: one DescribeInstances page, one DescribeAutoScalingGroups, target groups found by tags
    operations = sorted(call["operation"] for call in fresh_moto.calls())
    assert operations == sorted(
        ["DescribeInstances", "DescribeAutoScalingGroups", "DescribeTargetGroups", "DescribeTags", "DescribeTargetHealth", "DescribeTargetHealth"]
    )

    # patterns work on these groups
    proc = subprocess.run(
        [str(VENV_BIN / "ansible"), "-i", str(tmp_path / "test.hatrading_stack.yml"), "tier_backend:&healthy", "--list-hosts"],
        check=False,
        cwd=REPO,
        env=dict(os.environ, **fresh_moto.env(), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_DEPRECATION_WARNINGS="0"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(re.findall(r"i-[0-9a-f]+", proc.stdout)) == ids["asg"]


def test_ssh_connection_compose_and_keyed_groups(fresh_moto, tmp_path):
    ids = seed(fresh_moto)
    path = inventory_file(
        tmp_path,
        connection="ssh",
        ssh_user="ec2-user",
        ssh_bastion="ec2-user@bastion.example.test",
        hostname="private_ip_address",
        compose={"deploy_color": "'blue' if tier == 'backend' else 'green'"},
        keyed_groups=[{"key": "image_tag", "prefix": "image"}],
        groups={"scaled": "asg_name is defined", "tagged": "instance_tags['hatrading:image'] is defined"},
        all_hostvars=True,
    )
    doc = listing(fresh_moto.env(), path)[0]
    hostvars = {plain(values)["instance_id"]: (name, plain(values)) for name, values in doc["_meta"]["hostvars"].items()}
    name, values = hostvars[ids["asg"][0]]
    assert name == values["private_ip_address"] == values["ansible_host"]
    assert values["ansible_connection"] == "ssh" and values["ansible_user"] == "ec2-user"
    assert values["ansible_ssh_common_args"] == "-o ProxyJump=ec2-user@bastion.example.test"
    assert values["deploy_color"] == "blue"
    assert sorted(hostvars[i][0] for i in ids["asg"]) == members(doc, "scaled")
    assert sorted(hostvars[i][0] for i in ids["frontend"]) == members(doc, "image_web_1_4") == members(doc, "tagged")
    assert values["launch_template_name"] == "invt-backend" and values["instance_tags"]["hatrading:component"] == "backend"


def test_health_and_lifecycle_groups_follow_the_stack(fresh_moto, tmp_path):
    ids = seed(fresh_moto)
    elb = fresh_moto.client("elbv2")
    asg = fresh_moto.client("autoscaling")
    path = inventory_file(tmp_path)

    leaving = ids["asg"][0]
    # AWS deregisters an instance entering standby; moto does not (it re-registers the group's instances), so the test does
    asg.enter_standby(AutoScalingGroupName="invt-backend", InstanceIds=[leaving], ShouldDecrementDesiredCapacity=True)
    elb.deregister_targets(TargetGroupArn=ids["tg_backend"], Targets=[{"Id": leaving}])
    doc = listing(fresh_moto.env(), path)[0]
    assert members(doc, "healthy") == sorted(ids["asg"][1:] + ids["frontend"])
    assert members(doc, "lifecycle_standby") == [leaving]
    assert members(doc, "lifecycle_inservice") == ids["asg"][1:]

    # the standalone backend joins the backend target group: now it counts
    elb.register_targets(TargetGroupArn=ids["tg_backend"], Targets=[{"Id": ids["standalone"][0]}, {"Id": leaving}])
    asg.exit_standby(AutoScalingGroupName="invt-backend", InstanceIds=[leaving])
    doc = listing(fresh_moto.env(), path)[0]
    assert members(doc, "healthy") == sorted(ids["asg"] + ids["standalone"] + ids["frontend"])
    assert members(doc, "lifecycle_inservice") == ids["asg"]
    assert "lifecycle_standby" not in doc


def test_members_of_an_untagged_auto_scaling_group_are_looked_up_in_batches(fresh_moto, tmp_path):
    ec2, asg = fresh_moto.client("ec2"), fresh_moto.client("autoscaling")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    vpc = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.43.1.0/24", AvailabilityZone=REGION + "a")["Subnet"]["SubnetId"]
    ec2.create_launch_template(LaunchTemplateName="plain", LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(
        AutoScalingGroupName="plain-asg",
        LaunchTemplate={"LaunchTemplateName": "plain", "Version": "$Latest"},
        MinSize=0,
        MaxSize=3,
        DesiredCapacity=2,
        VPCZoneIdentifier=subnet,
    )
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["plain-asg"])["AutoScalingGroups"][0]
    members_ = sorted(instance["InstanceId"] for instance in group["Instances"])
    # the instances carry the stack tags (set after launch), the group does not
    ec2.create_tags(Resources=members_, Tags=tags(**{"hatrading:stack": STACK, "hatrading:tier": "backend"}))
    fresh_moto.forget_calls()
    doc = listing(fresh_moto.env(), inventory_file(tmp_path))[0]
    assert members(doc, "asg_plain_asg") == members_
    assert members(doc, "lifecycle_inservice") == members_
    assert plain(doc["_meta"]["hostvars"][members_[0]])["launch_template_version"] == "1"
    operations = [call["operation"] for call in fresh_moto.calls()]
    assert operations.count("DescribeAutoScalingInstances") == 1 and operations.count("DescribeInstances") == 1


def cache_options(directory):
    return {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(directory), "cache_timeout": 3600}


def read_cache(path):
    """The entry in a jsonfile cache file (ansible-core 2.19 wraps it in a `__payload__` string)."""
    raw = json.loads(path.read_text())
    return json.loads(raw["__payload__"]) if "__payload__" in raw else raw


def write_cache(path, entry):
    raw = json.loads(path.read_text())
    path.write_text(json.dumps(dict(raw, __payload__=json.dumps(entry)) if "__payload__" in raw else entry))


def test_cache_hit_makes_no_api_call_and_corrupt_cache_is_refreshed(fresh_moto, tmp_path):
    ids = seed(fresh_moto)
    cache_dir = tmp_path / "cache"
    path = inventory_file(tmp_path, **cache_options(cache_dir))
    cold = listing(fresh_moto.env(), path)[0]
    assert fresh_moto.calls(), "the first run reads AWS"
    cache_files = list(cache_dir.iterdir())
    assert len(cache_files) == 1

    fresh_moto.forget_calls()
    warm = listing(fresh_moto.env(), path)[0]
    assert fresh_moto.calls() == []
    assert warm == cold

    # a change in AWS is not seen through the cache, and is seen after --flush-cache
    fresh_moto.client("elbv2").deregister_targets(TargetGroupArn=ids["tg_frontend"], Targets=[{"Id": ids["frontend"][0]}])
    warm = listing(fresh_moto.env(), path)[0]
    assert ids["frontend"][0] in members(warm, "healthy")
    flushed = listing(fresh_moto.env(), path, "--flush-cache")[0]
    assert ids["frontend"][0] not in members(flushed, "healthy")

    # a corrupt cache file: a warning, a fresh query, a rewritten cache
    cache_files[0].write_text('{"query": {"format": 1, "stack"')
    fresh_moto.forget_calls()
    doc, stderr = listing(fresh_moto.env(), path)
    assert "ignoring the unreadable inventory cache" in stderr
    assert members(doc, "tier_frontend") == ids["frontend"]
    assert any(call["operation"] == "DescribeInstances" for call in fresh_moto.calls())
    assert read_cache(cache_files[0])["query"]["stack"] == STACK

    # a well-formed cache entry of another format version (older, or newer) is ignored too
    for version in (1, 99):
        entry = read_cache(cache_files[0])
        assert entry["version"] == 2
        entry["version"] = version
        write_cache(cache_files[0], entry)
        fresh_moto.forget_calls()
        doc, stderr = listing(fresh_moto.env(), path)
        assert "ignoring an inventory cache entry of another query or format (cache format version %d, " % version in stderr
        assert members(doc, "tier_frontend") == ids["frontend"] and fresh_moto.calls()
        assert read_cache(cache_files[0])["version"] == 2  # rewritten in the current format


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"stack": None}, "option 'stack' is required"),
        ({"regions": []}, "option 'regions' must list at least one region"),
        ({"accounts": [{"role_arn": "arn:aws:iam::42:role/x"}]}, "is not an IAM role ARN"),
        ({"regions": [], "accounts": [{"role_arn": "arn:aws:iam::111111111111:role/x"}]}, "lists no regions"),
    ],
)
def test_bad_options_fail_before_any_call(fresh_moto, tmp_path, options, message):
    config = {key: value for key, value in options.items() if value is not None}
    path = inventory_file(tmp_path, **config)
    if options.get("stack", "") is None:
        body = json.loads(path.read_text())
        del body["stack"]
        path.write_text(json.dumps(body))
    fresh_moto.forget_calls()
    proc = run_inventory(fresh_moto.env(), path)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert fresh_moto.calls() == []


# ---- failing regions: a second server on the same moto state that answers one region with an error ----

THROTTLED = (
    400,
    b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors>"
    b"<RequestID>lab</RequestID></Response>",
)
DENIED = (
    403,
    b"<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message>"
    b"</Error></Errors><RequestID>lab</RequestID></Response>",
)
_SCOPE = re.compile(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/")


class FaultyRegion:
    """WSGI middleware: requests signed for (region, service) get a canned AWS error; the rest reach moto."""

    def __init__(self, app, region, service, answer):
        self.app, self.region, self.service, self.answer = app, region, service, answer
        self.hits = 0

    def __call__(self, environ, start_response):
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if scope and scope.groups() == (self.region, self.service):
            self.hits += 1
            status, body = self.answer
            start_response("%d Error" % status, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)


@pytest.fixture
def faulty(fresh_moto):
    """Start a loopback server over the same moto state with a fault; yields (env, middleware setter)."""
    server = moto_server.build_server()
    base_app = server.app
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(fresh_moto.env(), AWS_ENDPOINT_URL="http://%s:%d" % server.server_address[:2])

    def set_fault(region, service, answer):
        server.app = FaultyRegion(base_app, region, service, answer)
        return server.app

    yield env, set_fault
    server.shutdown()


def two_region_stack(moto):
    ids = seed(moto)
    other = _client(moto, "ec2", OTHER_REGION)
    ami = other.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    spec = [{"ResourceType": "instance", "Tags": tags(**{"hatrading:stack": STACK, "hatrading:tier": "backend"})}]
    far = other.run_instances(ImageId=ami, MinCount=1, MaxCount=1, TagSpecifications=spec)["Instances"][0]["InstanceId"]
    return ids, far


def test_two_regions_load_together(fresh_moto, tmp_path):
    ids, far = two_region_stack(fresh_moto)
    doc = listing(fresh_moto.env(), inventory_file(tmp_path, regions=[REGION, OTHER_REGION]))[0]
    assert members(doc, "region_eu_west_1") == [far]
    assert far in members(doc, "tier_backend") and ids["asg"][0] in members(doc, "tier_backend")


def test_accounts_each_read_with_an_assumed_role(fresh_moto, tmp_path):
    ids = seed(fresh_moto)  # moto's default account, read with the plugin's own credentials
    role_arn = "arn:aws:iam::111111111111:role/inventory-read"
    assumed = _client(fresh_moto, "sts", REGION).assume_role(RoleArn=role_arn, RoleSessionName="seed")["Credentials"]
    keys = dict(aws_access_key_id=assumed["AccessKeyId"], aws_secret_access_key=assumed["SecretAccessKey"], aws_session_token=assumed["SessionToken"])
    other = boto3.client("ec2", endpoint_url=fresh_moto.url, region_name=OTHER_REGION, **keys)
    ami = other.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    spec = [{"ResourceType": "instance", "Tags": tags(**{"hatrading:stack": STACK, "hatrading:tier": "backend"})}]
    far = other.run_instances(ImageId=ami, MinCount=1, MaxCount=1, TagSpecifications=spec)["Instances"][0]["InstanceId"]
    fresh_moto.forget_calls()

    accounts = [{"role_arn": role_arn, "regions": [OTHER_REGION]}, {"regions": [REGION]}]
    doc = listing(fresh_moto.env(), inventory_file(tmp_path, regions=[], accounts=accounts))[0]
    assert members(doc, "account_111111111111") == [far]
    assert members(doc, "region_eu_west_1") == [far]
    assert far in members(doc, "tier_backend") and ids["asg"][0] in members(doc, "tier_backend")
    assert plain(doc["_meta"]["hostvars"][far])["account_id"] == "111111111111"
    assert "account_id" not in doc["_meta"]["hostvars"][ids["asg"][0]]
    assert [call["operation"] for call in fresh_moto.calls()].count("AssumeRole") == 1

    # the own account's instances are not in account 111111111111: with only the role, only `far`
    doc = listing(fresh_moto.env(), inventory_file(tmp_path, regions=[REGION, OTHER_REGION], accounts=[{"role_arn": role_arn}]))[0]
    assert sorted(doc["_meta"]["hostvars"]) == [far]


def test_ssm_ping_status_groups(fresh_moto, tmp_path):
    ids = seed(fresh_moto)  # the lab's DescribeInstanceInformation (lab/moto_ssm_mend.py): running -> Online, stopped -> ConnectionLost
    stopped = ids["frontend"][0]
    fresh_moto.client("ec2").stop_instances(InstanceIds=[stopped])
    everyone = ids["frontend"] + ids["asg"] + ids["standalone"]
    fresh_moto.forget_calls()
    doc = listing(fresh_moto.env(), inventory_file(tmp_path, include_ssm=True))[0]
    assert members(doc, "ssm_connectionlost") == [stopped]
    assert members(doc, "ssm_online") == sorted(set(everyone) - {stopped})
    assert plain(doc["_meta"]["hostvars"][stopped])["ssm_ping_status"] == "ConnectionLost"
    ssm_calls = [call for call in fresh_moto.calls() if call["operation"] == "DescribeInstanceInformation"]
    assert len(ssm_calls) == 1  # 6 instances: one batch of at most 50 IDs

    # another connection: SSM is not read, no ssm_* group
    fresh_moto.forget_calls()
    doc = listing(fresh_moto.env(), inventory_file(tmp_path, include_ssm=True, connection="ssh"))[0]
    assert not [group for group in doc if group.startswith("ssm_")]
    assert "DescribeInstanceInformation" not in [call["operation"] for call in fresh_moto.calls()]


def test_throttled_region_is_named_and_strict_false_loads_the_others(fresh_moto, faulty, tmp_path):
    ids = two_region_stack(fresh_moto)[0]
    env, set_fault = faulty
    fault = set_fault(OTHER_REGION, "ec2", THROTTLED)

    doc, stderr = listing(env, inventory_file(tmp_path, regions=[REGION, OTHER_REGION], retries=2, strict=False))
    assert fault.hits == 2  # retried once, then given up
    assert "could not read region(s) eu-west-1" in stderr and "RequestLimitExceeded" in stderr
    assert members(doc, "tier_frontend") == ids["frontend"]
    assert "region_eu_west_1" not in doc

    proc = run_inventory(env, inventory_file(tmp_path, regions=[REGION, OTHER_REGION], retries=1, strict=True))
    assert proc.returncode != 0
    assert "could not read region(s) eu-west-1" in proc.stderr and "Traceback" not in proc.stderr


def test_the_only_region_failing_fails_even_when_not_strict(fresh_moto, faulty, tmp_path):
    seed(fresh_moto)
    env, set_fault = faulty
    set_fault(REGION, "elasticloadbalancing", THROTTLED)
    proc = run_inventory(env, inventory_file(tmp_path, retries=1))
    assert proc.returncode != 0
    assert "could not read region(s) us-east-1" in proc.stderr and "elasticloadbalancing:DescribeTargetGroups" in proc.stderr


def test_access_denied_honours_strict_permissions(fresh_moto, faulty, tmp_path):
    ids = two_region_stack(fresh_moto)[0]
    env, set_fault = faulty
    set_fault(OTHER_REGION, "ec2", DENIED)

    proc = run_inventory(env, inventory_file(tmp_path, regions=[REGION, OTHER_REGION]))
    assert proc.returncode != 0
    assert "access denied" in proc.stderr and "region eu-west-1: ec2:DescribeInstances denied" in proc.stderr
    assert "Traceback" not in proc.stderr

    doc, stderr = listing(env, inventory_file(tmp_path, regions=[REGION, OTHER_REGION], strict_permissions=False))
    assert "region eu-west-1: ec2:DescribeInstances denied" in stderr
    assert members(doc, "tier_frontend") == ids["frontend"] and "region_eu_west_1" not in doc

    # health denied: the hosts load, without health groups
    set_fault(REGION, "elasticloadbalancing", DENIED)
    doc, stderr = listing(env, inventory_file(tmp_path, strict_permissions=False))
    assert members(doc, "tier_frontend") == ids["frontend"] and "healthy" not in doc
    assert "elasticloadbalancing:DescribeTargetGroups/DescribeTags/DescribeTargetHealth denied" in stderr


STS_DENIED = (
    403,
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>'
    b"<Message>not authorized to perform sts:AssumeRole</Message></Error><RequestId>lab</RequestId></ErrorResponse>",
)


def test_a_role_that_cannot_be_assumed_is_named(fresh_moto, faulty, tmp_path):
    ids = seed(fresh_moto)
    env, set_fault = faulty
    set_fault(OTHER_REGION, "sts", STS_DENIED)  # the role's STS client is in its account's first region
    accounts = [{"role_arn": "arn:aws:iam::111111111111:role/inventory-read", "regions": [OTHER_REGION]}, {"regions": [REGION]}]

    proc = run_inventory(env, inventory_file(tmp_path, regions=[], accounts=accounts))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "account 111111111111 region eu-west-1: sts:AssumeRole denied" in proc.stderr

    doc, stderr = listing(env, inventory_file(tmp_path, regions=[], accounts=accounts, strict_permissions=False))
    assert "account 111111111111 region eu-west-1: sts:AssumeRole denied" in stderr
    assert members(doc, "tier_frontend") == ids["frontend"] and "account_111111111111" not in doc


def test_the_demo_inventory_file(fresh_moto):
    ids = seed(fresh_moto, stack="demo")
    doc = listing(fresh_moto.env(), REPO / "playbooks" / "inventory" / "demo.hatrading_stack.yml")[0]
    assert members(doc, "tier_frontend") == ids["frontend"]
    assert members(doc, "tier_backend") == sorted(ids["asg"] + ids["standalone"])
    assert members(doc, "asg_demo_backend") == ids["asg"]
    assert members(doc, "image_web_1_4") == ids["frontend"]
    assert members(doc, "image_none") == sorted(ids["asg"] + ids["standalone"])
