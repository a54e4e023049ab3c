"""Where orders are kept beyond memory: nowhere (no DATABASE_URL) or PostgreSQL (psycopg2)."""

import json
import time


class NullStore:
    """No database: the in-memory book is all there is."""

    kind = "memory"

    def save(self, orders, trades):
        pass

    def load(self, order_id):
        return None

    def ping(self):
        return True

    def close(self):
        pass


class PostgresStore:
    """Orders and trades in PostgreSQL; one short transaction per accepted order."""

    kind = "postgresql"
    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY, symbol text NOT NULL, body jsonb NOT NULL, updated timestamptz NOT NULL DEFAULT now())",
        "CREATE TABLE IF NOT EXISTS trades (id bigserial PRIMARY KEY, buy_order_id text NOT NULL, sell_order_id text NOT NULL,"
        " symbol text NOT NULL, price numeric NOT NULL, quantity integer NOT NULL, created timestamptz NOT NULL DEFAULT now())",
    )

    def __init__(self, url, connect_attempts=30, delay=1.0):
        import psycopg2  # noqa: PLC0415  (Debian python3-psycopg2, needed only with a DATABASE_URL)
        import psycopg2.pool  # noqa: PLC0415

        last = None
        for _attempt in range(connect_attempts):
            try:
                self.pool = psycopg2.pool.ThreadedConnectionPool(1, 8, url, connect_timeout=5)
                break
            except psycopg2.OperationalError as exc:  # the database may still be starting
                last = exc
                time.sleep(delay)
        else:
            raise RuntimeError("database not reachable: %s" % last)
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(4242)")  # several instances may start at once
            for statement in self.SCHEMA:
                cur.execute(statement)

    class _Lease:
        def __init__(self, pool):
            self.pool = pool

        def __enter__(self):
            self.conn = self.pool.getconn()
            return self.conn.__enter__()

        def __exit__(self, *exc):
            try:
                self.conn.__exit__(*exc)
            finally:
                self.pool.putconn(self.conn)

    def _conn(self):
        return self._Lease(self.pool)

    def save(self, orders, trades):
        """Upsert every order the submission touched (the new one and the resting ones it filled) and record the trades."""
        upsert = "INSERT INTO orders (id, symbol, body) VALUES (%s, %s, %s) ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, updated = now()"
        with self._conn() as conn, conn.cursor() as cur:
            for order in orders:
                cur.execute(upsert, (order.id, order.symbol, json.dumps(order.as_dict())))
            for trade in trades:
                cur.execute(
                    "INSERT INTO trades (buy_order_id, sell_order_id, symbol, price, quantity) VALUES (%s, %s, %s, %s, %s)",
                    (trade.buy_order_id, trade.sell_order_id, trade.symbol, trade.price, trade.quantity),
                )

    def load(self, order_id):
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT body FROM orders WHERE id = %s", (order_id,))
            row = cur.fetchone()
        return row[0] if row else None

    def ping(self):
        try:
            with self._conn() as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
            return True
        except Exception:  # noqa: BLE001  (health reports it, never raises)
            return False

    def close(self):
        self.pool.closeall()


def open_store(url):
    return PostgresStore(url) if url else NullStore()
