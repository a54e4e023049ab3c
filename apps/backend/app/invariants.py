"""The order book's invariants, checked on what the database holds (and on what clients were told).

    python apps/backend/app/invariants.py --database-url postgresql://... [--acks acks.jsonl]

Exit 0 when every invariant holds, 1 with a JSON report of the violations otherwise. As a
module: ``check(orders, trades, acks)`` on plain dicts, ``load(url)`` reads them from PostgreSQL.

- overfill: no order has filled more than its quantity (0 <= remaining <= quantity) and its
  status says what is left (open, partial, filled);
- fills: per trade, the buy side and the sell side fill the same quantity: the trade names one
  buy order and one sell order of its symbol, at a price both limits allow, and every order's
  filled quantity (quantity - remaining) is the sum of its trades; per symbol bought == sold;
- acks: every acknowledged order (the 201 answers a client collected) exists as it was
  acknowledged, and so does every trade an acknowledgement reported;
- replay: the orders, replayed in acceptance order (seq) into an empty in-memory book, make
  the same trades in the same order per symbol and leave the same book.
"""

import argparse
import collections
import json
import os
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from orderbook import Order, OrderBook  # noqa: E402

MAX_REPORTED = 20  # per kind: enough to see the pattern, short enough to read


def check(orders, trades, acks=()):
    """Violations of the invariants, as {"ok", "counts", "violations": {kind: [messages]}}.

    orders: dicts with id, seq, symbol, side, price, quantity, remaining, status;
    trades: dicts with buy_order_id, sell_order_id, symbol, price, quantity, in the order they were made (id);
    acks: the answers to accepted POST /orders ({"order": {...}, "trades": [...]}).
    """
    found = collections.defaultdict(list)
    by_id = {o["id"]: o for o in orders}
    _check_orders(orders, found)
    _check_trades(orders, trades, by_id, found)
    _check_acks(acks, trades, by_id, found)
    _check_replay(orders, trades, found)
    violations = {kind: messages[:MAX_REPORTED] for kind, messages in found.items()}
    counts = {"orders": len(orders), "trades": len(trades), "acks": len(acks), "violations": {k: len(v) for k, v in found.items()}}
    return {"ok": not found, "counts": counts, "violations": violations}


def _check_orders(orders, found):
    for o in orders:
        if not 0 <= o["remaining"] <= o["quantity"]:
            found["overfill"].append("order %s: remaining %s of quantity %s" % (o["id"], o["remaining"], o["quantity"]))
        expected = "filled" if o["remaining"] == 0 else ("open" if o["remaining"] == o["quantity"] else "partial")
        if o["status"] != expected:
            found["status"].append("order %s: status %s, but %s of %s remain" % (o["id"], o["status"], o["remaining"], o["quantity"]))


def _check_trades(orders, trades, by_id, found):
    filled = collections.Counter()
    per_symbol = collections.defaultdict(lambda: [0, 0])
    for t in trades:
        label = "trade %s (%s)" % (t.get("id", "?"), t["symbol"])
        buy, sell = by_id.get(t["buy_order_id"]), by_id.get(t["sell_order_id"])
        if t["quantity"] <= 0:
            found["fills"].append("%s: quantity %s" % (label, t["quantity"]))
        if buy is None or sell is None:
            found["fills"].append("%s: order %s missing" % (label, t["buy_order_id"] if buy is None else t["sell_order_id"]))
            continue
        if buy["side"] != "buy" or sell["side"] != "sell":
            found["fills"].append("%s: buy side is a %s order, sell side a %s order" % (label, buy["side"], sell["side"]))
        if not buy["symbol"] == sell["symbol"] == t["symbol"]:
            found["fills"].append("%s: orders of %s and %s" % (label, buy["symbol"], sell["symbol"]))
        price = Decimal(str(t["price"]))
        if not Decimal(str(sell["price"])) <= price <= Decimal(str(buy["price"])):
            found["fills"].append("%s: price %s outside sell %s .. buy %s" % (label, price, sell["price"], buy["price"]))
        filled[buy["id"]] += t["quantity"]
        filled[sell["id"]] += t["quantity"]
    for o in orders:
        side = 0 if o["side"] == "buy" else 1
        per_symbol[o["symbol"]][side] += o["quantity"] - o["remaining"]
        if filled[o["id"]] != o["quantity"] - o["remaining"]:
            found["fills"].append("order %s: filled %s by its record, %s by its trades" % (o["id"], o["quantity"] - o["remaining"], filled[o["id"]]))
        if filled[o["id"]] > o["quantity"]:
            found["overfill"].append("order %s: trades fill %s of quantity %s" % (o["id"], filled[o["id"]], o["quantity"]))
    for symbol, (bought, sold) in sorted(per_symbol.items()):
        if bought != sold:
            found["fills"].append("symbol %s: %s bought, %s sold" % (symbol, bought, sold))


