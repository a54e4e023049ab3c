"""The load generator collects acknowledgements for the invariants checker: a new client order id per request."""

import json
import subprocess
import sys

import appkit
import invariants
import loadgen


def test_loadgen_acks_feed_the_checker(backends, database, tmp_path):
    acks = []
    body = json.dumps({"symbol": "LG", "side": "buy", "price": "10", "quantity": 1})
    report = loadgen.run(backends[0].url + "/orders", count=30, duration=20, concurrency=3, method="POST", body=body, unique_field="client_order_id", acks=acks)
    assert report["statuses"] == {"201": 30} and len(acks) == 30
    assert len({a["order"]["client_order_id"] for a in acks}) == 30  # one new order per request
    assert invariants.check(*invariants.load(database), acks)["ok"]
    path = tmp_path / "acks.jsonl"
    cli = [sys.executable, str(appkit.REPO / "lab" / "loadgen.py"), "--url", backends[1].url + "/orders", "--method", "POST", "--body", body]
    cli += ["--count", "10", "--unique-field", "client_order_id", "--acks", str(path)]
    done = subprocess.run(cli, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["acks_file"] == str(path)
    assert invariants.check(*invariants.load(database), invariants.read_acks(path))["counts"] == {"orders": 40, "trades": 0, "acks": 10, "violations": {}}
