"""The ALB as haproxy: servers follow moto's target registrations; deregistered targets get no new requests."""

import threading
import time

from labkit import http, wait_until
from plane import balancer, engine, instances

import dataplane
import loadgen

BACKEND_USER_DATA = "#!/bin/bash\ndocker run -d --init -p 8081:8081 %s\n"
FRONTEND_USER_DATA = "#!/bin/bash\ndocker run -d --init -p 8080:8080 %s\n"


def servers(stack, alb):
    (row,) = [r for r in balancer.balancer_report(stack) if r["alb"] == alb]
    return {s["server"]: s["status"] for group in row["servers"].values() for s in group}


def sync_until(aws, stack, what, probe, timeout=20):
    """Reconcile + sync rounds (as the watcher runs them) until the probe holds."""

    def round_then_probe():
        dataplane.step(aws.moto, stack, None)
        return probe()

    return wait_until(what, round_then_probe, timeout=timeout, interval=0.5)


def test_deregistered_target_gets_no_new_requests(aws, stack):
    target_group = aws.target_group("api", 8081, delay=3)
    template = aws.launch_template("api", BACKEND_USER_DATA % engine.registry_ref("hatrading/backend:1.0.0"))
    group = aws.group("api", "backend", template, 2, [target_group])
    aws.load_balancer("pub", "internet-facing", [(80, target_group)])
    alb = "%s-pub" % stack
    first, second = aws.instances(group)
    names = {"%s_8081" % first, "%s_8081" % second}
    sync_until(aws, stack, "both servers UP in haproxy", lambda: servers(stack, alb) == dict.fromkeys(names, "UP"))
    door = balancer.front_door(stack)
    assert door.startswith("http://127.0.0.1:")

    before = loadgen.run(door + "/version", count=60, duration=20, concurrency=3, by_header="X-Instance-Id")
    assert before["failures"] == 0 and before["requests"] == 60
    assert set(before["by_header"]["values"]) == {first, second}

    aws.elbv2.deregister_targets(TargetGroupArn=target_group, Targets=[{"Id": second, "Port": 8081}])
    balancer.sync(aws.moto, stack)
    assert servers(stack, alb)["%s_8081" % second] == "DRAIN"
    during = loadgen.run(door + "/version", count=60, duration=20, concurrency=3, by_header="X-Instance-Id")
    assert during["failures"] == 0 and set(during["by_header"]["values"]) == {first}, during

    # after the deregistration delay (3 s here) the server is removed
    began = time.monotonic()
    sync_until(aws, stack, "the drained server deleted", lambda: set(servers(stack, alb)) == {"%s_8081" % first})
    assert time.monotonic() - began >= 1.0  # it waited for the delay, not deleted at once

    # registered again: added, health-checked, back in rotation
    aws.elbv2.register_targets(TargetGroupArn=target_group, Targets=[{"Id": second, "Port": 8081}])
    sync_until(aws, stack, "the server back UP", lambda: servers(stack, alb).get("%s_8081" % second) == "UP")
    after = loadgen.run(door + "/version", count=40, duration=20, concurrency=2, by_header="X-Instance-Id")
    assert after["failures"] == 0 and set(after["by_header"]["values"]) == {first, second}
    assert (engine.container_logs(instances.container_name(stack, second)).count("GET /version")) == before["by_header"]["values"][second]["count"] + after[
        "by_header"
    ]["values"][second]["count"]


def test_front_door_to_backend_through_both_load_balancers(aws, stack):
    back_tg = aws.target_group("back", 8081)
    front_tg = aws.target_group("front", 8080)
    aws.group("back", "backend", aws.launch_template("back", BACKEND_USER_DATA % engine.registry_ref("hatrading/backend:1.1.0")), 2, [back_tg])
    aws.group("front", "frontend", aws.launch_template("front", FRONTEND_USER_DATA % engine.registry_ref("hatrading/frontend:1.0.0")), 1, [front_tg])
    aws.load_balancer("int", "internal", [(80, back_tg)])
    aws.load_balancer("pub", "internet-facing", [(80, front_tg)])

    def all_up():
        rows = balancer.balancer_report(stack)
        states = [s["status"] for r in rows for g in r["servers"].values() for s in g]
        return len(rows) == 2 and len(states) == 3 and set(states) == {"UP"}

    sync_until(aws, stack, "three servers UP behind two ALBs", all_up, timeout=40)
    internal = [r for r in balancer.balancer_report(stack) if r["scheme"] == "internal"][0]
    assert internal["front_doors"] == []  # only the internet-facing ALB is published on 127.0.0.1
    door = balancer.front_door(stack)
    status, _headers, page = http(door + "/")
    assert status == 200 and "hatrading" in page
    report = loadgen.run(
        door + "/api/orders",
        count=20,
        duration=20,
        concurrency=2,
        method="POST",
        body='{"symbol": "ACME", "side": "buy", "price": "1", "quantity": 1}',
        by_header="X-Backend-Instance",
    )
    assert report["failures"] == 0 and report["statuses"] == {"201": 20}
    backends = set(aws.instances("%s-back" % stack))
    assert set(report["by_header"]["values"]) == backends  # the internal ALB spread them over both


def test_terminated_instance_drains_before_its_container_stops(aws, stack):
    """An ASG replacement under load: the old server drains, then its container goes; no request fails."""
    target_group = aws.target_group("api", 8081, delay=2)
    template = aws.launch_template("api", BACKEND_USER_DATA % engine.registry_ref("hatrading/backend:1.0.0"))
    group = aws.group("api", "backend", template, 2, [target_group])
    aws.load_balancer("pub", "internet-facing", [(80, target_group)])
    alb = "%s-pub" % stack
    victim, survivor = aws.instances(group)
    sync_until(aws, stack, "both servers UP", lambda: list(servers(stack, alb).values()) == ["UP", "UP"])
    door = balancer.front_door(stack)
    result = {}
    load = threading.Thread(target=lambda: result.update(loadgen.run(door + "/work?ms=20", count=2000, duration=12, concurrency=3, by_header="X-Instance-Id")))
    load.start()
    time.sleep(1)
    aws.asg.terminate_instance_in_auto_scaling_group(InstanceId=victim, ShouldDecrementDesiredCapacity=False)
    (replacement,) = set(aws.instances(group)) - {survivor}
    dataplane.step(aws.moto, stack, None)
    assert servers(stack, alb)["%s_8081" % victim] == "DRAIN"
    assert engine.inspect("container", instances.container_name(stack, victim))[0]["State"]["Running"]  # kept while draining
    sync_until(aws, stack, "the old container gone", lambda: not engine.inspect("container", instances.container_name(stack, victim)))
    sync_until(aws, stack, "the replacement UP", lambda: servers(stack, alb) == {"%s_8081" % survivor: "UP", "%s_8081" % replacement: "UP"})
    load.join(30)
    assert result["requests"] > 50 and result["failures"] == 0, result
    assert set(result["by_header"]["values"]) == {victim, survivor, replacement}
    assert result["by_header"]["values"][victim]["last_s"] < result["by_header"]["values"][replacement]["last_s"]
