"""The order book's cost: today's per-instance book (BOOK_MODE=local) beside the shared one (BOOK_MODE=shared).

    .venv/bin/python bench/orderbook_bench.py [--orders 2000] [--concurrency 8] [--pairs 20] [--rounds 3] [--door frontend]

For each mode, on a fresh database of one throwaway PostgreSQL (loopback, synchronous commit):
two back-end instances; requests alternate between them as the load balancer does (--door
direct), or go through the front-end and a round-robin in front of the two (--door frontend).
1. crossing pairs: on each of --pairs fresh symbols a buy at 10.00, then a sell at 9.00
   (landing on the other instance): how many matched;
2. load: --concurrency threads send --orders orders (at most --duration seconds) on 20
   symbols, random side, prices around 100, each with a client_order_id: acknowledgement
   latency p50/p99 (ms) and orders/s;
3. the invariants checker over the database, with the acknowledgements collected.
The modes take turns, --rounds times (3), each round on fresh databases; the table gives the
medians. Prints a table and writes every run as JSON (--json, default bench/results-orderbook.json).
Bounded in count and time; loopback only.
"""

import argparse
import json
import random
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "lab"))
sys.path.insert(0, str(REPO / "apps" / "backend" / "app"))

import appkit  # noqa: E402
import invariants  # noqa: E402

MAX_ORDERS = 20000
MAX_DURATION = 120.0


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else round((ordered[middle - 1] + ordered[middle]) / 2, 2)


def percentile(values, fraction):
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))], 2) if ordered else None


class Door:
    """Where orders go: alternately to each back-end, or all to the front-end (which reaches them through a round-robin)."""

    def __init__(self, urls):
        self.urls = urls
        self.turn = 0
        self.lock = threading.Lock()

    def post(self, body):
        with self.lock:
            url, self.turn = self.urls[self.turn % len(self.urls)], self.turn + 1
        return appkit.request(url, "POST", body, timeout=15)


def crossing_pairs(door, pairs):
    matched = 0
    for _pair in range(pairs):
        symbol = "P" + uuid.uuid4().hex[:8].upper()
        door.post({"symbol": symbol, "side": "buy", "price": "10.00", "quantity": 1})
        status, _h, sell = door.post({"symbol": symbol, "side": "sell", "price": "9.00", "quantity": 1})
        matched += status == 201 and len(sell["trades"]) == 1
    return matched


def load(door, orders, concurrency, duration, seed):
    symbols = ["S%02d" % i for i in range(20)]
    issued = {"n": 0}
    lock = threading.Lock()
    latencies, acks, failures = [], [], {}
    deadline = time.monotonic() + duration

    def worker(index):
        rng = random.Random(seed * 1000 + index)
        while True:
            with lock:
                if issued["n"] >= orders or time.monotonic() >= deadline:
                    return
                issued["n"] += 1
                n = issued["n"]
            body = {
                "symbol": rng.choice(symbols),
                "side": rng.choice(("buy", "sell")),
                "price": "%.2f" % rng.uniform(99, 101),
                "quantity": rng.randint(1, 10),
                "client_order_id": "bench-%d-%d" % (seed, n),
            }
            began = time.perf_counter()
            try:
                status, _h, answer = door.post(body)
            except OSError as exc:
                status, answer = type(exc).__name__, None
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                if status == 201:
                    latencies.append(elapsed)
                    acks.append(answer)
                else:
                    failures[str(status)] = failures.get(str(status), 0) + 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - began
    return {
        "orders": len(acks),
        "failures": failures,
        "seconds": round(seconds, 2),
        "orders_per_s": round(len(acks) / seconds, 1),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "trades": sum(len(a["trades"]) for a in acks),
    }, acks


