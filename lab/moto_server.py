"""The embedded AWS for the demo, the tests and the bench: moto server on loopback.

It is moto's own WSGI application with one addition: every AWS API call is recorded
(service, operation, read or mutating), so tests can assert "a rerun made no mutating
call" and the bench can count calls for our modules and for stock modules alike,
without touching either. The record is served at ``/_lab/api-calls`` (GET reads it,
DELETE empties it) and never reaches moto.

A second addition makes target health real in the lab: moto calls every registered target
healthy at once, while the lab's load balancers (haproxy, lab/plane/balancer.py) health-check
real containers. The data plane PUTs what haproxy sees to ``/_lab/target-health``
(``{target group ARN: {target id: initial|healthy|unhealthy|draining}}``, each group replaced
whole) and DescribeTargetHealth answers with it, as an ALB would: a new target is ``initial``
until its container answers (also before the plane has seen it), a deregistered one ``draining``
until the drain is over. Without a data plane nothing is PUT and moto answers as it always does.

One moto 5.2.5 bug is mended here too: CreateLaunchTemplateVersion stores the user data
unparsed, so launching any instance from a version after the first fails (HTTP 500, an
AssertionError in moto) and no group could scale or roll after a template change.

Five more mends live in their own files, installed here: lab/moto_pipeline_mend.py (CodeDeploy
DeleteDeploymentGroup and DeleteApplication, GetDeploymentGroup's groups), lab/moto_rds_mend.py
(DescribeDBEngineVersions, for the preflight), lab/moto_asg_mend.py
(Auto Scaling spreads a group over its subnets' AZs, as AWS balances them: launches go to the AZ
with the fewest instances, scale-in takes from the AZ with the most) and lab/moto_rds_failover_mend.py
(RebootDBInstance with ForceFailover swaps a Multi-AZ instance's AvailabilityZone and
SecondaryAvailabilityZone, which the lab's data plane follows by promoting its standby). (SSM's
DescribeInstanceInformation is lab/moto_ssm_mend.py; DynamoDB DescribeTable's TableId, which the stock
community.aws.dynamodb_table needs, lab/moto_dynamodb_mend.py; ELBv2 CreateLoadBalancer, CreateListener and
CreateTargetGroup idempotent, CreateAutoScalingGroup and CreatePipeline of a name in use answering AlreadyExists and
PipelineNameInUseException as on AWS, lab/moto_create_mend.py; Firehose's OpenSearch Service destination, which the
logs tier's stream uses, and OpenSearch's AutoTune schedules, which community.aws.opensearch reads, lab/moto_logs_mend.py.)

A realistic clock (AWS's in-between states for AWS's durations / a scale) and per-call latency:
lab/moto_clock.py, options --clock, --clock-scale, --latency-ms (LAB_CLOCK, LAB_CLOCK_SCALE, LAB_LATENCY_MS).

    python lab/moto_server.py --port 5000 [--pidfile F] [--clock realistic --clock-scale 10 --latency-ms 50]
    from moto_server import start_in_thread                 # tests, bench
"""

import argparse
import io
import json
import os
import re
import signal
import sys
import threading
from urllib.parse import parse_qs

from moto.ec2.models.launch_templates import LaunchTemplate
from moto.ec2.utils import parse_user_data
from moto.elbv2 import models
from moto_asg_mend import install_asg_mend
from moto_create_mend import install_create_mend
from moto_dynamodb_mend import install_dynamodb_mend
from moto_logs_mend import install_logs_mend
from moto_eks_mend import install_eks_mend
from moto_iam_mend import install_iam_mend
from moto_pipeline_mend import install_pipeline_mend
from moto_rds_failover_mend import install_rds_failover_mend
from moto_rds_mend import install_rds_mend
import moto_clock
from moto_ssm_mend import install_ssm_mend
from moto_replace_mend import install_replace_mend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

CALLS_PATH = "/_lab/api-calls"
HEALTH_PATH = "/_lab/target-health"
HEALTH_REASONS = {
    "initial": ("Elb.InitialHealthChecking", "Initial health checks in progress"),
    "unhealthy": ("Target.FailedHealthChecks", "Health checks failed"),
    "draining": ("Target.DeregistrationInProgress", "Target deregistration is in progress"),
    "healthy": (None, None),
}
_health = {}  # target group ARN -> {target id: state}, as the data plane last reported it
_health_lock = threading.Lock()
READ_PREFIXES = ("Describe", "Get", "List", "Head", "Search", "Lookup", "BatchGet", "Check")
_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/")


def classify(operation):
    """Return "read" or "mutating" for an API operation name (or "METHOD /path" for REST)."""
    if " " in operation:  # REST services: the HTTP method says it
        return "read" if operation.split(" ", 1)[0] in ("GET", "HEAD") else "mutating"
    return "read" if operation.startswith(READ_PREFIXES) else "mutating"


