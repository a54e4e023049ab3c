"""A fault proxy between botocore and the lab's moto server, both on loopback (issue 15, sections 4 and 5).

botocore is pointed at the proxy (``AWS_ENDPOINT_URL``); the proxy forwards each request to moto, except
those it chose to fail. Its choices are seeded and its counts bounded, so a fault run is repeatable and
stops injecting by itself:

- ``throttle``: that share of calls answered "slow down" in the form of the call's protocol, without
  reaching moto: ``RequestLimitExceeded`` (EC2, HTTP 503), ``Throttling`` (the other query services and
  CloudFront, HTTP 400), ``ThrottlingException`` (JSON and REST-JSON services, HTTP 400/429), S3
  ``SlowDown`` (HTTP 503);
- ``errors``: that share answered HTTP 500 ``InternalError`` or 503 ``ServiceUnavailable``, without reaching moto;
- ``lose``: ``{operation: [occurrence, ...]}``: those calls (1 = the first call of that operation the proxy
  sees) reach moto and take effect, then the client gets HTTP 500: an answer lost after the call took effect.

A REST call (S3, CloudFront) is named by the operation botocore's model routes it to (``PUT /bucket?policy``
is ``PutBucketPolicy``), so a plan loses REST calls by name too. Random faults stop after ``max_faults``.
The lab's own paths (``/_lab/...``, ``/moto-api/...``) pass untouched. ``GET /_faults`` answers the counts
of what was injected and the mutating calls seen, in order; ``PUT /_faults`` sets a new plan (the same keys
as :class:`FaultPlan`) and empties the counts.

    from faults.proxy import start_proxy
    proxy = start_proxy("http://127.0.0.1:5103", FaultPlan(seed=7, throttle=0.2, errors=0.05))
    os.environ["AWS_ENDPOINT_URL"] = proxy.url
"""

import functools
import http.client
import json
import random
import sys
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab"))
from moto_server import classify  # noqa: E402
from moto_server import describe_call  # noqa: E402  (lab/moto_server.py: the same naming of calls as moto's record)

CONTROL_PATH = "/_faults"
PASS_PREFIXES = ("/_lab/", "/moto-api/")
LOOPBACK = ("127.", "localhost", "::1")
# REST services (no Action, no X-Amz-Target): their error forms
REST_XML_SERVICES = ("s3", "cloudfront")
HOP_HEADERS = ("connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade")


class FaultPlan:
    """What to inject: shares of random throttling and 5xx (seeded, at most ``max_faults``) and lost answers."""

    def __init__(self, seed=0, throttle=0.0, errors=0.0, lose=None, max_faults=5000):
        self.seed = seed
        self.throttle = float(throttle)
        self.errors = float(errors)
        self.lose = dict((operation, set(occurrences)) for operation, occurrences in (lose or {}).items())
        self.max_faults = int(max_faults)

    @classmethod
    def from_dict(cls, settings):
        return cls(**settings)


def _loopback(url):
    host = urlsplit(url).hostname or ""
    if not host.startswith(LOOPBACK):
        raise ValueError("the fault proxy forwards to loopback only, not %s" % url)
    return url


@functools.lru_cache(maxsize=None)
def rest_routes(service):
    """[(method, path template segments, query keys, required headers, operation)] of a REST service, from botocore's model."""
    import botocore.session  # noqa: PLC0415  (only REST calls need the model)

    model = botocore.session.get_session().get_service_model(service)
    routes = []
    for operation in model.operation_names:
        http = model.operation_model(operation).http
        path, _sep, query = http["requestUri"].partition("?")
        keys = frozenset(part.split("=", 1)[0] for part in query.split("&") if part)
        shape = model.operation_model(operation).input_shape
        members = shape.members if shape else {}
        required = frozenset(
            members[name].serialization["name"].lower()
            for name in (shape.required_members if shape else ())
            if members[name].serialization.get("location") == "header"
        )  # CopyObject is PutObject's route plus x-amz-copy-source
        routes.append((http["method"], tuple(segment for segment in path.split("/") if segment), keys, required, operation))
    return routes


def _path_matches(template, segments):
    for index, part in enumerate(template):
        if part.endswith("+}"):  # {Key+}: the rest of the path, one segment at least
            return len(segments) > index
        if index >= len(segments) or (not part.startswith("{") and part != segments[index]):
            return False
    return len(segments) == len(template)


def rest_operation(service, method, path, query, headers=()):
    """The API operation of a REST call (S3, CloudFront...), as botocore's model routes it: "PutBucketPolicy" for
    ``PUT /bucket?policy``. The most specific route wins (the most query keys and required headers, then the most literal segments);
    ``METHOD /path`` when none matches (a service botocore does not know)."""
    try:
        routes = rest_routes(service)
    except Exception:  # pylint: disable=broad-except  # an unknown service: keep moto's naming
        return "%s %s" % (method, path)
    segments = tuple(segment for segment in path.split("/") if segment)
    present = set(part.split("=", 1)[0] for part in query.split("&") if part)
    sent = set(header.lower() for header in headers)
    best = None
    for route_method, template, keys, required, operation in routes:
        if route_method == method and keys <= present and required <= sent and _path_matches(template, segments):
            score = (len(keys), len(required), sum(1 for part in template if not part.startswith("{")))
            if best is None or score > best[0]:
                best = (score, operation)
    return best[1] if best else "%s %s" % (method, path)


def protocol_of(environ, service):
    """query, json, rest-json or rest-xml: the form an error answer must take for this call."""
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    if service in REST_XML_SERVICES:
        return "rest-xml"
    if environ.get("QUERY_STRING", "").find("Action=") >= 0 or environ.get("_has_action"):
        return "query"
    return "rest-json"


