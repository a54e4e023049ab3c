"""PostgreSQL access for the back-end: a small connection pool that survives a failover.

Every wait is bounded: connecting (DB_CONNECT_TIMEOUT, 2 s), a statement or a lock
(DB_STATEMENT_TIMEOUT_MS, 5000), a dead peer (TCP keepalives and tcp_user_timeout), a free
connection (DB_POOL_WAIT, 5 s). A connection error throws away every idle connection (after a
failover they all point at the old primary) and raises Unavailable; the next request
reconnects, after a backoff that doubles from 50 ms up to DB_RETRY_MAX (1 s) while the
database stays unreachable, so requests meanwhile get a fast 503 instead of piling up.
"""

import os
import threading
import time

SCHEMA_LOCK = 4242  # pg_advisory_xact_lock key: instances starting together create the schema once

# Orders in acceptance order (seq, taken under the symbol's lock), resting orders found by two
# partial indexes in price-time priority, and the first answer kept for idempotent retries.
SCHEMA = (
    "CREATE SEQUENCE IF NOT EXISTS order_seq",
    """CREATE TABLE IF NOT EXISTS orders (
        id text PRIMARY KEY,
        seq bigint NOT NULL UNIQUE,
        client_order_id text UNIQUE,
        symbol text NOT NULL,
        side text NOT NULL CHECK (side IN ('buy', 'sell')),
        price numeric NOT NULL CHECK (price > 0),
        quantity integer NOT NULL CHECK (quantity > 0),
        remaining integer NOT NULL CHECK (remaining >= 0 AND remaining <= quantity),
        status text NOT NULL,
        ack jsonb,
        created timestamptz NOT NULL DEFAULT now(),
        updated timestamptz NOT NULL DEFAULT now())""",
    "CREATE INDEX IF NOT EXISTS orders_resting_buy ON orders (symbol, price DESC, seq) WHERE side = 'buy' AND remaining > 0",
    "CREATE INDEX IF NOT EXISTS orders_resting_sell ON orders (symbol, price, seq) WHERE side = 'sell' AND remaining > 0",
    "CREATE INDEX IF NOT EXISTS orders_symbol_seq ON orders (symbol, seq)",  # a symbol's latest seq: the market table's version (market.py)
    """CREATE TABLE IF NOT EXISTS trades (
        id bigserial PRIMARY KEY,
        buy_order_id text NOT NULL,
        sell_order_id text NOT NULL,
        symbol text NOT NULL,
        price numeric NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        created timestamptz NOT NULL DEFAULT now())""",
    "CREATE INDEX IF NOT EXISTS trades_symbol ON trades (symbol, id)",
)

# The first release kept each order as one jsonb `body`: such tables are renamed out of the way.
LEGACY = """DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'orders' AND column_name = 'body') THEN
    ALTER TABLE orders RENAME TO orders_v1;
    ALTER INDEX IF EXISTS orders_pkey RENAME TO orders_v1_pkey;
    IF EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'trades') THEN
      ALTER TABLE trades RENAME TO trades_v1;
      ALTER INDEX IF EXISTS trades_pkey RENAME TO trades_v1_pkey;
    END IF;
  END IF;
END $$"""


class Unavailable(Exception):
    """The database cannot be reached (or is read-only) now: answer 503, the client may retry.

    ``retry_safe``: the connection was an idle one from the pool that turned out dead (the server
    restarted or failed over meanwhile) and nothing that could commit had been sent on it, so the
    caller may run the whole unit again at once on a fresh connection.
    """

    def __init__(self, message, retry_safe=False):
        super().__init__(message)
        self.retry_safe = retry_safe


def retry_stale(work):
    """Run `work()`; if it failed on a stale pooled connection before anything could commit, run it once more."""
    try:
        return work()
    except Unavailable as exc:
        if not exc.retry_safe:
            raise
    return work()


def _env_float(name, default):
    return float(os.environ.get(name) or default)


