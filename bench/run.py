"""`make bench`: seconds and API calls, our roles beside stock modules, on one fresh moto server.

For each side (ours: playbooks/site.yml --tags <tier>; stock: bench/baseline/<tier>.yml) the
harness empties moto, deploys every tier in order, then runs each again (the rerun). moto's
request record (lab/moto_server.py) counts the calls, read and mutating apart, for both sides
alike. Prints a table and writes the same figures as JSON to $BENCH_JSON (bench/results.json).

    python bench/run.py [--tiers network,compute] [--runs 1]
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "lab"))
import moto_server  # noqa: E402

# Tiers in deploy order; each needs bench/baseline/<tier>.yml to be compared.
TIERS = ["network", "database", "compute", "cdn", "monitoring", "pipeline"]
VARS = REPO / "playbooks" / "vars" / "demo.yml"


def command(side, tier):
    if side == "ours":
        return ["ansible-playbook", str(REPO / "playbooks" / "site.yml"), "-e", "@%s" % VARS, "--tags", tier]
    return ["ansible-playbook", str(REPO / "bench" / "baseline" / ("%s.yml" % tier)), "-e", "@%s" % VARS]


def run(argv, env, url):
    urllib.request.urlopen(urllib.request.Request(url + moto_server.CALLS_PATH, method="DELETE")).close()
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit("bench: %s failed (rc=%d)" % (" ".join(argv), proc.returncode))
    with urllib.request.urlopen(url + moto_server.CALLS_PATH) as answer:
        calls = json.load(answer)["calls"]
    recap = [line for line in proc.stdout.splitlines() if line.startswith("localhost")]
    changed = int(recap[-1].split("changed=")[1].split()[0]) if recap else None
    return {
        "seconds": round(seconds, 2),
        "calls": len(calls),
        "mutating": sum(1 for c in calls if c["kind"] == "mutating"),
        "read": sum(1 for c in calls if c["kind"] == "read"),
        "changed_tasks": changed,
    }


def measure(tiers, runs):
    server, url = moto_server.start_in_thread()
    env = dict(os.environ, AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), PATH=str(REPO / ".venv" / "bin") + os.pathsep + env.get("PATH", ""))
    results = {}
    try:
        for attempt in range(runs):
            for side in ("ours", "stock"):
                urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST")).close()
                for phase in ("deploy", "rerun"):
                    for tier in tiers:
                        figures = run(command(side, tier), env, url)
                        results.setdefault("%s %s" % (tier, phase), {}).setdefault(side, []).append(figures)
                        progress = (attempt + 1, side, tier, phase, figures["seconds"], figures["calls"], figures["mutating"])
                        print("  run %d %-5s %-8s %-6s %6.2f s %4d calls (%d mutating)" % progress, file=sys.stderr)
    finally:
        server.shutdown()
    return results


def best(samples):
    """The fastest run stands for a side (noise only ever adds time); calls are the same every run."""
    return min(samples, key=lambda figures: figures["seconds"])


def table(results):
    header = "%-18s %9s %9s %7s %16s %16s %9s" % ("scenario", "ours s", "stock s", "ratio", "ours calls(mut)", "stock calls(mut)", "changed")
    lines = [header, "-" * len(header)]
    for scenario, sides in results.items():
        ours, stock = best(sides["ours"]), best(sides["stock"])
        ratio = ours["seconds"] / stock["seconds"] if stock["seconds"] else float("nan")
        row = (scenario, ours["seconds"], stock["seconds"], ratio, ours["calls"], ours["mutating"], stock["calls"], stock["mutating"])
        changed = (ours["changed_tasks"], stock["changed_tasks"])
        lines.append("%-18s %9.2f %9.2f %6.2fx %11d (%2d) %11d (%2d) %4s/%-4s" % (row + changed))
    return "\n".join(lines)


def inventory(sizes, json_path):
    """Our inventory plugin beside amazon.aws.aws_ec2 and the plain boto3 floor (bench/inventory_bench.py)."""
    print("\ninventory: hatrading.aws.stack vs amazon.aws.aws_ec2 vs boto3 (this takes a few minutes)", flush=True)
    argv = [sys.executable, str(REPO / "bench" / "inventory_bench.py"), "--sizes", sizes, "--replay-sizes", "1000,10000", "--json", str(json_path)]
    env = dict(os.environ, PATH=str(REPO / ".venv" / "bin") + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    subprocess.run(argv, cwd=REPO, env=env, check=True)
    return json.loads(json_path.read_text())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tiers", default=",".join(TIERS))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "1")))
    parser.add_argument(
        "--inventory-sizes",
        default=os.environ.get("BENCH_INVENTORY_SIZES", "1000"),
        help="instances seeded in moto for the inventory comparison (empty: skip it); 10,000 is replayed, see docs/inventory.md",
    )
    args = parser.parse_args(argv)
    tiers = [tier for tier in args.tiers.split(",") if tier]
    results = measure(tiers, args.runs)
    print(table(results))
    path = Path(os.environ.get("BENCH_JSON", REPO / "bench" / "results.json"))
    summary = {scenario: {side: best(samples) for side, samples in sides.items()} for scenario, sides in results.items()}
    document = {"runs": args.runs, "results": summary, "samples": results}
    if args.inventory_sizes:
        document["inventory"] = inventory(args.inventory_sizes, path.with_name(path.stem + "-inventory.json"))
    path.write_text(json.dumps(document, indent=2))
    print("figures written to %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
