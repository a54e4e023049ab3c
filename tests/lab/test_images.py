"""The app images: built FROM the debootstrapped base, labelled, pushed, healthy as Docker reports, answering on 127.0.0.1."""

import json
import threading
import time
import urllib.request

from labkit import http, published_url, wait_until
from plane import engine


def run(stack, name, image, env=None, aliases=(), port=8080):
    argv = ["run", "-d", "--init", "--name", "%s-%s" % (stack, name), "--network", engine.network_name(stack), "--label", "hatrading.stack=%s" % stack]
    for alias in aliases:
        argv += ["--network-alias", alias]
    for key, value in (env or {}).items():
        argv += ["-e", "%s=%s" % (key, value)]
    argv += ["-p", "127.0.0.1::%d" % port, image]
    engine.docker(*argv)
    return "%s-%s" % (stack, name)


def health(container):
    return engine.inspect("container", container)[0]["State"].get("Health", {}).get("Status")


def test_images_carry_versions_and_are_in_the_registry(lab):
    assert lab["base"]["image"] == engine.BASE_IMAGE
    for version in engine.BACKEND_VERSIONS:
        labels = engine.inspect("image", "hatrading/backend:%s" % version)[0]["Config"]["Labels"]
        assert labels["org.opencontainers.image.version"] == version
    assert engine.inspect("image", "hatrading/frontend:1.0.0")[0]["Config"]["Labels"]["org.opencontainers.image.version"] == "1.0.0"
    # built FROM the imported base: its single layer is the images' first
    base_layer = engine.inspect("image", engine.BASE_IMAGE)[0]["RootFS"]["Layers"][0]
    assert engine.inspect("image", "hatrading/backend:1.1.0")[0]["RootFS"]["Layers"][0] == base_layer
    with urllib.request.urlopen("http://%s/v2/hatrading/backend/tags/list" % engine.REGISTRY, timeout=5) as answer:
        assert set(json.load(answer)["tags"]) >= set(engine.BACKEND_VERSIONS)
    with urllib.request.urlopen("http://%s/v2/hatrading/frontend/tags/list" % engine.REGISTRY, timeout=5) as answer:
        assert "1.0.0" in json.load(answer)["tags"]


def test_backend_runs_healthy_and_trades(stack):
    name = run(stack, "api", engine.registry_ref("hatrading/backend:1.1.0"), {"INSTANCE_ID": "i-test"})
    wait_until("backend healthy as Docker reports it", lambda: health(name) == "healthy")
    url = published_url(name, 8080)
    status, headers, body = http(url + "/version")
    assert (status, body["version"], body["instance"], headers["X-Instance-Id"]) == (200, "1.1.0", "i-test", "i-test")
    assert http(url + "/health")[2]["status"] == "ok"
    status, _headers, sell = http(url + "/orders", "POST", {"symbol": "ACME", "side": "sell", "price": "10.00", "quantity": 5})
    assert status == 201 and sell["trades"] == []
    status, _headers, buy = http(url + "/orders", "POST", {"symbol": "ACME", "side": "buy", "price": "11", "quantity": 3})
    assert status == 201
    assert buy["trades"] == [{"buy_order_id": buy["order"]["id"], "sell_order_id": sell["order"]["id"], "symbol": "ACME", "price": "10.00", "quantity": 3}]
    assert http(url + "/orders/" + sell["order"]["id"])[2]["remaining"] == 2
    assert http(url + "/orders", "POST", {"symbol": "ACME", "side": "buy", "price": "-1", "quantity": 1})[:3:2] == (
        400,
        {"error": "price: expected a positive number"},
    )
    assert http(url + "/orders/nope")[0] == 404


def test_sigterm_finishes_requests_in_flight(stack):
    name = run(stack, "api", "hatrading/backend:1.0.0")
    wait_until("backend healthy", lambda: health(name) == "healthy")
    url = published_url(name, 8080)
    result = {}

    def slow():
        result["answer"] = http(url + "/work?ms=2000", timeout=10)

    caller = threading.Thread(target=slow)
    caller.start()
    time.sleep(0.5)  # the request is in flight (it takes 2 s)
    began = time.monotonic()
    engine.docker("stop", "-t", "20", name)  # SIGTERM through the init, SIGKILL only after 20 s
    stopped_after = time.monotonic() - began
    caller.join(10)
    assert result["answer"][0] == 200 and result["answer"][2]["slept_ms"] == 2000
    state = engine.inspect("container", name)[0]["State"]
    assert state["ExitCode"] == 0 and not state["OOMKilled"]
    assert stopped_after < 10, "the server waited for SIGKILL instead of exiting after the request"
    assert "stopped cleanly" in engine.container_logs(name)


def test_frontend_serves_page_and_proxies_api(stack):
    run(stack, "api", "hatrading/backend:1.0.0", {"INSTANCE_ID": "i-back", "PORT": "8081"}, aliases=("backend.internal",), port=8081)
    front = run(stack, "web", "hatrading/frontend:1.0.0", {"BACKEND_URL": "http://backend.internal:8081", "INSTANCE_ID": "i-front"})
    engine.wait_healthy(front, 30)
    url = published_url(front, 8080)
    status, headers, page = http(url + "/")
    assert status == 200 and "<title>hatrading</title>" in page and headers["Content-Type"].startswith("text/html")
    wait_until("backend reachable through /api", lambda: http(url + "/api/health")[0] == 200)
    status, headers, body = http(url + "/api/orders", "POST", {"symbol": "ACME", "side": "buy", "price": "1", "quantity": 1})
    assert status == 201 and body["order"]["status"] == "open"
    assert (headers["X-Backend-Instance"], headers["X-Instance-Id"]) == ("i-back", "i-front")


def test_backend_persists_to_postgresql(stack):
    engine.ensure_postgres(stack)
    env = {"DATABASE_URL": engine.database_url(stack), "INSTANCE_ID": "i-db"}
    name = run(stack, "api", "hatrading/backend:1.0.0", env)
    wait_until("backend healthy", lambda: health(name) == "healthy", timeout=60)
    url = published_url(name, 8080)
    assert http(url + "/health")[2]["store"] == "postgresql"
    _status, _headers, placed = http(url + "/orders", "POST", {"symbol": "ACME", "side": "sell", "price": "5", "quantity": 2})
    engine.docker("restart", "-t", "10", name)  # a new process: the in-memory book is empty
    wait_until("backend healthy again", lambda: health(name) == "healthy", timeout=60)
    url = published_url(name, 8080)
    status, _headers, found = http(url + "/orders/" + placed["order"]["id"])
    assert status == 200 and found["symbol"] == "ACME" and found["remaining"] == 2
    rows = engine.docker("exec", engine.postgres_name(stack), "psql", "-h", "/tmp", "-U", "trading", "-d", "trading", "-tAc", "SELECT count(*) FROM orders")
    assert rows.strip() == "1"
