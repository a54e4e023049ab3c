"""The two order books the back-end can run (BOOK_MODE):

- ``shared`` (the default with a DATABASE_URL): one book per symbol across every instance. An
  order is matched inside one PostgreSQL transaction that holds the symbol's advisory lock;
  resting orders are rows found through price-time indexes; the order, the fills and the
  trades commit before the answer goes out. Instances keep nothing in memory.
- ``local`` (the default without a database; today's per-instance book, kept for comparison):
  matching in this process's memory, orders saved to PostgreSQL afterwards when there is one.

Both speak the same interface: place, find, find_many, depth, trades, ping, close.
"""

import collections
import json
import threading
import uuid
from decimal import Decimal

from orderbook import Order, OrderBook, OrderError, parse_order, same_request
from store import Unavailable, retry_stale

LOCKSPACE = 8151  # first key of pg_advisory_xact_lock(int, int): the symbol's lock
FETCH = 64  # resting orders read per round trip while an incoming order still has quantity left
ORDER_COLUMNS = "id, client_order_id, symbol, side, price, quantity, remaining, status"
# resting orders an incoming buy (sell) crosses, in the order of the partial index orders_resting_sell (buy), a page at a time
# (keyset); rows are tagged so that one message can also carry a retry's first answer (tag 'ack')
ROW = "%s, " + ORDER_COLUMNS + ", seq, %s FROM orders WHERE "
CROSSING_SELLS = (
    "(SELECT " + ROW % ("'rest'", "NULL::jsonb") + "symbol = %s AND side = 'sell' AND remaining > 0 AND price <= %s"
    " AND (price, seq) > (%s, %s) ORDER BY price, seq LIMIT " + str(FETCH) + ")"
)
CROSSING_BUYS = (
    "(SELECT " + ROW % ("'rest'", "NULL::jsonb") + "symbol = %s AND side = 'buy' AND remaining > 0 AND price >= %s"
    " AND (-price, seq) > (%s, %s) ORDER BY price DESC, seq LIMIT " + str(FETCH) + ")"
)
FIRST_ANSWER = "SELECT " + ROW % ("'ack'", "ack") + "client_order_id = %s UNION ALL "


class Conflict(Exception):
    """A client_order_id already used for a different order (409)."""


def new_order(payload):
    return parse_order(payload, str(uuid.uuid4()))


def answer(order, trades):
    """The acknowledgement of an accepted order: what it was when accepted, and the trades it made."""
    return {"order": order.as_dict(), "trades": [t.as_dict() for t in trades]}


def replay_or_conflict(order, first, first_answer):
    """A retry of an accepted order gets the first answer back; another order under the same client_order_id is refused."""
    if not same_request(order, first):
        raise Conflict("client_order_id: %s was already used for another order (%s)" % (order.client_order_id, first.id))
    return first_answer


class LocalBook:
    """Today's per-instance book: the in-memory OrderBook, then (with a database) a save of what changed."""

    mode = "local"

    def __init__(self, db=None, recent=200):
        self.book = OrderBook()
        self.db = db
        self.kind = db.kind if db else "memory"
        self.lock = threading.Lock()
        self.by_client_id = {}
        self.recent = collections.defaultdict(lambda: collections.deque(maxlen=recent))
        self.trade_ids = 0

    def place(self, payload):
        order = new_order(payload)
        with self.lock:
            first = self.by_client_id.get(order.client_order_id)
            if first is not None:
                return replay_or_conflict(order, first[0], first[1]), True
            trades = self.book.submit(order)
            touched = [order] + [self.book.get(t.sell_order_id if order.side == "buy" else t.buy_order_id) for t in trades]
            result = answer(order, trades)
            if self.db is not None:
                save_local(self.db, touched, trades, result)
            if order.client_order_id:
                self.by_client_id[order.client_order_id] = (order, result)
            for trade in trades:
                self.trade_ids += 1
                self.recent[order.symbol].appendleft(dict(trade.as_dict(), id=self.trade_ids))
        return result, False

    def find(self, order_id):
        with self.lock:
            order = self.book.get(order_id)
            if order is not None:
                return order.as_dict()
        if self.db is None:
            return None
        found = SharedBook(self.db).find_many([order_id])
        return found[0] if found else None

    def find_many(self, ids):
        return [found for found in (self.find(i) for i in ids) if found]

    def depth(self, symbol, levels):
        with self.lock:
            sides = self.book.depth(symbol.upper())
        return {"symbol": symbol.upper(), "buy": sides["buy"][:levels], "sell": sides["sell"][:levels]}

    def trades(self, symbol, limit):
        with self.lock:
            return list(self.recent[symbol.upper()])[:limit]

    def ping(self):
        return self.db.ping() if self.db else True

    def close(self):
        if self.db:
            self.db.close()


