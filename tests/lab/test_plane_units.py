"""Pure parts of the data plane: user data parsing, the server plan, matchers, the database topology and front, the load generator's guard."""

import pytest
from botocore.exceptions import WaiterError
from plane import balancer, database, engine, instances

import loadgen


@pytest.mark.parametrize(
    ("user_data", "image", "env", "ports"),
    [
        (
            "#!/bin/bash\ndocker run -d --init --restart always -p 8081:8081 -e A=1 --env B=two reg:5001/app:1.0 serve\n",
            "reg:5001/app:1.0",
            {"A": "1", "B": "two"},
            ["8081:8081"],
        ),
        (
            "#!/bin/sh\nset -e\n/usr/bin/docker pull x/y:2\n/usr/bin/docker run --name=web \\\n  --publish=127.0.0.1:80:8080 x/y:2\n",
            "x/y:2",
            {},
            ["127.0.0.1:80:8080"],
        ),
        ("#cloud-config\nruncmd:\n  - [sh, -c, 'true']\n", None, None, None),
        ("", None, None, None),
    ],
)
def test_parse_user_data(user_data, image, env, ports):
    spec = instances.parse_user_data(user_data)
    if image is None:
        assert spec is None
    else:
        assert (spec["image"], spec["env"], spec["ports"]) == (image, env, ports)


@pytest.mark.parametrize(("ports", "expected"), [(["8081:8081"], 8081), (["127.0.0.1:80:8080/tcp"], 8080), (["9000"], 9000), ([], 7000)])
def test_container_port(ports, expected):
    assert instances.container_port(ports, 7000) == expected


def test_instance_plan_creates_removes_and_replaces_stopped():
    spec = {"name": "c", "image": "img"}
    running = {"State": {"Running": True}, "Config": {"Labels": {"hatrading.spec": instances.engine.digest(spec)}}}
    stopped = {"State": {"Running": False}, "Config": {"Labels": {"hatrading.spec": instances.engine.digest(spec)}}}
    todo = instances.plan({"i-new": spec, "i-ok": spec, "i-dead": spec}, {"i-ok": running, "i-dead": stopped, "i-gone": running})
    assert todo == {"create": ["i-dead", "i-new"], "remove": ["i-dead", "i-gone"]}


@pytest.mark.parametrize(("matcher", "regex"), [("200", "^(200)$"), ("200,202", "^(200|202)$"), ("200-203", "^(200|201|202|203)$")])
def test_status_regex(matcher, regex):
    assert balancer.status_regex(matcher) == regex


def server(addr, port=8081):
    return {"addr": addr, "port": port, "op_state": 2, "admin_state": 0}


def test_plan_servers_register_drain_delete_and_readd():
    addresses = {"i-a": "172.30.0.2", "i-b": "172.30.0.3"}
    steps, drains = balancer.plan_servers([("i-a", 8081), ("i-b", 8081)], addresses, {}, {}, 100.0, 5)
    assert steps == [("add", "i-a_8081", "172.30.0.2:8081"), ("add", "i-b_8081", "172.30.0.3:8081")] and drains == {}
    current = {"i-a_8081": server("172.30.0.2"), "i-b_8081": server("172.30.0.3")}
    steps, drains = balancer.plan_servers([("i-a", 8081)], addresses, current, {}, 100.0, 5)
    assert steps == [("drain", "i-b_8081")] and drains == {"i-b_8081": 105.0}
    assert balancer.plan_servers([("i-a", 8081)], addresses, current, drains, 104.9, 5) == ([], drains)
    assert balancer.plan_servers([("i-a", 8081)], addresses, current, drains, 105.0, 5) == ([("delete", "i-b_8081")], {})
    assert balancer.plan_servers([("i-a", 8081), ("i-b", 8081)], addresses, current, drains, 101.0, 5) == ([("ready", "i-b_8081")], {})