def run_mode(pg, mode, args, round_number):
    url = pg.new_database("bench_%s_%d" % (mode, round_number))
    backends = [appkit.start_backend(url, mode, instance="i-%s-%d" % (mode, i), extra_env={"DB_POOL_SIZE": "16"}) for i in range(2)]
    extra = []
    try:
        if args.door == "frontend":
            balancer = appkit.RoundRobin([b.url for b in backends])
            frontend = appkit.start_frontend(balancer.url)
            extra = [frontend, balancer]
            door = Door([frontend.url + "/api/orders"])
        else:
            door = Door([b.url + "/orders" for b in backends])
        matched = crossing_pairs(door, args.pairs)
        figures, acks = load(door, args.orders, args.concurrency, args.duration, seed=round_number)
        orders, trades = invariants.load(url)
        report = invariants.check(orders, trades, acks)
        figures.update(
            mode=mode,
            round=round_number,
            crossing_pairs=args.pairs,
            crossing_matched=matched,
            crossing_match_rate=round(matched / args.pairs, 3) if args.pairs else None,
            invariants_ok=report["ok"],
            invariant_violations=report["counts"]["violations"],
        )
        return figures
    finally:
        for process in extra + backends:
            process.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders per mode in the load phase (<= %d)" % MAX_ORDERS)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds at most per mode's load phase (<= %.0f)" % MAX_DURATION)
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (<= 64)")
    parser.add_argument("--pairs", type=int, default=20, help="crossing pairs on fresh symbols (<= 500)")
    parser.add_argument("--modes", default="local,shared")
    parser.add_argument("--rounds", type=int, default=3, help="each mode this many times, interleaved; the medians are reported (<= 10)")
    parser.add_argument("--door", choices=("direct", "frontend"), default="direct", help="alternate between back-ends, or front-end + round-robin")
    parser.add_argument("--json", default=str(REPO / "bench" / "results-orderbook.json"))
    args = parser.parse_args(argv)
    bounded = 0 < args.orders <= MAX_ORDERS and 0 < args.duration <= MAX_DURATION and 0 < args.concurrency <= 64
    if not (bounded and 0 <= args.pairs <= 500 and 0 < args.rounds <= 10):
        parser.error("bounds: orders 1..%d, duration up to %.0f s, concurrency 1..64, pairs 0..500, rounds 1..10" % (MAX_ORDERS, MAX_DURATION))
    results = []
    with appkit.Postgres() as pg:
        for round_number in range(1, args.rounds + 1):
            for mode in args.modes.split(","):
                results.append(run_mode(pg, mode, args, round_number))
                sys.stderr.write("round %d %s: %s orders/s\n" % (round_number, mode, results[-1]["orders_per_s"]))
    summary = {}
    for mode in args.modes.split(","):
        runs = [r for r in results if r["mode"] == mode]
        summary[mode] = {
            "orders_per_s": median([r["orders_per_s"] for r in runs]),
            "p50_ms": median([r["p50_ms"] for r in runs]),
            "p99_ms": median([r["p99_ms"] for r in runs]),
            "crossing_matched": sum(r["crossing_matched"] for r in runs),
            "crossing_pairs": sum(r["crossing_pairs"] for r in runs),
            "invariants_ok_runs": sum(r["invariants_ok"] for r in runs),
            "runs": len(runs),
        }
    print("%-7s %5s %9s %9s %10s %10s %s" % ("book", "runs", "p50 ms", "p99 ms", "orders/s", "crossing", "invariants hold"))
    for mode, m in summary.items():
        crossing = "%d/%d" % (m["crossing_matched"], m["crossing_pairs"])
        held = "%d of %d runs" % (m["invariants_ok_runs"], m["runs"])
        print("%-7s %5d %9s %9s %10s %10s %s" % (mode, m["runs"], m["p50_ms"], m["p99_ms"], m["orders_per_s"], crossing, held))
    if "local" in summary and "shared" in summary:
        print("shared/local orders/s (medians): %.2f" % (summary["shared"]["orders_per_s"] / summary["local"]["orders_per_s"]))
    report = {"door": args.door, "concurrency": args.concurrency, "orders": args.orders, "summary": summary, "runs": results}
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
