"""Inventory bench: hatrading.aws.stack beside amazon.aws.aws_ec2 and a plain boto3 describe (the floor).

For each size it seeds moto with that many instances of one stack (two tiers, an Auto Scaling group,
target groups with registered targets) plus decoys (another stack, untagged instances), then measures
wall time and peak RSS of:

  * the floor: a Python process doing one filtered, paginated boto3 DescribeInstances;
  * ``ansible-inventory --list`` with hatrading.aws.stack, cold (``--flush-cache``) and on a cache hit;
  * ``ansible-inventory --list`` with amazon.aws.aws_ec2 filtered to the same stack, cold and on a cache hit;

and the API calls each made (from the lab moto's call record). It prints a table and the targets of
issues 6 and 13, and writes everything to ``--json``. Replayed sizes (``--replay-sizes``) are served from moto's
answers for the smallest seeded size; the largest is also spread over 4 regions (``--replay-regions``), and our
cold run at one region and at 4 alternate ``--fleet-repeats`` times (issue 13: the regions' concurrency must
hide the extra regions).

    python bench/inventory_bench.py [--endpoint URL] [--json OUT] [--sizes 1000,3000]

Without ``--endpoint`` it starts lab/moto_server.py on a free loopback port and stops it (by pid) at the end.
moto 5.2.5 makes RunInstances and DescribeInstances cost O(instances held) per instance, so seeding and
describing grow quadratically: see ``--max-seed-seconds`` and the notes printed with the table.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs
from xml.etree import ElementTree

import boto3
from botocore.config import Config
from werkzeug.serving import WSGIRequestHandler, make_server

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable
REGION = "us-east-1"
FLEET_REGIONS = [REGION, "us-west-2", "eu-west-1", "ap-southeast-1"]  # the multi-region replay, in this order
CALLS_PATH = "/_lab/api-calls"
BATCH = 500  # instances per RunInstances call
STATES = ["pending", "running", "stopping", "stopped"]
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}

FLOOR = """
import sys, boto3
from botocore.config import Config
filters = [{"Name": "tag:hatrading:stack", "Values": [%(stack)r]}, {"Name": "instance-state-name", "Values": %(states)r}]
count = 0
session = boto3.session.Session()
for region in %(regions)r:  # one region after another: the plain way
    ec2 = session.client("ec2", region_name=region, config=Config(read_timeout=900, retries={"total_max_attempts": 1}))
    for page in ec2.get_paginator("describe_instances").paginate(Filters=filters, PaginationConfig={"PageSize": 1000}):
        count += sum(len(reservation["Instances"]) for reservation in page["Reservations"])
