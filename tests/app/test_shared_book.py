"""One order book across back-end instances: crossing orders match wherever they land, retries never
double an order, the invariants hold under concurrency, and a database outage is a 503, not a hang."""

import concurrent.futures
import json
import random
import subprocess
import sys
import threading
import time
import uuid

import appkit
import invariants
import pytest

CHECKER = appkit.REPO / "apps" / "backend" / "app" / "invariants.py"


def run_checker(url, *args):
    return subprocess.run([sys.executable, str(CHECKER), "--database-url", url, *args], capture_output=True, text=True, timeout=60, check=False)


def fresh_symbol():
    return "T" + uuid.uuid4().hex[:8].upper()


def test_crossing_pairs_match_whichever_instance_each_lands_on(balancer, backends):
    pairs = 24
    matched = 0
    for _pair in range(pairs):
        symbol = fresh_symbol()
        status, _h, buy = balancer.post({"symbol": symbol, "side": "buy", "price": "10.00", "quantity": 1})
        assert status == 201 and buy["trades"] == []
        status, headers, sell = balancer.post({"symbol": symbol, "side": "sell", "price": "9.00", "quantity": 1})
        assert status == 201
        trade = {"buy_order_id": buy["order"]["id"], "sell_order_id": sell["order"]["id"], "symbol": symbol, "price": "10.00", "quantity": 1}
        matched += sell["trades"] == [trade]
    assert matched == pairs  # 100 %: each buy went to one instance and its sell to the other
    # either instance now shows the trade and an empty book
    for backend in backends:
        assert appkit.request(backend.url + "/book/" + symbol)[2] == {"symbol": symbol, "buy": [], "sell": []}
        trades = appkit.request(backend.url + "/trades/" + symbol)[2]["trades"]
        assert [(t["price"], t["quantity"]) for t in trades] == [("10.00", 1)]
    assert headers["X-Instance-Id"] == "i-b"


def test_crossing_pairs_match_through_the_front_door(backends):
    """The page's path: front-end /api/orders -> a round-robin over the two back-ends (as the internal ALB)."""
    balancer = appkit.RoundRobin([b.url for b in backends])
    frontend = appkit.start_frontend(balancer.url)
    try:
        served, matched = [], 0
        for _pair in range(20):
            symbol = fresh_symbol()
            status, headers, _buy = appkit.request(frontend.url + "/api/orders", "POST", {"symbol": symbol, "side": "buy", "price": "10.00", "quantity": 1})
            assert status == 201
            served.append(headers["X-Backend-Instance"])
            status, headers, sell = appkit.request(frontend.url + "/api/orders", "POST", {"symbol": symbol, "side": "sell", "price": "9.00", "quantity": 1})
            served.append(headers["X-Backend-Instance"])
            matched += status == 201 and [t["quantity"] for t in sell["trades"]] == [1]
        assert matched == 20
        assert all(a != b for a, b in zip(served, served[1:]))  # every sell landed on the other instance than its buy
    finally:
        frontend.stop()
        balancer.stop()


def test_todays_per_instance_book_does_not_match_across_instances(postgres):
    """BOOK_MODE=local, kept for comparison: a buy on one instance and a crossing sell on the other rest side by side."""
    url = postgres.new_database("t_local_mode")
    started = [appkit.start_backend(url, "local") for _instance in range(2)]
    try:
        balancer = appkit.Alternate(started)
        for _pair in range(3):
            symbol = fresh_symbol()
            assert balancer.post({"symbol": symbol, "side": "buy", "price": "10", "quantity": 1})[2]["trades"] == []
            assert balancer.post({"symbol": symbol, "side": "sell", "price": "9", "quantity": 1})[2]["trades"] == []
        report = invariants.check(*invariants.load(url))
        assert report["violations"].keys() == {"replay"}  # the checker sees the missed matches
        assert run_checker(url).returncode == 1
        assert sum(m.startswith("symbol ") and "replay makes 1 trades, the log has 0" in m for m in report["violations"]["replay"]) == 3
    finally:
        for backend in started:
            backend.stop()


