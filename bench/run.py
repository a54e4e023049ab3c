"""`make bench`: seconds and API calls, our roles beside stock modules, on one fresh moto server.

For each side (ours: playbooks/site.yml --tags <tier>; stock: bench/baseline/<tier>.yml) the
harness empties moto, deploys every tier in order, then runs each again (the rerun). moto's
request record (lab/moto_server.py) counts the calls, read and mutating apart, for both sides
alike. Prints a table and writes the same figures as JSON to $BENCH_JSON (bench/results.json).

The clock scenario deploys the whole stack (ours: site.yml; stock: the baseline tiers in order) on a
fresh moto twice in the same run: on the instant clock and on the lab's realistic clock
(lab/moto_clock.py: AWS's in-between states for AWS's durations / --clock-scale). The difference is
the waiting; times the scale plus the instant run it gives about the minutes the deploy takes on AWS.
After each deploy the whole stack runs again unchanged (the no-op rerun): on the instant clock, and on
the realistic clock with --rerun-latency-ms a call (50 ms: AWS's own latency, which a rerun of reads feels).

    python bench/run.py [--tiers network,compute] [--runs 1] [--clock-scale 15 | --clock-scale 0] [--rerun-latency-ms 50]
        [--skip-tiers] [--sides ours] [--inventory-sizes ""]
    python bench/run.py --rerun-only [--before /path/to/a/checkout/of/main]   # the no-op rerun alone, ours beside stock
    python bench/run.py --rerun-only --rerun-tiers pipeline [--before ...]   # the whole deploy, then one tier's rerun
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
import moto_clock  # noqa: E402
import moto_server  # noqa: E402

# Tiers in deploy order; each needs bench/baseline/<tier>.yml to be compared.
TIERS = ["network", "database", "nosql", "compute", "cdn", "eks", "logs", "monitoring", "pipeline"]
VARS = REPO / "playbooks" / "vars" / "demo.yml"
# The optional tiers (core/registry.py) are off in demo.yml: a run with any of them takes growth.yml (demo.yml plus them).
OPTIONAL = ("nosql", "eks", "logs")
GROWTH_VARS = REPO / "playbooks" / "vars" / "growth.yml"


def vars_for(tiers):
    return GROWTH_VARS if any(tier in OPTIONAL for tier in tiers) else VARS


def command(side, tier):
    if side == "ours":
        return ["ansible-playbook", str(REPO / "playbooks" / "site.yml"), "-e", "@%s" % vars_for([tier]), "--tags", tier]
    return ["ansible-playbook", str(REPO / "bench" / "baseline" / ("%s.yml" % tier)), "-e", "@%s" % vars_for([tier])]


def run(argv, env, url, must_pass=True, cwd=REPO):
    urllib.request.urlopen(urllib.request.Request(url + moto_server.CALLS_PATH, method="DELETE")).close()
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        if must_pass:
            raise SystemExit("bench: %s failed (rc=%d)" % (" ".join(argv), proc.returncode))
    with urllib.request.urlopen(url + moto_server.CALLS_PATH) as answer:
        calls = json.load(answer)["calls"]
    recap = [line for line in proc.stdout.splitlines() if line.startswith("localhost")]
    timeline = timeline_of(proc.stdout)
    changed = int(recap[-1].split("changed=")[1].split()[0]) if recap else None
    return {
        "seconds": round(seconds, 2),
        "calls": len(calls),
        "mutating": sum(1 for c in calls if c["kind"] == "mutating"),
        "read": sum(1 for c in calls if c["kind"] == "read"),
        "changed_tasks": changed,
        "rc": proc.returncode,
        **({"timeline": timeline} if timeline else {}),
    }


def timeline_of(stdout):
    """The timeline site.yml prints at its end (the debug task's list), as plain lines."""
    lines, inside = [], False
    for line in stdout.splitlines():
        text = line.strip().lstrip("-").strip().strip("'\"").rstrip()
        if text.startswith("timeline (m:ss"):
            lines, inside = [text], True
        elif inside and ("started" in text or text.strip().startswith("total")):
            lines.append(text)
        else:
            inside = False
    return lines


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


def deploy_commands(side, tiers):
    """The whole stack's deploy: ours in one site.yml run, stock as its baseline tiers one after another.

    The side "floor" (bench/floor.yml) runs as many stock AWS module processes as the demo stack's rerun (8), one read or two
    each and nothing else: what ansible-core and amazon.aws cost before any tier reads or compares.
    """
    if side == "floor":
        return [["ansible-playbook", str(REPO / "bench" / "floor.yml")]]
    if side == "ours":
        return [["ansible-playbook", str(REPO / "playbooks" / "site.yml"), "-e", "@%s" % vars_for(tiers)]]
    return [command("stock", tier) for tier in tiers]


def longest_create(scale):
    """The longest create (seconds, AWS's upper figure) and what it is, at this scale."""
    kind = max(moto_clock.AWS_SECONDS, key=lambda name: moto_clock.AWS_SECONDS[name][1])
    return kind, moto_clock.AWS_SECONDS[kind][0] / scale, moto_clock.AWS_SECONDS[kind][1] / scale


def run_all(side, tiers, env, url):
    """The whole stack's playbooks one after another, summed (stops at the first failure)."""
    total = {"seconds": 0.0, "calls": 0, "mutating": 0, "read": 0, "rc": 0, "playbooks": []}
    for argv in deploy_commands(side, tiers):
        figures = run(argv, env, url, must_pass=False)
        for key in ("seconds", "calls", "mutating", "read"):
            total[key] += figures[key]
        total["playbooks"].append(dict(figures, playbook=Path(argv[1]).name))
        if figures["rc"]:
            total["rc"] = figures["rc"]
            break
    total["seconds"] = round(total["seconds"], 2)
    return total


def measure_clock(tiers, scale, latency_ms, rerun_latency_ms=50.0, sides=("ours", "stock")):
    """For each side on one moto: the whole deploy and its no-op rerun on the instant clock, then on the realistic one.

    The realistic rerun runs with ``rerun_latency_ms`` a call (AWS's own latency, which a rerun of reads feels most).
    """
    server, url = moto_server.start_in_thread()
    env = dict(os.environ, AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), PATH=str(REPO / ".venv" / "bin") + os.pathsep + env.get("PATH", ""))
    results = {}
    try:
        for side in sides:
            for clock in (moto_clock.Clock(), moto_clock.Clock("realistic", scale=scale, latency_ms=latency_ms, seed=13)):
                moto_clock.install(clock)
                urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST")).close()
                total = run_all(side, tiers, env, url)
                rerun_clock = clock
                if clock.realistic and rerun_latency_ms != latency_ms:
                    rerun_clock = moto_clock.Clock("realistic", scale=scale, latency_ms=rerun_latency_ms, seed=13)
                    moto_clock.install(rerun_clock)
                total["rerun"] = run_all(side, tiers, env, url) if not total["rc"] else None
                total["rerun_clock"] = rerun_clock.describe()
                results.setdefault(side, {})[clock.mode] = total
                for phase, figures, shown in (("deploy", total, clock), ("rerun", total["rerun"], rerun_clock)):
                    if figures:
                        failed = "" if not figures["rc"] else " FAILED rc=%d" % figures["rc"]
                        progress = (side, phase, shown.describe(), figures["seconds"], figures["calls"], figures["read"], failed)
                        print("  clock %-5s %-6s %-45s %7.2f s %4d calls (%d read)%s" % progress, file=sys.stderr)
        floor = {}
        for clock in (moto_clock.Clock(), moto_clock.Clock("realistic", scale=scale, latency_ms=rerun_latency_ms, seed=13)):
            moto_clock.install(clock)
            floor[clock.mode] = dict(run_all("floor", tiers, env, url), rerun_clock=clock.describe())
    finally:
        moto_clock.install(moto_clock.Clock())
        server.shutdown()
    kind, low, high = longest_create(scale)
    for figures in results.values():
        instant, realistic = figures["instant"], figures["realistic"]
        waited = realistic["seconds"] - instant["seconds"]
        # on AWS: the waiting at full length, plus the Ansible and API overhead the instant clock shows
        figures["waited_seconds"] = round(waited, 2)
        figures["aws_minutes"] = round((waited * scale + instant["seconds"]) / 60.0, 1)
        figures["waited_over_longest_create"] = round(waited / high, 2)
    longest = {"kind": kind, "seconds": [round(low, 1), round(high, 1)]}
    return {"scale": scale, "latency_ms": latency_ms, "rerun_latency_ms": rerun_latency_ms, "longest_create": longest, "sides": results, "floor": floor}


