"""The whole stack under faults (issue 15, sections 4 and 5): throttling, 5xx and lost answers from a proxy on loopback.

The proxy (tests/faults/proxy.py) sits between botocore and moto. A seeded run throttles 20 % of the calls,
fails 5 % with 500/503, and loses the answers of chosen mutating calls after they took effect. That deploy
must complete, the next (no faults) converge with no duplicate and no orphan, and the one after change nothing.
The 10-run figure and the sweep over every mutating call: ``python tests/faults/run.py`` (docs/faults.md).
"""

import json
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
from proxy import FaultPlan  # noqa: E402
from proxy import rest_operation  # noqa: E402
from proxy import start_proxy  # noqa: E402
from state import duplicates  # noqa: E402
from state import stack_state  # noqa: E402
from test_compute import backend_calls
from test_compute import build_network

DEMO = ("-e", "@playbooks/vars/demo.yml")
# Lost answers the first deploy must absorb: creates with no client token that moto honours, whose retry succeeds.
LOST = {"CreateVpc": [1], "CreateRouteTable": [2], "AllocateAddress": [1], "CreateNetworkAcl": [1]}


@pytest.fixture
def proxy(fresh_moto):
    running = start_proxy(fresh_moto.url)
    yield running
    running.stop()


def one_shot(service, url):
    """A client that tries once: the proxy's answer reaches the test as botocore parsed it."""
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing", config=config)


@pytest.mark.parametrize(
    "service, call, params, code",
    [
        ("ec2", "describe_vpcs", {}, "RequestLimitExceeded"),
        ("iam", "list_roles", {}, "Throttling"),
        ("logs", "describe_log_groups", {}, "ThrottlingException"),
        ("s3", "list_buckets", {}, "SlowDown"),
        ("cloudfront", "list_distributions", {}, "Throttling"),
        ("rds", "describe_db_instances", {}, "Throttling"),
    ],
)
def test_the_proxy_throttles_in_each_protocols_form(proxy, service, call, params, code):
    proxy.configure(FaultPlan(throttle=1.0, max_faults=1))
    with pytest.raises(ClientError) as raised:
        getattr(one_shot(service, proxy.url), call)(**params)
    assert raised.value.response["Error"]["Code"] == code
    getattr(one_shot(service, proxy.url), call)(**params)  # bounded: the second call passes
    assert proxy.counts()["injected"] == {"throttle": 1}


def test_a_lost_answer_took_effect(proxy, fresh_moto):
    proxy.configure(FaultPlan(lose={"CreateVpc": [1]}))
    with pytest.raises(ClientError) as raised:
        one_shot("ec2", proxy.url).create_vpc(CidrBlock="10.9.0.0/16")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert [vpc["CidrBlock"] for vpc in fresh_moto.client("ec2").describe_vpcs()["Vpcs"]].count("10.9.0.0/16") == 1
    assert proxy.counts()["injected"] == {"lost": 1}


def test_the_stack_deploys_under_throttling_errors_and_lost_answers(proxy, fresh_moto, ansible):
    def deploy(plan):
        proxy.configure(plan)
        result = ansible.playbook("playbooks/site.yml", extra_args=DEMO, env={"AWS_ENDPOINT_URL": proxy.url})
        failed = {name: task.get("msg") for name, task in result["tasks"].items() if task.get("failed") and not task.get("rescued")}
        return result, failed, proxy.counts()

    first, failed, counts = deploy(FaultPlan(seed=1, throttle=0.2, errors=0.05, lose=LOST))
    assert first["rc"] == 0, (failed, counts)
    assert counts["injected"]["lost"] == len(LOST) and counts["injected"]["throttle"] > 50, counts

    # the next run (no faults) converges: no duplicate, no idle address, every subnet in the one VPC, logged
    second, failed, _counts = deploy(FaultPlan())
    assert second["rc"] == 0, failed
    state = stack_state(fresh_moto.url, "demo")
    assert duplicates(state) == []
    assert [key for key in state if key.startswith("eip ") and key.endswith("in-use=False")] == []
    assert state["vpc demo-vpc subnets"] == 6 and state["vpc demo-vpc flow-logs"] == 1

    third, failed, _counts = deploy(FaultPlan())
    assert third["rc"] == 0, failed
    assert third["stats"]["localhost"]["changed"] == 0, [name for name, task in third["tasks"].items() if task.get("changed")]
    assert stack_state(fresh_moto.url, "demo") == state


def test_lost_creates_of_the_compute_tier_are_adopted_in_the_same_run(proxy, fresh_moto, ansible, tmp_path):
    """CreateTargetGroup, CreateLoadBalancer and CreateAutoScalingGroup take no client token: each answer lost, the retry
    meets the resource made by the first call (AWS: the same target group or ALB back, AutoScaling AlreadyExists)."""
    stack = "it-lost-compute"
    build_network(ansible, stack, "10.41.0.0/16")
    tasks = [{"name": "step %d" % index, name: args} for index, (name, args) in enumerate(backend_calls(stack))]
    playbook = tmp_path / "backend.yml"
    playbook.write_text(json.dumps([{"name": "backend", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]))
    lost = ("CreateTargetGroup", "CreateLoadBalancer", "CreateAutoScalingGroup")
    proxy.configure(FaultPlan(lose=dict((operation, [1]) for operation in lost)))
    first = ansible.playbook(playbook, env={"AWS_ENDPOINT_URL": proxy.url})
    assert first["rc"] == 0, (first["tasks"], first["stderr"][-2000:])
    assert proxy.counts()["injected"] == {"lost": 3}
    warnings = [warning for task in first["tasks"].values() for warning in task.get("warnings", [])]
    assert any("Auto Scaling group %s-backend already existed" % stack in warning and "adopted" in warning for warning in warnings), warnings

    groups = fresh_moto.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert [(group["AutoScalingGroupName"], len(group["Instances"]), len(group["TargetGroupARNs"])) for group in groups] == [(stack + "-backend", 2, 1)]
    running = fresh_moto.client("ec2").describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]
    assert sorted(i["InstanceId"] for r in running for i in r["Instances"]) == sorted(i["InstanceId"] for i in groups[0]["Instances"])  # no orphan
    elbv2 = fresh_moto.client("elbv2")
    assert [tg["TargetGroupName"] for tg in elbv2.describe_target_groups()["TargetGroups"]] == [stack + "-tg-be"]
    assert [lb["LoadBalancerName"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]] == [stack + "-alb-int"]

    fresh_moto.forget_calls()
    rerun = ansible.playbook(playbook)
    assert rerun["rc"] == 0 and rerun["stats"]["localhost"]["changed"] == 0, [name for name, task in rerun["tasks"].items() if task.get("changed")]
    assert fresh_moto.mutating_calls() == []


