"""The trading app on loopback, for tests and benchmarks: a throwaway PostgreSQL, back-end and front-end processes.

    with appkit.Postgres() as pg:                    # initdb + pg_ctl in a temp dir, a free port on 127.0.0.1
        backend = appkit.start_backend(pg.url, "shared")   # apps/backend/app/server.py on a free port
        ...
        backend.stop()

Debian's postgresql package (initdb and pg_ctl under /usr/lib/postgresql/*/bin). As root,
PostgreSQL runs as the `postgres` user (it refuses root). Everything listens on 127.0.0.1 only.
"""

import glob
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BACKEND = REPO / "apps" / "backend" / "app" / "server.py"
FRONTEND = REPO / "apps" / "frontend" / "server.py"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin(name):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/%s" % name)) or ([shutil.which(name)] if shutil.which(name) else [])
    if not found:
        raise FileNotFoundError("%s not found: install Debian's postgresql package (tools/system-packages.sh)" % name)
    return found[-1]


class Postgres:
    """A PostgreSQL cluster of its own in a temp dir on 127.0.0.1:<free port>; trust auth (loopback only, test data)."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="hatrading-pg-"))
        self.data = self.dir / "data"
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self.url = "postgresql://trading@127.0.0.1:%d/trading" % self.port

    def _run(self, *argv, check=True, timeout=120):
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return subprocess.run(prefix + list(argv), check=check, capture_output=True, text=True, timeout=timeout)

    def start(self):
        if not self.data.exists():
            self._run(postgres_bin("initdb"), "-D", str(self.data), "-N", "-U", "trading", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nmax_connections = 200\n" % (self.port, self.dir))
                conf.write("fsync = on\nsynchronous_commit = on\nshared_buffers = 64MB\n")
        self._run(postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "60", "start")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = "SELECT 1 FROM pg_database WHERE datname = 'trading'"
            created = self._run(_psql(), "-h", "127.0.0.1", "-p", str(self.port), "-U", "trading", "-d", "postgres", "-tAc", found, check=False)
            if created.returncode == 0:
                if created.stdout.strip() != "1":
                    self.psql("CREATE DATABASE trading", dbname="postgres")
                return self
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not answer on port %d" % self.port)

    def psql(self, sql, dbname="trading"):
        done = self._run(_psql(), "-h", "127.0.0.1", "-p", str(self.port), "-U", "trading", "-d", dbname, "-v", "ON_ERROR_STOP=1", "-tAc", sql)
        return done.stdout.strip()

    def new_database(self, name):
        """A fresh, empty database in this cluster; its URL."""
        self.psql('DROP DATABASE IF EXISTS "%s"' % name, dbname="postgres")
        self.psql('CREATE DATABASE "%s"' % name, dbname="postgres")
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self, mode="fast"):
        self._run(postgres_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.destroy()


def _psql():
    return shutil.which("psql") or postgres_bin("psql")


class Process:
    """A server we started: its URL, and a stop that is polite first (SIGTERM), by pid."""

    def __init__(self, popen, url, log):
        self.popen, self.url, self.log = popen, url, log

    def stop(self, timeout=15):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self.log.close()
        return self.popen.returncode

    def output(self):
        if not self.log.closed:
            self.log.flush()
        return Path(self.log.name).read_text(errors="replace")


def _start(argv, env, port, path, log_name):
    log = tempfile.NamedTemporaryFile("w+", prefix=log_name, suffix=".log", delete=False)  # noqa: SIM115  (closed by Process.stop)
    popen = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    url = "http://127.0.0.1:%d" % port
    process = Process(popen, url, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError("%s exited (%s): %s" % (argv[-1], popen.returncode, process.output()[-2000:]))
        try:
            status, _headers, _body = request(url + path, timeout=2)
            if status in (200, 503):
                return process
        except OSError:
            pass
        time.sleep(0.1)
    process.stop()
    raise RuntimeError("%s did not answer on %s" % (argv[-1], url))


def start_backend(database_url=None, mode=None, port=None, instance=None, extra_env=None):
    port = port or free_port()
    env = dict(os.environ, PORT=str(port), INSTANCE_ID=instance or "i-%d" % port, ACCESS_LOG="0", APP_VERSION="test")
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    if mode:
        env["BOOK_MODE"] = mode
    env.update(extra_env or {})
    return _start([sys.executable, str(BACKEND)], env, port, "/version", "backend-")


def start_frontend(backend_url, port=None):
    port = port or free_port()
    env = dict(os.environ, PORT=str(port), BACKEND_URL=backend_url, INSTANCE_ID="i-front-%d" % port, ACCESS_LOG="0", APP_VERSION="test")
    return _start([sys.executable, str(FRONTEND)], env, port, "/health", "frontend-")


def request(url, method="GET", body=None, timeout=10, headers=None, raw=False):
    """One HTTP request to a loopback URL: (status, headers, parsed JSON body or text; the bytes with raw=True)."""
    parts = url.split("/", 3)
    host, port = parts[2].split(":")
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError("loopback only: %s" % url)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
        send = dict(headers or {})
        if data is not None:
            send.setdefault("Content-Type", "application/json")
        conn.request(method, "/" + (parts[3] if len(parts) > 3 else ""), body=data, headers=send)
        answer = conn.getresponse()
        raw_body = answer.read()
    finally:
        conn.close()
    if raw:
        return answer.status, dict(answer.getheaders()), raw_body
    try:
        parsed = json.loads(raw_body)
    except ValueError:
        parsed = raw_body.decode(errors="replace")
    return answer.status, dict(answer.getheaders()), parsed


class Alternate:
    """The load balancer's alternation, client side: each POST /orders goes to the next back-end (or to `index`)."""

    def __init__(self, backends):
        self.backends = backends
        self.next = 0

    def post(self, body, index=None):
        if index is None:
            index, self.next = self.next, self.next + 1
        return request(self.backends[index % len(self.backends)].url + "/orders", "POST", body)


class RoundRobin:
    """A tiny load balancer on 127.0.0.1: each request goes to the next back-end (the ALB's alternation, in-process)."""

    def __init__(self, urls, port=None):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: PLC0415
        from itertools import count  # noqa: PLC0415

        targets, turn = [u.rstrip("/") for u in urls], count()

        class Forward(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                target = targets[next(turn) % len(targets)]
                headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
                try:
                    status, answer_headers, data = request(target + self.path, self.command, body, headers=headers, raw=True)
                except OSError as exc:
                    status, answer_headers, data = 502, {}, json.dumps({"error": "backend unreachable: %s" % exc}).encode()
                self.send_response(status)
                for name, value in answer_headers.items():
                    if name.lower() not in ("connection", "transfer-encoding", "content-length", "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", port or 0), Forward)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
