"""The back-end's order book: price-time priority, partial fills, validation (pure, no I/O)."""

import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("hatrading_orderbook", Path(__file__).resolve().parents[2] / "apps" / "backend" / "app" / "orderbook.py")
orderbook = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(orderbook)


def order(book, oid, side, price, quantity, symbol="ACME"):
    new = orderbook.parse_order({"symbol": symbol, "side": side, "price": price, "quantity": quantity}, oid)
    return new, book.submit(new)


def test_no_cross_rests_both_sides():
    book = orderbook.OrderBook()
    _order, trades = order(book, "b1", "buy", "99", 5)
    assert trades == []
    _order, trades = order(book, "s1", "sell", "101", 5)
    assert trades == []
    assert book.depth("ACME") == {"buy": [["99", 5]], "sell": [["101", 5]]}
    assert book.get("b1").status == "open" and book.get("s1").status == "open"


def test_best_price_first_and_trade_at_resting_price():
    book = orderbook.OrderBook()
    order(book, "s-high", "sell", "102", 5)
    order(book, "s-low", "sell", "100", 5)
    incoming, trades = order(book, "b1", "buy", "105", 7)
    assert [(t.sell_order_id, t.price, t.quantity) for t in trades] == [("s-low", Decimal("100"), 5), ("s-high", Decimal("102"), 2)]
    assert incoming.status == "filled" and incoming.remaining == 0
    assert book.get("s-high").remaining == 3 and book.get("s-high").status == "partial"
    assert book.get("s-low").status == "filled"


def test_time_priority_at_one_price():
    book = orderbook.OrderBook()
    order(book, "first", "buy", "50", 3)
    order(book, "second", "buy", "50", 3)
    order(book, "better", "buy", "51", 1)
    _order, trades = order(book, "s1", "sell", "50", 5)
    assert [(t.buy_order_id, t.quantity) for t in trades] == [("better", 1), ("first", 3), ("second", 1)]
    assert book.get("second").remaining == 2
    assert book.depth("ACME")["buy"] == [["50", 2]]


def test_partial_fill_rests_remainder():
    book = orderbook.OrderBook()
    order(book, "b1", "buy", "10", 2)
    incoming, trades = order(book, "s1", "sell", "9.5", 5)
    assert [(t.price, t.quantity) for t in trades] == [(Decimal("10"), 2)]
    assert incoming.status == "partial" and incoming.remaining == 3
    assert book.depth("ACME") == {"buy": [], "sell": [["9.5", 3]]}


def test_sell_does_not_match_lower_bid_and_symbols_are_separate():
    book = orderbook.OrderBook()
    order(book, "b1", "buy", "10", 2)
    order(book, "other", "buy", "20", 2, symbol="XYZ")
    _order, trades = order(book, "s1", "sell", "11", 2)
    assert trades == []
    _order, trades = order(book, "s2", "sell", "15", 1, symbol="xyz")
    assert [(t.buy_order_id, t.symbol) for t in trades] == [("other", "XYZ")]


def test_duplicate_id_rejected():
    book = orderbook.OrderBook()
    order(book, "b1", "buy", "10", 2)
    with pytest.raises(orderbook.OrderError, match="^id:"):
        order(book, "b1", "buy", "10", 2)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "body"),
        ({"side": "buy", "price": "1", "quantity": 1}, "symbol"),
        ({"symbol": "A", "side": "hold", "price": "1", "quantity": 1}, "side"),
        ({"symbol": "A", "side": "buy", "price": "0", "quantity": 1}, "price"),
        ({"symbol": "A", "side": "buy", "price": "abc", "quantity": 1}, "price"),
        ({"symbol": "A", "side": "buy", "price": "NaN", "quantity": 1}, "price"),
        ({"symbol": "A", "side": "buy", "price": "1", "quantity": 0}, "quantity"),
        ({"symbol": "A", "side": "buy", "price": "1", "quantity": 1.5}, "quantity"),
        ({"symbol": "A", "side": "buy", "price": "1", "quantity": True}, "quantity"),
        ({"symbol": "A", "side": "buy", "price": "1.000000001", "quantity": 1}, "price"),
        ({"symbol": "A", "side": "buy", "price": "1e12", "quantity": 1}, "price"),
        ({"symbol": "A", "side": "buy", "price": "1", "quantity": 2**31}, "quantity"),
    ],
)
def test_bad_orders_name_the_field(payload, field):
    with pytest.raises(orderbook.OrderError, match="^%s:" % field):
        orderbook.parse_order(payload, "x")


def test_as_dict_is_json_ready():
    new = orderbook.parse_order({"symbol": " acme ", "side": "sell", "price": 12.25, "quantity": 4}, "o1")
    expected = {"id": "o1", "client_order_id": None, "symbol": "ACME", "side": "sell", "price": "12.25", "quantity": 4, "remaining": 4, "status": "open"}
    assert new.as_dict() == expected


def test_client_order_id_is_kept_and_checked():
    new = orderbook.parse_order({"symbol": "A", "side": "buy", "price": "1", "quantity": 1, "client_order_id": "web-1:a_b.c"}, "o1")
    assert new.as_dict()["client_order_id"] == "web-1:a_b.c"
    for bad in ("", "a b", "x" * 65, 7):
        with pytest.raises(orderbook.OrderError, match="^client_order_id:"):
            orderbook.parse_order({"symbol": "A", "side": "buy", "price": "1", "quantity": 1, "client_order_id": bad}, "o1")


def test_same_request_ignores_ids_and_fills():
    first = orderbook.parse_order({"symbol": "acme", "side": "buy", "price": "10.00", "quantity": 2, "client_order_id": "c"}, "o1")
    retry = orderbook.parse_order({"symbol": "ACME", "side": "buy", "price": 10, "quantity": 2, "client_order_id": "c"}, "o2")
    first.remaining = 0
    assert orderbook.same_request(first, retry)
    retry.quantity = 3
    assert not orderbook.same_request(first, retry)