def _trade_key(t):
    return (t["buy_order_id"], t["sell_order_id"], t["symbol"], Decimal(str(t["price"])), t["quantity"])


def _check_acks(acks, trades, by_id, found):
    have = collections.Counter(_trade_key(t) for t in trades)
    told = collections.Counter()
    for ack in acks:
        order = ack["order"]
        told.update(_trade_key(t) for t in ack.get("trades", ()))
        stored = by_id.get(order["id"])
        if stored is None:
            found["acks"].append("acknowledged order %s (%s) does not exist" % (order["id"], order.get("client_order_id")))
            continue
        for field in ("symbol", "side", "quantity", "client_order_id"):
            if field in order and stored.get(field) != order[field]:
                found["acks"].append("order %s: %s %r acknowledged, %r stored" % (order["id"], field, order[field], stored.get(field)))
        if Decimal(str(stored["price"])) != Decimal(str(order["price"])):
            found["acks"].append("order %s: price %s acknowledged, %s stored" % (order["id"], order["price"], stored["price"]))
    for key, count in told.items():
        if have[key] < count:
            found["acks"].append("acknowledged trade %s/%s %s x%s at %s does not exist" % (key[0], key[1], key[2], key[4], key[3]))


def _check_replay(orders, trades, found):
    book = OrderBook()
    replayed = collections.defaultdict(list)
    for o in sorted(orders, key=lambda o: o["seq"]):
        price = Decimal(str(o["price"]))
        order = Order(id=o["id"], symbol=o["symbol"], side=o["side"], price=price, quantity=o["quantity"], remaining=o["quantity"])
        for t in book.submit(order):
            replayed[t.symbol].append(_trade_key(t.as_dict()))
    recorded = collections.defaultdict(list)
    for t in trades:
        recorded[t["symbol"]].append(_trade_key(t))
    for symbol in sorted(set(replayed) | set(recorded)):
        if replayed[symbol] != recorded[symbol]:
            first = next((i for i, (a, b) in enumerate(zip(replayed[symbol], recorded[symbol])) if a != b), min(len(replayed[symbol]), len(recorded[symbol])))
            found["replay"].append(
                "symbol %s: replay makes %d trades, the log has %d; first difference at #%d: replay %s, log %s"
                % (symbol, len(replayed[symbol]), len(recorded[symbol]), first, _at(replayed[symbol], first), _at(recorded[symbol], first))
            )
    for o in orders:
        again = book.get(o["id"])
        if again is not None and again.remaining != o["remaining"]:
            found["replay"].append("order %s: replay leaves %s, the book has %s" % (o["id"], again.remaining, o["remaining"]))


def _at(items, index):
    if index >= len(items):
        return "none"
    buy, sell, _symbol, price, quantity = items[index]
    return "%s/%s x%s at %s" % (buy, sell, quantity, price)


def load(database_url):
    """(orders in acceptance order, trades in the order they were made) from the back-end's PostgreSQL."""
    import psycopg2  # noqa: PLC0415

    conn = psycopg2.connect(database_url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")  # orders and trades from one snapshot
            cur.execute("SELECT id, seq, client_order_id, symbol, side, price, quantity, remaining, status FROM orders ORDER BY seq")
            keys = ("id", "seq", "client_order_id", "symbol", "side", "price", "quantity", "remaining", "status")
            orders = [dict(zip(keys, row)) for row in cur.fetchall()]
            cur.execute("SELECT id, buy_order_id, sell_order_id, symbol, price, quantity FROM trades ORDER BY id")
            keys = ("id", "buy_order_id", "sell_order_id", "symbol", "price", "quantity")
            trades = [dict(zip(keys, row)) for row in cur.fetchall()]
            cur.execute("ROLLBACK")
    finally:
        conn.close()
    return orders, trades


def read_acks(path):
    """Acknowledgements from a file: a JSON list, or one JSON answer per line."""
    text = open(path).read().strip()  # noqa: SIM115, PTH123
    if not text:
        return []
    if text.startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
    parser.add_argument("--acks", help="the acknowledgements a client collected: a JSON list or JSON lines of POST /orders answers")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    orders, trades = load(args.database_url)
    report = check(orders, trades, read_acks(args.acks) if args.acks else [])
    print(json.dumps(report, indent=2, default=str))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
