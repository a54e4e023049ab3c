"""A limit order book with price-time priority. Pure: no I/O, no clock, no globals.

Bids match the lowest ask at or below their price, asks match the highest bid at or
above theirs; at one price, the older order fills first. A trade happens at the resting
order's price. What is left of an incoming order rests in the book.
"""

import heapq
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Optional

SIDES = ("buy", "sell")
CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class OrderError(ValueError):
    """An order that cannot enter the book; the message names the field."""


@dataclass
class Order:
    id: str
    symbol: str
    side: str
    price: Decimal
    quantity: int
    remaining: int
    sequence: int = 0
    status: str = "open"  # open, partial, filled
    client_order_id: Optional[str] = None

    def as_dict(self):
        return {
            "id": self.id,
            "client_order_id": self.client_order_id,
            "symbol": self.symbol,
            "side": self.side,
            "price": str(self.price),
            "quantity": self.quantity,
            "remaining": self.remaining,
            "status": self.status,
        }


@dataclass
class Trade:
    buy_order_id: str
    sell_order_id: str
    symbol: str
    price: Decimal
    quantity: int

    def as_dict(self):
        return {
            "buy_order_id": self.buy_order_id,
            "sell_order_id": self.sell_order_id,
            "symbol": self.symbol,
            "price": str(self.price),
            "quantity": self.quantity,
        }


def parse_order(payload, order_id):
    """Validate a request body (a dict) into an Order; raise OrderError naming the bad field."""
    if not isinstance(payload, dict):
        raise OrderError("body: expected a JSON object")
    symbol = payload.get("symbol")
    if not isinstance(symbol, str) or not symbol.strip() or len(symbol) > 16:
        raise OrderError("symbol: expected a non-empty string of at most 16 characters")
    side = payload.get("side")
    if side not in SIDES:
        raise OrderError("side: expected one of %s" % ", ".join(SIDES))
    quantity = payload.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise OrderError("quantity: expected a positive integer")
    try:
        price = Decimal(str(payload.get("price")))
    except (InvalidOperation, ValueError):
        raise OrderError("price: expected a positive number") from None
    if not price.is_finite() or price <= 0:
        raise OrderError("price: expected a positive number")
    if price.as_tuple().exponent < -8 or price >= 10**12:
        raise OrderError("price: at most 12 digits before and 8 after the decimal point")
    if quantity > 2**31 - 1:
        raise OrderError("quantity: at most 2147483647")
    client_order_id = payload.get("client_order_id")
    if client_order_id is not None and (not isinstance(client_order_id, str) or not CLIENT_ORDER_ID.match(client_order_id)):
        raise OrderError("client_order_id: expected 1-64 characters among A-Z a-z 0-9 . _ : -")
    return Order(id=order_id, symbol=symbol.strip().upper(), side=side, price=price, quantity=quantity, remaining=quantity, client_order_id=client_order_id)


def same_request(order, other):
    """True when two orders ask for the same thing (a retry), whatever their ids and fills."""
    return (order.symbol, order.side, order.price, order.quantity) == (other.symbol, other.side, other.price, other.quantity)


@dataclass
class _Side:
    """One side of one symbol: a heap keyed so the best price, then the oldest order, comes first."""

    buy: bool
    heap: list = field(default_factory=list)

    def push(self, order):
        key = -order.price if self.buy else order.price
        heapq.heappush(self.heap, (key, order.sequence, order))

    def best(self):
        while self.heap and self.heap[0][2].remaining == 0:
            heapq.heappop(self.heap)
        return self.heap[0][2] if self.heap else None

    def pop(self):
        heapq.heappop(self.heap)

    def depth(self):
        levels = {}
        for _key, _seq, order in self.heap:
            if order.remaining:
                levels[order.price] = levels.get(order.price, 0) + order.remaining
        return sorted(levels.items(), reverse=self.buy)


class OrderBook:
    """Books for any number of symbols; `submit` matches and returns the trades it made."""

    def __init__(self):
        self._books = {}
        self._orders = {}
        self._sequence = itertools.count(1)

    def _sides(self, symbol):
        if symbol not in self._books:
            self._books[symbol] = {"buy": _Side(buy=True), "sell": _Side(buy=False)}
        return self._books[symbol]

    def submit(self, order):
        if order.id in self._orders:
            raise OrderError("id: order %s already exists" % order.id)
        order.sequence = next(self._sequence)
        sides = self._sides(order.symbol)
        opposite = sides["sell" if order.side == "buy" else "buy"]
        trades = []
        while order.remaining:
            resting = opposite.best()
            if resting is None or not _crosses(order, resting):
                break
            quantity = min(order.remaining, resting.remaining)
            order.remaining -= quantity
            resting.remaining -= quantity
            resting.status = "filled" if resting.remaining == 0 else "partial"
            if resting.remaining == 0:
                opposite.pop()
            buy, sell = (order, resting) if order.side == "buy" else (resting, order)
            trades.append(Trade(buy.id, sell.id, order.symbol, resting.price, quantity))
        if order.remaining == 0:
            order.status = "filled"
        else:
            order.status = "partial" if order.remaining < order.quantity else "open"
            sides[order.side].push(order)
        self._orders[order.id] = order
        return trades

    def get(self, order_id):
        return self._orders.get(order_id)

    def depth(self, symbol):
        sides = self._sides(symbol)
        return {name: [[str(price), qty] for price, qty in side.depth()] for name, side in sides.items()}


def _crosses(incoming, resting):
    if incoming.side == "buy":
        return resting.price <= incoming.price
    return resting.price >= incoming.price
