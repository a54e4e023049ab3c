"""The lab's Prometheus: a real one (Debian's) scraping the back-end containers moto's instances map to.

The stack's AMP workspace in moto (the observability tier's) switches it on; a short bounded load of orders goes to
the back-ends on loopback; Prometheus's HTTP API (published on loopback) answers a PromQL query with exactly the
number of orders sent, and holds the observability role's rules.
"""

import time

import pytest
from labkit import http, wait_until
from plane import engine, instances, prometheus

USER_DATA = """#!/bin/bash
docker run -d --init --restart always -p 8081:8081 %s
"""
ORDERS = 40  # the load: bounded in count, a few seconds at most


@pytest.fixture
def observed(aws, stack):
    """Two back-end instances in moto (their containers running) and the stack's AMP workspace."""
    template = aws.launch_template("backend", USER_DATA % engine.registry_ref("hatrading/backend:1.0.0"))
    group = aws.group("backend", "backend", template, 2, [aws.target_group("backend", 8081)])
    instances.reconcile(aws.moto, stack)
    for row in instances.instance_report(stack):
        engine.wait_healthy(row["container"], 60)
    aws.moto.client("amp").create_workspace(alias="%s-prometheus" % stack, tags={"hatrading:stack": stack, "hatrading:tier": "observability"})
    return group


def test_no_workspace_no_prometheus(aws, stack):
    assert prometheus.sync(aws.moto, stack) == {"running": False, "removed": False}
    assert prometheus.url(stack) is None


def test_prometheus_scrapes_the_back_ends_and_answers_promql_after_a_load(observed, aws, stack):
    first = prometheus.sync(aws.moto, stack)
    backends = sorted(row["container"] for row in instances.instance_report(stack))
    assert first["running"] and first["targets"] == ["%s:8081" % name for name in backends]
    assert prometheus.url(stack).startswith("http://127.0.0.1:")
    # a second round changes nothing: same container, same targets
    assert prometheus.sync(aws.moto, stack)["targets_changed"] is False

    def targets_up():
        try:
            active = prometheus.api(stack, "/api/v1/targets")["data"]["activeTargets"]
        except OSError:  # Prometheus still starting
            return None
        return len(active) == 2 and all(t["health"] == "up" for t in active)

    wait_until("both back-ends scraped and up", targets_up, timeout=120, interval=1)

    urls = [row["url"] for row in instances.instance_report(stack)]
    started = time.monotonic()
    for n in range(ORDERS):  # alternate back-ends; every other order crosses the one before it
        order = {"symbol": "PROM", "side": "buy" if n % 2 == 0 else "sell", "price": "10.00", "quantity": 1}
        status, _headers, _body = http(urls[n % 2] + "/orders", "POST", order)
        assert status == 201
    load_seconds = time.monotonic() - started

    def orders_seen():
        answer = prometheus.query(stack, 'sum(hatrading_orders_total{job="backend"})')
        return answer and answer[0][1] == ORDERS and answer

    answer = wait_until("Prometheus to count the %d orders" % ORDERS, orders_seen, timeout=60, interval=1)
    assert answer[0][1] == ORDERS
    up = prometheus.query(stack, 'sum(up{job="backend"})')
    assert up[0][1] == 2
    by_instance = prometheus.query(stack, "sum by (instance_id) (hatrading_orders_total)")
    assert sorted(value for _labels, value in by_instance) == [ORDERS / 2, ORDERS / 2]
    acks = prometheus.query(stack, "sum(hatrading_order_ack_seconds_count)")
    assert acks[0][1] == ORDERS
    rules = prometheus.api(stack, "/api/v1/rules")["data"]["groups"]
    assert sorted(group["name"] for group in rules) == ["trading-alerts", "trading-recording"]
    p99 = prometheus.query(stack, "histogram_quantile(0.99, sum by (le) (rate(hatrading_order_ack_seconds_bucket[1m])))")
    print("\nPromQL after %d orders in %.1f s: sum(hatrading_orders_total) = %s; p99 acknowledgement = %s s" % (ORDERS, load_seconds, answer[0][1], p99))


def test_the_container_goes_with_the_workspace(observed, aws, stack):
    prometheus.sync(aws.moto, stack)
    amp = aws.moto.client("amp")
    for found in amp.list_workspaces(alias="%s-prometheus" % stack)["workspaces"]:
        amp.delete_workspace(workspaceId=found["workspaceId"])
    assert prometheus.sync(aws.moto, stack) == {"running": False, "removed": True}
    assert engine.inspect("container", prometheus.container_name(stack)) == []