def test_book_levels_and_time_priority_across_instances(balancer, backends):
    symbol = fresh_symbol()
    ids = {}
    for index, (name, side, price, quantity) in enumerate(
        [("b1", "buy", "99.50", 3), ("b2", "buy", "99.50", 2), ("b3", "buy", "99", 5), ("s1", "sell", "101", 4), ("s2", "sell", "100.25", 1)]
    ):
        status, _h, body = balancer.post({"symbol": symbol, "side": side, "price": price, "quantity": quantity}, index)
        assert status == 201
        ids[name] = body["order"]["id"]
    book = appkit.request(backends[0].url + "/book/" + symbol.lower())[2]
    assert book == {"symbol": symbol, "buy": [["99.50", 5], ["99", 5]], "sell": [["100.25", 1], ["101", 4]]}
    status, _h, body = balancer.post({"symbol": symbol, "side": "sell", "price": "99", "quantity": 6}, 1)
    assert [(t["buy_order_id"], t["price"], t["quantity"]) for t in body["trades"]] == [(ids["b1"], "99.50", 3), (ids["b2"], "99.50", 2), (ids["b3"], "99", 1)]
    assert body["order"]["status"] == "filled"
    found = appkit.request(backends[1].url + "/orders?ids=" + ",".join([ids["b1"], ids["b3"]]))[2]["orders"]
    assert [(o["id"], o["remaining"], o["status"]) for o in found] == [(ids["b1"], 0, "filled"), (ids["b3"], 4, "partial")]
    assert appkit.request(backends[1].url + "/book/" + symbol + "?levels=1")[2] == {"symbol": symbol, "buy": [["99", 4]], "sell": [["100.25", 1]]}


def test_an_order_that_sweeps_more_resting_orders_than_one_page(balancer, backends, database):
    """More than 64 resting orders (one page of the crossing query) filled by one order, in price-time priority."""
    symbol = fresh_symbol()
    sells = []
    for n in range(70):
        price = "10.00" if n % 3 else "9.50"  # two levels, time priority inside each
        sells.append((price, balancer.post({"symbol": symbol, "side": "sell", "price": price, "quantity": 1})[2]["order"]["id"]))
    status, _h, sweep = balancer.post({"symbol": symbol, "side": "buy", "price": "10.00", "quantity": 75})
    assert status == 201 and sweep["order"]["remaining"] == 5 and sweep["order"]["status"] == "partial"
    expected = [oid for price, oid in sells if price == "9.50"] + [oid for price, oid in sells if price == "10.00"]
    assert [t["sell_order_id"] for t in sweep["trades"]] == expected
    assert appkit.request(backends[1].url + "/book/" + symbol)[2] == {"symbol": symbol, "buy": [["10.00", 5]], "sell": []}
    assert invariants.check(*invariants.load(database))["ok"]


def test_many_threads_on_both_instances_keep_the_invariants(balancer, backends, database, tmp_path):
    symbols = [fresh_symbol() for _symbol in range(3)]
    acks, failures = [], []
    lock = threading.Lock()

    def trader(worker):
        rng = random.Random(worker)
        for n in range(30):
            body = {
                "symbol": rng.choice(symbols),
                "side": rng.choice(("buy", "sell")),
                "price": "%.2f" % rng.uniform(99, 101),
                "quantity": rng.randint(1, 9),
                "client_order_id": "w%d-%d" % (worker, n),
            }
            status, _h, answer = appkit.request(backends[(worker + n) % 2].url + "/orders", "POST", body)
            with lock:
                (acks if status == 201 else failures).append(answer)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(trader, range(8)))
    assert failures == []
    assert len(acks) == 240
    orders, trades = invariants.load(database)
    assert len(orders) == 240 and len(trades) > 30  # prices straddle: plenty of matching
    report = invariants.check(orders, trades, acks)
    assert report["ok"], report
    assert sum(len(a["trades"]) for a in acks) == len(trades)  # every trade was reported to exactly one taker
    # the CLI the drills run, with the acknowledgements as JSON lines
    acks_file = tmp_path / "acks.jsonl"
    acks_file.write_text("".join(json.dumps(a) + "\n" for a in acks))
    checked = run_checker(database, "--acks", str(acks_file))
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["counts"] == {"orders": 240, "trades": len(trades), "acks": 240, "violations": {}}
    acks_file.write_text(json.dumps(acks + [dict(acks[0], order=dict(acks[0]["order"], id="never-stored"))]))
    checked = run_checker(database, "--acks", str(acks_file))
    assert checked.returncode == 1 and "acknowledged order never-stored" in checked.stdout


