"""The nosql tier's DynamoDB tables, used by the back-end when they are configured (docs/app.md).

- ``MARKET_TABLE`` (``<stack>-market``, key ``symbol``): the last trade and the top of the book of a
  symbol in one item. After each committed order the symbol is marked; a publisher thread reads the
  symbol's state from PostgreSQL (one statement, so one snapshot) and puts it with a condition on its
  ``version`` (the highest order ``seq`` of the symbol in that snapshot: orders of a symbol commit in
  ``seq`` order under its lock), so an older state never overwrites a newer one.
  ``GET /quote/{symbol}`` reads the item (one GetItem) and falls back to PostgreSQL when the table is not
  configured, has no item yet or DynamoDB fails. PostgreSQL stays the source of truth: the order path
  never waits for DynamoDB, and a DynamoDB failure costs a stale quote, never an order.
- ``SESSIONS_TABLE`` (``<stack>-sessions``, key ``session_id``): the trader page's session, with its
  expiry in ``SESSIONS_TTL_ATTRIBUTE`` (``expires_at``, epoch seconds: the table's TTL attribute),
  ``SESSION_TTL_SECONDS`` (8 h) from its last use.

Environment: the two table names and ``AWS_REGION`` (the compute tier sets them from the nosql tier's
names), ``AWS_ENDPOINT_URL`` (the lab's moto; Debian's boto3 1.26 does not read that variable itself),
``DYNAMODB_TIMEOUT`` (seconds per attempt, 1). boto3 is Debian's python3-boto3, needed only when a
table is configured.
"""

import os
import sys
import threading
import time
import uuid

SESSION_ID_CHARS = set("0123456789abcdef")

# One statement, so one snapshot: the symbol's version, best bid and ask with their quantities, last trade.
SNAPSHOT = """WITH bid AS (SELECT price FROM orders WHERE symbol = %(s)s AND side = 'buy' AND remaining > 0 ORDER BY price DESC LIMIT 1),
  ask AS (SELECT price FROM orders WHERE symbol = %(s)s AND side = 'sell' AND remaining > 0 ORDER BY price LIMIT 1),
  last AS (SELECT id, price, quantity, created FROM trades WHERE symbol = %(s)s ORDER BY id DESC LIMIT 1)
SELECT (SELECT max(seq) FROM orders WHERE symbol = %(s)s),
  (SELECT price FROM bid),
  (SELECT sum(remaining) FROM orders WHERE symbol = %(s)s AND side = 'buy' AND remaining > 0 AND price = (SELECT price FROM bid)),
  (SELECT price FROM ask),
  (SELECT sum(remaining) FROM orders WHERE symbol = %(s)s AND side = 'sell' AND remaining > 0 AND price = (SELECT price FROM ask)),
  last.id, last.price, last.quantity, last.created
FROM (SELECT 1) AS one LEFT JOIN last ON true"""


def log(message):
    sys.stderr.write("market: %s\n" % message)


def quote_from_row(symbol, row):
    """The symbol's quote from the SNAPSHOT row: {symbol, version, bid, ask, last_trade} (absent parts None)."""
    version, bid, bid_quantity, ask, ask_quantity, trade_id, price, quantity, created = row
    return {
        "symbol": symbol,
        "version": int(version or 0),
        "bid": {"price": str(bid), "quantity": int(bid_quantity)} if bid is not None else None,
        "ask": {"price": str(ask), "quantity": int(ask_quantity)} if ask is not None else None,
        "last_trade": {"id": int(trade_id), "price": str(price), "quantity": int(quantity), "time": created.isoformat()} if trade_id is not None else None,
    }


def read_quote(db, symbol):
    """The quote as PostgreSQL has it now (the source of truth)."""
    from store import retry_stale  # noqa: PLC0415  (store imports psycopg2: only with a database)

    def once():
        with db.connection() as conn, conn.cursor() as cur:
            cur.execute(SNAPSHOT, {"s": symbol})
            return cur.fetchone()

    return quote_from_row(symbol, retry_stale(once))


def to_item(quote):
    """A quote as a DynamoDB item: prices as strings (kept as given: 10.00 stays 10.00), counts as numbers."""
    item = {"symbol": {"S": quote["symbol"]}, "version": {"N": str(quote["version"])}, "updated_at": {"N": "%.3f" % time.time()}}
    for side in ("bid", "ask"):
        if quote[side]:
            item[side + "_price"] = {"S": quote[side]["price"]}
            item[side + "_quantity"] = {"N": str(quote[side]["quantity"])}
    trade = quote["last_trade"]
    if trade:
        item.update(
            last_trade_id={"N": str(trade["id"])},
            last_price={"S": trade["price"]},
            last_quantity={"N": str(trade["quantity"])},
            last_time={"S": trade["time"]},
        )
    return item