def test_plan_servers_registered_without_container_drains_and_moved_container_is_readded():
    current = {"i-a_8081": server("172.30.0.2")}
    assert balancer.plan_servers([("i-a", 8081)], {}, current, {}, 0.0, 3) == ([("drain", "i-a_8081")], {"i-a_8081": 3.0})
    moved = balancer.plan_servers([("i-a", 8081)], {"i-a": "172.30.0.9"}, current, {}, 0.0, 3)
    assert moved == ([("delete", "i-a_8081"), ("add", "i-a_8081", "172.30.0.9:8081")], {})


def test_render_config_has_one_frontend_per_listener():
    model = {
        "name": "alb",
        "scheme": "internet-facing",
        "listeners": [{"port": 80, "backend": "tg_web"}, {"port": 8080, "backend": "tg_web"}],
        "groups": {"tg_web": {"health_path": "/health", "matcher": "200"}},
    }
    config = balancer.render_config(model)
    assert "frontend listener_80\n    bind :80\n    default_backend tg_web" in config
    assert "frontend listener_8080\n    bind :8080" in config
    assert "http-check send meth GET uri /health" in config and config.count("\nbackend tg_web\n") == 1


@pytest.mark.parametrize("url", ["http://10.0.0.5:80/", "http://8.8.8.8/", "https://127.0.0.1/", "http://example.invalid/", "file:///etc/passwd"])
def test_loadgen_refuses_non_loopback(url):
    with pytest.raises(loadgen.NotLoopback):
        loadgen.run(url, count=1, duration=1)


@pytest.mark.parametrize(("count", "duration", "concurrency"), [(0, 1, 1), (10**6, 1, 1), (1, 0, 1), (1, 10**4, 1), (1, 1, 0), (1, 1, 1000)])
def test_loadgen_bounds(count, duration, concurrency):
    with pytest.raises(ValueError):
        loadgen.run("http://127.0.0.1:9/", count=count, duration=duration, concurrency=concurrency)


def test_loadgen_counts_failures_against_a_closed_port():
    report = loadgen.run("http://127.0.0.1:9/", count=5, duration=5, concurrency=1, timeout=1)
    assert report["requests"] == 5 and report["failures"] == 5 and report["ok"] == 0 and report["errors"]


def test_parse_the_user_data_compute_launch_template_renders():
    """The launch template module's own cloud-init user data: image, env file from write_files, health check."""
    from ansible_collections.hatrading.aws.plugins.module_utils.compute import template as compute  # noqa: PLC0415  (the collection, via tests/conftest.py)

    spec = {
        "stack": "demo",
        "tier": "frontend",
        "region": "us-east-1",
        "image": "127.0.0.1:5001/hatrading/frontend:1.0.0",
        "port": 8080,
        "health_path": "/health",
        "log_group": "/hatrading/demo",
        "registry_auth": "auto",
        "registry_secret_arn": None,
        "registry_username": None,
        "environment": {"BACKEND_URL": "http://internal-demo.us-east-1.elb.amazonaws.com:80"},
    }
    run = instances.parse_user_data(compute.render_user_data(spec))
    assert run["image"] == "127.0.0.1:5001/hatrading/frontend:1.0.0"
    assert run["env"] == {"BACKEND_URL": "http://internal-demo.us-east-1.elb.amazonaws.com:80", "PORT": "8080"}
    assert instances.container_port(run["ports"], 1) == 8080
    assert run["health"]["--health-cmd"] == "curl -fsS http://127.0.0.1:8080/health || exit 1"
    assert instances.lab_health(run["health"])["--health-interval"] == "2s"


