"""The back-end's Prometheus metrics, served at GET /metrics in the text exposition format (version 0.0.4).

Standard library only: a few counters and one histogram under one lock, rendered on each scrape.
  hatrading_orders_total{side}          orders accepted (acknowledged with 201; an idempotent replay is not counted again)
  hatrading_order_ack_seconds           time from reading a POST /orders to its acknowledgement, of every answered order
  hatrading_matches_total               trades the accepted orders made
  hatrading_errors_total{kind}          orders refused or failed: invalid (400), conflict (409), unavailable (503), internal (500)
The rules of roles/observability/files/rules/*.yml read these names.
"""

import threading

# Seconds; an order acknowledged in the shared book takes a few milliseconds (one PostgreSQL transaction).
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
ERROR_KINDS = ("invalid", "conflict", "unavailable", "internal")
STATUS_KINDS = {400: "invalid", 409: "conflict", 503: "unavailable", 500: "internal"}
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self, instance):
        self.instance = instance
        self.lock = threading.Lock()
        self.orders = {"buy": 0, "sell": 0}
        self.matches = 0
        self.errors = dict((kind, 0) for kind in ERROR_KINDS)
        self.ack_counts = [0] * len(ACK_BUCKETS)  # per bucket, not cumulative: rendered cumulative
        self.ack_count = 0
        self.ack_sum = 0.0

    def observe_ack(self, seconds):
        with self.lock:
            self.ack_count += 1
            self.ack_sum += seconds
            for index, bound in enumerate(ACK_BUCKETS):
                if seconds <= bound:
                    self.ack_counts[index] += 1
                    break

    def accepted(self, side, trades, seconds, replayed=False):
        with self.lock:
            if not replayed:
                self.orders[side] = self.orders.get(side, 0) + 1
                self.matches += trades
        self.observe_ack(seconds)

    def answered(self, status, seconds, placed=None):
        """One POST /orders answered with ``status``; ``placed`` is (the acknowledgement, replayed) of an accepted order."""
        if status == 201 and placed:
            result, replayed = placed
            self.accepted(result["order"]["side"], len(result.get("trades") or []), seconds, replayed)
        elif status in STATUS_KINDS:
            self.failed(STATUS_KINDS[status])

    def failed(self, kind):
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1

    def render(self):
        """The metrics as Prometheus text: HELP and TYPE lines, then the samples."""
        with self.lock:
            orders, matches, errors = dict(self.orders), self.matches, dict(self.errors)
            counts, total, total_sum = list(self.ack_counts), self.ack_count, self.ack_sum
        lines = ["# HELP hatrading_orders_total Orders accepted, by side.", "# TYPE hatrading_orders_total counter"]
        lines += ['hatrading_orders_total{side="%s"} %d' % (side, orders[side]) for side in sorted(orders)]
        lines += ["# HELP hatrading_matches_total Trades made by the accepted orders.", "# TYPE hatrading_matches_total counter"]
        lines += ["hatrading_matches_total %d" % matches]
        lines += ["# HELP hatrading_errors_total Orders refused or failed, by kind.", "# TYPE hatrading_errors_total counter"]
        lines += ['hatrading_errors_total{kind="%s"} %d' % (kind, errors[kind]) for kind in sorted(errors)]
        lines += ["# HELP hatrading_order_ack_seconds Time to acknowledge an order.", "# TYPE hatrading_order_ack_seconds histogram"]
        cumulative = 0
        for bound, count in zip(ACK_BUCKETS, counts):
            cumulative += count
            lines.append('hatrading_order_ack_seconds_bucket{le="%s"} %d' % (repr(bound), cumulative))
        lines.append('hatrading_order_ack_seconds_bucket{le="+Inf"} %d' % total)
        lines += ["hatrading_order_ack_seconds_sum %r" % total_sum, "hatrading_order_ack_seconds_count %d" % total]
        return "\n".join(lines) + "\n"
