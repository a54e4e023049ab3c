"""The trading API: /health, /version, POST /orders, GET /orders/{id}, GET /orders?ids=,
GET /book/{symbol}, GET /trades/{symbol}, GET /quote/{symbol}, POST /sessions, GET /sessions/{id},
GET /work (see docs/app.md).

Python standard library only (plus Debian's python3-psycopg2 when DATABASE_URL is set).
SIGTERM: stop accepting, answer 503 on /health, finish the requests in flight, exit 0.

Environment: APP_VERSION (baked into the image), PORT (8080), DATABASE_URL (optional),
BOOK_MODE (shared: one book in PostgreSQL for every instance, the default with a database;
local: this process's memory, the default without), INSTANCE_ID (the EC2 instance id the
container stands for; defaults to the hostname), WARMUP_SECONDS (0: /health answers 503
"warming up" for that long after start, as an app that loads its state before it takes
traffic would), DB_* timeouts and pool size (store.py), MARKET_TABLE, SESSIONS_TABLE and AWS_* (market.py: the
nosql tier's DynamoDB tables, used when configured).
"""

import json
import os
import re
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from books import Conflict, open_book  # noqa: E402
from market import Tables  # noqa: E402
from orderbook import OrderError  # noqa: E402
from store import Database, Unavailable  # noqa: E402

VERSION = os.environ.get("APP_VERSION", "0.0.0")
INSTANCE = os.environ.get("INSTANCE_ID") or socket.gethostname()
ORDER_PATH = re.compile(r"^/orders/([A-Za-z0-9-]{1,64})$")
SYMBOL_PATH = re.compile(r"^/(book|trades|quote)/([A-Za-z0-9._-]{1,16})$")
SESSION_PATH = re.compile(r"^/sessions/([A-Za-z0-9-]{1,64})$")
ORDER_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
MAX_BODY = 64 * 1024
MAX_IDS = 200


class TradingApp:
    """The book (shared or local), and the server's own state: draining, warm-up."""

    def __init__(self, book):
        self.book = book
        self.store = book  # .kind and .ping(), as /health reports them
        self.tables = Tables(getattr(book, "db", None))  # the DynamoDB tables, when configured
        self.draining = False
        self.started = time.time()
        self.ready_at = self.started + float(os.environ.get("WARMUP_SECONDS") or 0)


def query_int(query, name, default, low, high):
    match = re.search(r"(?:^|&)%s=(\d{1,6})(?:&|$)" % name, query)
    return max(low, min(high, int(match.group(1)))) if match else default