def test_concurrent_retries_make_one_order(backends, database):
    """Ten copies of one submission at once on both instances (a client retrying through the load balancer)."""
    body = {"symbol": fresh_symbol(), "side": "buy", "price": "5", "quantity": 7, "client_order_id": "retry-" + uuid.uuid4().hex}
    start = threading.Barrier(10)

    def submit(index):
        start.wait()
        return appkit.request(backends[index % 2].url + "/orders", "POST", body)

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(submit, range(10)))
    assert {status for status, _h, _b in answers} == {201}
    assert len({a["order"]["id"] for _s, _h, a in answers}) == 1
    assert sum(h.get("Idempotent-Replay") == "true" for _s, h, _b in answers) == 9
    orders, _trades = invariants.load(database)
    assert [o["client_order_id"] for o in orders] == [body["client_order_id"]]
    # the first answer, even after the order changed: a later sell fills it, a retry still gets "open"
    first = answers[0][2]
    assert appkit.request(backends[0].url + "/orders", "POST", {"symbol": body["symbol"], "side": "sell", "price": "5", "quantity": 7})[0] == 201
    status, headers, again = appkit.request(backends[1].url + "/orders", "POST", body)
    assert (status, headers.get("Idempotent-Replay"), again) == (201, "true", first)
    assert appkit.request(backends[1].url + "/orders/" + first["order"]["id"])[2]["status"] == "filled"
    # the same client_order_id for another order is refused
    status, _h, refused = appkit.request(backends[0].url + "/orders", "POST", dict(body, quantity=8))
    assert status == 409 and refused["error"].startswith("client_order_id: %s was already used" % body["client_order_id"])


def test_same_client_order_id_on_two_symbols_at_once_makes_one_order(backends, database):
    """Two symbols take two different locks: the unique constraint decides, the loser gets 409."""
    client_order_id = "race-" + uuid.uuid4().hex
    start = threading.Barrier(8)

    def submit(index):
        start.wait()
        body = {"symbol": "RACE%d" % (index % 2), "side": "buy", "price": "1", "quantity": 1, "client_order_id": client_order_id}
        return appkit.request(backends[index % 2].url + "/orders", "POST", body)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(submit, range(8)))
    statuses = sorted(status for status, _h, _b in answers)
    assert set(statuses) <= {201, 409} and statuses.count(201) >= 1
    orders, _trades = invariants.load(database)
    assert len(orders) == 1
    assert {a["order"]["id"] for s, _h, a in answers if s == 201} == {orders[0]["id"]}


@pytest.mark.parametrize(
    ("path", "status"),
    [("/orders?ids=", 400), ("/orders?ids=a%20b", 400), ("/book/" + "X" * 17, 404), ("/trades/ACME?limit=5", 200), ("/nothing", 404)],
)
def test_read_routes_answer_json(backends, path, status):
    answer = appkit.request(backends[0].url + path)
    assert answer[0] == status and isinstance(answer[2], dict)