def test_the_back_end_user_data_with_the_prometheus_agent_still_gives_the_tier_container():
    """The lab runs the tier's container, never the agent (the lab's own Prometheus scrapes, lab/plane/prometheus.py)."""
    from ansible_collections.hatrading.aws.plugins.module_utils.compute import template as compute  # noqa: PLC0415  (the collection, via tests/conftest.py)

    spec = {
        "stack": "demo",
        "tier": "backend",
        "region": "us-east-1",
        "image": "127.0.0.1:5001/hatrading/backend:1.0.0",
        "port": 8081,
        "health_path": "/health",
        "log_group": "/hatrading/demo",
        "registry_auth": "auto",
        "environment": {"LOG_LEVEL": "info"},
        "prometheus_agent": True,
    }
    user_data = compute.render_user_data(spec)
    assert "hatrading-prometheus-agent" in user_data
    run = instances.parse_user_data(user_data)
    assert run["image"] == "127.0.0.1:5001/hatrading/backend:1.0.0"
    assert run["env"] == {"LOG_LEVEL": "info", "PORT": "8081"}
    assert instances.container_port(run["ports"], 1) == 8081


@pytest.mark.parametrize(("duration", "seconds"), [("10s", 10), ("1m30s", 90), ("500ms", 1), ("2h", 7200)])
def test_seconds(duration, seconds):
    assert instances._seconds(duration) == seconds


def test_target_states_as_an_alb_would_report_them():
    rows = {
        ("tg_be", "i-up_8081"): {"status": "UP", "check_status": "L7OK"},
        ("tg_be", "i-going_8081"): {"status": "UP 1/2", "check_status": "L7STS"},
        ("tg_be", "i-new_8081"): {"status": "DOWN", "check_status": "INI"},
        ("tg_be", "i-sick_8081"): {"status": "DOWN", "check_status": "L4CON"},
        ("tg_be", "i-old_8081"): {"status": "DRAIN", "check_status": "L7OK"},
    }
    registered = [("i-up", 8081), ("i-going", 8081), ("i-new", 8081), ("i-sick", 8081), ("i-nocontainer", 8081)]
    states = balancer.target_states("tg_be", registered, ["i-old_8081"], rows)
    assert states == {
        "i-up": "healthy",
        "i-going": "healthy",
        "i-new": "initial",
        "i-sick": "unhealthy",
        "i-nocontainer": "initial",
        "i-old": "draining",
    }


def test_report_health_goes_to_loopback_only():
    assert balancer.report_health("https://elasticloadbalancing.us-east-1.amazonaws.com", {"arn": {"i-1": "healthy"}}) is False
    assert balancer.report_health("http://127.0.0.1:9", {}) is False
    assert balancer.report_health("http://127.0.0.1:9", {"arn": {"i-1": "healthy"}}) is False  # nothing listens: moto's answers stand


def test_moto_reports_what_the_plane_saw(fresh_moto):
    """lab/moto_server.py's bridge: reported states replace moto's healthy, a drained target reads draining, then unused."""
    ec2, elb = fresh_moto.client("ec2"), fresh_moto.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.49.0.0/16")["Vpc"]["VpcId"]
    arn = elb.create_target_group(Name="bridge", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.49.1.0/24")["Subnet"]["SubnetId"]
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, SubnetId=subnet)["Instances"]]
    elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": i} for i in ids])

    def states(targets=None):
        params = {"TargetGroupArn": arn}
        if targets:
            params["Targets"] = [{"Id": i} for i in targets]
        return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in elb.describe_target_health(**params)["TargetHealthDescriptions"]}

    assert states() == {ids[0]: "healthy", ids[1]: "healthy"}  # nothing reported: moto's own answer
    assert balancer.report_health(fresh_moto.url, {arn: {ids[0]: "initial", ids[1]: "healthy"}})
    assert states() == {ids[0]: "initial", ids[1]: "healthy"}
    elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": ids[1]}])
    assert states([ids[1]]) == {ids[1]: "draining"}  # deregistered, not yet seen by the plane: an ALB drains it
    assert balancer.report_health(fresh_moto.url, {arn: {ids[0]: "healthy", ids[1]: "draining"}})
    assert states([ids[1]]) == {ids[1]: "draining"}
    # a target registered after the last report is initial until the plane has checked it
    third = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]["InstanceId"]
    elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": third}])
    assert states([third]) == {third: "initial"}
    waiter_config = {"Delay": 1, "MaxAttempts": 2}
    with pytest.raises(WaiterError, match="Max attempts exceeded"):
        elb.get_waiter("target_deregistered").wait(TargetGroupArn=arn, Targets=[{"Id": ids[1]}], WaiterConfig=waiter_config)
    assert balancer.report_health(fresh_moto.url, {arn: {ids[0]: "healthy"}})  # the drain is over
    assert states([ids[1]]) == {ids[1]: "unused"}
    elb.get_waiter("target_deregistered").wait(TargetGroupArn=arn, Targets=[{"Id": ids[1]}], WaiterConfig=waiter_config)