class Database:
    """A bounded pool of psycopg2 connections in autocommit mode (transactions are explicit BEGIN ... COMMIT)."""

    kind = "postgresql"

    def __init__(self, url, size=None):
        import psycopg2  # noqa: PLC0415  (Debian python3-psycopg2, needed only with a DATABASE_URL)
        import psycopg2.errors  # noqa: PLC0415

        self.psycopg2 = psycopg2
        self.factory = type("PooledConnection", (psycopg2.extensions.connection,), {"reused": False, "committing": False})
        self.url = url
        self.size = int(size or os.environ.get("DB_POOL_SIZE") or 16)
        self.pool_wait = _env_float("DB_POOL_WAIT", 5.0)
        self.retry_max = _env_float("DB_RETRY_MAX", 1.0)
        statement_ms = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS") or 5000)
        self.connect_args = {
            "connect_timeout": max(2, int(_env_float("DB_CONNECT_TIMEOUT", 2))),
            # a standby or a demoted primary is refused at connect time, so writes go to the primary only
            "target_session_attrs": "read-write",
            "keepalives": 1,
            "keepalives_idle": 2,
            "keepalives_interval": 1,
            "keepalives_count": 3,
            "tcp_user_timeout": statement_ms,
            "options": "-c statement_timeout=%d -c lock_timeout=%d -c idle_in_transaction_session_timeout=%d" % (statement_ms, statement_ms, 2 * statement_ms),
        }
        # errors after which a connection is not worth keeping: lost, shut down, or read-only (a demoted primary)
        self.fatal = (psycopg2.OperationalError, psycopg2.InterfaceError, psycopg2.errors.ReadOnlySqlTransaction)
        # ... except our own timeouts: the server is there, just busy (these are OperationalErrors too)
        self.busy = (psycopg2.errors.QueryCanceled, psycopg2.errors.LockNotAvailable)
        self.idle = []
        self.slots = threading.BoundedSemaphore(self.size)
        self.lock = threading.Lock()
        self.retry_at = 0.0
        self.backoff = 0.0
        self.schema_ready = False
        self.reconnects = 0
        self.last_error = None

    def _connect(self):
        now = time.monotonic()
        with self.lock:
            if now < self.retry_at:
                raise Unavailable("database unreachable (%s); next try in %.2f s" % (self.last_error, self.retry_at - now))
        try:
            conn = self.psycopg2.connect(self.url, connection_factory=self.factory, **self.connect_args)
            conn.autocommit = True
            if not self.schema_ready:
                self._ensure_schema(conn)
        except self.psycopg2.Error as exc:
            with self.lock:
                self.backoff = min(self.retry_max, max(0.05, self.backoff * 2))
                self.retry_at = time.monotonic() + self.backoff
                self.last_error = _one_line(exc)
            raise Unavailable("database unreachable: %s" % _one_line(exc)) from None
        with self.lock:
            self.backoff = 0.0
            self.reconnects += 1
        return conn

    def _ensure_schema(self, conn):
        with conn.cursor() as cur:
            cur.execute("BEGIN")
            try:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                cur.execute(LEGACY)
                for statement in SCHEMA:
                    cur.execute(statement)
                cur.execute("COMMIT")
            except BaseException:
                conn.close()
                raise
        self.schema_ready = True

    def connection(self):
        return _Lease(self)

    def _take(self):
        if not self.slots.acquire(timeout=self.pool_wait):
            raise Unavailable("database busy: no free connection within %.1f s" % self.pool_wait)
        with self.lock:
            conn = self.idle.pop() if self.idle else None
        if conn is None or conn.closed:
            try:
                conn = self._connect()
            except BaseException:
                self.slots.release()
                raise
        else:
            conn.reused = True
        conn.committing = False
        return conn

    def _give_back(self, conn, broken):
        try:
            if broken or conn.closed:
                conn.close()
                with self.lock:  # the others very likely point at the same dead server
                    stale, self.idle = self.idle, []
                for other in stale:
                    other.close()
            else:
                with self.lock:
                    self.idle.append(conn)
        finally:
            self.slots.release()

    def ping(self):
        def once():
            with self.connection() as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
            return True

        try:
            return retry_stale(once)
        except Unavailable:
            return False

    def close(self):
        with self.lock:
            idle, self.idle = self.idle, []
        for conn in idle:
            conn.close()


class _Lease:
    """`with db.connection() as conn:` a pooled connection; a connection error becomes Unavailable.

    Set ``conn.committing = True`` before sending what may commit: a failure after that is never retry_safe.
    """

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.conn = self.db._take()
        return self.conn

    def __exit__(self, exc_type, exc, _tb):
        busy = exc is not None and isinstance(exc, self.db.busy)
        broken = exc is not None and isinstance(exc, self.db.fatal) and not busy
        if exc is not None and not broken and not self.conn.closed:
            try:  # an error inside an explicit transaction: end it before the connection is reused
                self.conn.cursor().execute("ROLLBACK")
            except self.db.psycopg2.Error:
                broken = True
        self.db._give_back(self.conn, broken)
        if busy and not broken:
            raise Unavailable("database busy: %s" % _one_line(exc)) from None
        if broken:
            self.db.last_error = _one_line(exc)
            retry_safe = self.conn.reused and not self.conn.committing
            raise Unavailable("database connection lost: %s" % _one_line(exc), retry_safe) from None
        return False


def _one_line(exc):
    return " ".join(str(exc).split())[:200] or type(exc).__name__