def describe_call(environ, body):
    """Name the service and operation of one request (query, JSON and REST protocols)."""
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = scope.group(1) if scope else "unknown"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return service, target.rsplit(".", 1)[-1]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if not action and body and b"Action=" in body[:4096]:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
    if action:
        return service, action[0]
    return service, "%s %s" % (environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/"))


def reported_health(original, group, target):
    """The state DescribeTargetHealth gives: moto's, unless the data plane reports on this target group.

    ``original`` is moto's FakeHealthStatus. For a group the plane reports on, as an ALB would:
    a registered target is what the plane saw, or ``initial`` when the plane has not seen it yet;
    a deregistered target the plane last saw is ``draining`` until the plane drops it (drain over).
    """
    with _health_lock:
        report = _health.get(group.arn)
        state = report.get(target["Id"]) if report is not None else None
    if report is None or original.status not in ("healthy", "unused"):
        return original
    if original.status == "healthy":
        state = state if state in ("healthy", "unhealthy", "initial") else "initial"
    elif state is None or original.reason != "Target.NotRegistered":
        return original
    else:
        state = "draining"
    original.status = state
    original.reason, original.description = HEALTH_REASONS[state]
    return original


def install_health_bridge():
    """Route moto's target health through reported_health (once per process)."""
    if getattr(models.FakeTargetGroup.health_for, "lab_bridge", False):
        return
    moto_health_for = models.FakeTargetGroup.health_for

    def health_for(self, target, ec2_backend):
        return reported_health(moto_health_for(self, target, ec2_backend), self, target)

    health_for.lab_bridge = True
    models.FakeTargetGroup.health_for = health_for


def install_launch_template_fix():
    """Parse the user data of a new launch template version as moto does for the first one (once per process)."""
    if getattr(LaunchTemplate.create_version, "lab_fix", False):
        return
    moto_create_version = LaunchTemplate.create_version

    def create_version(self, data, description):
        if isinstance(data.get("UserData"), (str, bytes)):
            data = dict(data, UserData=parse_user_data(data["UserData"]))
        return moto_create_version(self, data, description)

    create_version.lab_fix = True
    LaunchTemplate.create_version = create_version


class RecordingApp:
    """WSGI middleware: records each AWS call, then hands the request to moto unchanged."""

    def __init__(self, app):
        self.app = app
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == CALLS_PATH:
            return self._serve_calls(environ, start_response)
        if environ.get("PATH_INFO") == HEALTH_PATH:
            return self._serve_health(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        service, operation = describe_call(environ, body)
        with self.lock:
            self.calls.append({"service": service, "operation": operation, "kind": classify(operation)})
        return self.app(environ, start_response)

    def _serve_calls(self, environ, start_response):
        with self.lock:
            if environ["REQUEST_METHOD"] == "DELETE":
                self.calls = []
            payload = json.dumps({"calls": self.calls}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

    def _serve_health(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        with _health_lock:
            if method in ("PUT", "POST"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                reported = json.loads(environ["wsgi.input"].read(length) or b"{}")
                _health.update((arn, dict(states)) for arn, states in reported.items())
            elif method == "DELETE":
                _health.clear()
            payload = json.dumps(_health).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]


class QuietRequestHandler(MotoRequestHandler):
    """One access-log line per AWS call is noise in test and bench output."""

    def log_request(self, *args, **kwargs):
        if os.environ.get("LAB_MOTO_VERBOSE"):
            super().log_request(*args, **kwargs)


_mended = []


def install_mends():
    """Patch moto's models once per process: a second server in the process (tests start several) must not wrap them again.

    Two mends wrap the same moto method (Auto Scaling's replacement launch); installed twice, the
    outer AZ-spread mend launched around the version-tag mend and replacements lost their version tag.
    """
    if _mended:
        return
    install_health_bridge()
    install_launch_template_fix()
    install_pipeline_mend()  # CodeDeploy DeleteDeploymentGroup / DeleteApplication (lab/moto_pipeline_mend.py)
    install_rds_mend()  # RDS DescribeDBEngineVersions (lab/moto_rds_mend.py)
    install_asg_mend()  # Auto Scaling spreads a group over its subnets' AZs (lab/moto_asg_mend.py)
    install_replace_mend()  # a terminated group member's replacement joins the target groups (lab/moto_replace_mend.py)
    install_rds_failover_mend()  # RebootDBInstance ForceFailover, SecondaryAvailabilityZone (lab/moto_rds_failover_mend.py)
    install_ssm_mend()  # SSM DescribeInstanceInformation (lab/moto_ssm_mend.py)
    install_dynamodb_mend()  # DynamoDB DescribeTable's TableId (lab/moto_dynamodb_mend.py)
    install_iam_mend()  # the AWS managed policies the EKS tier attaches (lab/moto_iam_mend.py)
    install_eks_mend()  # a node group's updateConfig, kept or AWS's default (lab/moto_eks_mend.py)
    install_create_mend()  # creates retried after a lost answer answered as on AWS (lab/moto_create_mend.py)
    install_logs_mend()  # Firehose's OpenSearch destination, OpenSearch's AutoTune schedules (lab/moto_logs_mend.py)
    _mended.append(True)


def build_server(host="127.0.0.1", port=0, clock=None):
    moto_clock.install(clock or moto_clock.Clock.from_env())  # LAB_CLOCK, LAB_LATENCY_MS (lab/moto_clock.py)
    install_mends()
    app = RecordingApp(moto_clock.LatencyApp(DomainDispatcherApplication(create_backend_app)))
    return make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)


def start_in_thread(host="127.0.0.1", port=0, clock=None):
    """Start moto on a free loopback port in a daemon thread; returns (server, endpoint_url)."""
    server = build_server(host, port, clock)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://%s:%d" % server.server_address[:2]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MOTO_PORT", "5000")))
    parser.add_argument("--pidfile")
    moto_clock.add_arguments(parser)
    args = parser.parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        parser.error("the lab serves AWS on loopback only")
    server = build_server(args.host, args.port, moto_clock.from_args(args))
    if args.pidfile:
        with open(args.pidfile, "w") as handle:
            handle.write("%d\n" % os.getpid())
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print("moto server on http://%s:%d (%s)" % (server.server_address[:2] + (moto_clock.current().describe(),)), flush=True)
    try:
        server.serve_forever()
    finally:
        if args.pidfile and os.path.exists(args.pidfile):
            os.unlink(args.pidfile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