def save_local(db, orders, trades, result):
    """The local book's write-behind: upsert the orders a submission touched and record its trades, in one transaction."""
    with db.connection() as conn, conn.cursor() as cur:
        statements = ["BEGIN"]
        for index, order in enumerate(orders):
            ack = json.dumps(result) if index == 0 else None
            statements.append(
                cur.mogrify(
                    "INSERT INTO orders (id, seq, client_order_id, symbol, side, price, quantity, remaining, status, ack)"
                    " VALUES (%s, nextval('order_seq'), %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (id) DO UPDATE SET remaining = EXCLUDED.remaining, status = EXCLUDED.status, updated = now()",
                    (order.id, order.client_order_id, order.symbol, order.side, order.price, order.quantity, order.remaining, order.status, ack),
                ).decode()
            )
        statements += [_insert_trades(cur, trades), "COMMIT"] if trades else ["COMMIT"]
        cur.execute(";\n".join(statements))


class SharedBook:
    """One book for every instance, kept in PostgreSQL: see the module's docstring."""

    mode = "shared"
    kind = "postgresql"

    def __init__(self, db):
        self.db = db

    def place(self, payload):
        order = new_order(payload)
        try:
            return retry_stale(lambda: self._place(order))
        except self.db.psycopg2.errors.UniqueViolation:
            # the same client_order_id committed meanwhile under another symbol's lock
            first = self._first(order.client_order_id)
            if first is None:
                raise
            return replay_or_conflict(order, first[0], first[1]), True

    def _place(self, order):
        with self.db.connection() as conn, conn.cursor() as cur:
            # round trip 1: take the symbol's lock; then, seeing what committed before, a retry's first answer and the best resting orders
            query, first_page = self._crossing_query(order)
            lock = "BEGIN; SELECT pg_advisory_xact_lock(%s, hashtext(%s)); "
            params = (order.symbol, order.price, *first_page)
            if order.client_order_id:
                cur.execute(lock + FIRST_ANSWER + query, (LOCKSPACE, order.symbol, order.client_order_id, *params))
            else:
                cur.execute(lock + query, (LOCKSPACE, order.symbol, *params))
            rows = cur.fetchall()
            first = [row for row in rows if row[0] == "ack"]
            if first:
                cur.execute("ROLLBACK")
                return replay_or_conflict(order, _order(first[0][1:]), first[0][10]), True
            book = OrderBook()
            for resting in self._crossing(cur, order, rows):
                book.submit(resting)
            trades = book.submit(order)
            filled = {t.sell_order_id if order.side == "buy" else t.buy_order_id for t in trades}
            result = answer(order, trades)
            # last round trip: the order, the fills, the trades and COMMIT in one message; an error aborts all of it
            statements = [
                cur.mogrify(
                    "INSERT INTO orders (id, seq, client_order_id, symbol, side, price, quantity, remaining, status, ack)"
                    " VALUES (%s, nextval('order_seq'), %s, %s, %s, %s, %s, %s, %s, %s)",
                    (order.id, order.client_order_id, order.symbol, order.side, order.price, order.quantity, order.remaining, order.status, json.dumps(result)),
                ).decode()
            ]
            if trades:
                rows = [(book.get(oid).id, book.get(oid).remaining, book.get(oid).status) for oid in sorted(filled)]
                values = ",".join(cur.mogrify("(%s, %s, %s)", row).decode() for row in rows)
                statements.append(
                    "UPDATE orders SET remaining = v.remaining, status = v.status, updated = now()"
                    " FROM (VALUES %s) AS v(id, remaining, status) WHERE orders.id = v.id" % values
                )
                statements.append(_insert_trades(cur, trades))
            statements.append("COMMIT")
            conn.committing = True  # from here a lost connection leaves the outcome unknown: no silent retry
            try:
                cur.execute(";\n".join(statements))
            except self.db.psycopg2.errors.UniqueViolation:
                cur.execute("ROLLBACK")
                raise
        return result, False

    @staticmethod
    def _crossing_query(order):
        """The query for resting orders the incoming one crosses, and its keyset start."""
        return (CROSSING_SELLS, (Decimal(0), 0)) if order.side == "buy" else (CROSSING_BUYS, (-Decimal("1e13"), 0))

    def _crossing(self, cur, order, rows):
        """Resting orders on the other side that the incoming one crosses, best first, as many as it can fill (`rows`: the first page)."""
        query, _start = self._crossing_query(order)
        wanted = order.remaining
        while True:
            for row in rows:
                wanted -= row[7]
                yield _order(row[1:])
            if len(rows) < FETCH or wanted <= 0:
                return
            last = (rows[-1][5] if order.side == "buy" else -rows[-1][5], rows[-1][9])
            cur.execute(query, (order.symbol, order.price, *last))
            rows = cur.fetchall()

    def _first(self, client_order_id):
        return retry_stale(lambda: self._first_once(client_order_id))

    def _first_once(self, client_order_id):
        with self.db.connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT " + ORDER_COLUMNS + ", ack FROM orders WHERE client_order_id = %s", (client_order_id,))
            row = cur.fetchone()
        return (_order(row), row[8]) if row else None

    def find(self, order_id):
        found = self.find_many([order_id])
        return found[0] if found else None

    def _read(self, query, params):
        """Rows of one read-only query (run again on a fresh connection if the pooled one was stale)."""

        def once():
            with self.db.connection() as conn, conn.cursor() as cur:
                cur.execute(query, params)
                return cur.fetchall()

        return retry_stale(once)

    def find_many(self, ids):
        rows = self._read("SELECT " + ORDER_COLUMNS + " FROM orders WHERE id = ANY(%s) ORDER BY seq", (list(ids),))
        return [_order(row).as_dict() for row in rows]

    def depth(self, symbol, levels):
        """Price levels with their total quantity, best first, from one snapshot of both sides."""
        rows = self._read(
            "(SELECT 'buy', price, sum(remaining) FROM orders WHERE symbol = %(s)s AND side = 'buy' AND remaining > 0"
            " GROUP BY price ORDER BY price DESC LIMIT %(n)s)"
            " UNION ALL (SELECT 'sell', price, sum(remaining) FROM orders WHERE symbol = %(s)s AND side = 'sell' AND remaining > 0"
            " GROUP BY price ORDER BY price LIMIT %(n)s)",
            {"s": symbol.upper(), "n": levels},
        )
        sides = {"buy": [], "sell": []}
        for side, price, quantity in rows:
            sides[side].append([str(price), int(quantity)])
        return {"symbol": symbol.upper(), **sides}

    def trades(self, symbol, limit):
        rows = self._read(
            "SELECT id, buy_order_id, sell_order_id, symbol, price, quantity, created FROM trades WHERE symbol = %s ORDER BY id DESC LIMIT %s",
            (symbol.upper(), limit),
        )
        keys = ("id", "buy_order_id", "sell_order_id", "symbol", "price", "quantity", "time")
        return [dict(zip(keys, (r[0], r[1], r[2], r[3], str(r[4]), r[5], r[6].isoformat()))) for r in rows]

    def ping(self):
        return self.db.ping()

    def close(self):
        self.db.close()


def _order(row):
    return Order(id=row[0], client_order_id=row[1], symbol=row[2], side=row[3], price=row[4], quantity=row[5], remaining=row[6], status=row[7])


def _insert_trades(cur, trades):
    values = ",".join(cur.mogrify("(%s, %s, %s, %s, %s)", (t.buy_order_id, t.sell_order_id, t.symbol, t.price, t.quantity)).decode() for t in trades)
    return "INSERT INTO trades (buy_order_id, sell_order_id, symbol, price, quantity) VALUES " + values


def open_book(mode, db):
    """BOOK_MODE: shared (needs a database), local, or '' for shared with a database and local without."""
    mode = (mode or ("shared" if db else "local")).lower()
    if mode == "shared":
        if db is None:
            raise SystemExit("BOOK_MODE=shared needs DATABASE_URL")
        return SharedBook(db)
    if mode == "local":
        return LocalBook(db)
    raise SystemExit("BOOK_MODE: expected shared or local, not %r" % mode)


__all__ = ["Conflict", "LocalBook", "OrderError", "SharedBook", "Unavailable", "open_book"]
