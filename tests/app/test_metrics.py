"""The back-end's GET /metrics: Prometheus text that promtool accepts, counting what the orders really did.

A local-book back-end on loopback (no database needed): a buy and a crossing sell make one match, a replay of the
sell is not counted again, a bad order counts as an invalid error, and the histogram holds every acknowledgement.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab"))

import appkit  # noqa: E402

from metrics import ACK_BUCKETS  # noqa: E402  (apps/backend/app, on the path by conftest)


@pytest.fixture
def backend():
    started = appkit.start_backend(mode="local", instance="i-metrics")
    yield started
    assert started.stop() == 0, started.output()[-2000:]


def samples(text):
    """{'name{labels}': value} of a Prometheus text exposition (comments left out)."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


def scrape(backend):
    status, headers, body = appkit.request(backend.url + "/metrics", raw=True)
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return body.decode()


def test_metrics_count_orders_matches_errors_and_acknowledgements(backend):
    assert samples(scrape(backend))['hatrading_orders_total{side="buy"}'] == 0
    sell = {"symbol": "MTRX", "side": "sell", "price": "9.00", "quantity": 1, "client_order_id": "metrics-sell-1"}
    assert appkit.request(backend.url + "/orders", "POST", {"symbol": "MTRX", "side": "buy", "price": "10.00", "quantity": 1})[0] == 201
    assert appkit.request(backend.url + "/orders", "POST", sell)[0] == 201
    assert appkit.request(backend.url + "/orders", "POST", sell)[0] == 201  # an idempotent replay: no second order, no second match
    assert appkit.request(backend.url + "/orders", "POST", {"symbol": "MTRX", "side": "hold"})[0] == 400
    found = samples(scrape(backend))
    assert found['hatrading_orders_total{side="buy"}'] == 1 and found['hatrading_orders_total{side="sell"}'] == 1
    assert found["hatrading_matches_total"] == 1
    assert found['hatrading_errors_total{kind="invalid"}'] == 1 and found['hatrading_errors_total{kind="internal"}'] == 0
    assert found["hatrading_order_ack_seconds_count"] == 3 == found['hatrading_order_ack_seconds_bucket{le="+Inf"}']
    buckets = [found['hatrading_order_ack_seconds_bucket{le="%r"}' % bound] for bound in ACK_BUCKETS]
    assert buckets == sorted(buckets) and buckets[-1] <= 3  # cumulative
    assert found["hatrading_order_ack_seconds_sum"] > 0


def test_promtool_accepts_the_exposition(backend):
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: install Debian's prometheus package (tools/system-packages.sh)"
    appkit.request(backend.url + "/orders", "POST", {"symbol": "MTRX", "side": "buy", "price": "10.00", "quantity": 1})
    checked = subprocess.run([promtool, "check", "metrics"], input=scrape(backend), capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