print(count)
"""


def client(endpoint, service):
    config = Config(read_timeout=900, retries={"total_max_attempts": 1})
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing", config=config)


def tag_list(**pairs):
    return [{"Key": key.replace("__", ":"), "Value": value} for key, value in pairs.items()]


def seed(endpoint, stack, count, decoys, vpc_octet):
    """Seed one stack of ``count`` instances plus ``decoys``; returns seconds taken."""
    started = time.monotonic()
    ec2, asg, elb = (client(endpoint, service) for service in ("ec2", "autoscaling", "elbv2"))
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    vpc = ec2.create_vpc(CidrBlock="10.%d.0.0/16" % vpc_octet)["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.%d.%d.0/17" % (vpc_octet, 128 * n), AvailabilityZone=REGION + zone)["Subnet"]["SubnetId"]
        for n, zone in enumerate("ab")
    ]

    def stack_tags(component):
        return {"hatrading__stack": stack, "hatrading__tier": "compute", "hatrading__component": component}

    target_groups = {}
    for component, port in (("frontend", 80), ("backend", 8080)):
        answer = elb.create_target_group(
            Name="%s-tg-%s" % (stack, component[:2]), Protocol="HTTP", Port=port, VpcId=vpc, TargetType="instance", Tags=tag_list(**stack_tags(component))
        )
        target_groups[component] = answer["TargetGroups"][0]["TargetGroupArn"]
    # an Auto Scaling group of backends, registered in the backend target group by Auto Scaling
    in_asg = min(50, count // 10)
    ec2.create_launch_template(LaunchTemplateName="%s-backend" % stack, LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"})
    asg.create_auto_scaling_group(
        AutoScalingGroupName="%s-backend" % stack,
        LaunchTemplate={"LaunchTemplateName": "%s-backend" % stack, "Version": "$Latest"},
        MinSize=0,
        MaxSize=max(in_asg, 1),
        DesiredCapacity=in_asg,
        VPCZoneIdentifier=",".join(subnets),
        TargetGroupARNs=[target_groups["backend"]],
        Tags=[{"Key": key, "Value": value, "PropagateAtLaunch": True} for key, value in ((t["Key"], t["Value"]) for t in tag_list(**stack_tags("backend")))],
    )

    def run(number, tags, subnet):
        made = []
        while number > 0:
            size = min(BATCH, number)
            spec = [{"ResourceType": "instance", "Tags": tag_list(**tags)}]
            answer = ec2.run_instances(ImageId=ami, MinCount=size, MaxCount=size, InstanceType="t3.micro", SubnetId=subnet, TagSpecifications=spec)
            made.extend(instance["InstanceId"] for instance in answer["Instances"])
            number -= size
        return made

    rest = count - in_asg
    frontend = run(rest // 2, dict(stack_tags("frontend"), hatrading__image="web:1.0"), subnets[0])
    run(rest - rest // 2, dict(stack_tags("backend"), hatrading__image="api:1.0"), subnets[1])
    for start in range(0, len(frontend), BATCH):
        elb.register_targets(TargetGroupArn=target_groups["frontend"], Targets=[{"Id": i} for i in frontend[start : start + BATCH]])
    run(decoys // 2, {"hatrading__stack": stack + "-decoy", "hatrading__tier": "compute", "hatrading__component": "backend"}, subnets[0])
    run(decoys - decoys // 2, {"Name": stack + "-lookalike"}, subnets[1])
    return time.monotonic() - started


def api_calls(endpoint, forget=False):
    """{operation: count} from the lab moto's call record (None when the endpoint has no record)."""
    try:
        if forget:
            urllib.request.urlopen(urllib.request.Request(endpoint + CALLS_PATH, method="DELETE"), timeout=30).close()
            return None
        with urllib.request.urlopen(endpoint + CALLS_PATH, timeout=30) as answer:
            calls = json.load(answer)["calls"]
    except (urllib.error.URLError, ValueError, KeyError):
        return None
    counts = {}
    for call in calls:
        counts[call["operation"]] = counts.get(call["operation"], 0) + 1
    return counts


# Linux keeps a process's peak RSS across fork and exec, so a reader started straight from this (large) bench
# process would report at least the bench's own size. A small launcher starts it instead and reports the
# reader's own wall time, CPU and peak RSS.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.monotonic()
proc = subprocess.Popen(sys.argv[2:])
status, usage = os.wait4(proc.pid, 0)[1:]
figures = {"seconds": time.monotonic() - started, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}
with open(sys.argv[1], "w") as handle:
    json.dump(figures, handle)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measure(argv, env, endpoint, out_path, calls=None):
    """Run argv; wall and CPU seconds, peak RSS (MB) of that process, rc, API calls, stdout kept in out_path."""
    if calls is None:
        api_calls(endpoint, forget=True)
    else:
        calls.take_calls()
    report = Path(str(out_path) + ".rusage")
    with open(out_path, "w") as out, open(str(out_path) + ".err", "w") as err:
        proc = subprocess.Popen([PYTHON, "-c", LAUNCHER, str(report)] + list(argv), env=env, stdout=out, stderr=err, cwd=str(REPO))
        proc.wait()
    figures = json.loads(report.read_text())
    report.unlink()
    return {
        "seconds": round(figures["seconds"], 2),
        "cpu_seconds": round(figures["cpu"], 2),
        "peak_mb": round(figures["maxrss_kb"] / 1024.0, 1),
        "rc": proc.returncode,
        "calls": api_calls(endpoint) if calls is None else calls.take_calls(),
        "stderr_tail": Path(str(out_path) + ".err").read_text()[-600:] if proc.returncode else "",
    }


