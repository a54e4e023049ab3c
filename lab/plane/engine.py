"""The lab's engine room: dockerd, the local registry, the Debian base image, the images, the network, PostgreSQL.

Everything lives under one state directory (LAB_DIR, default <repo>/.lab); processes are
started with pid files there and stopped by those pids only.

    .lab/docker/          dockerd data root (image layers: the build cache survives `down`)
    .lab/exec/            dockerd exec root
    .lab/docker.sock      the engine's API socket (DOCKER_HOST=unix://...)
    .lab/dockerd.pid      pid file dockerd writes
    .lab/registry/        registry config, data, pid file
    .lab/cache/           base-bookworm.tar (the debootstrapped root file system)
    .lab/stacks/<stack>/  per-stack state: haproxy configs and sockets, drains, database secret
    .lab/logs/            daemon logs
"""

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import quote
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB = Path(os.environ.get("LAB_DIR", REPO / ".lab")).resolve()
SOCKET = LAB / "docker.sock"
DOCKER_HOST = "unix://%s" % SOCKET
DOCKER_BIN = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else "docker"  # Debian's client matches Debian's dockerd
REGISTRY_PORT = int(os.environ.get("LAB_REGISTRY_PORT", "5001"))
REGISTRY = "127.0.0.1:%d" % REGISTRY_PORT
BASE_IMAGE = "hatrading/base:bookworm"
BASE_TARBALL = LAB / "cache" / "base-bookworm.tar"
BACKEND_VERSIONS = ("1.0.0", "1.1.0")
FRONTEND_VERSION = "1.0.0"
APP_IMAGES = {  # local name -> (context directory, build args)
    **{"hatrading/backend:%s" % v: (REPO / "apps" / "backend", {"APP_VERSION": v}) for v in BACKEND_VERSIONS},
    "hatrading/frontend:%s" % FRONTEND_VERSION: (REPO / "apps" / "frontend", {"APP_VERSION": FRONTEND_VERSION}),
}
LAB_IMAGES = {
    "hatrading/lab-haproxy:2.6": (REPO / "lab" / "images" / "haproxy", {}),
    "hatrading/lab-postgres:15": (REPO / "lab" / "images" / "postgres", {}),
}


class LabError(RuntimeError):
    """Something the lab needs is missing or failed; the message says what to do."""


def log(message):
    print("lab: %s" % message, file=sys.stderr, flush=True)


def docker_env():
    env = dict(os.environ, DOCKER_HOST=DOCKER_HOST, DOCKER_BUILDKIT="0")
    env.pop("DOCKER_CONTEXT", None)
    return env


def docker(*args, check=True, capture=True, timeout=600, input=None):
    """Run the docker CLI against the lab's engine; return stdout (stripped)."""
    proc = subprocess.run(
        [DOCKER_BIN, *args],
        check=False,
        env=docker_env(),
        capture_output=capture,
        text=True,
        timeout=timeout,
        input=input,
    )
    if check and proc.returncode != 0:
        raise LabError("docker %s failed (rc=%d): %s" % (" ".join(args[:3]), proc.returncode, (proc.stderr or "").strip()[-2000:]))
    return (proc.stdout or "").strip()


