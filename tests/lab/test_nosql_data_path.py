"""The back-end's DynamoDB data path in the lab: the nosql tier's tables in moto, used by real back-end containers.

The collection's modules build the network, the nosql tier (stack_nosql: <stack>-market, <stack>-sessions) and
compute with the back-end on the tables (nosql_tables: their names and region in its environment); the data
plane gives those containers the lab's AWS endpoint (lab/plane/aws_relay.py). Crossing orders go through the
front door; then the market table, read from moto on loopback, holds each symbol's last trade and top of book,
equal to what PostgreSQL says, and the quote and a session come back through the front door from DynamoDB.
Bounded: 16 orders, each wait capped.

    LAB_DIR=/work/lab-shared .venv/bin/pytest -q tests/lab/test_nosql_data_path.py
"""

import functools
import hashlib
import time
import uuid
from pathlib import Path

from labkit import http, wait_until
from plane import aws_relay, balancer, engine
from test_rolling_update import PlaneRounds, answers, compute_args

import dataplane

REPO = Path(__file__).resolve().parents[2]
SYMBOLS = ("ACME", "BOLT", "CRUX", "DYNA")


class PlaneWithPostgres(PlaneRounds):
    """The data plane's rounds with one PostgreSQL: the back-ends get DATABASE_URL (and, calling AWS, the relay)."""

    def __init__(self, moto, stack):
        super().__init__(moto, stack)
        self.url = engine.database_url(stack)
        engine.ensure_postgres(stack)

    def run(self):
        while not self.stop.is_set():
            try:
                dataplane.step(self.moto, self.stack, self.url)
            except Exception as error:  # noqa: BLE001  (a container racing a round; counted, as in the watcher)
                self.errors.append(repr(error))
            self.stop.wait(0.5)


def own_backend_image():
    """This checkout's back-end under a tag of its own: the shared lab's hatrading/backend:<version> tags are rebuilt by other checkouts."""
    sources = sorted(p for p in (REPO / "apps" / "backend").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:12]
    name = "hatrading/backend:tables-%s" % digest
    engine.build_image(name, REPO / "apps" / "backend", {"APP_VERSION": "1.1.0"}, push=True)
    return engine.registry_ref(name)


def place(door, symbol, side, price, quantity):
    """One order through the front door, retried with its client_order_id on a 502/503 (bounded)."""
    body = {"symbol": symbol, "side": side, "price": price, "quantity": quantity, "client_order_id": "nosql-" + uuid.uuid4().hex}

    def accepted():
        try:
            status, _headers, answer = http(door + "/api/orders", "POST", body, timeout=15)
        except OSError:  # a reset or a timeout on a loaded machine: the retry settles it
            return None
        assert status in (201, 502, 503), (status, answer)
        return answer if status == 201 else None

    return wait_until("order %s %s %s@%s acknowledged" % (symbol, side, quantity, price), accepted, timeout=60, interval=0.5)


def postgres_truth(stack, symbol):
    """The symbol's last trade, best bid and ask (price, total quantity) and latest seq, straight from PostgreSQL (psql in its container)."""
    sql = (
        "SELECT (SELECT max(seq) FROM orders WHERE symbol = '{s}'),"
        " (SELECT price || ' ' || quantity FROM trades WHERE symbol = '{s}' ORDER BY id DESC LIMIT 1),"
        " (SELECT price || ' ' || sum(remaining) FROM orders WHERE symbol = '{s}' AND side = 'buy' AND remaining > 0"
        " GROUP BY price ORDER BY price DESC LIMIT 1),"
        " (SELECT price || ' ' || sum(remaining) FROM orders WHERE symbol = '{s}' AND side = 'sell' AND remaining > 0"
        " GROUP BY price ORDER BY price LIMIT 1)"
    ).format(s=symbol)
    user, _password, dbname = engine.database_login(stack)
    row = engine.docker("exec", engine.postgres_name(stack), "psql", "-h", "/tmp", "-U", user, "-d", dbname, "-At", "-F", "|", "-c", sql).strip().split("|")
    return {"version": int(row[0]), "last": row[1] or None, "bid": row[2] or None, "ask": row[3] or None}


def table_view(item):
    """The same view of a market item (None: no item yet)."""
    if not item:
        return None

    def pair(price, quantity):
        return "%s %s" % (item[price]["S"], item[quantity]["N"]) if price in item else None

    return {
        "version": int(item["version"]["N"]),
        "last": pair("last_price", "last_quantity"),
        "bid": pair("bid_price", "bid_quantity"),
        "ask": pair("ask_price", "ask_quantity"),
    }


