"""The per-instance book (BOOK_MODE=local, no database): idempotent client order ids, depth and recent trades."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "apps" / "backend" / "app"))

import books  # noqa: E402


def test_retry_gets_the_first_answer_and_reuse_is_refused():
    book = books.LocalBook()
    first, replayed = book.place({"symbol": "acme", "side": "buy", "price": "10.00", "quantity": 3, "client_order_id": "c1"})
    assert not replayed and first["order"]["status"] == "open"
    book.place({"symbol": "ACME", "side": "sell", "price": "9", "quantity": 3})  # fills it
    again, replayed = book.place({"symbol": "ACME", "side": "buy", "price": "10", "quantity": 3, "client_order_id": "c1"})
    assert replayed and again == first  # the first answer, not the order as it is now
    assert book.find(first["order"]["id"])["status"] == "filled"
    with pytest.raises(books.Conflict, match="^client_order_id: c1 was already used"):
        book.place({"symbol": "ACME", "side": "sell", "price": "10", "quantity": 3, "client_order_id": "c1"})


def test_depth_and_trades_newest_first():
    book = books.LocalBook()
    for side, price, quantity in [("buy", "9", 2), ("buy", "9", 1), ("buy", "8", 4), ("sell", "11", 5), ("sell", "8.5", 2), ("sell", "9", 1)]:
        book.place({"symbol": "X", "side": side, "price": price, "quantity": quantity})
    assert book.depth("x", 10) == {"symbol": "X", "buy": [["8", 4]], "sell": [["11", 5]]}  # both bids at 9 filled
    book.place({"symbol": "X", "side": "buy", "price": "7", "quantity": 1})
    assert book.depth("X", 1) == {"symbol": "X", "buy": [["8", 4]], "sell": [["11", 5]]}
    assert [(t["id"], t["price"], t["quantity"]) for t in book.trades("x", 10)] == [(2, "9", 1), (1, "9", 2)]
    assert book.ping() and book.kind == "memory" and book.mode == "local"


def test_open_book_picks_the_mode():
    assert books.open_book("", None).mode == "local"
    with pytest.raises(SystemExit, match="needs DATABASE_URL"):
        books.open_book("shared", None)
    with pytest.raises(SystemExit, match="expected shared or local"):
        books.open_book("sideways", None)
