"""hatrading.aws.stack_pipeline against moto: check mode, create, rerun, one change, teardown, bad input.

moto 5.2.5 gaps (docs/pipeline.md; the AWS-shaped calls are covered in tests/unit/pipeline/test_pipeline_calls.py with Stubber):
- CodeBuild has no UpdateProject: here the project is only created, found unchanged, and deleted;
- CodeDeploy garbles a deployment group's autoScalingGroups and has no DeleteDeploymentGroup / DeleteApplication
  (lab/moto_pipeline_mend.py mends and adds those), no UpdateDeploymentGroup; CodeCommit has no ListRepositories, no tags and no branches;
- no build, no deployment ever runs: what the buildspec and the hooks do is only unit-tested.
"""

import json

import pytest
import yaml

STACK = "pipet"
BUCKET = "hatrading-pipet-pipeline-us-east-1"
REPOS = {"frontend": "hatrading/pipet/frontend", "backend": "hatrading/pipet/backend"}
ACCOUNT = "123456789012"


def pipeline(ansible, check=False, diff=False, **args):
    return ansible.module("hatrading.aws.stack_pipeline", dict({"stack": STACK, "region": "us-east-1"}, **args), check=check, diff=diff)


def operations(calls):
    return sorted(call["operation"] for call in calls)


def both_tiers(stack):
    """Both app tiers, one instance each (as tests/integration/test_monitoring.py builds them)."""
    tiers = []
    for tier, port in (("backend", 8081), ("frontend", 8080)):
        tiers.append(
            {
                "tier": tier,
                "load_balancer": {"port": port},
                "launch_template": {"image": "127.0.0.1:5001/hatrading/%s:1.0.0" % tier, "port": port},
                "auto_scaling_group": {"min_size": 1, "desired_capacity": 1, "max_size": 1, "instance_refresh": False},
            }
        )
    return {"stack": stack, "tiers": tiers}


@pytest.fixture(scope="module")
def compute_stack(moto, ansible):
    """Network and both app tiers of STACK, built once for the tests that deploy to them."""
    moto.reset()
    network = ansible.module("hatrading.aws.stack_network", {"stack": STACK, "vpc_cidr": "10.48.0.0/16", "nat_mode": "single", "resilience": "cost"})
    assert network["rc"] == 0, network
    compute = ansible.module("hatrading.aws.stack_compute", both_tiers(STACK))
    assert compute["rc"] == 0, compute
    return compute


def test_check_mode_plans_and_creates_nothing(fresh_moto, ansible):
    result = pipeline(ansible, check=True, diff=True)
    assert result["rc"] == 0 and result["changed"], result
    kinds = [(step["action"], step["kind"]) for step in result["plan"]]
    assert kinds[:4] == [("create", "repository"), ("create", "repository"), ("create", "code_repository"), ("create", "bucket")]
    assert kinds[-2:] == [("create", "pipeline"), ("create", "trigger_rule")] and ("create", "build_project") in kinds
    assert "deployment_group" not in [kind for _action, kind in kinds]  # no compute tier
    assert "pipeline/%s" % STACK in result["diff"]["after"]
    assert fresh_moto.mutating_calls() == []
    assert fresh_moto.client("ecr").describe_repositories()["repositories"] == []
    assert fresh_moto.client("codebuild").list_projects()["projects"] == []


