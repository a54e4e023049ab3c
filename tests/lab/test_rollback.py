"""A bad release rolled out under load is detected during its bake and rolled back by itself; real containers behind haproxy.

The bad release (BAD_RELEASE=1: it passes its health check and answers 500 on every order) goes out
with compute_rolling_update, batch 1, a bake of 30 s watched through the front door's orders.
Measured: the time from the first bad answer to the bad host's removal, the requests that failed
meanwhile (lab/loadgen.py and the roll's own orders), and every instance back on the good version.
HATRADING_DRILL_SCALE=full (`make drill`) bounds the load at 240 s, the default small scale (`make test`)
at 150 s; the load stops when the roll ends either way, and the assertions are the same.

    LAB_DIR=/work/lab-shared make drill        # or: .venv/bin/pytest -q -s tests/lab/test_rollback.py
"""

import json
import os
import threading
import time

from labkit import wait_until
from plane import engine
from test_rolling_update import PlaneRounds, backend_images, compute_args, deploy_and_wait

import loadgen

LOAD_SECONDS = {"small": 150, "full": 240}[os.environ.get("HATRADING_DRILL_SCALE", "small")]


def backend_envs(stack):
    found = []
    for container in engine.stack_containers(stack, ["label=hatrading.tier=backend"]):
        if container["State"]["Running"]:
            found.append("BAD_RELEASE=1" in (container["Config"].get("Env") or []))
    return found


def test_bad_release_rolled_back_by_itself_under_load(aws, stack, ansible):
    with PlaneRounds(aws.moto, stack):
        _old, door = deploy_and_wait(aws, stack, ansible)
        bad = compute_args(stack, "1.0.0")
        bad["tiers"][0]["launch_template"]["environment"] = {"BAD_RELEASE": "1"}
        assert ansible.module("hatrading.aws.stack_compute", bad)["changed"]

        stop, acks, load_report = threading.Event(), [], {}
        body = json.dumps({"symbol": "LOAD", "side": "buy", "price": "1.00", "quantity": 1, "client_order_id": "x"})
        load = threading.Thread(
            target=lambda: load_report.update(
                loadgen.run(
                    door + "/api/orders",
                    count=20000,
                    duration=LOAD_SECONDS,
                    concurrency=1,
                    method="POST",
                    body=body,
                    stop=stop,
                    unique_field="client_order_id",
                    acks=acks,
                )
            )
        )
        load.start()
        began = time.monotonic()
        try:
            args = {"stack": stack, "tiers": ["backend"], "batch_size": 1, "poll_interval": 1, "wait_timeout": 120, "bake_time": 30}
            rolled = ansible.module(
                "hatrading.aws.compute_rolling_update", dict(args, order_url=door + "/api", order_rate=5, max_error_rate=0.1, min_requests=5)
            )
        finally:
            seconds = time.monotonic() - began
            stop.set()
            load.join(30)
        wait_until("two good back-ends", lambda: backend_envs(stack) == [False, False], timeout=60, interval=0.5)
        images = backend_images(stack)

    back = rolled.get("tiers", {}).get("backend", {}).get("rollback") or {}
    figure = {
        "rolled_back": bool(back),
        "hosts": back.get("hosts"),
        "reason": back.get("reason"),
        "first_bad_answer_to_rollback_s": back.get("first_bad_answer_to_rollback_s"),
        "detected_to_rollback_s": back.get("detected_to_rollback_s"),
        "roll_requests": rolled.get("requests"),
        "load_requests": load_report.get("requests"),
        "load_failures": load_report.get("failures"),
        "load_statuses": load_report.get("statuses"),
        "module_seconds": round(seconds, 1),
    }
    print("\nrollback: %s" % json.dumps(figure))
    assert rolled["rc"] != 0 and "rolled back to launch template version" in rolled["msg"], rolled.get("msg")
    assert back["version"] != back["bad_version"] and len(back["hosts"]) == 1
    assert back["first_bad_answer_to_rollback_s"] is not None and back["first_bad_answer_to_rollback_s"] < 30, figure
    assert images == [engine.registry_ref("hatrading/backend:1.0.0")] * 2