def measure_rerun(tiers, scale, rerun_latency_ms, sides, before=None, rerun_tiers=()):
    """Only the no-op rerun of the whole stack, each side on a freshly reset moto: a deploy on the instant clock,
    its rerun there (moto), then a rerun on the realistic clock with ``rerun_latency_ms`` a call (what was made on
    the instant clock shows no in-between state: the realistic rerun adds only the latency).

    ``before``: another checkout (the main branch, say) whose site.yml runs as the side "before", in the same run;
    the side "floor" last (deploy_commands). ``rerun_tiers``: rerun only these tiers after the whole deploy
    (ours and before: ``site.yml --tags``; stock: their baselines; no floor), to time one tier's change.
    """
    server, url = moto_server.start_in_thread()
    base = dict(os.environ, AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    base["PATH"] = str(REPO / ".venv" / "bin") + os.pathsep + base.get("PATH", "")
    results = {}
    try:
        for side in sides + (("before",) if before else ()) + (() if rerun_tiers else ("floor",)):
            repo = Path(before) if side == "before" else REPO
            env = dict(base, ANSIBLE_CONFIG=str(repo / "ansible.cfg"))
            commands = deploy_commands(side if side in ("stock", "floor") else "ours", tiers)
            if side == "before":
                variables = repo / "playbooks" / "vars" / vars_for(tiers).name
                commands = [[argv[0], str(repo / "playbooks" / "site.yml"), "-e", "@%s" % variables] for argv in commands]
            reruns = commands
            if rerun_tiers and side == "stock":
                reruns = [command("stock", tier) for tier in rerun_tiers]
            elif rerun_tiers:
                reruns = [argv + ["--tags", ",".join(rerun_tiers)] for argv in commands]
            moto_clock.install(moto_clock.Clock())
            figures = {}
            if side != "floor":  # the floor deploys nothing: it reads the stack the last side left
                urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST")).close()
                figures["deploy"] = _run_each(commands, env, url, repo)
            figures["rerun_moto"] = _run_each(reruns, env, url, repo)
            clock = moto_clock.Clock("realistic", scale=scale, latency_ms=rerun_latency_ms, seed=13)
            moto_clock.install(clock)
            figures["rerun_realistic"] = dict(_run_each(reruns, env, url, repo), clock=clock.describe())
            results[side] = figures
            for phase in ("rerun_moto", "rerun_realistic"):
                f = figures[phase]
                failed = " FAILED" if f["rc"] else ""
                print("  %-6s %-16s %7.2f s %4d calls (%d read)%s" % (side, phase, f["seconds"], f["calls"], f["read"], failed), file=sys.stderr)
    finally:
        moto_clock.install(moto_clock.Clock())
        server.shutdown()
    return {"latency_ms": rerun_latency_ms, "scale": scale, "sides": results, "tiers": list(rerun_tiers)}


def _run_each(commands, env, url, cwd):
    total = {"seconds": 0.0, "calls": 0, "mutating": 0, "read": 0, "rc": 0, "changed_tasks": 0}
    for argv in commands:
        figures = run(argv, env, url, must_pass=False, cwd=cwd)
        for key in ("seconds", "calls", "mutating", "read"):
            total[key] += figures[key]
        total["changed_tasks"] += figures["changed_tasks"] or 0
        total["rc"] = total["rc"] or figures["rc"]
    total["seconds"] = round(total["seconds"], 2)
    return total


def rerun_table(rerun):
    if rerun.get("tiers"):
        lines = ["", "no-op rerun of %s after the whole deploy (ours and before: site.yml --tags; stock: its baseline)" % ", ".join(rerun["tiers"])]
    else:
        lines = ["", "no-op rerun of the whole stack (ours and before: site.yml; stock: the baseline tiers in order;"]
        lines.append("floor: bench/floor.yml, as many stock AWS module processes as the demo stack's rerun runs (8), a read or two each)")
    lines.append("%-7s %10s %8s %8s %10s %22s %8s" % ("side", "moto s", "calls", "read", "changed", "realistic %g ms/call s" % rerun["latency_ms"], "read"))
    for side, f in rerun["sides"].items():
        moto, real = f["rerun_moto"], f["rerun_realistic"]
        failed = "  FAILED" if moto["rc"] or real["rc"] else ""
        row = (side, moto["seconds"], moto["calls"], moto["read"], moto["changed_tasks"], real["seconds"], real["read"], failed)
        lines.append("%-7s %10.2f %8d %8d %10d %22.2f %8d%s" % row)
    return "\n".join(lines)


def clock_table(clock):
    kind, (low, high) = clock["longest_create"]["kind"], clock["longest_create"]["seconds"]
    lines = [
        "",
        "deploy on the realistic clock (AWS durations / %g; longest create %s: %.0f-%.0f s at this scale)" % (clock["scale"], kind, low, high),
        "%-6s %10s %12s %10s %14s %12s" % ("side", "instant s", "realistic s", "waited s", "waited/longest", "AWS minutes"),
    ]
    for side, sides in clock["sides"].items():
        failed = [mode for mode in ("instant", "realistic") if sides[mode]["rc"]]
        row = (side, sides["instant"]["seconds"], sides["realistic"]["seconds"], sides["waited_seconds"])
        row += (sides["waited_over_longest_create"], sides["aws_minutes"])
        lines.append("%-6s %10.2f %12.2f %10.2f %13.2fx %12.1f%s" % (row + (("  FAILED: " + ", ".join(failed)) if failed else "",)))
    lines.append("AWS minutes = (realistic - instant) x scale + instant: the waits at full length plus the overhead")
    for side, sides in clock["sides"].items():
        for playbook in sides["realistic"]["playbooks"]:
            if playbook.get("timeline"):
                lines.extend(["", "%s, realistic clock: %s" % (side, playbook["timeline"][0])] + playbook["timeline"][1:])
    lines.append("")
    lines.append("no-op rerun of the whole stack (ours: site.yml; stock: the baseline tiers in order;")
    lines.append("floor: bench/floor.yml, as many stock AWS module processes as the demo stack's rerun runs (8), a read or two each)")
    lines.append("%-6s %-44s %10s %8s %8s" % ("side", "clock", "seconds", "calls", "read"))
    reruns = [(side, sides[mode]["rerun_clock"], sides[mode].get("rerun")) for side, sides in clock["sides"].items() for mode in ("instant", "realistic")]
    reruns += [("floor", figures["rerun_clock"], figures) for figures in clock.get("floor", {}).values()]
    for side, shown, rerun in reruns:
        if rerun:
            failed = "  FAILED" if rerun["rc"] else ""
            lines.append("%-6s %-44s %10.2f %8d %8d%s" % (side, shown, rerun["seconds"], rerun["calls"], rerun["read"], failed))
    return "\n".join(lines)


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
    parser.add_argument(
        "--clock-scale",
        type=float,
        default=float(os.environ.get("BENCH_CLOCK_SCALE", "15")),
        help="the realistic-clock deploy at AWS durations / this (15: RDS Multi-AZ 60-80 s); 0 skips it",
    )
    parser.add_argument("--clock-latency-ms", type=float, default=float(os.environ.get("BENCH_CLOCK_LATENCY_MS", "0")))
    parser.add_argument(
        "--rerun-latency-ms",
        type=float,
        default=float(os.environ.get("BENCH_RERUN_LATENCY_MS", "50")),
        help="the realistic clock's latency a call for the no-op rerun of the whole stack (issue 13: 50 ms)",
    )
    parser.add_argument("--sides", default="ours,stock", help="the sides of the clock scenario (ours, stock or both)")
    parser.add_argument("--skip-tiers", action="store_true", help="skip the per-tier deploys and reruns (the clock scenario and the inventory only)")
    parser.add_argument(
        "--rerun-only",
        action="store_true",
        help="only the no-op rerun of the whole stack, on moto and on the realistic clock with --rerun-latency-ms (each side deployed once first)",
    )
    parser.add_argument("--before", help="with --rerun-only: another checkout (e.g. main) whose site.yml is measured as the side 'before' in the same run")
    parser.add_argument("--rerun-tiers", default="", help="with --rerun-only: after the whole deploy, rerun only these tiers (comma-separated)")
    args = parser.parse_args(argv)
    tiers = [tier for tier in args.tiers.split(",") if tier]
    if args.rerun_only:
        sides = tuple(side for side in args.sides.split(",") if side)
        rerun_tiers = tuple(tier for tier in args.rerun_tiers.split(",") if tier)
        rerun = measure_rerun([t for t in tiers if t not in OPTIONAL], args.clock_scale or 15.0, args.rerun_latency_ms, sides, args.before, rerun_tiers)
        print(rerun_table(rerun))
        path = Path(os.environ.get("BENCH_JSON", REPO / "bench" / "results.json"))
        path.write_text(json.dumps({"rerun": rerun}, indent=2))
        print("figures written to %s" % path)
        return 0
    results = {} if args.skip_tiers else measure(tiers, args.runs)
    if results:
        print(table(results))
    clock = None
    if args.clock_scale > 0:
        print("\nthe whole deploy, instant clock then realistic clock (a few minutes)", flush=True)
        sides = tuple(side for side in args.sides.split(",") if side)
        clock = measure_clock(tiers, args.clock_scale, args.clock_latency_ms, args.rerun_latency_ms, sides)
        print(clock_table(clock))
    path = Path(os.environ.get("BENCH_JSON", REPO / "bench" / "results.json"))
    summary = {scenario: {side: best(samples) for side, samples in sides.items()} for scenario, sides in results.items()}
    document = {"runs": args.runs, "results": summary, "samples": results}
    if clock:
        document["clock"] = clock
    if args.inventory_sizes:
        document["inventory"] = inventory(args.inventory_sizes, path.with_name(path.stem + "-inventory.json"))
    path.write_text(json.dumps(document, indent=2))
    print("figures written to %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
