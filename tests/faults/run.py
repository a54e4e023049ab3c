"""Fault runs of the whole demo stack through the fault proxy (tests/faults/proxy.py), bounded and seeded.

    python tests/faults/run.py throttle [--runs 10] [--seed 1] [--throttle 0.2] [--errors 0.05]
        Each run: an empty moto, site.yml -e @playbooks/vars/demo.yml through the proxy (that share of calls
        throttled, that share answered 500/503), then its state compared with a clean deploy's, resource by
        resource (tests/faults/state.py). Prints "fault runs passed: N of M".
    python tests/faults/run.py lost [--tier network] [--operations CreateVpc,AllocateAddress]
        For each mutating call of a clean first deploy (the first of each operation; of one tier, or those
        named): an empty moto, a deploy whose answer to that call is lost (it takes effect, the client gets
        HTTP 500), a second deploy that must converge with no duplicate and no orphan, and a third that
        must change nothing. Prints "lost-answer cases that converged: N of M".

moto (lab/moto_server.py) and the proxy both listen on loopback, on free ports; --json FILE keeps the figures.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "lab"))
sys.path.insert(0, str(HERE))
import moto_server  # noqa: E402
from proxy import FaultPlan  # noqa: E402
from proxy import start_proxy  # noqa: E402
from state import differences  # noqa: E402
from state import duplicates  # noqa: E402
from state import stack_state  # noqa: E402

STACK = "demo"
DEPLOY = ["ansible-playbook", "playbooks/site.yml", "-e", "@playbooks/vars/demo.yml"]
RUN_TIMEOUT = 1200  # seconds a deploy may take before the run counts it failed
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
# the tiers in deploy order and their services, to pick one tier's mutating calls
TIERS = ("network", "database", "compute", "cdn", "monitoring", "pipeline")
TIER_SERVICES = {
    "network": ("ec2", "logs", "iam"),
    "database": ("rds", "kms", "secretsmanager"),
    "compute": ("ec2", "elasticloadbalancing", "autoscaling", "iam"),
    "cdn": ("s3", "cloudfront"),
    "monitoring": ("sns", "monitoring", "logs"),
    "pipeline": ("ecr", "codecommit", "codebuild", "codedeploy", "codepipeline", "events", "iam", "s3"),
}


class Lab:
    """moto and the fault proxy in front of it, for one harness run."""

    def __init__(self, tags=None):
        self.server, self.moto_url = moto_server.start_in_thread()
        self.proxy = start_proxy(self.moto_url)
        self.tags = tags  # site.yml --tags: the tiers deployed (all by default)

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(self.moto_url + "/moto-api/reset", method="POST")).close()
        urllib.request.urlopen(urllib.request.Request(self.moto_url + moto_server.CALLS_PATH, method="DELETE")).close()

    def deploy(self):
        """One site.yml run: {"rc", "changed", "seconds", "tail"}."""
        env = dict(os.environ, **AWS_ENV)
        env.update(AWS_ENDPOINT_URL=self.proxy.url, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        start = time.monotonic()
        try:
            argv = DEPLOY + (["--tags", self.tags] if self.tags else [])
            proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
            rc, output = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as timeout:
            rc, output = -1, "timed out after %ds\n%s" % (RUN_TIMEOUT, timeout.stdout or "")
        recap = [line for line in output.splitlines() if line.startswith("localhost ")]
        changed = int(recap[-1].split("changed=")[1].split()[0]) if recap else None
        failed = [line for line in output.splitlines() if line.startswith(("fatal:", "failed:")) or '"msg":' in line]
        return {"rc": rc, "changed": changed, "seconds": round(time.monotonic() - start, 1), "tail": "\n".join(failed[-3:])[-1500:]}

    def state(self):
        return stack_state(self.moto_url, STACK)

    def stop(self):
        self.proxy.stop()
        self.server.shutdown()


def clean_reference(lab):
    """A clean deploy's state and its mutating calls, in order, named by the proxy (REST calls by their API name)."""
    lab.reset()
    lab.proxy.configure(FaultPlan())
    result = lab.deploy()
    if result["rc"] != 0:
        raise SystemExit("the clean deploy failed:\n%s" % result["tail"])
    calls = [{"service": service, "operation": operation} for service, operation in lab.proxy.counts()["mutating"]]
    return lab.state(), calls