class FakeRDS:
    """Just the two describes lab/plane/database.py reads."""

    def __init__(self, instances=(), clusters=()):
        self.instances, self.clusters = list(instances), list(clusters)

    def client(self, _service):
        return self

    def describe_db_instances(self):
        return {"DBInstances": self.instances}

    def describe_db_clusters(self):
        return {"DBClusters": self.clusters}


def test_database_topology_follows_rds():
    tags = [{"Key": "hatrading:stack", "Value": "s1"}]
    multi_az = {
        "DBInstanceIdentifier": "s1-database",
        "AvailabilityZone": "us-east-1b",
        "SecondaryAvailabilityZone": "us-east-1a",
        "Endpoint": {"Address": "s1-database.abc.us-east-1.rds.amazonaws.com"},
        "TagList": tags,
    }
    found = database.topology(FakeRDS([multi_az, dict(multi_az, DBInstanceIdentifier="other", TagList=[])]), "s1", "us-east-1")
    assert (found["kind"], found["id"], found["keys"], found["primary"]) == ("instance", "s1-database", ["us-east-1b", "us-east-1a"], "us-east-1b")
    assert found["aliases"] == ["s1-database.abc.us-east-1.rds.amazonaws.com"]

    cluster = {
        "DBClusterIdentifier": "s1-aurora",
        "Endpoint": "s1-aurora.cluster-abc",
        "ReaderEndpoint": "s1-aurora.cluster-ro-abc",
        "DBClusterMembers": [
            {"DBInstanceIdentifier": "s1-aurora-1", "IsClusterWriter": False},
            {"DBInstanceIdentifier": "s1-aurora-0", "IsClusterWriter": True},
        ],
        "TagList": tags,
    }
    found = database.topology(FakeRDS(clusters=[cluster]), "s1", "us-east-1")
    assert (found["kind"], found["keys"], found["primary"]) == ("cluster", ["s1-aurora-0", "s1-aurora-1"], "s1-aurora-0")
    assert found["aliases"] == ["s1-aurora.cluster-abc", "s1-aurora.cluster-ro-abc"]

    assert database.topology(FakeRDS(), "s1", "eu-west-1")["keys"] == ["eu-west-1a", "eu-west-1b"]


def test_database_front_routes_to_resolved_nodes_starting_in_maintenance():
    config = database.render_front({"stack": "s1", "keys": ["us-east-1a", "us-east-1b"]})
    assert "mode tcp" in config and "bind :5432" in config and "nameserver dns 127.0.0.11:53" in config
    for key in ("us-east-1a", "us-east-1b"):
        assert "server %s hatrading-s1-pg-%s:5432 resolvers docker init-addr last,libc,none disabled" % (key, key) in config


def test_lab_mounts_under_the_exec_root_deepest_first_and_nothing_else():
    mounts = "\n".join(
        [
            "proc /proc proc rw 0 0",
            "nsfs /work/ci/main/.lab/exec/netns/default nsfs rw 0 0",
            "overlay /work/ci/main/.lab/exec/run/x overlay rw 0 0",
            "nsfs /work/ci/main/.lab/exec/netns/default/inner nsfs rw 0 0",
            "nsfs /work/ci/main/.lab/exec2/netns/default nsfs rw 0 0",
        ]
    )
    assert engine.lab_mounts(mounts, "/work/ci/main/.lab/exec") == [
        "/work/ci/main/.lab/exec/netns/default/inner",
        "/work/ci/main/.lab/exec/netns/default",
        "/work/ci/main/.lab/exec/run/x",
    ]
