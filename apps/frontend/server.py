"""The front-end: the static page (a trader's view: order ticket, book, trades, own orders), and /api/*
proxied to BACKEND_URL (the internal load balancer).

Python standard library only. Environment: APP_VERSION, PORT (8080), BACKEND_URL
(for example http://internal-alb:80), INSTANCE_ID. SIGTERM: finish requests in flight, exit 0.
"""

import http.client
import json
import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

VERSION = os.environ.get("APP_VERSION", "0.0.0")
INSTANCE = os.environ.get("INSTANCE_ID") or socket.gethostname()
STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
BACKEND = urlsplit(os.environ.get("BACKEND_URL", "http://127.0.0.1:8081"))
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"}


class Handler(BaseHTTPRequestHandler):
    server_version = "hatrading-frontend/" + VERSION
    timeout = 30

    def log_message(self, fmt, *args):
        if os.environ.get("ACCESS_LOG", "1") == "1":
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def _send(self, status, body, content_type, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Instance-Id", INSTANCE)
        self.send_header("X-App-Version", VERSION)
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status, body):
        self._send(status, json.dumps(body).encode(), "application/json")

    def do_GET(self):
        path = self.path.partition("?")[0]
        if path == "/health":
            return self._json(503 if self.server.draining else 200, {"status": "draining" if self.server.draining else "ok", "instance": INSTANCE})
        if path == "/version":
            return self._json(200, {"version": VERSION, "instance": INSTANCE})
        if path.startswith("/api/"):
            return self._proxy()
        if path in ("/", "/index.html"):
            with open(os.path.join(STATIC, "index.html"), "rb") as page:
                return self._send(200, page.read(), "text/html; charset=utf-8")
        return self._json(404, {"error": "no route for GET %s" % path})

    def do_POST(self):
        if self.path.startswith("/api/"):
            return self._proxy()
        return self._json(404, {"error": "no route for POST %s" % self.path})

    def _proxy(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS and k.lower() != "host"}
        conn = http.client.HTTPConnection(BACKEND.hostname, BACKEND.port or 80, timeout=15)
        try:
            conn.request(self.command, BACKEND.path.rstrip("/") + self.path[len("/api") :], body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        except OSError as exc:
            return self._json(502, {"error": "backend unreachable: %s" % exc})
        finally:
            conn.close()
        passed = [("X-Backend-Instance", answer.getheader("X-Instance-Id", "")), ("X-Backend-Version", answer.getheader("X-App-Version", ""))]
        passed += [(name, answer.getheader(name)) for name in ("Retry-After", "Idempotent-Replay") if answer.getheader(name)]
        self._send(answer.status, data, answer.getheader("Content-Type", "application/octet-stream"), passed)


class Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    draining = False


def main():
    server = Server(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler)

    def on_term(signum, _frame):
        server.draining = True
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    sys.stderr.write("hatrading frontend %s on :%d, /api -> %s\n" % (VERSION, server.server_address[1], BACKEND.geturl()))
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