def container_logs(name, tail=None):
    """A container's output (its stdout and stderr, interleaved as Docker stored them)."""
    argv = [DOCKER_BIN, "logs"] + (["--tail", str(tail)] if tail else []) + [name]
    proc = subprocess.run(argv, check=False, env=docker_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    return proc.stdout


def docker_json(*args):
    out = docker(*args, "--format", "{{json .}}")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def inspect(kind, *names):
    """docker <kind> inspect, [] for names that do not exist."""
    if not names:
        return []
    proc = subprocess.run([DOCKER_BIN, kind, "inspect", *names], check=False, env=docker_env(), capture_output=True, text=True, timeout=60)
    try:
        return json.loads(proc.stdout or "[]")
    except ValueError:
        return []


# --------------------------------------------------------------------------- processes by pid file


def _pid_alive(pidfile):
    try:
        pid = int(Path(pidfile).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _running(pid) else None


def _running(pid):
    """True while the process exists and is not a zombie (reaping it if it is our own child)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _stop_pid(pidfile, name, sig=signal.SIGTERM, wait=30.0):
    pid = _pid_alive(pidfile)
    if not pid:
        Path(pidfile).unlink(missing_ok=True)
        return False
    os.kill(pid, sig)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not _running(pid):
            break
        time.sleep(0.1)
    else:
        raise LabError("%s (pid %s) did not stop within %.0f s" % (name, pid, wait))
    Path(pidfile).unlink(missing_ok=True)
    log("%s (pid %s) stopped" % (name, pid))
    return True


def _wait_for(what, probe, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.2)
    raise LabError("%s not ready after %.0f s" % (what, timeout))


# --------------------------------------------------------------------------- dockerd


def engine_running():
    if not SOCKET.exists():
        return False
    proc = subprocess.run([DOCKER_BIN, "version", "--format", "{{.Server.Version}}"], check=False, env=docker_env(), capture_output=True, text=True, timeout=20)
    return proc.returncode == 0


def start_engine():
    """Start dockerd with the lab's own data root, exec root, pid file and socket; True if this call started it."""
    if engine_running():
        return False
    if not shutil.which("dockerd"):
        raise LabError("dockerd not found: apt-get install -y docker.io (as root)")
    if os.geteuid() != 0:
        raise LabError("dockerd needs root: run the lab as root")
    for sub in ("docker", "exec", "logs", "cache"):
        (LAB / sub).mkdir(parents=True, exist_ok=True)
    pidfile = LAB / "dockerd.pid"
    if _pid_alive(pidfile):
        raise LabError("dockerd pid %s alive but %s does not answer; see %s" % (pidfile.read_text().strip(), SOCKET, LAB / "logs" / "dockerd.log"))
    argv = [
        "dockerd",
        "--data-root", str(LAB / "docker"),
        "--exec-root", str(LAB / "exec"),
        "--pidfile", str(pidfile),
        "-H", DOCKER_HOST,
        "--insecure-registry", REGISTRY,
    ]  # fmt: skip
    with open(LAB / "logs" / "dockerd.log", "ab") as out:
        subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    _wait_for("dockerd on %s" % SOCKET, engine_running, 60)
    log("dockerd started (pid %s, DOCKER_HOST=%s)" % (pidfile.read_text().strip(), DOCKER_HOST))
    return True


def lab_mounts(mounts_text, root):
    """The mount points under ``root`` in a /proc/self/mounts text, deepest first (the order to unmount them in)."""
    prefix = str(root).rstrip("/") + "/"
    points = [line.split()[1].replace("\\040", " ") for line in mounts_text.splitlines() if len(line.split()) > 1]
    return sorted((p for p in points if p.startswith(prefix)), key=lambda p: -p.count("/"))


def stop_engine():
    stopped = _stop_pid(LAB / "dockerd.pid", "dockerd", wait=60)
    # dockerd stopped by a signal can leave its network namespace bind-mounted under the exec root
    # (exec/netns/default): the lab directory then cannot be removed ("Device or resource busy")
    for point in lab_mounts(Path("/proc/self/mounts").read_text(), LAB / "exec"):
        subprocess.run(["umount", point], check=False, capture_output=True, timeout=20)
    return stopped


# --------------------------------------------------------------------------- registry


def registry_running():
    try:
        with urllib.request.urlopen("http://%s/v2/" % REGISTRY, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def start_registry():
    """Debian's docker-registry on 127.0.0.1:5001 with the lab's own config; True if this call started it."""
    if registry_running():
        return False
    binary = shutil.which("docker-registry")
    if not binary:
        raise LabError("docker-registry not found: apt-get install -y docker-registry (as root)")
    home = LAB / "registry"
    (home / "data").mkdir(parents=True, exist_ok=True)
    (LAB / "logs").mkdir(parents=True, exist_ok=True)
    config = home / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        "storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n"
        "http:\n  addr: %s\n" % (home / "data", REGISTRY)
    )
    with open(LAB / "logs" / "registry.log", "ab") as out:
        proc = subprocess.Popen([binary, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    (home / "registry.pid").write_text(str(proc.pid))
    _wait_for("registry on %s" % REGISTRY, registry_running, 30)
    log("registry started on %s (pid %d)" % (REGISTRY, proc.pid))
    return True


def stop_registry():
    return _stop_pid(LAB / "registry" / "registry.pid", "registry")


# --------------------------------------------------------------------------- images


def debian_mirror():
    """The Debian mirror the host's apt uses (deb822 or one-line sources), or LAB_DEBIAN_MIRROR."""
    if os.environ.get("LAB_DEBIAN_MIRROR"):
        return os.environ["LAB_DEBIAN_MIRROR"]
    sources = sorted(Path("/etc/apt/sources.list.d").glob("*.sources")) + [Path("/etc/apt/sources.list")]
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        for stanza in re.split(r"\n\s*\n", text):
            uri = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
            if uri and suites and "bookworm" in suites.group(1).split() and "security" not in uri.group(1):
                return uri.group(1)
        line = re.search(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s", text, re.M)
        if line:
            return line.group(1)
    return "http://deb.debian.org/debian"


def image_exists(name):
    return bool(inspect("image", name))


def ensure_base_image():
    """hatrading/base:bookworm: debootstrap (minbase) once, tarball cached under .lab/cache, docker import."""
    if image_exists(BASE_IMAGE):
        return {"image": BASE_IMAGE, "source": "engine", "seconds": 0.0}
    started = time.monotonic()
    source = "cache"
    if not BASE_TARBALL.exists():
        if not shutil.which("debootstrap"):
            raise LabError("debootstrap not found: apt-get install -y debootstrap (as root)")
        source = "debootstrap"
        mirror = debian_mirror()
        log("debootstrap --variant=minbase bookworm from %s (about a minute, once)" % mirror)
        BASE_TARBALL.parent.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="rootfs-", dir=BASE_TARBALL.parent))
        try:
            with open(LAB / "logs" / "debootstrap.log", "wb") as out:
                subprocess.run(
                    ["debootstrap", "--variant=minbase", "bookworm", str(root), mirror], stdout=out, stderr=subprocess.STDOUT, check=True, timeout=900
                )
            for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for item in (root / junk).glob("*"):
                    if item.is_file():
                        item.unlink()
            (root / "etc/apt/sources.list").write_text("deb %s bookworm main\n" % mirror)
            partial = BASE_TARBALL.with_suffix(".partial")
            subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."], check=True, timeout=600)
            partial.rename(BASE_TARBALL)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    with open(BASE_TARBALL, "rb") as tarball:
        proc = subprocess.run(
            [DOCKER_BIN, "import", "-", BASE_IMAGE], check=False, stdin=tarball, env=docker_env(), capture_output=True, text=True, timeout=600
        )
    if proc.returncode:
        raise LabError("docker import failed: %s" % proc.stderr.strip())
    seconds = time.monotonic() - started
    log("base image %s from %s in %.1f s" % (BASE_IMAGE, source, seconds))
    return {"image": BASE_IMAGE, "source": source, "seconds": round(seconds, 1)}


def registry_ref(name):
    return "%s/%s" % (REGISTRY, name)


def build_image(name, context, build_args, push=False):
    started = time.monotonic()
    argv = ["build", "-q", "-t", name]
    if push:
        argv += ["-t", registry_ref(name)]
    for key, value in build_args.items():
        argv += ["--build-arg", "%s=%s" % (key, value)]
    docker(*argv, str(context), timeout=900)
    if push:
        docker("push", "-q", registry_ref(name), timeout=300)
    return round(time.monotonic() - started, 1)


def build_images(push=True, names=None):
    """Build (the layer cache makes a rebuild take seconds) and push the app images; build the lab's own images."""
    timings = {"base": ensure_base_image()}
    for name, (context, args) in APP_IMAGES.items():
        if names is None or name in names:
            timings[name] = build_image(name, context, args, push=push)
    for name, (context, args) in LAB_IMAGES.items():
        if names is None or name in names:
            timings[name] = build_image(name, context, args)
    docker("image", "prune", "-f", check=False)  # layers an earlier build left dangling
    log("images: %s" % ", ".join("%s %ss" % (k, v) for k, v in timings.items() if k != "base"))
    return timings


# --------------------------------------------------------------------------- per-stack network and database


def stack_dir(stack):
    path = LAB / "stacks" / stack
    path.mkdir(parents=True, exist_ok=True)
    return path


def network_name(stack):
    return "hatrading-%s" % stack


def ensure_network(stack):
    name = network_name(stack)
    if not inspect("network", name):
        docker("network", "create", "--driver", "bridge", "--label", "hatrading.stack=%s" % stack, name)
        log("network %s created" % name)
    return name


def postgres_name(stack):
    return "hatrading-%s-postgres" % stack


def database_secret(stack):
    """The lab database's password, generated once, kept in a mode-600 file (never printed)."""
    path = stack_dir(stack) / "postgres.secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def database_login(stack, aws=None):
    """(user, password, database) for the lab PostgreSQL: the database tier's secret in Secrets
    Manager (``<stack>/database/master``) when the stack has one, else a lab-generated password."""
    if aws is not None:
        try:
            value = aws.client("secretsmanager").get_secret_value(SecretId="%s/database/master" % stack)["SecretString"]
            login = json.loads(value)
            return login["username"], login["password"], login.get("dbname") or "trading"
        except Exception:  # noqa: BLE001  (no database tier in this stack: the lab's own login)
            pass
    return "trading", database_secret(stack), "trading"


def database_url(stack, login=None):
    user, password, dbname = login or database_login(stack)
    return "postgresql://%s:%s@%s:5432/%s" % (quote(user, safe=""), quote(password, safe=""), postgres_name(stack), quote(dbname, safe=""))


def ensure_postgres(stack, aliases=(), login=None):
    """PostgreSQL in a container on the stack's network (the database tier's stand-in); waits until healthy."""
    name = postgres_name(stack)
    found = inspect("container", name)
    if found and not found[0]["State"]["Running"]:
        docker("rm", "-f", name)
        found = []
    if not found:
        argv = ["run", "-d", "--init", "--name", name, "--network", network_name(stack), "--network-alias", "postgres"]
        for alias in aliases:
            argv += ["--network-alias", alias]
        argv += ["--label", "hatrading.stack=%s" % stack, "--label", "hatrading.lab-role=database"]
        user, password, dbname = login or database_login(stack)
        argv += ["-e", "POSTGRES_USER=%s" % user, "-e", "POSTGRES_DB=%s" % dbname, "--env-file", str(_secret_env_file(stack, password))]
        argv += ["-v", "%s-pgdata:/var/lib/postgresql/data" % name, "hatrading/lab-postgres:15"]
        docker(*argv)
        log("postgres container %s started" % name)
    wait_healthy(name, 120)
    return name


def _secret_env_file(stack, password):
    path = stack_dir(stack) / "postgres.env"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("POSTGRES_PASSWORD=%s\n" % password)
    return path


def wait_healthy(container, timeout):
    def healthy():
        found = inspect("container", container)
        if not found:
            raise LabError("container %s vanished" % container)
        state = found[0]["State"]
        if not state["Running"]:
            logs = container_logs(container, 30)
            raise LabError("container %s exited (%s): %s" % (container, state.get("ExitCode"), logs))
        health = state.get("Health")
        return health is None or health["Status"] == "healthy"

    _wait_for("container %s healthy" % container, healthy, timeout)


def stack_containers(stack, extra_filters=()):
    """Every container the lab made for a stack (running or not), inspected."""
    ids = docker("ps", "-aq", "--filter", "label=hatrading.stack=%s" % stack, *[arg for f in extra_filters for arg in ("--filter", f)]).split()
    return inspect("container", *ids)


def remove_stack(stack):
    """Stop the stack's watcher, then remove every container, the network and the database volume (graceful stop first)."""
    _stop_pid(LAB / "stacks" / stack / "watch.pid", "watcher %s" % stack)
    containers = stack_containers(stack)
    running = [c["Name"].lstrip("/") for c in containers if c["State"]["Running"]]
    if running:
        docker("stop", "-t", "10", *running, timeout=120)
    if containers:
        docker("rm", "-f", "-v", *[c["Id"] for c in containers])
    volumes = ["%s-pgdata" % postgres_name(stack)]  # the single PostgreSQL, and the nodes of the Multi-AZ pair (lab/plane/database.py)
    volumes += [v for v in docker("volume", "ls", "-q", "--filter", "name=hatrading-%s-pg-" % stack).split() if v.startswith("hatrading-%s-pg-" % stack)]
    for volume in volumes:
        if inspect("volume", volume):
            docker("volume", "rm", volume, check=False)
    if inspect("network", network_name(stack)):
        docker("network", "rm", network_name(stack))
    shutil.rmtree(LAB / "stacks" / stack, ignore_errors=True)
    return [c["Name"].lstrip("/") for c in containers]


def digest(data):
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
