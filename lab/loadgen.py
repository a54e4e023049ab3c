"""A bounded load generator for the lab: loopback only, count- and time-limited, JSON report.

    python lab/loadgen.py --url http://127.0.0.1:PORT/api/orders --method POST \\
        --body '{"symbol": "ACME", "side": "buy", "price": "10", "quantity": 1}' \\
        --count 500 --duration 30 --concurrency 4 --by-header X-Backend-Instance

Stops at --count requests or --duration seconds, whichever comes first. With --unique-field
client_order_id each request's JSON body gets its own value of that field (a new order each
time, safe to retry); --acks FILE keeps the 2xx answers as JSON lines, for the invariants
checker (apps/backend/app/invariants.py --acks FILE). Refuses any URL
whose host is not a loopback address. The report: requests, ok, failures, statuses,
errors, latency percentiles (ms), requests per second, and, with --by-header, how many
answers carried each value of that header (which server answered), with the first and
last time (seconds from start) each value was seen.
"""

import argparse
import http.client
import ipaddress
import json
import socket
import sys
import threading
import time
import uuid
from urllib.parse import urlsplit

MAX_COUNT = 100000
MAX_DURATION = 600.0
MAX_CONCURRENCY = 64


class NotLoopback(ValueError):
    pass


def check_loopback(url):
    """Return (host, port, path) if every address the URL's host resolves to is loopback; raise NotLoopback otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise NotLoopback("only http://<loopback>:<port>/... URLs: %r" % url)
    port = parts.port or 80
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NotLoopback("cannot resolve %s: %s" % (parts.hostname, exc)) from None
    addresses = {info[4][0] for info in infos}
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise NotLoopback("refusing %s: resolves to %s, not loopback" % (parts.hostname, ", ".join(sorted(addresses))))
    path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    return sorted(addresses)[0], port, path


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * (len(sorted_values) - 1)))))
    return round(sorted_values[index], 2)


def _parsed(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return {"raw": raw.decode(errors="replace")}


def run(
    url, count=100, duration=10.0, concurrency=2, method="GET", body=None, by_header=None, timeout=5.0, headers=None, stop=None, unique_field=None, acks=None
):
    """Send at most `count` requests for at most `duration` seconds (or until the `stop` event is set); return the report dict.

    unique_field: a field of the JSON body given a new value per request; acks: a list the parsed 2xx answers are appended to.
    """
    if not 0 < count <= MAX_COUNT:
        raise ValueError("count: 1..%d" % MAX_COUNT)
    if not 0 < duration <= MAX_DURATION:
        raise ValueError("duration: up to %.0f s" % MAX_DURATION)
    if not 0 < concurrency <= MAX_CONCURRENCY:
        raise ValueError("concurrency: 1..%d" % MAX_CONCURRENCY)
    host, port, path = check_loopback(url)
    data = body.encode() if isinstance(body, str) else body
    template = json.loads(data) if unique_field else None
    if unique_field and not isinstance(template, dict):
        raise ValueError("unique_field: the body must be a JSON object")
    prefix = "lg-%s" % uuid.uuid4().hex[:10]
    send_headers = dict(headers or {})
    if data is not None:
        send_headers.setdefault("Content-Type", "application/json")
    lock = threading.Lock()
    state = {"issued": 0}
    latencies, statuses, errors, seen = [], {}, {}, {}
    started = time.monotonic()
    deadline = started + duration

    def take():
        with lock:
            if state["issued"] >= count or time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                return False
            state["issued"] += 1
            return state["issued"]

    def worker():
        while True:
            number = take()
            if not number:
                return
            payload = data if template is None else json.dumps(dict(template, **{unique_field: "%s-%d" % (prefix, number)})).encode()
            begin = time.monotonic()
            status, value = None, None
            try:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
                conn.request(method, path, body=payload, headers=send_headers)
                answer = conn.getresponse()
                raw = answer.read()
                status = answer.status
                if acks is not None and 200 <= status < 300:
                    with lock:
                        acks.append(_parsed(raw))
                value = answer.getheader(by_header) if by_header else None
                conn.close()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            elapsed = (time.monotonic() - begin) * 1000.0
            offset = round(begin - started, 3)
            with lock:
                latencies.append(elapsed)
                if status is not None:
                    statuses[str(status)] = statuses.get(str(status), 0) + 1
                if by_header and status is not None:
                    entry = seen.setdefault(value or "", {"count": 0, "first_s": offset, "last_s": offset})
                    entry["count"] += 1
                    entry["last_s"] = max(entry["last_s"], offset)

    threads = [threading.Thread(target=worker, daemon=True) for _worker in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + timeout + 5)
    wall = time.monotonic() - started
    ordered = sorted(latencies)
    ok = sum(n for code, n in statuses.items() if code.startswith(("2", "3")))
    report = {
        "url": url,
        "method": method,
        "requests": len(latencies),
        "ok": ok,
        "failures": len(latencies) - ok,
        "statuses": statuses,
        "errors": errors,
        "duration_s": round(wall, 3),
        "rps": round(len(latencies) / wall, 1) if wall else None,
        "latency_ms": {"p50": percentile(ordered, 0.50), "p90": percentile(ordered, 0.90), "p99": percentile(ordered, 0.99), "max": percentile(ordered, 1.0)},
    }
    if by_header:
        report["by_header"] = {"header": by_header, "values": seen}
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, default=100, help="at most this many requests (<= %d)" % MAX_COUNT)
    parser.add_argument("--duration", type=float, default=10.0, help="at most this many seconds (<= %.0f)" % MAX_DURATION)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body")
    parser.add_argument("--by-header", help="count answers by this response header (e.g. X-Instance-Id)")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--unique-field", help="give this field of the JSON body a new value per request (e.g. client_order_id)")
    parser.add_argument("--acks", help="write the 2xx answers here, one JSON per line")
    args = parser.parse_args(argv)
    acks = [] if args.acks else None
    try:
        report = run(args.url, args.count, args.duration, args.concurrency, args.method, args.body, args.by_header, args.timeout,
                     unique_field=args.unique_field, acks=acks)  # fmt: skip
    except (NotLoopback, ValueError) as exc:
        print(json.dumps({"error": str(exc)}), file=sys.stderr)
        return 2
    if args.acks:
        with open(args.acks, "w") as out:  # noqa: PTH123
            out.writelines(json.dumps(ack) + "\n" for ack in acks)
        report["acks_file"] = args.acks
    print(json.dumps(report, indent=2, sort_keys=True))
    return 0 if report["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
