"""The invariants checker (apps/backend/app/invariants.py) passes a consistent history and names each kind of damage."""

import copy
import importlib.util
import json
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "apps" / "backend" / "app"
sys.path.insert(0, str(APP))
_SPEC = importlib.util.spec_from_file_location("hatrading_invariants", APP / "invariants.py")
invariants = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(invariants)
orderbook = sys.modules["orderbook"]

FLOW = [  # (id, symbol, side, price, quantity): crosses, partial fills, two symbols, time priority
    ("b1", "ACME", "buy", "10.00", 5),
    ("b2", "ACME", "buy", "10.00", 3),
    ("s1", "ACME", "sell", "9.50", 6),
    ("x1", "XYZ", "sell", "20", 2),
    ("s2", "ACME", "sell", "11", 4),
    ("b3", "ACME", "buy", "12", 5),
    ("x2", "XYZ", "buy", "21", 1),
]


def history():
    """What a correct back-end stores and answers for FLOW: (orders, trades, acks) as plain dicts."""
    book = orderbook.OrderBook()
    orders, trades, acks = [], [], []
    for seq, (oid, symbol, side, price, quantity) in enumerate(FLOW, start=1):
        order = orderbook.parse_order({"symbol": symbol, "side": side, "price": price, "quantity": quantity, "client_order_id": "c-" + oid}, oid)
        made = book.submit(order)
        acks.append({"order": order.as_dict(), "trades": [t.as_dict() for t in made]})
        orders.append(dict(order.as_dict(), seq=seq))
        trades += [dict(t.as_dict(), id=len(trades) + i + 1) for i, t in enumerate(made)]
    for stored in orders:  # the records as they are now, after later fills
        now = book.get(stored["id"])
        stored.update(remaining=now.remaining, status=now.status)
    return orders, trades, acks


def by_id(orders, oid):
    return next(o for o in orders if o["id"] == oid)


def test_consistent_history_passes():
    orders, trades, acks = history()
    assert len(trades) == 4
    report = invariants.check(orders, trades, acks)
    assert report["ok"], report
    assert report["counts"] == {"orders": 7, "trades": 4, "acks": 7, "violations": {}}


def test_overfilled_order_is_caught():
    orders, trades, acks = history()
    trades[0]["quantity"] += 10  # b1 (5) now filled 15 by its trades
    report = invariants.check(orders, trades, acks)
    assert not report["ok"]
    assert any("b1" in m and "quantity 5" in m for m in report["violations"]["overfill"])


def test_negative_remaining_is_caught():
    orders, trades, _acks = history()
    by_id(orders, "s2")["remaining"] = -1
    assert any("s2" in m for m in invariants.check(orders, trades)["violations"]["overfill"])


def test_wrong_status_is_caught():
    orders, trades, _acks = history()
    by_id(orders, "b2")["status"] = "open"  # it was partly filled
    assert invariants.check(orders, trades)["violations"].keys() == {"status"}


def test_unequal_buy_and_sell_fills_are_caught():
    orders, trades, _acks = history()
    by_id(orders, "s1")["remaining"] -= 1  # the sell side recorded one more fill than any trade gave it
    by_id(orders, "s1")["status"] = "partial" if by_id(orders, "s1")["remaining"] else "filled"
    messages = invariants.check(orders, trades)["violations"]["fills"]
    assert any("order s1" in m for m in messages)
    assert any("symbol ACME" in m and "bought" in m for m in messages)


def test_trade_with_two_buy_orders_is_caught():
    orders, trades, _acks = history()
    trades[0]["sell_order_id"] = "b2"
    assert any("sell side a buy order" in m for m in invariants.check(orders, trades)["violations"]["fills"])


def test_trade_at_a_price_outside_the_limits_is_caught():
    orders, trades, _acks = history()
    trades[0]["price"] = "10.50"  # above b1's limit of 10.00
    assert any("outside" in m for m in invariants.check(orders, trades)["violations"]["fills"])


def test_missing_acknowledged_order_is_caught():
    orders, trades, acks = history()
    lost = by_id(orders, "x2")
    orders.remove(lost)
    trades = [t for t in trades if t["buy_order_id"] != "x2"]
    by_id(orders, "x1").update(remaining=2, status="open")  # as if x2 never came
    report = invariants.check(orders, trades, acks)
    assert report["violations"]["acks"][0].startswith("acknowledged order x2 (c-x2) does not exist")
    assert any("acknowledged trade x2/x1" in m for m in report["violations"]["acks"])
    assert invariants.check(orders, trades, acks[:-1])["ok"]  # the same data without that ack is consistent


def test_acknowledged_order_stored_differently_is_caught():
    orders, trades, acks = history()
    acks = copy.deepcopy(acks)
    acks[3]["order"]["price"] = "19"
    assert any("order x1: price 19 acknowledged, 20 stored" in m for m in invariants.check(orders, trades, acks)["violations"]["acks"])


def test_replay_catches_a_match_out_of_priority():
    orders, trades, _acks = history()
    # s1 (6) should fill b1 (5, older) then 1 of b2; a log where b2 went first is self-consistent but out of time priority
    swapped = [t for t in trades if t["sell_order_id"] == "s1"]
    assert [(t["buy_order_id"], t["quantity"]) for t in swapped] == [("b1", 5), ("b2", 1)]
    swapped[0].update(buy_order_id="b2", quantity=3)
    swapped[1].update(buy_order_id="b1", quantity=3)
    b1, b2 = by_id(orders, "b1"), by_id(orders, "b2")
    b1.update(remaining=2, status="partial")
    b2.update(remaining=0, status="filled")
    report = invariants.check(orders, trades)
    assert report["violations"].keys() == {"replay"}, report
    assert any("symbol ACME" in m and "first difference at #0" in m for m in report["violations"]["replay"])


def test_replay_catches_crossing_orders_that_never_matched():
    """Two instances with a book each: a buy at 10 and a sell at 9 rest side by side."""
    orders = [
        {"id": "b", "seq": 1, "symbol": "Q", "side": "buy", "price": "10", "quantity": 1, "remaining": 1, "status": "open"},
        {"id": "s", "seq": 2, "symbol": "Q", "side": "sell", "price": "9", "quantity": 1, "remaining": 1, "status": "open"},
    ]
    report = invariants.check(orders, [])
    assert report["violations"].keys() == {"replay"}
    assert "symbol Q: replay makes 1 trades, the log has 0" in report["violations"]["replay"][0]


def test_read_acks_takes_a_list_or_json_lines(tmp_path):
    _orders, _trades, acks = history()
    (tmp_path / "list.json").write_text(json.dumps(acks))
    (tmp_path / "lines.jsonl").write_text("\n".join(json.dumps(a) for a in acks) + "\n")
    assert invariants.read_acks(tmp_path / "list.json") == acks == invariants.read_acks(tmp_path / "lines.jsonl")


@pytest.mark.parametrize("argv", [[]])
def test_cli_needs_a_database(argv, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as stopped:
        invariants.main(argv)
    assert stopped.value.code == 2