def from_item(item):
    def side(name):
        if name + "_price" not in item:
            return None
        return {"price": item[name + "_price"]["S"], "quantity": int(item[name + "_quantity"]["N"])}

    trade = None
    if "last_trade_id" in item:
        trade = {
            "id": int(item["last_trade_id"]["N"]),
            "price": item["last_price"]["S"],
            "quantity": int(item["last_quantity"]["N"]),
            "time": item["last_time"]["S"],
        }
    return {"symbol": item["symbol"]["S"], "version": int(item["version"]["N"]), "bid": side("bid"), "ask": side("ask"), "last_trade": trade}


def dynamodb_client(env):
    """A DynamoDB client with short timeouts (a slow DynamoDB must not hold a request), or None without boto3."""
    try:
        import boto3  # noqa: PLC0415  (Debian's python3-boto3, only when a table is configured)
        from botocore.config import Config  # noqa: PLC0415
    except ImportError:
        log("MARKET_TABLE/SESSIONS_TABLE set but boto3 is missing: the tables are not used")
        return None
    timeout = float(env.get("DYNAMODB_TIMEOUT") or 1)
    config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 2, "mode": "standard"})
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.session.Session().client("dynamodb", region_name=region, endpoint_url=env.get("AWS_ENDPOINT_URL") or None, config=config)