def test_without_compute_builds_source_and_build_and_notes_the_skip(fresh_moto, ansible):
    moto = fresh_moto
    result = pipeline(ansible)
    assert result["rc"] == 0 and result["changed"], result
    info = result["pipeline"]
    assert info["deployment_groups"] == []
    assert any("no deployment group for frontend" in note and "%s-frontend" % STACK in note for note in info["notes"])
    ecr = moto.client("ecr")
    repos = {r["repositoryName"]: r for r in ecr.describe_repositories()["repositories"]}
    assert sorted(repos) == sorted(REPOS.values())
    for name in REPOS.values():
        repo = repos[name]
        assert repo["imageTagMutability"] == "IMMUTABLE"
        assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo["encryptionConfiguration"]["encryptionType"] == "AES256"
        rules = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])["rules"]
        assert [(r["selection"]["tagStatus"], r["selection"]["countType"], r["selection"]["countNumber"]) for r in rules] == [
            ("untagged", "sinceImagePushed", 7),
            ("any", "imageCountMoreThan", 30),
        ]
        tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]}
        assert tags == {"hatrading:stack": STACK, "hatrading:tier": "pipeline", "Name": name}
    assert moto.client("codecommit").get_repository(repositoryName="%s-trading" % STACK)["repositoryMetadata"]["repositoryName"] == "%s-trading" % STACK
    s3 = moto.client("s3")
    assert all(s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    project = moto.client("codebuild").batch_get_projects(names=["%s-images" % STACK])["projects"][0]
    assert project["environment"]["privilegedMode"] is True
    assert project["environment"]["image"] == "aws/codebuild/standard:7.0"
    assert project["source"]["type"] == "CODEPIPELINE" and "docker push" in project["source"]["buildspec"]
    assert project["artifacts"]["type"] == "CODEPIPELINE"
    assert project["serviceRole"] == "arn:aws:iam::%s:role/%s-pipeline-build" % (ACCOUNT, STACK)
    assert project["logsConfig"]["cloudWatchLogs"] == {"status": "ENABLED", "groupName": "/hatrading/%s/pipeline/build" % STACK}
    group = moto.client("logs").describe_log_groups(logGroupNamePrefix="/hatrading/%s/pipeline" % STACK)["logGroups"][0]
    assert group["retentionInDays"] == 30
    iam = moto.client("iam")
    policy = iam.get_role_policy(RoleName="%s-pipeline-build" % STACK, PolicyName="least-privilege")["PolicyDocument"]
    push = next(s for s in policy["Statement"] if s["Sid"] == "EcrPushThisStack")
    assert sorted(push["Resource"]) == sorted("arn:aws:ecr:us-east-1:%s:repository/%s" % (ACCOUNT, name) for name in REPOS.values())
    declared = moto.client("codepipeline").get_pipeline(name=STACK)["pipeline"]
    assert [stage["name"] for stage in declared["stages"]] == ["Source", "Build"]
    assert declared["artifactStore"] == {"type": "S3", "location": BUCKET}
    assert declared["stages"][0]["actions"][0]["configuration"]["RepositoryName"] == "%s-trading" % STACK
    events = moto.client("events")
    rule = events.describe_rule(Name="%s-pipeline-trigger" % STACK)
    pattern = json.loads(rule["EventPattern"])
    assert rule["State"] == "ENABLED" and pattern["detail"]["referenceName"] == ["main"]
    assert pattern["resources"] == ["arn:aws:codecommit:us-east-1:%s:%s-trading" % (ACCOUNT, STACK)]
    targets = events.list_targets_by_rule(Rule="%s-pipeline-trigger" % STACK)["Targets"]
    assert [(t["Arn"], t["RoleArn"]) for t in targets] == [
        ("arn:aws:codepipeline:us-east-1:%s:%s" % (ACCOUNT, STACK), "arn:aws:iam::%s:role/%s-pipeline-events" % (ACCOUNT, STACK))
    ]

    moto.forget_calls()
    again = pipeline(ansible)
    assert again["rc"] == 0 and not again["changed"] and again["plan"] == [], again
    assert moto.mutating_calls() == []

    # teardown needs the confirmation, and keeps repositories, code and bucket
    refused = pipeline(ansible, state="absent")
    assert refused["rc"] != 0 and "confirm_delete" in refused["msg"]
    moto.forget_calls()
    gone = pipeline(ansible, state="absent", confirm_delete=STACK)
    assert gone["rc"] == 0 and gone["changed"], gone
    assert [(s["action"], s["kind"]) for s in gone["plan"]] == [
        ("delete", "trigger_rule"),
        ("delete", "pipeline"),
        ("delete", "application"),
        ("delete", "build_project"),
        ("delete", "role"),
        ("delete", "role"),
        ("delete", "role"),
    ]
    assert moto.client("events").list_rules(NamePrefix=STACK)["Rules"] == []
    assert "bucket %s" % BUCKET in gone["pipeline"]["kept"]
    assert moto.client("codepipeline").list_pipelines()["pipelines"] == []
    assert moto.client("codebuild").list_projects()["projects"] == []
    assert sorted(r["repositoryName"] for r in ecr.describe_repositories()["repositories"]) == sorted(REPOS.values())
    assert BUCKET in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert moto.client("codecommit").get_repository(repositoryName="%s-trading" % STACK)
    again = pipeline(ansible, state="absent", confirm_delete=STACK)
    assert again["rc"] == 0 and not again["changed"], again


def test_with_compute_deploys_backend_then_frontend(compute_stack, moto, ansible):
    result = pipeline(ansible, deployment_config="half")
    assert result["rc"] == 0 and result["changed"], result
    assert result["pipeline"]["deployment_groups"] == ["%s-backend" % STACK, "%s-frontend" % STACK]
    codedeploy = moto.client("codedeploy")
    for tier, short in (("frontend", "fe"), ("backend", "be")):
        group = codedeploy.get_deployment_group(applicationName=STACK, deploymentGroupName="%s-%s" % (STACK, tier))["deploymentGroupInfo"]
        assert [g["name"] for g in group["autoScalingGroups"]] == ["%s-%s" % (STACK, tier)]  # moto answer mended by the lab
        assert group["loadBalancerInfo"]["targetGroupInfoList"] == [{"name": "%s-tg-%s" % (STACK, short)}]
        assert group["deploymentStyle"] == {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
        assert group["autoRollbackConfiguration"] == {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}
        assert group["deploymentConfigName"] == "CodeDeployDefault.HalfAtATime"
        assert group["serviceRoleArn"] == "arn:aws:iam::%s:role/%s-pipeline-deploy" % (ACCOUNT, STACK)
    declared = moto.client("codepipeline").get_pipeline(name=STACK)["pipeline"]
    assert [stage["name"] for stage in declared["stages"]] == ["Source", "Build", "Deploy"]
    deploy = declared["stages"][2]["actions"]
    assert [(a["name"], a["runOrder"], a["configuration"]["DeploymentGroupName"]) for a in deploy] == [
        ("Backend", 1, "%s-backend" % STACK),
        ("Frontend", 2, "%s-frontend" % STACK),
    ]

    moto.forget_calls()
    again = pipeline(ansible, deployment_config="half")
    assert again["rc"] == 0 and not again["changed"], again
    assert moto.mutating_calls() == []

    moto.forget_calls()
    changed = pipeline(ansible, deployment_config="half", branch="release", diff=True)
    assert changed["rc"] == 0, changed
    assert changed["plan"] == [
        {"action": "update", "kind": "pipeline", "name": STACK, "fields": ["stages"]},
        {"action": "update", "kind": "trigger_rule", "name": "%s-pipeline-trigger" % STACK, "fields": ["pattern"]},
    ]
    assert operations(moto.mutating_calls()) == ["PutRule", "UpdatePipeline"]
    declared = moto.client("codepipeline").get_pipeline(name=STACK)["pipeline"]
    assert declared["stages"][0]["actions"][0]["configuration"]["BranchName"] == "release"
    assert declared["version"] == 2

    # a repository holding an image is refused without force, and nothing is deleted
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {}, "layers": []}
    moto.client("ecr").put_image(repositoryName=REPOS["backend"], imageManifest=json.dumps(manifest), imageTag="abc123")
    moto.forget_calls()
    refused = pipeline(ansible, state="absent", confirm_delete=STACK, delete_repositories=True, delete_bucket=True)
    assert refused["rc"] != 0 and "pipeline_force" in refused["msg"] and REPOS["backend"] in refused["msg"], refused
    assert moto.mutating_calls() == []
    gone = pipeline(ansible, state="absent", confirm_delete=STACK, delete_repositories=True, delete_bucket=True, force=True)
    assert gone["rc"] == 0 and gone["changed"], gone
    kinds = [s["kind"] for s in gone["plan"]]
    assert kinds[:5] == ["trigger_rule", "pipeline", "deployment_group", "deployment_group", "application"]
    assert kinds.count("repository") == 2 and "bucket" in kinds and "code_repository" in kinds
    assert moto.client("ecr").describe_repositories()["repositories"] == []
    assert BUCKET not in [b["Name"] for b in moto.client("s3").list_buckets()["Buckets"]]
    assert moto.client("codedeploy").list_applications()["applications"] == []
    assert [r for r in moto.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("%s-pipeline" % STACK)] == []


def test_dockerhub_makes_no_ecr_repository_and_logs_in_with_the_secret(fresh_moto, ansible):
    moto = fresh_moto
    secret = "arn:aws:secretsmanager:us-east-1:%s:secret:hatrading/dockerhub-AbCdEf" % ACCOUNT
    args = {
        "registry": "dockerhub",
        "repositories": {"frontend": "example/trading-frontend", "backend": "example/trading-backend"},
        "dockerhub_username": "example",
        "dockerhub_secret_arn": secret,
    }
    result = pipeline(ansible, **args)
    assert result["rc"] == 0 and result["changed"], result
    assert "repository" not in [step["kind"] for step in result["plan"]]
    assert result["pipeline"]["repositories"]["backend"] == "docker.io/example/trading-backend"
    assert moto.client("ecr").describe_repositories()["repositories"] == []
    project = moto.client("codebuild").batch_get_projects(names=["%s-images" % STACK])["projects"][0]
    assert 'DOCKERHUB_PASSWORD: "%s"' % secret in project["source"]["buildspec"]
    assert 'docker push "docker.io/example/trading-frontend:$TAG"' in yaml.safe_load(project["source"]["buildspec"])["phases"]["post_build"]["commands"]
    policy = moto.client("iam").get_role_policy(RoleName="%s-pipeline-build" % STACK, PolicyName="least-privilege")["PolicyDocument"]
    assert {"Sid": "DockerHubSecret", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [secret]} in policy["Statement"]
    assert not [s for s in policy["Statement"] if s["Sid"].startswith("Ecr")]
    moto.forget_calls()
    again = pipeline(ansible, **args)
    assert again["rc"] == 0 and not again["changed"], again
    assert moto.mutating_calls() == []


def test_an_external_source_makes_no_codecommit_repository_and_no_trigger(fresh_moto, ansible):
    moto = fresh_moto
    connection = "arn:aws:codestar-connections:us-east-1:%s:connection/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f" % ACCOUNT
    args = {"source": "codestar", "codestar_connection_arn": connection, "source_repository": "example/trading"}
    result = pipeline(ansible, **args)
    assert result["rc"] == 0 and result["changed"], result
    kinds = [step["kind"] for step in result["plan"]]
    assert "code_repository" not in kinds and "trigger_rule" not in kinds
    assert result["pipeline"]["code_repository"] == "example/trading" and result["pipeline"]["clone_url_http"] is None
    with pytest.raises(moto.client("codecommit").exceptions.RepositoryDoesNotExistException):
        moto.client("codecommit").get_repository(repositoryName="%s-trading" % STACK)
    assert moto.client("events").list_rules(NamePrefix=STACK)["Rules"] == []
    action = moto.client("codepipeline").get_pipeline(name=STACK)["pipeline"]["stages"][0]["actions"][0]
    assert action["actionTypeId"]["provider"] == "CodeStarSourceConnection"
    assert action["configuration"]["ConnectionArn"] == connection and action["configuration"]["FullRepositoryId"] == "example/trading"
    roles = sorted(r["RoleName"] for r in moto.client("iam").list_roles()["Roles"])
    assert roles == ["%s-pipeline" % STACK, "%s-pipeline-build" % STACK]
    moto.forget_calls()
    again = pipeline(ansible, **args)
    assert again["rc"] == 0 and not again["changed"], again
    assert moto.mutating_calls() == []


@pytest.mark.parametrize(
    "args, variable",
    [
        ({"stack": "Bad_Stack"}, "stack"),
        ({"repositories": {"frontend": "Upper/Case"}}, "repositories.frontend"),
        ({"repositories": {"database": "x/y"}}, "repositories"),
        ({"log_retention_days": 13}, "log_retention_days"),
        ({"branch": "a..b"}, "branch"),
        ({"kms_key_arn": "alias/mine"}, "kms_key_arn"),
        ({"frontend_health_path": "health"}, "frontend_health_path"),
        ({"source": "codestar", "source_repository": "example/trading"}, "codestar_connection_arn"),
        ({"registry": "dockerhub", "repositories": {"frontend": "a/b", "backend": "c/d"}, "dockerhub_username": "me"}, "dockerhub_secret_arn"),
        ({"state": "absent", "confirm_delete": "other"}, "confirm_delete"),
    ],
)
def test_bad_input_fails_before_any_call(fresh_moto, ansible, args, variable):
    result = pipeline(ansible, **args)
    assert result["rc"] != 0 and variable + ":" in result["msg"], result
    assert fresh_moto.calls() == []


def test_the_role_checks_pipeline_variables_before_any_call(fresh_moto, ansible, tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  roles:\n    - role: hatrading.aws.pipeline\n"
        "      vars: {hatrading_stack: pipet, pipeline_log_retention_days: 13}\n"
    )
    result = ansible.playbook(playbook)
    assert result["rc"] != 0
    failed = [r for r in result["tasks"].values() if r.get("failed")]
    assert failed and "pipeline_log_retention_days" in failed[0]["msg"], failed
    assert fresh_moto.calls() == []
