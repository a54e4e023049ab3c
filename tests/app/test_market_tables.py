"""The back-end with the nosql tier's DynamoDB tables (apps/backend/app/market.py), against moto on loopback.

The market table follows PostgreSQL (last trade, top of book, the symbol's version), an older state never
overwrites a newer one, the quote falls back to PostgreSQL when DynamoDB fails while orders go on, and the
page's session carries its TTL attribute.
"""

import concurrent.futures
import time
import uuid

import appkit
import pytest
from market import MarketTable, read_quote
from selenium.webdriver.common.by import By
from store import Database

# browser: the headless Chromium fixture, for the page's session
from test_frontend_browser import browser, wait_for  # noqa: F401  # pylint: disable=unused-import


def make_tables(moto):
    """The two tables as the nosql tier makes them (keys, TTL), under names of this test's own."""
    dynamodb = moto.client("dynamodb")
    stem = "t%s" % uuid.uuid4().hex[:8]
    names = {"market": stem + "-market", "sessions": stem + "-sessions"}
    for table, key in ((names["market"], "symbol"), (names["sessions"], "session_id")):
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    dynamodb.update_time_to_live(TableName=names["sessions"], TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    return names


def table_env(moto, names, endpoint=None):
    env = dict(moto.env(), MARKET_TABLE=names["market"], SESSIONS_TABLE=names["sessions"], SESSIONS_TTL_ATTRIBUTE="expires_at")
    env["AWS_ENDPOINT_URL"] = endpoint or moto.url
    return env


def item_quote(moto, table, symbol):
    return MarketTable(moto.client("dynamodb"), table).get(symbol)


def wait_for_item(moto, table, symbol, want, timeout=30.0):
    """The market item once it equals `want` (publication is off the order path: it follows within moments)."""
    deadline = time.monotonic() + timeout
    found = None
    while time.monotonic() < deadline:
        found = item_quote(moto, table, symbol)
        if found == want:
            return found
        time.sleep(0.1)
    raise AssertionError("market item for %s: %r, PostgreSQL: %r" % (symbol, found, want))


@pytest.fixture
def tables(moto):
    return make_tables(moto)


@pytest.fixture
def pg(database):
    db = Database(database)
    yield db
    db.close()


@pytest.fixture
def table_backends(database, moto, tables):
    started = [appkit.start_backend(database, "shared", instance="i-%s" % name, extra_env=table_env(moto, tables)) for name in ("a", "b")]
    yield started
    for backend in started:
        assert backend.stop() == 0, backend.output()[-2000:]


def post(backend, symbol, side, price, quantity):
    status, _headers, body = appkit.request(backend.url + "/orders", "POST", {"symbol": symbol, "side": side, "price": price, "quantity": quantity})
    assert status == 201, body
    return body


def test_market_table_holds_last_trade_and_top_of_book(table_backends, moto, tables, pg):
    first, second = table_backends
    status, _h, version = appkit.request(first.url + "/version")
    assert status == 200 and version["tables"] == tables
    post(first, "MKT", "buy", "10.00", 5)
    post(second, "MKT", "buy", "9.50", 7)
    post(first, "MKT", "sell", "11.25", 4)
    post(second, "MKT", "sell", "9.00", 3)  # crosses the 10.00 bid: a trade of 3 at 10.00
    truth = read_quote(pg, "MKT")
    assert truth["last_trade"]["price"] == "10.00" and truth["last_trade"]["quantity"] == 3
    assert truth["bid"] == {"price": "10.00", "quantity": 2} and truth["ask"] == {"price": "11.25", "quantity": 4}
    wait_for_item(moto, tables["market"], "MKT", truth)
    # the fast read answers from the table, and says so
    status, _h, quote = appkit.request(second.url + "/quote/mkt")
    assert status == 200 and quote.pop("source") == "dynamodb" and quote == truth


def test_concurrent_orders_leave_the_newest_state(table_backends, moto, tables, pg):
    """8 threads on both instances, one symbol: whatever order the publications land in, the item ends as PostgreSQL's last state."""

    def trade(index):
        side = "buy" if index % 2 else "sell"
        return post(table_backends[index % 2], "RACE", side, "%d.00" % (100 + (index % 5) - 2), 1 + index % 3)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(trade, range(80)))
    truth = read_quote(pg, "RACE")
    assert truth["last_trade"] is not None
    with pg.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT max(seq) FROM orders WHERE symbol = 'RACE'")
        assert truth["version"] == cur.fetchone()[0]
    wait_for_item(moto, tables["market"], "RACE", truth)


def test_an_older_state_never_overwrites_a_newer(moto, tables):
    market = MarketTable(moto.client("dynamodb"), tables["market"])
    newer = {"symbol": "OLD", "version": 7, "bid": {"price": "10", "quantity": 1}, "ask": None, "last_trade": None}
    older = dict(newer, version=5, bid={"price": "9", "quantity": 4})
    assert market.put(newer) is True
    assert market.put(older) is False  # the conditional put refuses it
    assert market.put(dict(newer)) is False  # the same version: nothing to change
    assert market.get("OLD") == newer
    newest = dict(newer, version=8, bid=None, ask={"price": "12", "quantity": 2})
    assert market.put(newest) is True
    assert market.get("OLD") == newest  # a side that emptied is gone from the item


