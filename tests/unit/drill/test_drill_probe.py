"""The synthetic order flow's error-rate window, on results written by hand (no thread, no network)."""

from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import StopConditions
from ansible_collections.hatrading.aws.plugins.module_utils.drill.probe import OrderFlow


def flow_at(now, results):
    flow = OrderFlow("http://127.0.0.1:9", clock=lambda: now)
    flow.results = [(sent, sent + 0.01, ok, "o%d" % n if ok else None, 201 if ok else 500) for n, (sent, ok) in enumerate(results)]
    return flow


def test_the_window_holds_the_orders_of_its_last_seconds():
    flow = flow_at(100.0, [(t, True) for t in range(90, 100)])
    assert flow.window(3.0) == (3, 0)  # sent at 97, 98, 99


def test_a_slow_front_door_is_judged_on_its_last_orders_not_never():
    # one order every 2 s, the last four failing: the 3 s window holds 2, fewer than the 5 the stop condition wants
    flow = flow_at(100.0, [(80.0, True), (82.0, True), (84.0, True), (92.0, False), (94.0, False), (96.0, False), (98.0, False)])
    stop = StopConditions(max_error_rate=0.5, min_requests=5)
    assert stop.breach({}, flow.window(3.0)) is None
    assert flow.window(3.0, at_least=5) == (5, 4)
    assert stop.breach({}, flow.window(3.0, at_least=5)).startswith("synthetic order flow error rate 80.0 %")


def test_a_busy_window_is_not_widened():
    flow = flow_at(100.0, [(t / 10.0, False) for t in range(900, 1000)])
    assert flow.window(3.0, at_least=5) == (30, 30)
