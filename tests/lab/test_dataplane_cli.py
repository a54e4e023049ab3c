"""`lab/dataplane.py up|status|down` as `make demo` / `make down` run it: the front door answers, down removes everything."""

import json
import os
import subprocess
import sys
from pathlib import Path

from labkit import http
from plane import engine

import loadgen

CLI = Path(__file__).resolve().parents[2] / "lab" / "dataplane.py"


def cli(moto, *args):
    env = dict(os.environ, **moto.env())
    proc = subprocess.run([sys.executable, str(CLI), *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_up_status_down(aws, stack):
    back_tg = aws.target_group("back", 8081)
    front_tg = aws.target_group("front", 8080)
    aws.group("back", "backend", aws.launch_template("back", "docker run -d -p 8081:8081 %s\n" % engine.registry_ref("hatrading/backend:1.1.0")), 1, [back_tg])
    aws.group(
        "front", "frontend", aws.launch_template("front", "docker run -d -p 8080:8080 %s\n" % engine.registry_ref("hatrading/frontend:1.0.0")), 1, [front_tg]
    )
    aws.load_balancer("int", "internal", [(80, back_tg)])
    aws.load_balancer("pub", "internet-facing", [(80, front_tg)])

    report = json.loads(cli(aws.moto, "up", "--stack", stack, "--json"))
    door = report["front_door"]
    assert door and door.startswith("http://127.0.0.1:")
    assert {(row["tier"], row["health"]) for row in report["instances"]} == {("backend", "healthy"), ("frontend", "healthy")}
    assert engine.inspect("container", engine.postgres_name(stack))[0]["State"]["Running"]
    watcher = int((engine.stack_dir(stack) / "watch.pid").read_text())
    os.kill(watcher, 0)  # the watcher runs

    status, _headers, placed = http(door + "/api/orders", "POST", {"symbol": "ACME", "side": "buy", "price": "3", "quantity": 1})
    assert status == 201
    status, headers, found = http(door + "/api/orders/" + placed["order"]["id"])
    assert status == 200 and found["id"] == placed["order"]["id"] and headers["X-Backend-Version"] == "1.1.0"
    assert http(door + "/api/health")[2]["store"] == "postgresql"
    load = loadgen.run(door + "/api/version", count=30, duration=10, concurrency=2)
    assert load["failures"] == 0

    text = cli(aws.moto, "status", "--stack", stack)
    assert "front door: %s" % door in text and "healthy" in text
    assert cli(aws.moto, "url", "--stack", stack).strip() == door

    cli(aws.moto, "down", "--stack", stack, "--keep-engine")
    assert engine.stack_containers(stack) == []
    assert engine.inspect("network", engine.network_name(stack)) == []
    assert not Path("/proc/%d" % watcher).exists() or "Z" in Path("/proc/%d/stat" % watcher).read_text().rsplit(")", 1)[1].split()[0]