def hosts_listed(out_path):
    try:
        return len(json.loads(Path(out_path).read_text())["_meta"]["hostvars"])
    except (ValueError, KeyError):
        return None


def write_sources(workdir, stack, tag, regions=(REGION,)):
    """The hatrading.aws.stack and amazon.aws.aws_ec2 inventory files for one stack, each with its own jsonfile cache."""
    ours = workdir / ("%s-%s.hatrading_stack.yml" % (stack, tag))
    ours.write_text(
        json.dumps(
            {
                "plugin": "hatrading.aws.stack",
                "stack": stack,
                "regions": list(regions),
                "cache": True,
                "cache_plugin": "ansible.builtin.jsonfile",
                "cache_connection": str(workdir / ("cache-stack-" + tag)),
                "cache_timeout": 3600,
            }
        )
    )
    stock = workdir / ("%s-%s.aws_ec2.yml" % (stack, tag))
    stock.write_text(
        json.dumps(
            {
                "plugin": "amazon.aws.aws_ec2",
                "regions": list(regions),
                "filters": {"tag:hatrading:stack": stack},
                "hostnames": ["instance-id"],
                "cache": True,
                "cache_plugin": "ansible.builtin.jsonfile",
                "cache_connection": str(workdir / ("cache-ec2-" + tag)),
                "cache_timeout": 3600,
            }
        )
    )
    return ours, stock


def measure_readers(endpoint, stack, workdir, env, tag, calls=None, regions=(REGION,)):
    """Floor, ours (cold, cache) and aws_ec2 (cold, cache) against ``endpoint``; ``calls`` counts API calls if not moto's."""
    env = dict(env, AWS_ENDPOINT_URL=endpoint)
    result = {}
    floor_code = FLOOR % {"regions": list(regions), "stack": stack, "states": STATES}
    floor = measure([PYTHON, "-c", floor_code], env, endpoint, workdir / "floor.out", calls)
    floor["hosts"] = int(Path(workdir / "floor.out").read_text().strip() or 0) if floor["rc"] == 0 else None
    result["floor"] = floor
    print("  floor %.2f s" % floor["seconds"], flush=True)
    ours, stock = write_sources(workdir, stack, tag, regions)
    static = None
    for name, path in (("stack", ours), ("aws_ec2", stock)):
        runs = {}
        for kind, extra in (("cold", ["--flush-cache"]), ("cache", [])):
            out = workdir / ("%s-%s.json" % (name, kind))
            runs[kind] = measure([str(BIN / "ansible-inventory"), "-i", str(path), "--list"] + extra, env, endpoint, out, calls)
            runs[kind]["hosts"] = hosts_listed(out)
            if name == "stack" and kind == "cold" and runs[kind]["rc"] == 0:
                static = static_copy(out, workdir / ("static-%s.yml" % tag))
            out.unlink()
            print("  %s %s %.2f s (%s hosts)" % (name, kind, runs[kind]["seconds"], runs[kind]["hosts"]), flush=True)
        result[name] = runs
    if static is not None:
        # what ansible-core itself needs to print the same hosts, groups and variables from a static file
        out = workdir / "static.json"
        result["static"] = measure([str(BIN / "ansible-inventory"), "-i", str(static), "--list"], env, endpoint, out, calls)
        result["static"]["hosts"] = hosts_listed(out)
        out.unlink()
        static.unlink()
        print("  static copy %.2f s" % result["static"]["seconds"], flush=True)
    return result


