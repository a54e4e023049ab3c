"""A back-end image update rolled out under load: the collection's modules against moto, real containers behind haproxy.

The data plane runs rounds in a thread (as its watcher does) and reports haproxy's health checks
to moto, so the rolling update's waiters see what an ALB would: a new instance is "initial"
until its container answers, an old one "draining" until its drain is over.
"""

import http.client as http_client
import threading
import time

from labkit import http, wait_until
from plane import balancer, engine, instances

import dataplane
import loadgen


WARMUP = 4  # seconds the new back-end answers 503 on /health after start: longer than the drain (3 s)


def compute_args(stack, backend_version, warmup=0):
    def tier(name, port, image, size, environment=None):
        return {
            "tier": name,
            "load_balancer": {"port": port, "deregistration_delay": 3, "health_check_interval": 5, "health_check_timeout": 2, "healthy_threshold": 2},
            "launch_template": {"image": engine.registry_ref(image), "port": port, "environment": environment or {}},
            "auto_scaling_group": {"min_size": size, "desired_capacity": size, "max_size": size, "instance_refresh": False},
        }

    backend = tier("backend", 8081, "hatrading/backend:%s" % backend_version, 2, {"WARMUP_SECONDS": str(warmup)} if warmup else None)
    frontend = dict(tier("frontend", 8080, "hatrading/frontend:1.0.0", 1), load_balancer_urls={"BACKEND_URL": "backend"})
    return {"stack": stack, "tiers": [backend, frontend]}


class PlaneRounds:
    """dataplane.step every half second in a thread, until stopped; a failed round is kept, not fatal (as in the watcher)."""

    def __init__(self, moto, stack):
        self.moto, self.stack = moto, stack
        self.stop = threading.Event()
        self.errors = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            try:
                dataplane.step(self.moto, self.stack, None)
            except Exception as error:  # noqa: BLE001  (a container racing a round; counted below)
                self.errors.append(repr(error))
            self.stop.wait(0.5)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)


def answers(url):
    """True once the URL answers 200; a listener still starting (reset, refused) is not yet an answer."""
    try:
        return http(url)[0] == 200
    except (OSError, http_client.HTTPException):
        return False


def backend_images(stack):
    return sorted(c["Config"]["Image"] for c in engine.stack_containers(stack, ["label=hatrading.tier=backend"]) if c["State"]["Running"])


def deploy_and_wait(aws, stack, ansible):
    """Network and both tiers with the modules; returns (old back-end instances, front door) once the back-end answers."""
    assert ansible.module("hatrading.aws.stack_network", {"stack": stack, "vpc_cidr": "10.48.0.0/16", "nat_mode": "none", "resilience": "cost"})["rc"] == 0
    built = ansible.module("hatrading.aws.stack_compute", compute_args(stack, "1.0.0"))
    assert built["rc"] == 0, built.get("msg")
    door = wait_until("the front door", lambda: balancer.front_door(stack), timeout=60)
    wait_until("the back-end answering through both ALBs", lambda: answers(door + "/api/version"), timeout=60)
    return members(aws, stack), door


def members(aws, stack):
    groups = aws.asg.describe_auto_scaling_groups(AutoScalingGroupNames=["%s-backend" % stack])["AutoScalingGroups"]
    return sorted(i["InstanceId"] for i in groups[0]["Instances"])


def under_load(door, seconds, stop=None):
    """Start the bounded load generator in a thread (at most `seconds`, or until `stop`); returns (thread, report dict filled when it ends)."""
    report = {}
    load = threading.Thread(
        target=lambda: report.update(
            loadgen.run(door + "/api/version", count=100000, duration=seconds, concurrency=2, by_header="X-Backend-Version", stop=stop)
        )
    )
    load.start()
    time.sleep(2)  # some load on the old version first
    return load, report


def test_backend_roll_under_load_fails_no_request(aws, stack, ansible):
    with PlaneRounds(aws.moto, stack) as plane:
        old, door = deploy_and_wait(aws, stack, ansible)
        # moto now reports what haproxy sees: both old back-ends healthy
        target_group = aws.elbv2.describe_target_groups(Names=["%s-tg-be" % stack])["TargetGroups"][0]["TargetGroupArn"]
        health = aws.elbv2.describe_target_health(TargetGroupArn=target_group)["TargetHealthDescriptions"]
        assert sorted((d["Target"]["Id"], d["TargetHealth"]["State"]) for d in health) == [(i, "healthy") for i in old]

        # 1.1.0 warms up for longer than a drain lasts: only waiting for health keeps requests answered
        updated = ansible.module("hatrading.aws.stack_compute", compute_args(stack, "1.1.0", warmup=WARMUP))
        assert updated["rc"] == 0 and updated["changed"], updated.get("msg")
        done = threading.Event()
        load, report = under_load(door, 150, stop=done)
        began = time.monotonic()
        rolled = ansible.module(
            "hatrading.aws.compute_rolling_update", {"stack": stack, "tiers": ["backend"], "batch_size": 1, "poll_interval": 1, "wait_timeout": 120}
        )
        roll_seconds = time.monotonic() - began
        time.sleep(2)  # and some load on the new version after the roll
        still_loading = load.is_alive()
        done.set()
        load.join(30)
        new_images = [engine.registry_ref("hatrading/backend:1.1.0")] * 2
        wait_until("only 1.1.0 back-end containers left", lambda: backend_images(stack) == new_images, timeout=30, interval=0.5)

    assert rolled["rc"] == 0 and rolled["changed"], rolled.get("msg")
    print("\nroll: %.1f s; load: %s" % (roll_seconds, {k: report.get(k) for k in ("requests", "failures", "statuses", "latency_ms")}))
    assert still_loading, "the load ended before the roll did; it must cover the whole roll"
    assert report["failures"] == 0 and report["requests"] > 200, report
    versions = report["by_header"]["values"]
    assert set(versions) == {"1.0.0", "1.1.0"}, versions
    assert versions["1.0.0"]["last_s"] < versions["1.1.0"]["last_s"]  # the old version stopped answering first
    # what moto and Docker report afterwards: two new instances, both on 1.1.0, and no container of the old ones
    now = members(aws, stack)
    assert len(now) == 2 and set(now).isdisjoint(old)
    assert [engine.inspect("container", instances.container_name(stack, i)) for i in old] == [[], []]
    assert len(plane.errors) <= 2, plane.errors


def test_control_replacing_without_waiting_for_health_fails_requests(aws, stack, ansible):
    """The same update done naively (both old instances terminated, the group replaces them): the load sees failures.

    This is what makes the zero above mean something: the lab does show an outage when one happens.
    """
    with PlaneRounds(aws.moto, stack):
        old, door = deploy_and_wait(aws, stack, ansible)
        assert ansible.module("hatrading.aws.stack_compute", compute_args(stack, "1.1.0", warmup=WARMUP))["rc"] == 0
        load, report = under_load(door, 15)
        for instance_id in old:
            aws.asg.terminate_instance_in_auto_scaling_group(InstanceId=instance_id, ShouldDecrementDesiredCapacity=False)
        load.join(30)
    print("\nnaive replacement: %s" % {k: report.get(k) for k in ("requests", "failures", "statuses")})
    assert report["failures"] > 0, report