def test_orders_go_on_and_quotes_fall_back_when_dynamodb_fails(database, moto, tables, pg):
    """DynamoDB unreachable (nothing listens on the endpoint): every order is still acknowledged and the quote comes from PostgreSQL."""
    dead = "http://127.0.0.1:%d" % appkit.free_port()
    backend = appkit.start_backend(database, "shared", extra_env=dict(table_env(moto, tables, endpoint=dead), DYNAMODB_TIMEOUT="0.5"))
    try:
        post(backend, "DOWN", "buy", "20.00", 2)
        post(backend, "DOWN", "sell", "19.00", 1)
        status, _h, quote = appkit.request(backend.url + "/quote/DOWN")
        assert status == 200, quote
        assert quote.pop("source") == "postgresql" and quote.pop("fallback").startswith("dynamodb failed")
        assert quote == read_quote(pg, "DOWN")
        assert quote["last_trade"]["quantity"] == 1 and quote["bid"] == {"price": "20.00", "quantity": 1}
        status, _h, answer = appkit.request(backend.url + "/sessions", "POST", {})
        assert status == 503 and answer["retry"] is True
    finally:
        assert backend.stop() == 0, backend.output()[-2000:]
    assert "publishing DOWN failed" in backend.output()


def test_without_tables_the_quote_comes_from_postgresql(backends, pg):
    post(backends[0], "PLAIN", "sell", "5.5", 2)
    status, _h, quote = appkit.request(backends[1].url + "/quote/PLAIN")
    assert status == 200 and quote.pop("source") == "postgresql" and quote.pop("fallback") == "not configured"
    assert quote == read_quote(pg, "PLAIN") and quote["ask"] == {"price": "5.5", "quantity": 2} and quote["last_trade"] is None
    status, _h, answer = appkit.request(backends[0].url + "/sessions", "POST", {})
    assert status == 404 and "not configured" in answer["error"]


def test_sessions_carry_their_ttl_attribute(database, moto, tables):
    backend = appkit.start_backend(database, "shared", extra_env=dict(table_env(moto, tables), SESSION_TTL_SECONDS="600"))
    dynamodb = moto.client("dynamodb")
    try:
        before = int(time.time())
        status, _h, session = appkit.request(backend.url + "/sessions", "POST", {})
        assert status == 201, session
        item = dynamodb.get_item(TableName=tables["sessions"], Key={"session_id": {"S": session["session_id"]}})["Item"]
        expires = int(item["expires_at"]["N"])
        assert expires == session["expires_at"] and before + 600 <= expires <= int(time.time()) + 600
        # a use moves the expiry on
        dynamodb.update_item(
            TableName=tables["sessions"],
            Key={"session_id": {"S": session["session_id"]}},
            UpdateExpression="SET expires_at = :soon",
            ExpressionAttributeValues={":soon": {"N": str(int(time.time()) + 5)}},
        )
        status, _h, touched = appkit.request(backend.url + "/sessions/" + session["session_id"])
        assert status == 200 and touched["expires_at"] >= before + 600
        # past its expiry it is gone, even before DynamoDB's TTL sweep deletes the item
        dynamodb.update_item(
            TableName=tables["sessions"],
            Key={"session_id": {"S": session["session_id"]}},
            UpdateExpression="SET expires_at = :past",
            ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
        )
        status, _h, _body = appkit.request(backend.url + "/sessions/" + session["session_id"])
        assert status == 404
        status, _h, _body = appkit.request(backend.url + "/sessions/" + uuid.uuid4().hex)
        assert status == 404
    finally:
        assert backend.stop() == 0, backend.output()[-2000:]


def test_the_page_keeps_its_session_in_the_table(database, moto, tables, browser):  # noqa: F811  (the fixture imported above)
    """The page in headless Chromium makes its session once and reuses it on the next load (the item's expiry moves on)."""
    backend = appkit.start_backend(database, "shared", extra_env=table_env(moto, tables))
    frontend = appkit.start_frontend(backend.url)
    dynamodb = moto.client("dynamodb")
    try:
        browser.get(frontend.url + "/")
        wait_for(browser, "the page's session", lambda: browser.find_element(By.ID, "session").text.startswith("session "))
        session_id = browser.execute_script("return localStorage.getItem('hatrading.session')")
        assert browser.find_element(By.ID, "session").text.startswith("session " + session_id[:8])
        item = dynamodb.get_item(TableName=tables["sessions"], Key={"session_id": {"S": session_id}})["Item"]
        first_expiry = int(item["expires_at"]["N"])
        time.sleep(1.1)  # the expiry is in whole seconds
        browser.refresh()
        wait_for(browser, "the session again", lambda: browser.find_element(By.ID, "session").text.startswith("session " + session_id[:8]))
        assert browser.execute_script("return localStorage.getItem('hatrading.session')") == session_id
        assert dynamodb.scan(TableName=tables["sessions"], Select="COUNT")["Count"] == 1  # reused, not a second one
        again = dynamodb.get_item(TableName=tables["sessions"], Key={"session_id": {"S": session_id}})["Item"]
        assert int(again["expires_at"]["N"]) > first_expiry
    finally:
        frontend.stop()
        assert backend.stop() == 0, backend.output()[-2000:]