def _plain(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def static_copy(listing, target):
    """The `--list` output of our plugin as a static YAML (JSON) inventory: same groups, hosts and variables."""
    doc = _plain(json.loads(Path(listing).read_text()))
    hostvars = doc.pop("_meta", {}).get("hostvars", {})
    groups = {}
    for name, group in doc.items():
        if name in ("all", "ungrouped"):
            continue
        groups[name] = {"hosts": {host: None for host in group.get("hosts", [])}}
    target.write_text(json.dumps({"all": {"hosts": hostvars, "children": groups}}))
    return target


def bench_size(endpoint, count, decoys, workdir, env, vpc_octet):
    stack = "bench%d-%d" % (count, os.getpid() % 10000)
    print("seeding %d instances of %s plus %d decoys ..." % (count, stack, decoys), flush=True)
    result = {"instances": count, "decoys": decoys, "stack_name": stack, "server": "moto"}
    result["seed_seconds"] = round(seed(endpoint, stack, count, decoys, vpc_octet), 1)
    print("  seeded in %.1f s" % result["seed_seconds"], flush=True)
    result.update(measure_readers(endpoint, stack, workdir, env, "moto%d" % count))
    return result


# ---- replay: moto's answers for one 1,000-instance page, served again without moto's per-call cost ----


def capture(endpoint, stack):
    """Raw XML answers of moto to the reads the three readers make, for one seeded stack of 1,000."""
    raw = {}
    key = [None]

    def keep(http_response, **_):
        raw[key[0]] = http_response.content

    def call(name, method, **params):
        key[0] = name
        return method(**params)

    ec2, asg, elb = (client(endpoint, service) for service in ("ec2", "autoscaling", "elbv2"))
    for each in (ec2, asg, elb):
        each.meta.events.register("after-call", keep)
    filters = [{"Name": "tag:hatrading:stack", "Values": [stack]}, {"Name": "instance-state-name", "Values": STATES}]
    call("DescribeInstances", ec2.describe_instances, Filters=filters, MaxResults=1000)
    call("DescribeAutoScalingGroups", asg.describe_auto_scaling_groups, Filters=[{"Name": "tag:hatrading:stack", "Values": [stack]}], MaxRecords=100)
    groups = call("DescribeTargetGroups", elb.describe_target_groups, Names=["%s-tg-fr" % stack, "%s-tg-ba" % stack])["TargetGroups"]
    call("DescribeTags", elb.describe_tags, ResourceArns=[group["TargetGroupArn"] for group in groups])
    for group in groups:
        call("DescribeTargetHealth " + group["TargetGroupArn"], elb.describe_target_health, TargetGroupArn=group["TargetGroupArn"])
    # the target groups answer lists only this stack's groups, so that DescribeTags (20 ARNs a call) is one call
    return raw


_INSTANCE_ID = re.compile(rb"<instanceId>(i-[0-9a-f]+)</instanceId>")
_ANY_INSTANCE_ID = re.compile(rb"\bi-[0-9a-f]{8,17}\b")
_SCOPE = re.compile(r"Credential=[^/]+/\d+/([^/]+)/")
_NEXT_TOKEN = re.compile(rb"<nextToken>[^<]*</nextToken>")
_ASG_TAG = re.compile(rb"<item>\s*<key>aws:autoscaling:groupName</key>\s*<value>[^<]*</value>\s*</item>")
NO_ASG_INSTANCES = (
    b'<DescribeAutoScalingInstancesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">'
    b"<DescribeAutoScalingInstancesResult><AutoScalingInstances/></DescribeAutoScalingInstancesResult>"
    b"<ResponseMetadata><RequestId>replay</RequestId></ResponseMetadata></DescribeAutoScalingInstancesResponse>"
)


def trim_page(page, keep):
    """The DescribeInstances answer ``page`` with only its first ``keep`` instances (empty reservations dropped)."""
    root = ElementTree.fromstring(page)
    ns = root.tag.split("}", 1)[0] + "}" if root.tag.startswith("{") else ""
    ElementTree.register_namespace("", ns[1:-1])
    reservations = root.find(ns + "reservationSet")
    for reservation in list(reservations):
        instances = reservation.find(ns + "instancesSet")
        for instance in list(instances):
            if keep > 0:
                keep -= 1
            else:
                instances.remove(instance)
        if not len(instances):
            reservations.remove(reservation)
    return ElementTree.tostring(root)


def region_ids(raw, number):
    """The captured answers with every instance ID made unique to the ``number``-th region (0: as captured)."""
    if not number:
        return raw
    prefix = b"i-ee%d" % number  # hex digits only, as instance IDs are
    return {key: _ANY_INSTANCE_ID.sub(lambda m: prefix + m.group(0)[2:], body) for key, body in raw.items()}


def replay_pages(page, count):
    """``count`` instances as pages of the captured one: page 0 as captured, page k with IDs i-p<k>-<id>, linked by tokens."""
    page = _NEXT_TOKEN.sub(b"", page)
    per_page = max(1, len(set(_INSTANCE_ID.findall(page))))
    pages = []
    number = (count + per_page - 1) // per_page
    for k in range(number):
        body = page
        if k:  # copies are plain instances: new IDs, no Auto Scaling group
            body = _ASG_TAG.sub(b"", _INSTANCE_ID.sub(lambda m, k=k: b"<instanceId>i-p%d-%s</instanceId>" % (k, m.group(1)[2:]), page))
        if k + 1 == number and count % per_page:
            body = trim_page(body, count % per_page)
        if k + 1 < number:
            body = body.replace(b"</DescribeInstancesResponse>", b"<nextToken>%d</nextToken></DescribeInstancesResponse>" % (k + 1))
        pages.append(body)
    return pages


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class Replay:
    """WSGI app: the captured answers by region and Action (DescribeInstances paged by NextToken); counts the calls.

    ``count`` instances are spread evenly over ``regions``, each region with instance IDs of its own.
    """

    def __init__(self, raw, count, regions=(REGION,)):
        self.regions = {}
        for number, region in enumerate(regions):
            share = count // len(regions) + (1 if number < count % len(regions) else 0)
            answers = region_ids(raw, number)
            self.regions[region] = (replay_pages(answers["DescribeInstances"], share), dict(answers, DescribeAutoScalingInstances=NO_ASG_INSTANCES))
        self.calls = {}
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else environ.get("QUERY_STRING", ""))
        action = form.get("Action", [""])[0]
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        pages, raw = self.regions.get(scope.group(1) if scope else REGION, (None, {}))
        with self.lock:
            self.calls[action] = self.calls.get(action, 0) + 1
        if pages is None:
            body = None
        elif action == "DescribeInstances":
            body = pages[int(form.get("NextToken", ["0"])[0])]
        elif action == "DescribeTargetHealth":
            body = raw.get("DescribeTargetHealth " + form.get("TargetGroupArn", [""])[0])
        else:
            body = raw.get(action)
        if body is None:
            body = b"<ErrorResponse><Error><Code>InvalidAction</Code><Message>not replayed</Message></Error></ErrorResponse>"
            start_response("400 Bad Request", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
            return [body]
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]

    def take_calls(self):
        with self.lock:
            calls, self.calls = self.calls, {}
        return calls