@pytest.mark.parametrize(
    "service, method, path, query, headers, operation",
    [
        ("s3", "PUT", "/demo-static", "", {}, "CreateBucket"),
        ("s3", "PUT", "/demo-static", "policy", {}, "PutBucketPolicy"),
        ("s3", "PUT", "/demo-static/assets/app.js", "", {"Content-Type": "text/javascript"}, "PutObject"),
        ("s3", "PUT", "/demo-static/app.js", "", {"X-Amz-Copy-Source": "/demo-static/old.js"}, "CopyObject"),
        ("s3", "POST", "/demo-static", "delete", {}, "DeleteObjects"),
        ("cloudfront", "POST", "/2020-05-31/distribution", "WithTags", {}, "CreateDistributionWithTags"),
        ("cloudfront", "POST", "/2020-05-31/distribution/E1/invalidation", "", {}, "CreateInvalidation"),
    ],
)
def test_the_proxy_names_rest_calls_by_their_api_operation(service, method, path, query, headers, operation):
    assert rest_operation(service, method, path, query, headers) == operation


def test_a_lost_rest_answer_took_effect(proxy, fresh_moto):
    proxy.configure(FaultPlan(lose={"CreateBucket": [1]}))
    with pytest.raises(ClientError) as raised:
        one_shot("s3", proxy.url).create_bucket(Bucket="lost-answer")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert [bucket["Name"] for bucket in fresh_moto.client("s3").list_buckets()["Buckets"]] == ["lost-answer"]
    assert proxy.counts()["injected"] == {"lost": 1} and proxy.counts()["mutating"] == [["s3", "CreateBucket"]]


def test_lost_creates_of_the_pipeline_tier_are_adopted_in_the_same_run(proxy, fresh_moto, ansible):
    """ECR and CodeCommit CreateRepository, CreateLogGroup, CreateRole, CodeBuild CreateProject and CreatePipeline are
    named, without a client token: each answer lost, the retry meets "already exists", and the run adopts what the first call made."""
    # the proxy counts each attempt: the ECR repositories' first calls are 1 and 3 (each retried once), CodeCommit's 5
    lost = {"CreateRepository": [1, 3, 5], "CreateLogGroup": [1], "CreateRole": [1], "CreateProject": [1], "CreatePipeline": [1]}
    proxy.configure(FaultPlan(lose=lost))
    args = {"stack": "lostpipe", "region": "us-east-1"}
    first = ansible.module("hatrading.aws.stack_pipeline", args, env={"AWS_ENDPOINT_URL": proxy.url})
    assert first["rc"] == 0, first.get("msg")
    assert proxy.counts()["injected"] == {"lost": 7}
    adopted = sorted(warning.split(" already existed")[0] for warning in first.get("warnings", []) if "adopted" in warning)
    assert adopted == [
        "CodeBuild project lostpipe-images",
        "CodeCommit repository lostpipe-trading",
        "ECR repository hatrading/lostpipe/backend",
        "ECR repository hatrading/lostpipe/frontend",
        "IAM role lostpipe-pipeline-build",
        "log group /hatrading/lostpipe/pipeline/build",
        "pipeline lostpipe",
    ], first.get("warnings")
    assert len(fresh_moto.client("ecr").describe_repositories()["repositories"]) == 2
    assert [p["name"] for p in fresh_moto.client("codepipeline").list_pipelines()["pipelines"]] == ["lostpipe"]

    fresh_moto.forget_calls()
    rerun = ansible.module("hatrading.aws.stack_pipeline", args)
    assert rerun["rc"] == 0 and rerun["changed"] is False, rerun.get("plan")
    assert fresh_moto.mutating_calls() == []


def test_a_lost_create_distribution_is_adopted_in_the_same_run(proxy, fresh_moto, ansible):
    """CloudFront's retry sends the same CallerReference and meets DistributionAlreadyExists: the run adopts the first one."""
    proxy.configure(FaultPlan(lose={"CreateDistributionWithTags": [1]}))
    args = {"stack": "lostcdn", "region": "us-east-1"}
    first = ansible.module("hatrading.aws.stack_cdn", args, env={"AWS_ENDPOINT_URL": proxy.url})
    assert first["rc"] == 0, first.get("msg")
    assert proxy.counts()["injected"] == {"lost": 1}
    (distribution,) = fresh_moto.client("cloudfront").list_distributions()["DistributionList"]["Items"]
    assert any("CloudFront distribution %s already existed" % distribution["Id"] in warning for warning in first.get("warnings", [])), first.get("warnings")

    fresh_moto.forget_calls()
    rerun = ansible.module("hatrading.aws.stack_cdn", args)
    assert rerun["rc"] == 0 and rerun["changed"] is False, rerun.get("plan")
    assert fresh_moto.mutating_calls() == []
