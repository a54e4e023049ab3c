"""The trading API: /health, /version, POST /orders, GET /orders/{id}, GET /work.

Python standard library only (plus Debian's python3-psycopg2 when DATABASE_URL is set).
SIGTERM: stop accepting, answer 503 on /health, finish the requests in flight, exit 0.

Environment: APP_VERSION (baked into the image), PORT (8080), DATABASE_URL (optional),
INSTANCE_ID (the EC2 instance id the container stands for; defaults to the hostname),
WARMUP_SECONDS (0: /health answers 503 "warming up" for that long after start, as an app
that loads its state before it takes traffic would).
"""

import json
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from orderbook import OrderBook, OrderError, parse_order  # noqa: E402
from store import open_store  # noqa: E402

VERSION = os.environ.get("APP_VERSION", "0.0.0")
INSTANCE = os.environ.get("INSTANCE_ID") or socket.gethostname()
ORDER_PATH = re.compile(r"^/orders/([A-Za-z0-9-]{1,64})$")
MAX_BODY = 64 * 1024


class TradingApp:
    """The book, the store and one lock around both: matching is serialised, I/O is not."""

    def __init__(self, store):
        self.book = OrderBook()
        self.store = store
        self.lock = threading.Lock()
        self.draining = False
        self.started = time.time()
        self.ready_at = self.started + float(os.environ.get("WARMUP_SECONDS") or 0)

    def place(self, payload):
        order = parse_order(payload, str(uuid.uuid4()))
        with self.lock:
            trades = self.book.submit(order)
            touched = [order] + [self.book.get(t.sell_order_id if order.side == "buy" else t.buy_order_id) for t in trades]
            snapshot = [o.as_dict() for o in touched]
            self.store.save(touched, trades)
        return {"order": snapshot[0], "trades": [t.as_dict() for t in trades]}

    def find(self, order_id):
        with self.lock:
            order = self.book.get(order_id)
            if order is not None:
                return order.as_dict()
        return self.store.load(order_id)


class Handler(BaseHTTPRequestHandler):
    server_version = "hatrading-backend/" + VERSION
    timeout = 30  # an idle client cannot hold up shutdown for longer than this

    def log_message(self, fmt, *args):
        if os.environ.get("ACCESS_LOG", "1") == "1":
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Instance-Id", INSTANCE)
        self.send_header("X-App-Version", VERSION)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        app = self.server.app
        path, _sep, query = self.path.partition("?")
        if path == "/health":
            if time.time() < app.ready_at:
                return self._reply(503, {"status": "warming up", "store": app.store.kind, "instance": INSTANCE})
            database = app.store.ping()
            healthy = database and not app.draining
            body = {"status": "ok" if healthy else ("draining" if app.draining else "degraded"), "store": app.store.kind, "instance": INSTANCE}
            return self._reply(200 if healthy else 503, body)
        if path == "/version":
            return self._reply(200, {"version": VERSION, "instance": INSTANCE, "store": app.store.kind})
        if path == "/work":  # simulated work, for drain and shutdown tests: /work?ms=N (at most 5 s)
            match = re.search(r"(?:^|&)ms=(\d{1,5})(?:&|$)", query)
            delay = min(int(match.group(1)) if match else 100, 5000)
            time.sleep(delay / 1000.0)
            return self._reply(200, {"slept_ms": delay, "instance": INSTANCE})
        match = ORDER_PATH.match(path)
        if match:
            order = app.find(match.group(1))
            return self._reply(200, order) if order else self._reply(404, {"error": "order %s not found" % match.group(1)})
        return self._reply(404, {"error": "no route for GET %s" % path})

    def do_POST(self):
        if self.path.partition("?")[0] != "/orders":
            return self._reply(404, {"error": "no route for POST %s" % self.path})
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            return self._reply(400, {"error": "body: expected a JSON object of at most %d bytes" % MAX_BODY})
        try:
            payload = json.loads(self.rfile.read(length))
            return self._reply(201, self.server.app.place(payload))
        except ValueError as exc:  # OrderError is a ValueError, and so is bad JSON
            message = str(exc) if isinstance(exc, OrderError) else "body: not valid JSON"
            return self._reply(400, {"error": message})


class Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for the requests in flight
    block_on_close = True
    allow_reuse_address = True


def main():
    port = int(os.environ.get("PORT", "8080"))
    server = Server(("0.0.0.0", port), Handler)
    server.app = TradingApp(open_store(os.environ.get("DATABASE_URL")))

    def on_term(signum, _frame):
        server.app.draining = True
        sys.stderr.write("signal %d: draining, finishing requests in flight\n" % signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    sys.stderr.write("hatrading backend %s (%s store) on :%d as %s\n" % (VERSION, server.app.store.kind, port, INSTANCE))
    server.serve_forever(poll_interval=0.2)
    server.server_close()  # joins the request threads
    server.app.store.close()
    sys.stderr.write("stopped cleanly\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