def test_database_outage_is_a_fast_503_and_the_backend_reconnects_by_itself():
    """The database goes away (a failover moves the name; here it stops) and comes back: no restart of the back-end."""
    with appkit.Postgres() as pg:
        backend = appkit.start_backend(pg.url, "shared")
        try:
            body = {"symbol": "OUT", "side": "buy", "price": "3", "quantity": 1, "client_order_id": "outage-1"}
            assert appkit.request(backend.url + "/orders", "POST", dict(body, client_order_id="before"))[0] == 201
            pg.stop("fast")
            began = time.monotonic()
            status, headers, refused = appkit.request(backend.url + "/orders", "POST", body)
            assert (status, headers.get("Retry-After"), refused["retry"]) == (503, "1", True)
            assert time.monotonic() - began < 5  # bounded: no hang while the database is away
            assert appkit.request(backend.url + "/health")[0] == 503
            assert appkit.request(backend.url + "/book/OUT")[0] == 503
            pg.start()
            deadline = time.monotonic() + 20
            while appkit.request(backend.url + "/health")[0] != 200:
                assert time.monotonic() < deadline, "the back-end did not reconnect"
                time.sleep(0.2)
            status, _h, placed = appkit.request(backend.url + "/orders", "POST", body)  # the client's retry
            assert status == 201
            orders, trades = invariants.load(pg.url)
            assert [o["client_order_id"] for o in orders] == ["before", "outage-1"]  # the refused attempt left nothing
            assert invariants.check(orders, trades, [placed])["ok"]
        finally:
            assert backend.stop() == 0


def test_a_symbol_locked_too_long_is_a_bounded_503_and_other_symbols_go_on(database):
    import psycopg2  # noqa: PLC0415

    backend = appkit.start_backend(database, "shared", extra_env={"DB_STATEMENT_TIMEOUT_MS": "1000"})
    holder = psycopg2.connect(database)
    try:
        holder.autocommit = True
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(8151, hashtext('HELD'))")  # as a stuck transaction on that symbol would
        began = time.monotonic()
        status, _h, busy = appkit.request(backend.url + "/orders", "POST", {"symbol": "HELD", "side": "buy", "price": "1", "quantity": 1})
        assert (status, busy["retry"]) == (503, True) and busy["error"].startswith("database busy")
        assert time.monotonic() - began < 4
        assert appkit.request(backend.url + "/orders", "POST", {"symbol": "FREE", "side": "buy", "price": "1", "quantity": 1})[0] == 201
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(8151, hashtext('HELD'))")
        assert appkit.request(backend.url + "/orders", "POST", {"symbol": "HELD", "side": "buy", "price": "1", "quantity": 1})[0] == 201
        assert invariants.check(*invariants.load(database))["counts"]["orders"] == 2
    finally:
        holder.close()
        assert backend.stop() == 0


def test_pooled_connections_left_dead_by_a_restart_cost_no_request():
    """A failover between two requests: the pool's idle connections are dead; the next order still goes through at once."""
    with appkit.Postgres() as pg:
        backend = appkit.start_backend(pg.url, "shared")
        try:
            with concurrent.futures.ThreadPoolExecutor(4) as pool:  # several pooled connections
                list(pool.map(lambda i: appkit.request(backend.url + "/book/S%d" % i), range(8)))
            pg.stop("fast")
            pg.start()
            status, headers, placed = appkit.request(backend.url + "/orders", "POST", {"symbol": "S1", "side": "buy", "price": "2", "quantity": 1})
            assert status == 201, placed
            assert appkit.request(backend.url + "/book/S1")[2]["buy"] == [["2", 1]]
        finally:
            assert backend.stop() == 0


def test_a_database_in_the_first_release_schema_is_moved_aside(postgres):
    url = postgres.new_database("t_legacy")
    dbname = url.rsplit("/", 1)[1]
    postgres.psql("CREATE TABLE orders (id text PRIMARY KEY, symbol text NOT NULL, body jsonb NOT NULL, updated timestamptz NOT NULL DEFAULT now())", dbname)
    postgres.psql("CREATE TABLE trades (id bigserial PRIMARY KEY, buy_order_id text, sell_order_id text, symbol text, price numeric, quantity integer)", dbname)
    postgres.psql("""INSERT INTO orders VALUES ('old', 'ACME', '{"remaining": 1}')""", dbname)
    backend = appkit.start_backend(url, "shared")
    try:
        assert appkit.request(backend.url + "/orders", "POST", {"symbol": "ACME", "side": "sell", "price": "1", "quantity": 1})[0] == 201
        assert postgres.psql("SELECT count(*) FROM orders_v1", dbname) == "1"
        assert postgres.psql("SELECT count(*) FROM orders", dbname) == "1"
    finally:
        backend.stop()
