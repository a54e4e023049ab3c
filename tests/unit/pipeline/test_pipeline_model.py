"""The pipeline tier's pure parts: names, validation, buildspec, appspec and hooks, policies, plans."""

import base64
import json
import re

import pytest
import yaml

from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.pipeline import model
from ansible_collections.hatrading.aws.plugins.module_utils.validators import check

N = names.pipeline("prod", "us-east-1")
URIS = {t: "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + N["repositories"][t] for t in model.APP_TIERS}
HEALTH = {"frontend": "/", "backend": "/health"}


def test_names_follow_the_stack_and_the_compute_tier():
    assert N["repositories"] == {"frontend": "hatrading/prod/frontend", "backend": "hatrading/prod/backend"}
    assert N["code_repository"] == "prod-trading" and N["build_project"] == "prod-images"
    assert N["bucket"] == "hatrading-prod-pipeline-us-east-1"
    assert N["target_groups"] == {"frontend": "prod-tg-fe", "backend": "prod-tg-be"}
    assert names.pipeline("prod", "us-east-1", {"backend": "team/api"})["repositories"]["backend"] == "team/api"


@pytest.mark.parametrize(
    "settings, variable",
    [
        ({"stack": "P"}, "pipeline_stack"),
        ({"repositories": {"frontend": "A/b"}}, "pipeline_repositories.frontend"),
        ({"repositories": {"frontend": "x/y", "backend": "x/y"}}, "pipeline_repositories"),
        ({"repositories": {"worker": "x/y"}}, "pipeline_repositories"),
        ({"branch": "feature/"}, "pipeline_branch"),
        ({"kms_key_arn": "mykey"}, "pipeline_kms_key_arn"),
        ({"untagged_expire_days": 0}, "pipeline_untagged_expire_days"),
        ({"keep_tagged_images": "many"}, "pipeline_keep_tagged_images"),
        ({"build_timeout": 1000}, "pipeline_build_timeout"),
        ({"log_retention_days": 10}, "pipeline_log_retention_days"),
        ({"compute_type": "HUGE"}, "pipeline_compute_type"),
        ({"deployment_config": "all"}, "pipeline_deployment_config"),
        ({"backend_health_path": "health"}, "pipeline_backend_health_path"),
        ({"bucket_name": "Bad_Bucket"}, "pipeline_bucket_name"),
        ({"state": "absent", "confirm_delete": "dev"}, "pipeline_confirm_delete"),
        ({"state": "absent", "confirm_delete": "prod", "force": True}, "pipeline_force"),
    ],
)
def test_validation_names_the_variable(settings, variable):
    errors = model.validate_pipeline(dict({"stack": "prod"}, **settings), "pipeline_")
    assert errors and any(error.startswith(variable + ":") for error in errors), errors


def test_sound_settings_pass_and_the_validator_is_registered():
    assert model.validate_pipeline({"stack": "prod", "log_retention_days": "14", "kms_key_arn": ""}, "pipeline_") == []
    assert model.validate_pipeline({"stack": "prod", "state": "absent", "confirm_delete": "prod", "delete_bucket": True, "force": True}) == []
    message, errors = check("pipeline", {"stack": "prod", "deployment_config": "all"}, "pipeline_")
    assert "pipeline_deployment_config" in message and errors


def test_buildspec_builds_tags_with_the_commit_pushes_and_packages_the_deployment():
    spec = yaml.safe_load(model.buildspec("prod", "us-east-1", URIS, HEALTH))
    assert spec["version"] == 0.2
    pre = spec["phases"]["pre_build"]["commands"]
    assert "cut -c1-12" in pre[0] and "CODEBUILD_RESOLVED_SOURCE_VERSION" in pre[0]
    assert pre[-1].endswith("docker login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com")
    build = spec["phases"]["build"]["commands"]
    assert build == ['docker build --pull --tag "%s:$TAG" apps/%s' % (URIS[t], t) for t in ("frontend", "backend")]
    post = spec["phases"]["post_build"]["commands"]
    assert 'docker push "%s:$TAG"' % URIS["backend"] in post
    assert 'echo "%s:$TAG" > out/images/frontend.txt' % URIS["frontend"] in post
    assert spec["artifacts"] == {"base-directory": "out", "files": ["**/*"]}
    written = {}
    for command in post:
        match = re.match(r"^echo (\S+) \| base64 -d > out/(\S+)$", command)
        if match:
            written[match.group(2)] = base64.b64decode(match.group(1)).decode()
    assert sorted(written) == ["appspec.yml", "deploy/pull.sh", "deploy/start.sh", "deploy/stop.sh", "deploy/validate.sh"]
    assert written["appspec.yml"] == model.appspec()
    definitions = next(c for c in post if "imagedefinitions.json" in c)
    rendered = definitions.replace('\\"', '"').replace("$TAG", "abc")
    listed = json.loads(rendered[len('echo "') : rendered.index('" >')])
    assert listed == [{"name": t, "imageUri": URIS[t] + ":abc"} for t in ("frontend", "backend")]


def test_appspec_runs_the_hooks_in_order_as_root():
    spec = yaml.safe_load(model.appspec())
    assert spec["version"] == 0.0 and spec["os"] == "linux"
    assert list(spec["hooks"]) == ["ApplicationStop", "BeforeInstall", "ApplicationStart", "ValidateService"]
    assert [h[0]["location"] for h in spec["hooks"].values()] == ["deploy/stop.sh", "deploy/pull.sh", "deploy/start.sh", "deploy/validate.sh"]
    assert all(h[0]["runas"] == "root" for h in spec["hooks"].values())


def test_hooks_stop_pull_run_and_validate_the_tier_of_the_deployment_group():
    hooks = model.hook_scripts("prod", "us-east-1", HEALTH)
    for text in hooks.values():
        assert text.startswith("#!/bin/bash\nset -euo pipefail\n")
        assert 'TIER="${DEPLOYMENT_GROUP_NAME#prod-}"' in text
    assert 'docker stop --time 30 "$TIER"' in hooks["stop.sh"]
    assert "aws ecr get-login-password --region us-east-1" in hooks["pull.sh"] and 'docker pull "$IMAGE"' in hooks["pull.sh"]
    assert 'REGISTRY="${IMAGE%%/*}"' in hooks["pull.sh"]
    assert '--env-file "/etc/hatrading/$TIER.env"' in hooks["start.sh"] and "awslogs-group=/hatrading/prod/$TIER/container" in hooks["start.sh"]
    assert "frontend) HEALTH=/;; backend) HEALTH=/health;;" in hooks["validate.sh"]
    assert 'curl -fsS "http://127.0.0.1:$PORT$HEALTH"' in hooks["validate.sh"] and hooks["validate.sh"].rstrip().endswith("exit 1")


def _statement(policy, sid):
    return next(s for s in policy["Statement"] if s["Sid"] == sid)


def test_build_policy_is_limited_to_its_repositories_log_group_bucket_and_code():
    policy = model.build_policy("aws", "us-east-1", "123456789012", N)
    assert _statement(policy, "EcrPushThisStack")["Resource"] == [
        "arn:aws:ecr:us-east-1:123456789012:repository/hatrading/prod/frontend",
        "arn:aws:ecr:us-east-1:123456789012:repository/hatrading/prod/backend",
    ]
    assert "ecr:PutImage" in _statement(policy, "EcrPushThisStack")["Action"]
    assert _statement(policy, "OwnLogGroup")["Resource"][0] == "arn:aws:logs:us-east-1:123456789012:log-group:/hatrading/prod/pipeline/build"
    assert _statement(policy, "ArtifactBucket")["Resource"] == ["arn:aws:s3:::hatrading-prod-pipeline-us-east-1/*"]
    assert _statement(policy, "PullCode") == {
        "Sid": "PullCode",
        "Effect": "Allow",
        "Action": ["codecommit:GitPull"],
        "Resource": ["arn:aws:codecommit:us-east-1:123456789012:prod-trading"],
    }
    wildcard = [s for s in policy["Statement"] if s["Resource"] == "*"]
    assert [s["Action"] for s in wildcard] == [["ecr:GetAuthorizationToken"]]  # the one action with no resource


def test_pipeline_and_deploy_policies_name_their_resources():
    arns = {"deploy_role": "arn:aws:iam::123456789012:role/prod-pipeline-deploy"}
    policy = model.pipeline_policy("aws", "us-east-1", "123456789012", N, arns)
    assert _statement(policy, "PassDeployRole")["Resource"] == [arns["deploy_role"]]
    assert _statement(policy, "Build")["Resource"] == ["arn:aws:codebuild:us-east-1:123456789012:project/prod-images"]
    deploy = model.deploy_policy("aws", "us-east-1", "123456789012", N)
    assert _statement(deploy, "StackTargetGroups")["Resource"][0] == "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/prod-tg-fe/*"


def test_role_policies_compare_as_canonical_json():
    want = {"name": "r", "trust": model.trust_policy("codebuild.amazonaws.com"), "policy": {"Version": "2012-10-17", "Statement": []}, "tags": {"a": "1"}}
    role = {"AssumeRolePolicyDocument": json.dumps(want["trust"], indent=4), "Tags": [{"Key": "a", "Value": "1"}]}
    assert model.plan_role("r", want, role, {"Statement": [], "Version": "2012-10-17"}, "p") == []
    changes = model.plan_role("r", want, role, {"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}, "p")
    assert [(c.action, c.kind, c.fields) for c in changes] == [("update", "role_policy", ["statements"])]
    assert [(c.action, c.kind) for c in model.plan_role("r", want, None, None, "p")] == [("create", "role"), ("create", "role_policy")]


def test_repository_lifecycle_and_a_kms_key():
    want = model.desired_repository({"stack": "prod", "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:alias/ecr"}, "hatrading/prod/frontend")
    assert want["encryption"] == {"type": "KMS", "kms_key": "arn:aws:kms:us-east-1:123456789012:alias/ecr"}
    assert [r["selection"]["countNumber"] for r in want["lifecycle_policy"]["rules"]] == [7, 30]
    raw = {"repositoryUri": "u", "repositoryArn": "a", "imageScanningConfiguration": {"scanOnPush": True}, "imageTagMutability": "IMMUTABLE"}
    have = model.actual_repository(raw, json.dumps(want["lifecycle_policy"]), want["tags"])
    assert model.compare_repository(want, have) == ["encryption"]


def _have(**over):
    have = {"repositories": {}, "roles": {}, "deployment_groups": {}, "code_repository": None, "bucket": None, "log_group": None}
    have.update(over)
    return have


def test_teardown_keeps_repositories_and_bucket_and_refuses_content_without_force():
    repo = {"arn": "a"}
    have = _have(
        pipeline={"name": "prod"},
        application={"applicationName": "prod"},
        deployment_groups={"backend": {}, "frontend": {}},
        repositories={"frontend": repo, "backend": repo},
        code_repository={"repositoryName": "prod-trading", "defaultBranch": "main"},
        bucket={"versioning": "Enabled"},
        roles={"build_role": ({"Arn": "r"}, None)},
        image_counts={"frontend": 3, "backend": 0},
        bucket_objects=0,
    )
    kept = model.plan_teardown(N, have)
    assert [(c.kind, c.name) for c in kept.changes] == [
        ("pipeline", "prod"),
        ("deployment_group", "prod-backend"),
        ("deployment_group", "prod-frontend"),
        ("application", "prod"),
        ("role", "prod-pipeline-build"),
    ]
    with pytest.raises(model.PipelinePlanError) as refused:
        model.plan_teardown(N, have, delete_repositories=True)
    assert "hatrading/prod/frontend holds 3 image(s)" in str(refused.value) and "prod-trading holds code" in str(refused.value)
    forced = model.plan_teardown(N, have, delete_repositories=True, delete_bucket=True, force=True)
    assert [c.kind for c in forced.changes][-4:] == ["repository", "repository", "code_repository", "bucket"]


def test_plan_pipeline_orders_dependencies_and_skips_what_matches():
    cfg = {"stack": "prod"}
    want = {
        "repositories": dict((t, (N["repositories"][t], model.desired_repository(cfg, N["repositories"][t]))) for t in model.APP_TIERS),
        "code_repository": (N["code_repository"], {}),
        "bucket": (N["bucket"], model.desired_bucket(cfg, N["bucket"])),
        "log_group": (N["log_group"], model.desired_log_group(cfg, N["log_group"])),
        "roles": {},
        "policy_name": "least-privilege",
        "project": (N["build_project"], model.desired_project(cfg, N, "arn", "spec")),
        "application": ("prod", {}),
        "deployment_groups": {"backend": ("prod-backend", model.desired_deployment_group(cfg, "backend", N, "arn"))},
        "pipeline": ("prod", model.desired_pipeline(cfg, N, "arn", ["backend"])),
        "trigger": ("prod-pipeline-trigger", model.desired_trigger(cfg, N, "aws", "us-east-1", "123456789012", "arn:role")),
    }
    plan = model.plan_pipeline(want, _have())
    assert [c.kind for c in plan.changes] == [
        "repository",
        "repository",
        "code_repository",
        "bucket",
        "log_group",
        "build_project",
        "application",
        "deployment_group",
        "pipeline",
        "trigger_rule",
    ]
    have = _have(
        repositories=dict((t, dict(want["repositories"][t][1])) for t in model.APP_TIERS),
        code_repository={"repositoryName": "prod-trading"},
        bucket=dict(want["bucket"][1]),
        log_group={"retention": 14, "tags": want["log_group"][1]["tags"]},
        project=dict(want["project"][1]),
        application={"applicationName": "prod"},
        deployment_groups={"backend": dict(want["deployment_groups"]["backend"][1])},
        pipeline=dict(want["pipeline"][1]),
        trigger=model.actual_trigger(
            {"EventPattern": json.dumps(want["trigger"][1]["pattern"], indent=2), "State": "ENABLED"}, [dict(want["trigger"][1]["targets"][0], Input=None)]
        ),
    )
    assert [(c.kind, c.fields) for c in model.plan_pipeline(want, have).changes] == [("log_group", ["retention"])]


SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hatrading/dockerhub-AbCdEf"
HUB = {"frontend": "example/trading-frontend", "backend": "example/trading-backend"}


@pytest.mark.parametrize(
    "settings, variable",
    [
        ({"registry": "quay"}, "pipeline_registry"),
        ({"registry": "dockerhub", "dockerhub_username": "example", "dockerhub_secret_arn": SECRET}, "pipeline_repositories.frontend"),
        ({"registry": "dockerhub", "repositories": HUB, "dockerhub_username": "example"}, "pipeline_dockerhub_secret_arn"),
        ({"registry": "dockerhub", "repositories": HUB, "dockerhub_username": "example", "dockerhub_secret_arn": "hunter2"}, "pipeline_dockerhub_secret_arn"),
        ({"registry": "dockerhub", "repositories": HUB, "dockerhub_secret_arn": SECRET}, "pipeline_dockerhub_username"),
        ({"registry": "dockerhub", "repositories": {"frontend": "a/b/c", "backend": "x/y"}}, "pipeline_repositories.frontend"),
        ({"dockerhub_secret_arn": SECRET}, "pipeline_dockerhub_secret_arn"),
    ],
)
def test_dockerhub_validation_names_the_variable(settings, variable):
    errors = model.validate_pipeline(dict({"stack": "prod"}, **settings), "pipeline_")
    assert any(error.startswith(variable + ":") for error in errors), errors


def test_dockerhub_build_logs_in_with_the_secret_and_pushes_to_docker_hub():
    settings = {"stack": "prod", "registry": "dockerhub", "repositories": HUB, "dockerhub_username": "example", "dockerhub_secret_arn": SECRET}
    assert model.validate_pipeline(settings) == []
    n = names.pipeline("prod", "us-east-1", HUB)
    uris = model.image_uris("dockerhub", "ignored", n)
    assert uris == {"frontend": "docker.io/example/trading-frontend", "backend": "docker.io/example/trading-backend"}
    text = model.buildspec("prod", "us-east-1", uris, HEALTH, SECRET, "example")
    spec = yaml.safe_load(text)
    assert spec["env"] == {"secrets-manager": {"DOCKERHUB_PASSWORD": SECRET}}
    pre = spec["phases"]["pre_build"]["commands"]
    assert pre[-1] == 'echo "$DOCKERHUB_PASSWORD" | docker login --username example --password-stdin'
    assert "ecr" not in " ".join(pre)
    assert 'docker push "docker.io/example/trading-backend:$TAG"' in spec["phases"]["post_build"]["commands"]
    pull = model.hook_scripts("prod", "us-east-1", HEALTH, SECRET, "example")["pull.sh"]
    assert "--secret-id %s --query SecretString --output text" % SECRET in pull and "docker login --username example --password-stdin" in pull
    policy = model.build_policy("aws", "us-east-1", "123456789012", n, dockerhub_secret_arn=SECRET)
    sids = [s["Sid"] for s in policy["Statement"]]
    assert sids[0] == "DockerHubSecret" and not [sid for sid in sids if sid.startswith("Ecr")]
    assert _statement(policy, "DockerHubSecret")["Resource"] == [SECRET]


def test_a_push_to_the_branch_starts_the_pipeline_through_eventbridge():
    want = model.desired_trigger(
        {"stack": "prod", "branch": "release"}, N, "aws", "us-east-1", "123456789012", "arn:aws:iam::123456789012:role/prod-pipeline-events"
    )
    assert want["pattern"]["resources"] == ["arn:aws:codecommit:us-east-1:123456789012:prod-trading"]
    assert want["pattern"]["detail"]["referenceName"] == ["release"]
    assert want["targets"] == [
        {"Id": "pipeline", "Arn": "arn:aws:codepipeline:us-east-1:123456789012:prod", "RoleArn": "arn:aws:iam::123456789012:role/prod-pipeline-events"}
    ]
    policy = model.events_policy("aws", "us-east-1", "123456789012", N)
    assert policy["Statement"] == [
        {
            "Sid": "StartThisPipeline",
            "Effect": "Allow",
            "Action": ["codepipeline:StartPipelineExecution"],
            "Resource": ["arn:aws:codepipeline:us-east-1:123456789012:prod"],
        }
    ]
    other = model.desired_trigger({"stack": "prod", "branch": "main"}, N, "aws", "us-east-1", "123456789012", "x")
    assert model.compare_trigger(other, model.actual_trigger({"EventPattern": json.dumps(want["pattern"]), "State": "ENABLED"}, want["targets"])) == [
        "pattern",
        "targets",
    ]


CONNECTION = "arn:aws:codestar-connections:us-east-1:123456789012:connection/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"


@pytest.mark.parametrize(
    "settings, variable",
    [
        ({"source": "github"}, "pipeline_source"),
        ({"source": "codestar", "source_repository": "example/trading"}, "pipeline_codestar_connection_arn"),
        ({"source": "codestar", "codestar_connection_arn": CONNECTION}, "pipeline_source_repository"),
        ({"source": "codestar", "codestar_connection_arn": CONNECTION, "source_repository": "trading"}, "pipeline_source_repository"),
        ({"codestar_connection_arn": CONNECTION}, "pipeline_codestar_connection_arn"),
    ],
)
def test_codestar_validation_names_the_variable(settings, variable):
    errors = model.validate_pipeline(dict({"stack": "prod"}, **settings), "pipeline_")
    assert any(error.startswith(variable + ":") for error in errors), errors


def test_an_external_source_uses_the_connection_and_no_codecommit():
    cfg = {"stack": "prod", "source": "codestar", "codestar_connection_arn": CONNECTION, "source_repository": "example/trading", "branch": "release"}
    assert model.validate_pipeline(cfg) == []
    declared = model.desired_pipeline(cfg, N, "arn:role", [])
    action = declared["stages"][0]["actions"][0]
    assert action["actionTypeId"]["provider"] == "CodeStarSourceConnection"
    assert action["configuration"] == {
        "ConnectionArn": CONNECTION,
        "FullRepositoryId": "example/trading",
        "BranchName": "release",
        "OutputArtifactFormat": "CODE_ZIP",
        "DetectChanges": "true",
    }
    policy = model.pipeline_policy("aws", "us-east-1", "123456789012", N, {"deploy_role": "arn:deploy"}, CONNECTION)
    assert _statement(policy, "Source")["Resource"] == [CONNECTION] and not [a for s in policy["Statement"] for a in s["Action"] if "codecommit" in a]
    build = model.build_policy("aws", "us-east-1", "123456789012", N, code_source=False)
    assert "PullCode" not in [s["Sid"] for s in build["Statement"]]