class MarketTable:
    """The market table: conditional puts of quotes, and reads."""

    def __init__(self, client, table):
        self.client, self.table = client, table

    def put(self, quote):
        """Put the quote unless the table holds the same or a newer version; True if written."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item=to_item(quote),
                ConditionExpression="attribute_not_exists(symbol) OR version < :version",
                ExpressionAttributeValues={":version": {"N": str(quote["version"])}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, symbol):
        item = self.client.get_item(TableName=self.table, Key={"symbol": {"S": symbol}}).get("Item")
        return from_item(item) if item else None


class Publisher:
    """Publishes the quotes of marked symbols, one at a time, off the order path.

    Symbols marked while one is being published are coalesced (one publication carries every order
    committed before its snapshot). A failed publication is tried again after a backoff (0.2 s doubling
    up to 10 s) unless a newer mark came meanwhile.
    """

    def __init__(self, db, market):
        self.db, self.market = db, market
        self.dirty = {}  # symbol -> not before (monotonic seconds)
        self.cond = threading.Condition()
        self.stopping = False
        self.backoff = 0.0
        self.counts = {"published": 0, "stale": 0, "failed": 0}
        self.thread = threading.Thread(target=self._run, name="market-publisher", daemon=True)
        self.thread.start()

    def mark(self, symbol):
        with self.cond:
            self.dirty[symbol] = 0.0
            self.cond.notify()

    def _next(self):
        with self.cond:
            while True:
                if self.stopping and not self.dirty:
                    return None
                now = time.monotonic()
                ready = [s for s, at in self.dirty.items() if at <= now]
                if ready:
                    symbol = min(ready, key=self.dirty.get)
                    del self.dirty[symbol]
                    return symbol
                if self.stopping:  # only symbols waiting for a retry are left: the drain does not wait for them
                    return None
                self.cond.wait(min(self.dirty.values()) - now if self.dirty else None)

    def _run(self):
        while True:
            symbol = self._next()
            if symbol is None:
                return
            try:
                written = self.market.put(read_quote(self.db, symbol))
            except Exception as exc:  # noqa: BLE001  (DynamoDB or PostgreSQL down: PostgreSQL has the orders, try later)
                self.backoff = min(10.0, max(0.2, self.backoff * 2))
                self.counts["failed"] += 1
                if self.counts["failed"] in (1, 10) or self.counts["failed"] % 100 == 0:
                    log("publishing %s failed (%d so far): %s: %s" % (symbol, self.counts["failed"], type(exc).__name__, " ".join(str(exc).split())[:200]))
                with self.cond:
                    self.dirty.setdefault(symbol, time.monotonic() + self.backoff)
                continue
            self.backoff = 0.0
            self.counts["published" if written else "stale"] += 1

    def close(self, timeout=2.0):
        """Publish what is marked (bounded by `timeout`), then stop."""
        with self.cond:
            self.stopping = True
            self.cond.notify()
        self.thread.join(timeout)


class Sessions:
    """The sessions table: a session per trader page, expiring SESSION_TTL_SECONDS after its last use."""

    def __init__(self, client, table, ttl_attribute, ttl_seconds):
        self.client, self.table = client, table
        self.ttl_attribute, self.ttl_seconds = ttl_attribute, ttl_seconds

    def _answer(self, session_id, created, expires):
        return {"session_id": session_id, "created": created, "expires_at": expires, "ttl_seconds": self.ttl_seconds}

    def create(self):
        session_id, now = uuid.uuid4().hex, int(time.time())
        expires = now + self.ttl_seconds
        item = {"session_id": {"S": session_id}, "created": {"N": str(now)}, self.ttl_attribute: {"N": str(expires)}}
        self.client.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(session_id)")
        return self._answer(session_id, now, expires)

    def touch(self, session_id):
        """The session with its expiry moved to now + TTL, or None when it does not exist or has expired.

        DynamoDB deletes expired items only eventually (within days): an item past its expiry is expired.
        """
        now = int(time.time())
        try:
            item = self.client.update_item(
                TableName=self.table,
                Key={"session_id": {"S": session_id}},
                UpdateExpression="SET #expires = :expires",
                ConditionExpression="attribute_exists(session_id) AND #expires > :now",
                ExpressionAttributeNames={"#expires": self.ttl_attribute},
                ExpressionAttributeValues={":expires": {"N": str(now + self.ttl_seconds)}, ":now": {"N": str(now)}},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return self._answer(session_id, int(item["created"]["N"]), int(item[self.ttl_attribute]["N"]))


class Tables:
    """What the back-end uses of the nosql tier: each part None when its table is not configured."""

    def __init__(self, db, env=None):
        env = os.environ if env is None else env
        self.market = self.publisher = self.sessions = None
        market_table, sessions_table = env.get("MARKET_TABLE"), env.get("SESSIONS_TABLE")
        client = dynamodb_client(env) if (market_table or sessions_table) else None
        if client is not None and market_table:
            self.market = MarketTable(client, market_table)
            if db is not None:
                self.publisher = Publisher(db, self.market)
        if client is not None and sessions_table:
            ttl_attribute = env.get("SESSIONS_TTL_ATTRIBUTE") or "expires_at"
            self.sessions = Sessions(client, sessions_table, ttl_attribute, int(env.get("SESSION_TTL_SECONDS") or 8 * 3600))
        self.db = db

    def describe(self):
        return {"market": self.market.table if self.market else None, "sessions": self.sessions.table if self.sessions else None}

    def committed(self, symbol):
        """After an order committed: the symbol's quote is published (never raises, never waits)."""
        if self.publisher is not None:
            self.publisher.mark(symbol)

    def quote(self, symbol):
        """(status, body) of GET /quote/{symbol}: the market table's item, else PostgreSQL's answer."""
        reason = "not configured"
        if self.market is not None:
            try:
                found = self.market.get(symbol)
                if found is not None:
                    return 200, dict(found, source="dynamodb")
                reason = "no item yet"
            except Exception as exc:  # noqa: BLE001  (DynamoDB down or slow: PostgreSQL answers)
                reason = "dynamodb failed: %s" % type(exc).__name__
        if self.db is None:
            return 404, {"error": "quote: needs a database or the market table (%s)" % reason}
        return 200, dict(read_quote(self.db, symbol), source="postgresql", fallback=reason)

    def session(self, session_id=None):
        """(status, body) of POST /sessions (no id) and GET /sessions/{id}."""
        if self.sessions is None:
            return 404, {"error": "sessions: not configured (SESSIONS_TABLE)"}
        try:
            if session_id is None:
                return 201, self.sessions.create()
            if not (len(session_id) == 32 and set(session_id) <= SESSION_ID_CHARS):
                return 404, {"error": "session %s not found" % session_id}
            found = self.sessions.touch(session_id)
        except Exception as exc:  # noqa: BLE001  (the page works without its session)
            return 503, {"error": "sessions: dynamodb failed: %s" % type(exc).__name__, "retry": True}
        return (200, found) if found else (404, {"error": "session %s not found or expired" % session_id})

    def close(self):
        if self.publisher is not None:
            self.publisher.close()