class Handler(BaseHTTPRequestHandler):
    server_version = "hatrading-backend/" + VERSION
    timeout = 30  # an idle client cannot hold up shutdown for longer than this

    def log_message(self, fmt, *args):
        if os.environ.get("ACCESS_LOG", "1") == "1":
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def _reply(self, status, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Instance-Id", INSTANCE)
        self.send_header("X-App-Version", VERSION)
        for name, value in extra:
            self.send_header(name, value)
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
            return self._reply(200, {"version": VERSION, "instance": INSTANCE, "store": app.store.kind, "book": app.book.mode, "tables": app.tables.describe()})
        if path == "/work":  # simulated work, for drain and shutdown tests: /work?ms=N (at most 5 s)
            match = re.search(r"(?:^|&)ms=(\d{1,5})(?:&|$)", query)
            delay = min(int(match.group(1)) if match else 100, 5000)
            time.sleep(delay / 1000.0)
            return self._reply(200, {"slept_ms": delay, "instance": INSTANCE})
        try:
            return self._read(app, path, query)
        except Unavailable as exc:
            return self._unavailable(exc)
        except Exception as exc:  # noqa: BLE001  (a JSON 500, and the cause in the log)
            return self._failed(exc)

    def _read(self, app, path, query):
        match = ORDER_PATH.match(path)
        if match:
            order = app.book.find(match.group(1))
            return self._reply(200, order) if order else self._reply(404, {"error": "order %s not found" % match.group(1)})
        if path == "/orders":
            ids = [i for i in ",".join(parse_qs(query).get("ids", [])).split(",") if i]
            if not ids or len(ids) > MAX_IDS or not all(ORDER_ID.match(i) for i in ids):
                return self._reply(400, {"error": "ids: expected 1-%d order ids, comma-separated" % MAX_IDS})
            return self._reply(200, {"orders": app.book.find_many(ids)})
        match = SESSION_PATH.match(path)
        if match:
            return self._reply(*app.tables.session(match.group(1)))
        match = SYMBOL_PATH.match(path)
        if match and match.group(1) == "quote":
            return self._reply(*app.tables.quote(match.group(2).upper()))
        if match and match.group(1) == "book":
            return self._reply(200, app.book.depth(match.group(2), query_int(query, "levels", 10, 1, 100)))
        if match:
            return self._reply(200, {"symbol": match.group(2).upper(), "trades": app.book.trades(match.group(2), query_int(query, "limit", 20, 1, 200))})
        return self._reply(404, {"error": "no route for GET %s" % path})

    def _unavailable(self, exc):
        return self._reply(503, {"error": str(exc), "retry": True}, [("Retry-After", "1")])

    def _failed(self, exc):
        sys.stderr.write("%s %s failed: %s: %s\n" % (self.command, self.path, type(exc).__name__, exc))
        return self._reply(500, {"error": "internal error: %s" % type(exc).__name__})

    def do_POST(self):
        if self.path.partition("?")[0] == "/sessions":
            return self._reply(*self.server.app.tables.session())
        if self.path.partition("?")[0] != "/orders":
            return self._reply(404, {"error": "no route for POST %s" % self.path})
        if bad_release():
            return self._reply(500, {"error": "bad release: this build fails every order (BAD_RELEASE, for drills)"})
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            return self._reply(400, {"error": "body: expected a JSON object of at most %d bytes" % MAX_BODY})
        try:
            payload = json.loads(self.rfile.read(length))
            result, replayed = self.server.app.book.place(payload)
        except ValueError as exc:  # OrderError is a ValueError, and so is bad JSON
            message = str(exc) if isinstance(exc, OrderError) else "body: not valid JSON"
            return self._reply(400, {"error": message})
        except Conflict as exc:
            return self._reply(409, {"error": str(exc)})
        except Unavailable as exc:  # nothing was committed, or the outcome is unknown: a retry with the same client_order_id settles it
            return self._unavailable(exc)
        except Exception as exc:  # noqa: BLE001
            return self._failed(exc)
        if not replayed:
            self.server.app.tables.committed(result["order"]["symbol"])
        return self._reply(201, result, [("Idempotent-Replay", "true")] if replayed else [])


def bad_release():
    """A release that passes its health check and fails every order: the drills' bad release (env BAD_RELEASE=1, or the file an FIS SSM action writes)."""
    return os.environ.get("BAD_RELEASE") == "1" or os.path.exists("/tmp/bad-release")


class Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for the requests in flight
    block_on_close = True
    allow_reuse_address = True


def main():
    port = int(os.environ.get("PORT", "8080"))
    server = Server(("0.0.0.0", port), Handler)
    url = os.environ.get("DATABASE_URL")
    server.app = TradingApp(open_book(os.environ.get("BOOK_MODE"), Database(url) if url else None))

    def on_term(signum, _frame):
        server.app.draining = True
        sys.stderr.write("signal %d: draining, finishing requests in flight\n" % signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    sys.stderr.write("hatrading backend %s (%s book, %s store) on :%d as %s\n" % (VERSION, server.app.book.mode, server.app.store.kind, port, INSTANCE))
    server.serve_forever(poll_interval=0.2)
    server.server_close()  # joins the request threads
    server.app.tables.close()  # publishes what is left, within 2 s
    server.app.book.close()
    sys.stderr.write("stopped cleanly\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
