"""The embedded AWS for the demo, the tests and the bench: moto server on loopback.

It is moto's own WSGI application with one addition: every AWS API call is recorded
(service, operation, read or mutating), so tests can assert "a rerun made no mutating
call" and the bench can count calls for our modules and for stock modules alike,
without touching either. The record is served at ``/_lab/api-calls`` (GET reads it,
DELETE empties it) and never reaches moto.

    python lab/moto_server.py --port 5000 [--pidfile F]     # foreground
    from moto_server import start_in_thread                 # tests, bench
"""

import argparse
import io
import json
import os
import re
import signal
import sys
import threading
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

CALLS_PATH = "/_lab/api-calls"
READ_PREFIXES = ("Describe", "Get", "List", "Head", "Search", "Lookup", "BatchGet", "Check")
_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/")


def classify(operation):
    """Return "read" or "mutating" for an API operation name (or "METHOD /path" for REST)."""
    if " " in operation:  # REST services: the HTTP method says it
        return "read" if operation.split(" ", 1)[0] in ("GET", "HEAD") else "mutating"
    return "read" if operation.startswith(READ_PREFIXES) else "mutating"


def describe_call(environ, body):
    """Name the service and operation of one request (query, JSON and REST protocols)."""
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = scope.group(1) if scope else "unknown"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return service, target.rsplit(".", 1)[-1]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if not action and body and b"Action=" in body[:4096]:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
    if action:
        return service, action[0]
    return service, "%s %s" % (environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/"))


class RecordingApp:
    """WSGI middleware: records each AWS call, then hands the request to moto unchanged."""

    def __init__(self, app):
        self.app = app
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == CALLS_PATH:
            return self._serve_calls(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        service, operation = describe_call(environ, body)
        with self.lock:
            self.calls.append({"service": service, "operation": operation, "kind": classify(operation)})
        return self.app(environ, start_response)

    def _serve_calls(self, environ, start_response):
        with self.lock:
            if environ["REQUEST_METHOD"] == "DELETE":
                self.calls = []
            payload = json.dumps({"calls": self.calls}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]


class QuietRequestHandler(MotoRequestHandler):
    """One access-log line per AWS call is noise in test and bench output."""

    def log_request(self, *args, **kwargs):
        if os.environ.get("LAB_MOTO_VERBOSE"):
            super().log_request(*args, **kwargs)


def build_server(host="127.0.0.1", port=0):
    app = RecordingApp(DomainDispatcherApplication(create_backend_app))
    return make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)


def start_in_thread(host="127.0.0.1", port=0):
    """Start moto on a free loopback port in a daemon thread; returns (server, endpoint_url)."""
    server = build_server(host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://%s:%d" % server.server_address[:2]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MOTO_PORT", "5000")))
    parser.add_argument("--pidfile")
    args = parser.parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        parser.error("the lab serves AWS on loopback only")
    server = build_server(args.host, args.port)
    if args.pidfile:
        with open(args.pidfile, "w") as handle:
            handle.write("%d\n" % os.getpid())
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("moto server on http://%s:%d" % server.server_address[:2], flush=True)
    try:
        server.serve_forever()
    finally:
        if args.pidfile and os.path.exists(args.pidfile):
            os.unlink(args.pidfile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