def bench_replay(raw, stack, count, workdir, env, regions=1):
    names = FLEET_REGIONS[:regions]
    print("replaying %d instances over %d region(s) (moto's answers for the smallest size, paged) ..." % (count, regions), flush=True)
    app = Replay(raw, count, names)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = "http://127.0.0.1:%d" % server.server_address[1]
        label = "replay" if regions == 1 else "replay x%d" % regions
        result = {"instances": count, "decoys": 0, "stack_name": stack, "server": label, "regions": names, "seed_seconds": None}
        result.update(measure_readers(endpoint, stack, workdir, env, "replay%d-%d" % (count, regions), calls=app, regions=names))
    finally:
        server.shutdown()
    return result


def fleet_comparison(raw, stack, count, regions, workdir, env, repeats):
    """Our cold run, ``count`` instances in one region against the same over ``regions``, interleaved ``repeats`` times.

    On a shared machine one run each says little: the runs alternate, so load hits both alike, and the best
    (least disturbed) run of each stands for it, the median beside it.
    """
    print("fleet: %d instances, one region against %d, cold, interleaved x%d ..." % (count, regions, repeats), flush=True)
    servers, sources, runs = {}, {}, {}
    try:
        for label, names in (("one region", FLEET_REGIONS[:1]), ("%d regions" % regions, FLEET_REGIONS[:regions])):
            app = Replay(raw, count, names)
            server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers[label] = (server, app, "http://127.0.0.1:%d" % server.server_address[1])
            sources[label] = write_sources(workdir, stack, "fleet%d" % len(names), names)[0]
            runs[label] = []
        for _round in range(repeats):
            for label, (_server, app, endpoint) in servers.items():
                out = workdir / "fleet.json"
                argv = [str(BIN / "ansible-inventory"), "-i", str(sources[label]), "--list", "--flush-cache"]
                run = measure(argv, dict(env, AWS_ENDPOINT_URL=endpoint), endpoint, out, app)
                run["hosts"] = hosts_listed(out)
                out.unlink()
                runs[label].append(run)
                print("  %s cold %.2f s (cpu %.2f, %s hosts)" % (label, run["seconds"], run["cpu_seconds"], run["hosts"]), flush=True)
    finally:
        for server, _app, _endpoint in servers.values():
            server.shutdown()
    summary = {"instances": count, "regions": regions, "repeats": repeats}
    for label, samples in runs.items():
        seconds = sorted(run["seconds"] for run in samples)
        summary[label] = {
            "best": seconds[0],
            "median": seconds[len(seconds) // 2],
            "cpu_best": min(run["cpu_seconds"] for run in samples),
            "peak_mb": max(run["peak_mb"] for run in samples),
            "hosts": samples[0]["hosts"],
            "calls": samples[0]["calls"],
            "rc": max(run["rc"] for run in samples),
        }
    return summary


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(workdir):
    port = free_port()
    pidfile = workdir / "moto.pid"
    proc = subprocess.Popen([PYTHON, str(REPO / "lab" / "moto_server.py"), "--port", str(port), "--pidfile", str(pidfile)], stdout=subprocess.DEVNULL)
    endpoint = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if api_calls(endpoint) is not None:
            return proc, endpoint
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("moto did not start on %s" % endpoint)


def fmt(value, spec="%.2f"):
    return "-" if value is None else spec % value


def calls_text(calls):
    if not calls:
        return "none" if calls == {} else "n/a"
    return " ".join("%s=%d" % item for item in sorted(calls.items()))


def verdicts(results, fleet=None):
    """Issue 6's and issue 13's targets, per measured size and server."""
    lines = []
    if fleet:
        many = "%d regions" % fleet["regions"]
        name = "cold %d over %s <= one region (best of %d)" % (fleet["instances"], many, fleet["repeats"])
        lines.append((name, fleet[many]["best"], fleet["one region"]["best"]))
    for res in results:
        n, floor, ours, where = res["instances"], res["floor"]["seconds"], res["stack"], res["server"]
        if n <= 1000:
            lines.append(("cold <= floor + 1 s at %d (%s)" % (n, where), ours["cold"]["seconds"], round(floor + 1.0, 2)))
            lines.append(("cache hit <= 1.0 s at %d (%s)" % (n, where), ours["cache"]["seconds"], 1.0))
        else:
            lines.append(("cold <= 1.3 x floor at %d (%s)" % (n, where), ours["cold"]["seconds"], round(1.3 * floor, 2)))
            lines.append(("peak memory <= 300 MB at %d (%s)" % (n, where), max(ours["cold"]["peak_mb"], ours["cache"]["peak_mb"]), 300.0))
            if res.get("static"):  # issue 13: the cache serves hosts no slower than ansible-core reads a static file of them
                lines.append(("cache hit <= static file at %d (%s)" % (n, where), ours["cache"]["seconds"], res["static"]["seconds"]))
    return [{"target": name, "measured": got, "limit": limit, "met": got <= limit} for name, got, limit in lines]


ROW = "%-9s %-9s %-6s %-7s | %-22s %13s %13s %7s %6s  %s"


def table(results, endpoint, notes, fleet=None):
    rows = ["hatrading.aws.stack inventory bench (moto at %s)" % endpoint, ""]
    header = ROW % ("instances", "server", "decoys", "seed s", "reader", "cold s (cpu)", "cache s (cpu)", "peak MB", "hosts", "API calls (cold)")
    rows += [header, "-" * len(header)]

    def timing(run):
        return "%s (%s)" % (fmt(run["seconds"]), fmt(run.get("cpu_seconds")))

    for res in results:
        lead = (res["instances"], res["server"], res["decoys"], fmt(res["seed_seconds"], "%.1f"))
        floor = res["floor"]
        rows.append(ROW % (lead + ("boto3 describe (floor)", timing(floor), "-", fmt(floor["peak_mb"], "%.0f"), floor["hosts"], calls_text(floor["calls"]))))
        for key, label in (("stack", "hatrading.aws.stack"), ("aws_ec2", "amazon.aws.aws_ec2")):
            cold, cache = res[key]["cold"], res[key]["cache"]
            peak = max(cold["peak_mb"], cache["peak_mb"])
            rows.append(ROW % ("", "", "", "", label, timing(cold), timing(cache), fmt(peak, "%.0f"), cold["hosts"], calls_text(cold["calls"])))
            if cache["calls"]:
                rows.append(ROW % ("", "", "", "", "", "", "", "", "", "cache hit made API calls: " + calls_text(cache["calls"])))
            if key == "stack" and res.get("static"):
                same = res["static"]
                rows.append(
                    ROW % ("", "", "", "", "static file, same vars", timing(same), "-", fmt(same["peak_mb"], "%.0f"), same["hosts"], "(ansible-core alone)")
                )
            for run in (cold, cache):
                if run["rc"]:
                    rows.append("    %s failed (rc %d): %s" % (label, run["rc"], run["stderr_tail"].strip().replace("\n", " ")[-300:]))
    if fleet:
        rows.append("")
        heading = "fleet: hatrading.aws.stack cold, %d instances, interleaved x%d (best / median s, best cpu s, peak MB)"
        rows.append(heading % (fleet["instances"], fleet["repeats"]))
        for label in ("one region", "%d regions" % fleet["regions"]):
            run = fleet[label]
            figures = (label, run["best"], run["median"], run["cpu_best"], run["peak_mb"], run["hosts"], calls_text(run["calls"]))
            rows.append("  %-10s %7.2f / %7.2f  cpu %6.2f  %5.0f MB  %s hosts  %s" % figures)
    rows.append("")
    for verdict in verdicts(results, fleet):
        rows.append("  %-44s %8.2f vs %8.2f  %s" % (verdict["target"], verdict["measured"], verdict["limit"], "met" if verdict["met"] else "MISSED"))
    rows += [""] + ["note: " + note for note in notes]
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--endpoint", help="moto endpoint (lab/moto_server.py); default: start one")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--sizes", default="1000,10000", help="stack sizes seeded in moto, comma-separated (default 1000,10000)")
    parser.add_argument(
        "--replay-sizes",
        default="1000,10000",
        help="sizes served by replaying moto's answers for the smallest moto size, page by page (empty: none)",
    )
    parser.add_argument(
        "--replay-regions",
        default="4",
        help="region counts the largest replay size is also spread over (2,500 each at 10,000 over 4; empty: none)",
    )
    parser.add_argument("--fleet-repeats", type=int, default=3, help="interleaved cold runs of the one-region / N-region comparison (0: none)")
    parser.add_argument("--decoys", type=float, default=0.2, help="decoy instances per stack instance (default 0.2)")
    parser.add_argument(
        "--max-size-seconds",
        type=float,
        default=240.0,
        help="skip a moto size predicted (moto's cost grows with the square of what it holds) to take longer (default 240)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(",") if size.strip())
    replay_sizes = sorted(int(size) for size in args.replay_sizes.split(",") if size.strip())

    workdir = Path(tempfile.mkdtemp(prefix="inventory-bench-"))
    moto_proc = None
    endpoint = args.endpoint
    if not endpoint:
        moto_proc, endpoint = start_moto(workdir)
    env = dict(os.environ, **AWS_ENV)
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        ANSIBLE_NOCOLOR="1",
        PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""),
    )
    results, notes = [], []
    raw, raw_stack, fleet = None, None, None
    try:
        previous = None  # (instances held, seconds the size took)
        held = 0
        for octet, count in enumerate(sizes, start=100):
            decoys = int(count * args.decoys)
            if previous is not None:
                ratio = float(held + count + decoys) ** 2 / float(previous[0]) ** 2
                predicted = previous[1] * ratio
                if predicted > args.max_size_seconds:
                    notes.append(
                        "%d instances not seeded in moto: about %.0f s predicted (> --max-size-seconds %.0f); moto 5.2.5 spends "
                        "O(instances and tags held) per instance in RunInstances and DescribeInstances, so it is measured by replay"
                        % (count, predicted, args.max_size_seconds)
                    )
                    continue
            started = time.monotonic()
            result = bench_size(endpoint, count, decoys, workdir, env, octet)
            held += count + decoys
            previous = (held, time.monotonic() - started)
            results.append(result)
            if raw is None:  # the smallest size (1,000 by default) is replayed; pages hold what it holds
                raw, raw_stack = capture(endpoint, result["stack_name"]), result["stack_name"]
    finally:
        if moto_proc is not None:
            moto_proc.terminate()
            moto_proc.wait(timeout=30)
    if raw is not None:
        for count in replay_sizes:
            results.append(bench_replay(raw, raw_stack, count, workdir, env))
        fleet_regions = [int(n) for n in args.replay_regions.split(",") if n.strip() and 1 < int(n) <= len(FLEET_REGIONS)]
        for regions in sorted(fleet_regions):
            if replay_sizes:
                results.append(bench_replay(raw, raw_stack, replay_sizes[-1], workdir, env, regions))
        if replay_sizes and fleet_regions and args.fleet_repeats > 0:
            fleet = fleet_comparison(raw, raw_stack, replay_sizes[-1], max(fleet_regions), workdir, env, args.fleet_repeats)
    elif replay_sizes:
        notes.append("no replay: no moto size was measured")
    shutil.rmtree(str(workdir), ignore_errors=True)
    notes.append("floor: a python process doing one filtered, paginated boto3 DescribeInstances (1,000 a page), start-up included")
    notes.append("cold: --flush-cache; cache: the jsonfile cache the cold run wrote; cpu: user+sys of that process; peak MB: its max RSS")
    notes.append(
        "replay: moto's XML answers for the 1,000-instance stack served again by a local WSGI app (DescribeInstances paged 1,000 a page, "
        "IDs rewritten per page), so the client side is measured without moto's quadratic server cost"
    )
    notes.append("replay xN: the same number of instances spread evenly over N regions (%s), each region with IDs of its own" % ", ".join(FLEET_REGIONS))
    notes.append("fleet: our cold run at one region and at N alternating, so the machine's load hits both alike; the best of each is compared")
    notes.append("static file, same vars: our --list output turned into a static inventory file; what ansible-core alone takes to print it")
    notes.append("the machine is shared (2 cores): wall times move with its load; cpu seconds move less")
    output = table(results, endpoint, notes, fleet)
    print(output)
    if args.json:
        document = {"endpoint": endpoint, "results": results, "fleet": fleet, "targets": verdicts(results, fleet), "notes": notes}
        Path(args.json).write_text(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