def test_market_and_sessions_tables_through_the_front_door(aws, stack, ansible):
    image = own_backend_image()
    kms = aws.moto.client("kms")  # the stack's key, as the database tier makes it (alias/<stack>-database)
    kms.create_alias(AliasName="alias/%s-database" % stack, TargetKeyId=kms.create_key(Description="%s stack key" % stack)["KeyMetadata"]["KeyId"])
    network = ansible.module("hatrading.aws.stack_network", {"stack": stack, "vpc_cidr": "10.49.0.0/16", "nat_mode": "none", "resilience": "cost"})
    assert network["rc"] == 0, network.get("msg")
    nosql = ansible.module("hatrading.aws.stack_nosql", {"stack": stack, "deletion_protection": False})
    assert nosql["rc"] == 0, nosql.get("msg")
    tables = {"market": "%s-market" % stack, "sessions": "%s-sessions" % stack}
    args = compute_args(stack, "1.1.0")
    args["tiers"][0]["launch_template"].update(image=image, nosql_tables=True)
    dynamodb = aws.moto.client("dynamodb")
    with PlaneWithPostgres(aws.moto, stack):
        built = ansible.module("hatrading.aws.stack_compute", args)
        assert built["rc"] == 0, built.get("msg")
        door = wait_until("the front door", lambda: balancer.front_door(stack), timeout=90)
        wait_until("the back-end answering through both ALBs", lambda: answers(door + "/api/version"), timeout=180)
        status, _headers, version = http(door + "/api/version")
        assert status == 200 and version["tables"] == tables, version

        for index, symbol in enumerate(SYMBOLS):
            place(door, symbol, "buy", "10.00", 5 + index)
            place(door, symbol, "buy", "9.50", 7)
            place(door, symbol, "sell", "11.25", 4)
            place(door, symbol, "sell", "9.00", 3 + index)  # crosses the 10.00 bid
        acknowledged = time.monotonic()
        lag = {}
        for symbol in SYMBOLS:
            truth = postgres_truth(stack, symbol)
            assert truth["last"] is not None and truth["bid"] is not None and truth["ask"] is not None, truth

            def published(symbol, truth):
                found = table_view(dynamodb.get_item(TableName=tables["market"], Key={"symbol": {"S": symbol}}).get("Item"))
                return found if found == truth else None

            seen = functools.partial(published, symbol, truth)
            wait_until("the market item of %s equal to PostgreSQL's %s" % (symbol, truth), seen, timeout=60, interval=0.2)
            lag[symbol] = round(time.monotonic() - acknowledged, 2)  # an upper bound: the last acknowledgement to the item seen
            status, _headers, quote = http(door + "/api/quote/" + symbol)
            assert status == 200 and quote["source"] == "dynamodb", quote
            assert quote["version"] == truth["version"] and "%s %s" % (quote["last_trade"]["price"], quote["last_trade"]["quantity"]) == truth["last"]

        status, _headers, session = http(door + "/api/sessions", "POST", {})
        assert status == 201, session
        item = dynamodb.get_item(TableName=tables["sessions"], Key={"session_id": {"S": session["session_id"]}})["Item"]
        assert int(item["expires_at"]["N"]) == session["expires_at"]
        assert dynamodb.describe_time_to_live(TableName=tables["sessions"])["TimeToLiveDescription"]["AttributeName"] == "expires_at"
        relay = engine.inspect("container", "hatrading-%s-aws" % stack)[0]
        assert relay["State"]["Running"] and relay["HostConfig"]["NetworkMode"] == "host"
        truths = {s: postgres_truth(stack, s) for s in SYMBOLS}
        print("\nnosql data path: %s; seconds from the last acknowledgement to each item seen equal: %s" % (truths, lag))


class FakeSession:
    def __init__(self, url):
        self.url = url

    def client(self, _service):
        return type("Client", (), {"meta": type("Meta", (), {"endpoint_url": self.url})})()


def test_relay_only_for_moto_on_loopback():
    assert aws_relay.moto_endpoint(FakeSession("http://127.0.0.1:5613")) == ("127.0.0.1", 5613)
    assert aws_relay.moto_endpoint(FakeSession("https://dynamodb.us-east-1.amazonaws.com")) is None  # real AWS: no relay
    config = aws_relay.render(("172.21.0.1", 5613), ("127.0.0.1", 5613))
    assert "    bind 172.21.0.1:5613\n" in config and "    server moto 127.0.0.1:5613\n" in config
    assert aws_relay.container_env("http://172.21.0.1:5613")["AWS_ENDPOINT_URL"] == "http://172.21.0.1:5613"