def throttle_runs(lab, args):
    reference, _calls = clean_reference(lab)
    runs = []
    for index in range(args.runs):
        lab.reset()
        lab.proxy.configure(FaultPlan(seed=args.seed + index, throttle=args.throttle, errors=args.errors, max_faults=args.max_faults))
        result = lab.deploy()
        result["faults"] = lab.proxy.counts()["injected"]
        result["differences"] = differences(reference, lab.state())
        result["passed"] = result["rc"] == 0 and not result["differences"]
        runs.append(result)
        print(
            "run %d (seed %d): rc=%s %ss injected=%s differences=%d %s"
            % (
                index + 1,
                args.seed + index,
                result["rc"],
                result["seconds"],
                result["faults"],
                len(result["differences"]),
                result["tail"] if result["rc"] else "",
            ),
            flush=True,
        )
        for line in result["differences"][:10]:
            print("    " + line, flush=True)
    passed = sum(1 for run in runs if run["passed"])
    print(
        "fault runs passed: %d of %d (throttle %.0f%%, 500/503 %.0f%%, seeds %d-%d)"
        % (passed, len(runs), args.throttle * 100, args.errors * 100, args.seed, args.seed + args.runs - 1)
    )
    return {"mode": "throttle", "passed": passed, "runs": runs}


def lost_case(lab, reference, operation, occurrence=1, noise=None):
    """One lost answer: deploy with it, then a deploy that must converge to ``reference``, then one that changes nothing."""
    lab.reset()
    lab.proxy.configure(FaultPlan(lose={operation: [occurrence]}, **(noise or {})))
    first = lab.deploy()
    lost = lab.proxy.counts()["injected"].get("lost", 0)
    lab.proxy.configure(FaultPlan())
    second = lab.deploy()
    state = lab.state()
    third = lab.deploy()
    case = {
        "operation": operation,
        "occurrence": occurrence,
        "lost": lost,
        "first_rc": first["rc"],
        "second_rc": second["rc"],
        "third_rc": third["rc"],
        "third_changed": third["changed"],
        "duplicates": duplicates(state),
        "differences": differences(reference, state),
        "tail": second["tail"] or third["tail"],
    }
    case["converged"] = bool(lost) and second["rc"] == 0 and third["rc"] == 0 and third["changed"] == 0 and not case["differences"]
    return case


def lost_runs(lab, args):
    reference, calls = clean_reference(lab)
    operations, operation_tier = [], {}
    if args.tier:  # an operation belongs to the first tier that calls it (CreateRole: network's flow logs)
        for call in calls:
            operation_tier.setdefault(call["operation"], next((t for t in TIERS if call["service"] in TIER_SERVICES[t]), None))
    for call in calls:
        if call["operation"] in operations or " " in call["operation"]:  # a REST call botocore's model could not name
            continue
        if args.tier and (call["service"] not in TIER_SERVICES[args.tier] or operation_tier.get(call["operation"], args.tier) != args.tier):
            continue
        operations.append(call["operation"])
    if args.operations:
        operations = [operation for operation in args.operations.split(",") if operation]
    cases = []
    for operation in operations[: args.limit or None]:
        case = lost_case(lab, reference, operation)
        cases.append(case)
        print(
            "lost %s: lost=%d runs rc=%s/%s/%s third changed=%s converged=%s %s"
            % (
                operation,
                case["lost"],
                case["first_rc"],
                case["second_rc"],
                case["third_rc"],
                case["third_changed"],
                case["converged"],
                case["tail"] if not case["converged"] else "",
            ),
            flush=True,
        )
        for line in case["differences"][:10]:
            print("    " + line, flush=True)
    converged = sum(1 for case in cases if case["converged"])
    print("lost-answer cases that converged: %d of %d" % (converged, len(cases)))
    return {"mode": "lost", "converged": converged, "cases": cases}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    throttle = sub.add_parser("throttle")
    throttle.add_argument("--runs", type=int, default=10)
    throttle.add_argument("--seed", type=int, default=1)
    throttle.add_argument("--throttle", type=float, default=0.2)
    throttle.add_argument("--errors", type=float, default=0.05)
    throttle.add_argument("--max-faults", type=int, default=5000)
    lost = sub.add_parser("lost")
    lost.add_argument("--tier", choices=TIERS, help="that tier's calls, deploying only the tiers up to it (site.yml --tags)")
    lost.add_argument("--operations", help="comma-separated operation names (default: every mutating call of a clean deploy)")
    lost.add_argument("--limit", type=int, default=0)
    for each in (throttle, lost):
        each.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    tier = getattr(args, "tier", None)
    lab = Lab(",".join(TIERS[: TIERS.index(tier) + 1]) if tier else None)  # a tier's cases deploy it and the tiers before it
    try:
        figures = throttle_runs(lab, args) if args.mode == "throttle" else lost_runs(lab, args)
    finally:
        lab.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0 if figures.get("passed", figures.get("converged")) == len(figures.get("runs", figures.get("cases", []))) else 1


if __name__ == "__main__":
    sys.exit(main())
