"""The lab's Prometheus: Debian's Prometheus in a container on the stack's network, scraping the back-end containers.

The AWS side of the observability tier is an AMP workspace (moto keeps its record, not its samples). When moto
holds the stack's workspace (alias ``<stack>-prometheus``, tagged with the stack), the lab runs a real Prometheus
for it: the targets are the back-end instances moto lists, as the containers the lab maps them to (their names
on the stack's network, never moto's 10.x addresses), written for file service discovery each round; the rules
are the observability role's own files. Its HTTP API is published on loopback (``url(stack)``).
"""

import json
import os
import shutil
import urllib.parse
import urllib.request

from plane import engine, instances

IMAGE = "hatrading/lab-prometheus:2.42"
CONTEXT = engine.REPO / "lab" / "images" / "prometheus"
RULES = engine.REPO / "roles" / "observability" / "files" / "rules"
PORT = 9090
# Seconds between scrapes and rule evaluations: short, so a lab test sees its load within a few seconds.
INTERVAL = 2


def container_name(stack):
    return "hatrading-%s-prometheus" % stack


def workspace(session, stack):
    """The stack's AMP workspace in moto, or None."""
    alias = "%s-prometheus" % stack
    amp = getattr(session, "_lab_amp", None)
    if amp is None:  # one client per session: a watcher asks every round
        amp = session._lab_amp = session.client("amp")
    found = amp.list_workspaces(alias=alias)["workspaces"]
    return next((w for w in found if w.get("alias") == alias and (w.get("tags") or {}).get("hatrading:stack") == stack), None)


def targets(stack):
    """File service discovery entries: each running back-end container, by its name on the stack's network, with its port."""
    entries = []
    for row in instances.instance_report(stack):
        if row["tier"] != "backend" or row["state"] != "running":
            continue
        env = dict(item.split("=", 1) for item in engine.inspect("container", row["container"])[0]["Config"]["Env"] if "=" in item)
        labels = {"instance_id": row["instance_id"], "asg": row["asg"] or "", "az": row["az"] or ""}
        entries.append({"targets": ["%s:%s" % (row["container"], env.get("PORT", instances.DEFAULT_PORT))], "labels": labels})
    return entries


def render_config(rule_files):
    """prometheus.yml: one job, the back-end, from the targets file; the role's rule files."""
    lines = [
        "global:",
        "  scrape_interval: %ds" % INTERVAL,
        "  evaluation_interval: %ds" % INTERVAL,
        "rule_files:",
    ]
    lines += ["  - /etc/prometheus/lab/rules/%s" % name for name in rule_files]
    lines += [
        "scrape_configs:",
        "  - job_name: backend",
        "    metrics_path: /metrics",
        "    file_sd_configs:",
        "      - files: [/etc/prometheus/lab/targets.json]",
        "        refresh_interval: %ds" % INTERVAL,
    ]
    return "\n".join(lines) + "\n"


def _write(path, text):
    """Atomically (a rename), so Prometheus never reads half a file."""
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(text)
    os.chmod(partial, 0o644)
    os.replace(partial, path)


def ensure_container(stack):
    """The Prometheus container, recreated when its configuration or rules change; returns its home on the host."""
    home = engine.stack_dir(stack) / "prometheus"
    (home / "rules").mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o755)
    os.chmod(home / "rules", 0o755)
    rule_files = sorted(path.name for path in RULES.glob("*.yml"))
    config = render_config(rule_files)
    digest = engine.digest({"config": config, "rules": dict((name, (RULES / name).read_text()) for name in rule_files)})
    if not (home / "targets.json").exists():
        _write(home / "targets.json", "[]\n")
    name = container_name(stack)
    found = engine.inspect("container", name)
    if found and found[0]["State"]["Running"] and found[0]["Config"]["Labels"].get("hatrading.prometheus-config") == digest:
        return home
    if found:
        engine.docker("rm", "-f", name)
    if not engine.image_exists(IMAGE):  # built on first use: stacks without the observability tier never need it
        engine.build_image(IMAGE, CONTEXT, {})
    for stale in (home / "rules").glob("*.yml"):
        stale.unlink()
    for rule_file in rule_files:
        shutil.copyfile(RULES / rule_file, home / "rules" / rule_file)
        os.chmod(home / "rules" / rule_file, 0o644)
    _write(home / "prometheus.yml", config)
    argv = ["run", "-d", "--init", "--name", name, "--network", engine.network_name(stack), "--network-alias", "prometheus"]
    argv += ["--label", "hatrading.stack=%s" % stack, "--label", "hatrading.lab-role=prometheus", "--label", "hatrading.prometheus-config=%s" % digest]
    argv += ["-p", "127.0.0.1::%d" % PORT, "-v", "%s:/etc/prometheus/lab:ro" % home, IMAGE]
    engine.docker(*argv)
    engine.log("prometheus %s started for stack %s" % (name, stack))
    return home


def remove(stack):
    """The container and its home, if the lab made them (no Docker call for a stack that never had one)."""
    home = engine.stack_dir(stack) / "prometheus"
    if not home.exists():
        return False
    found = bool(engine.inspect("container", container_name(stack)))
    if found:
        engine.docker("rm", "-f", container_name(stack))
    shutil.rmtree(home, ignore_errors=True)
    return found


def sync(session, stack):
    """One round: with the stack's workspace in moto, Prometheus runs and scrapes the back-ends; without it, none."""
    if not workspace(session, stack):
        return {"running": False, "removed": remove(stack)}
    home = ensure_container(stack)
    entries = targets(stack)
    text = json.dumps(entries, indent=1, sort_keys=True) + "\n"
    changed = not (home / "targets.json").exists() or (home / "targets.json").read_text() != text
    if changed:
        _write(home / "targets.json", text)
    return {"running": True, "targets": sorted(t for entry in entries for t in entry["targets"]), "targets_changed": changed}


def url(stack):
    """The HTTP API on loopback, or None."""
    found = engine.inspect("container", container_name(stack))
    bindings = (found[0]["NetworkSettings"].get("Ports") or {}).get("%d/tcp" % PORT) if found else None
    return "http://127.0.0.1:%s" % bindings[0]["HostPort"] if bindings else None


def api(stack, path, **params):
    """GET the Prometheus HTTP API (loopback only); the parsed answer."""
    base = url(stack)
    if not base:
        raise engine.LabError("no Prometheus for stack %s (is the observability tier deployed?)" % stack)
    with urllib.request.urlopen("%s%s?%s" % (base, path, urllib.parse.urlencode(params)), timeout=10) as answer:
        return json.load(answer)


def query(stack, promql):
    """An instant PromQL query: [(labels, value)]."""
    answer = api(stack, "/api/v1/query", query=promql)
    if answer.get("status") != "success":
        raise engine.LabError("query %s failed: %s" % (promql, answer))
    return [(item["metric"], float(item["value"][1])) for item in answer["data"]["result"]]
