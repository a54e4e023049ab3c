# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drill's own synthetic order flow: small orders through the front door, each with its own client_order_id.

Bounded: at most ``rate`` orders a second for at most ``max_seconds``, one thread. Each result is
(sent, answered, ok, order id) in monotonic seconds; the stop conditions read its last window, the
report its acknowledgements, and :meth:`lost` asks the front door afterwards for every acknowledged order.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading
import time
import uuid

from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.urls import open_url

MAX_IDS = 200  # the back-end's GET /orders?ids= limit


def _call(url, body=None, timeout=3.0):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    try:
        answer = open_url(url, data=data, method="POST" if data else "GET", headers=headers, timeout=timeout, use_proxy=False)
        return answer.getcode(), json.loads(answer.read() or b"null")
    except HTTPError as error:
        return error.code, None


class OrderFlow(threading.Thread):
    """Orders to ``url`` + /orders (the front door's /api, or a back-end), until stopped or ``max_seconds``."""

    def __init__(self, url, symbol="DRILL", rate=10.0, max_seconds=300, timeout=3.0, clock=time.monotonic):
        super().__init__()
        self.daemon = True
        self.url, self.symbol, self.rate, self.max_seconds, self.timeout = url.rstrip("/"), symbol, float(rate), max_seconds, timeout
        self.clock = clock
        self.results = []  # (sent, answered, ok, order id, status)
        self.halt = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        deadline = self.clock() + self.max_seconds
        gap = 1.0 / self.rate
        side = 0
        while not self.halt.is_set() and self.clock() < deadline:
            sent = self.clock()
            side ^= 1
            # far from any price a user trades at, and never crossing itself: the drill's orders rest
            body = {
                "symbol": self.symbol,
                "side": "buy" if side else "sell",
                "price": "1.00" if side else "999999.00",
                "quantity": 1,
                "client_order_id": uuid.uuid4().hex,
            }
            try:
                status, answer = _call(self.url + "/orders", body, self.timeout)
            except (OSError, ValueError):  # refused, reset or timed out: a failed request
                status, answer = 0, None
            order_id = (answer or {}).get("order", {}).get("id") if status == 201 and isinstance(answer, dict) else None
            with self.lock:
                self.results.append((sent, self.clock(), order_id is not None, order_id, status))
            self.halt.wait(max(0.0, gap - (self.clock() - sent)))

    def stop(self):
        self.halt.set()
        self.join(self.timeout + 5)

    def snapshot(self):
        with self.lock:
            return list(self.results)

    def window(self, seconds, at_least=0):
        """(sent, failed) among the orders sent in the last ``seconds``, or the last ``at_least`` orders if more.

        A front door that slows down sends fewer orders a window; without ``at_least`` its error rate
        would never reach the stop condition's minimum count, however many of them fail.
        """
        since = self.clock() - seconds
        done = self.snapshot()
        recent = [r for r in done if r[0] >= since]
        if len(recent) < at_least:
            recent = done[-at_least:]
        return len(recent), sum(1 for r in recent if not r[2])

    def totals(self, since=None):
        done = [r for r in self.snapshot() if since is None or r[0] >= since]
        failed = sum(1 for r in done if not r[2])
        statuses = {}
        for r in done:
            statuses[str(r[4])] = statuses.get(str(r[4]), 0) + 1
        return {"sent": len(done), "failed": failed, "failed_percent": round(100.0 * failed / len(done), 2) if done else 0.0, "statuses": statuses}

    def acknowledged(self):
        return [r[3] for r in self.snapshot() if r[3]]

    def lost(self, attempts=10, pause=1.0):
        """Acknowledged orders the front door cannot find afterwards; None when it never answered the check."""
        missing = set(self.acknowledged())
        ids = sorted(missing)
        for start in range(0, len(ids), MAX_IDS):
            part = ids[start : start + MAX_IDS]
            for _attempt in range(attempts):
                try:
                    status, answer = _call(self.url + "/orders?ids=" + ",".join(part), timeout=self.timeout)
                except (OSError, ValueError):
                    status, answer = 0, None
                if status == 200:
                    missing -= set(o["id"] for o in answer.get("orders", []))
                    break
                time.sleep(pause)
            else:
                return None
        return sorted(missing)