def error_answer(service, protocol, code, status, message):
    """(status, headers, body) of an AWS error answer in the call's protocol."""
    request_id = str(uuid.uuid4())
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)], body
    if protocol == "rest-json":
        body = json.dumps({"message": message}).encode()
        return status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", request_id)], body
    if service == "ec2":
        body = "<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>"
        body = body % (code, message, request_id)
    elif service == "s3":
        body = "<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>" % (code, message, request_id)
    else:
        body = "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>"
        body = body % (code, message, request_id)
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()


def throttling_answer(service, protocol):
    if service == "s3":
        return error_answer(service, protocol, "SlowDown", 503, "Please reduce your request rate.")
    if service == "ec2":
        return error_answer(service, protocol, "RequestLimitExceeded", 503, "Request limit exceeded.")
    if protocol == "json":
        return error_answer(service, protocol, "ThrottlingException", 400, "Rate exceeded")
    if protocol == "rest-json":
        return error_answer(service, protocol, "ThrottlingException", 429, "Rate exceeded")
    return error_answer(service, protocol, "Throttling", 400, "Rate exceeded")


def server_error_answer(service, protocol, status):
    code, message = ("InternalError", "We encountered an internal error.") if status == 500 else ("ServiceUnavailable", "Service unavailable.")
    if protocol in ("json", "rest-json"):
        code = "InternalFailure" if status == 500 else "ServiceUnavailableException"
    return error_answer(service, protocol, code, status, message)


class FaultProxy:
    """The proxy's state: the plan, its random generator, the occurrences seen and the counts injected."""

    def __init__(self, upstream, plan=None):
        self.upstream = urlsplit(_loopback(upstream))
        self.lock = threading.Lock()
        self.configure(plan or FaultPlan())
        self.server = None

    def configure(self, plan):
        with self.lock:
            self.plan = plan
            self.random = random.Random(plan.seed)
            self.seen = Counter()  # operation -> calls seen
            self.injected = Counter()  # "throttle" / "500" / "503" / "lost" -> count
            self.by_operation = Counter()  # "kind operation" -> count
            self.calls = 0
            self.mutating = []  # [service, operation] of each mutating call, in order

    def counts(self):
        with self.lock:
            return {
                "calls": self.calls,
                "injected": dict(self.injected),
                "total": sum(self.injected.values()),
                "by_operation": dict(self.by_operation),
                "mutating": list(self.mutating),
            }

    def decide(self, operation, service=None):
        """None (forward), "lost" (forward, then answer 500), "throttle", "500" or "503"."""
        with self.lock:
            self.calls += 1
            if classify(operation) == "mutating":
                self.mutating.append([service, operation])
            self.seen[operation] += 1
            kind = None
            if self.seen[operation] in self.plan.lose.get(operation, ()):
                kind = "lost"
            else:
                draw = self.random.random()  # one draw per call: the sequence depends on the seed and the call order only
                random_faults = sum(self.injected[k] for k in ("throttle", "500", "503"))
                if random_faults < self.plan.max_faults:
                    if draw < self.plan.throttle:
                        kind = "throttle"
                    elif draw < self.plan.throttle + self.plan.errors:
                        kind = "500" if self.random.random() < 0.5 else "503"
            if kind:
                self.injected[kind] += 1
                self.by_operation["%s %s" % (kind, operation)] += 1
            return kind

    def forward(self, method, path, headers, body):
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            return answer.status, [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_HEADERS], answer.read()
        finally:
            connection.close()

    def start(self, host="127.0.0.1", port=0):
        if not host.startswith(LOOPBACK):
            raise ValueError("the fault proxy listens on loopback only")
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # one line per call is noise
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path
                if path.split("?", 1)[0] == CONTROL_PATH:
                    return self._control(body)
                headers = dict(self.headers.items())
                if path.startswith(PASS_PREFIXES):
                    return self._send(*proxy.forward(self.command, path, headers, body))
                environ = {
                    "HTTP_AUTHORIZATION": headers.get("Authorization", ""),
                    "HTTP_X_AMZ_TARGET": headers.get("X-Amz-Target"),
                    "QUERY_STRING": urlsplit(path).query,
                    "REQUEST_METHOD": self.command,
                    "PATH_INFO": urlsplit(path).path,
                    "_has_action": b"Action=" in body[:4096],
                }
                service, operation = describe_call(environ, body)
                if " " in operation:  # a REST call: its API name, so a plan can lose PutBucketPolicy or CreateDistribution
                    operation = rest_operation(service, self.command, environ["PATH_INFO"], environ["QUERY_STRING"], headers)
                kind = proxy.decide(operation, service)
                protocol = protocol_of(environ, service)
                if kind == "throttle":
                    return self._send(*throttling_answer(service, protocol))
                if kind in ("500", "503"):
                    return self._send(*server_error_answer(service, protocol, int(kind)))
                answer = proxy.forward(self.command, path, headers, body)
                if kind == "lost":  # it took effect; the client never learns
                    return self._send(*server_error_answer(service, protocol, 500))
                return self._send(*answer)

            def _control(self, body):
                if self.command in ("PUT", "POST"):
                    proxy.configure(FaultPlan.from_dict(json.loads(body or b"{}")))
                return self._send(200, [("Content-Type", "application/json")], json.dumps(proxy.counts()).encode())

            def _send(self, status, headers, body):
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self):
        return "http://%s:%d" % self.server.server_address[:2]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def start_proxy(upstream, plan=None, host="127.0.0.1", port=0):
    return FaultProxy(upstream, plan).start(host, port)
