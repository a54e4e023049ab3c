# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The delivery pipeline tier as plain data: settings, validation, the buildspec, the appspec and its hooks,
the IAM policies, wanted and found state, and the plan between them.

CodeCommit holds the code; CodePipeline runs Source -> Build (CodeBuild builds and pushes the two app images
to ECR, tagged with the commit) -> Deploy (CodeDeploy, in place, backend then frontend, behind the target
groups). Nothing here calls AWS: read.py reads, this file decides, apply.py applies. Names come from core.names.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re

from ansible_collections.hatrading.aws.plugins.module_utils.cdn.model import compare_bucket
from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.buckets import private_bucket
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import KMS_ARN
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import SECRET_ARN
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import TierChecks
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_bucket
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_log_retention
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_settings
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import canonical_json
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS
from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import regional_options
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags

TIER = "pipeline"
DEPLOY_ORDER = ("backend", "frontend")  # the API first: a new front-end never calls an old back-end
REGISTRIES = ("ecr", "dockerhub")
SOURCES = ("codecommit", "codestar")
CONNECTION_ARN = re.compile(r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$")
FULL_REPOSITORY_ID = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")
DOCKERHUB_USER = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,29}$")
DOCKERHUB_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*/[a-z0-9]+(?:[._-][a-z0-9]+)*$")
DEPLOYMENT_CONFIGS = {"one-at-a-time": "CodeDeployDefault.OneAtATime", "half": "CodeDeployDefault.HalfAtATime"}
COMPUTE_TYPES = ("BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE")
ECR_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
BRANCH = re.compile(r"^[A-Za-z0-9._/-]{1,255}$")
HEALTH_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")
NEW = "(known after apply)"
APPSPEC_DIR = "deploy"  # inside the build artifact: appspec.yml at its root, hooks under deploy/
ROLE_KINDS = ("build_role", "deploy_role", "pipeline_role", "events_role")
DEFAULT_REGION = "us-east-1"


class PipelinePlanError(TierError):
    """A wanted state the tier refuses to reach (a non-empty repository or bucket to delete without force)."""


# ---------------------------------------------------------------- settings and validation


def settings_of(params):
    """The module's parameters that are set, with the region (us-east-1 when none is given)."""
    return regional_options(params, DEFAULT_REGION)


def _region(settings):
    return settings.get("region") or DEFAULT_REGION


def _validate_images(settings, v):
    """The artifact bucket (given, or derived from the stack and region), the registry, and one repository per app tier."""
    # CodeDeploy fetches revisions over TLS on the bucket's virtual host: no dots
    errors = validate_stack_bucket(settings, v, lambda stack, region: names.pipeline_bucket(stack, region or DEFAULT_REGION))
    errors += _validate_registry(settings, v)
    if not errors and not validate_stack_settings(settings):
        found = names.pipeline(settings["stack"], _region(settings), settings.get("repositories") or {})["repositories"]
        if found["frontend"] == found["backend"]:
            errors.append("%s: frontend and backend need two repositories (both are %s)" % (v("repositories"), found["frontend"]))
    return errors


def _validate_registry(settings, v):
    """Where the images go: ECR repository names, or Docker Hub names with the secret and the user."""
    errors = []
    registry = settings.get("registry") or "ecr"
    if registry not in REGISTRIES:
        errors.append("%s: %r is not a registry; use ecr or dockerhub" % (v("registry"), registry))
    repositories = settings.get("repositories") or {}
    if not isinstance(repositories, dict):
        errors.append("%s: must be a mapping of app tier (frontend, backend) to repository name" % v("repositories"))
        repositories = {}
    for tier, name in sorted(repositories.items()):
        if tier not in APP_TIERS:
            errors.append("%s: %r is not an app tier; use frontend or backend" % (v("repositories"), tier))
        elif registry == "dockerhub" and name and (not isinstance(name, str) or not DOCKERHUB_NAME.match(name)):
            errors.append("%s.%s: %r is not a Docker Hub repository (<namespace>/<name>, lower case)" % (v("repositories"), tier, name))
        elif registry != "dockerhub" and name and (not isinstance(name, str) or not ECR_NAME.match(name) or not 2 <= len(name) <= 256):
            errors.append("%s.%s: %r is not an ECR repository name (lower case, digits, . _ - and /)" % (v("repositories"), tier, name))
    if registry != "dockerhub":
        return errors + [
            "%s: only used with %s=dockerhub" % (v(option), v("registry")) for option in ("dockerhub_secret_arn", "dockerhub_username") if settings.get(option)
        ]
    for tier in APP_TIERS:
        if not repositories.get(tier):
            errors.append("%s.%s: with %s=dockerhub name the Docker Hub repository (<namespace>/<name>)" % (v("repositories"), tier, v("registry")))
    secret = settings.get("dockerhub_secret_arn") or ""
    if not SECRET_ARN.match(secret):
        errors.append(
            "%s: with %s=dockerhub give the ARN of the Secrets Manager secret holding the password or access token "
            "(never the password itself), got %r" % (v("dockerhub_secret_arn"), v("registry"), secret)
        )
    if not DOCKERHUB_USER.match(settings.get("dockerhub_username") or ""):
        errors.append("%s: with %s=dockerhub give the Docker Hub user name" % (v("dockerhub_username"), v("registry")))
    return errors


def _validate_force(settings, v):
    if settings.get("force") and not (settings.get("delete_repositories") or settings.get("delete_bucket")):
        return ["%s: only means something with %s=true or %s=true" % (v("force"), v("delete_repositories"), v("delete_bucket"))]
    return []


def _validate_source(settings, v):
    """CodeCommit, or an external repository through a CodeStar connection; the branch."""
    source = settings.get("source") or "codecommit"
    errors = [] if source in SOURCES else ["%s: %r is not a source; use codecommit or codestar" % (v("source"), source)]
    if source == "codestar":
        if not CONNECTION_ARN.match(settings.get("codestar_connection_arn") or ""):
            errors.append(
                "%s: with %s=codestar give the ARN of an available CodeStar connection "
                "(arn:aws:codestar-connections:<region>:<account>:connection/<id>), got %r"
                % (v("codestar_connection_arn"), v("source"), settings.get("codestar_connection_arn"))
            )
        if not FULL_REPOSITORY_ID.match(settings.get("source_repository") or ""):
            errors.append(
                "%s: with %s=codestar give the repository as <owner>/<name>, got %r" % (v("source_repository"), v("source"), settings.get("source_repository"))
            )
    elif source == "codecommit":
        errors += [
            "%s: only used with %s=codestar" % (v(option), v("source")) for option in ("codestar_connection_arn", "source_repository") if settings.get(option)
        ]
    branch = settings.get("branch", "main")
    if not isinstance(branch, str) or not BRANCH.match(branch) or ".." in branch or branch.endswith("/"):
        errors.append("%s: %r is not a branch name" % (v("branch"), branch))
    return errors


def _validate_build(settings, v):
    """The key, the image lifecycle, the build, its logs, the deployments and the health paths."""
    errors = []
    kms = settings.get("kms_key_arn") or ""
    if kms and not KMS_ARN.match(kms):
        errors.append("%s: %r is not the ARN of a KMS key or alias (arn:aws:kms:<region>:<account>:key/<id>)" % (v("kms_key_arn"), kms))
    for option, low, high in (("untagged_expire_days", 1, 3650), ("keep_tagged_images", 1, 10000), ("build_timeout", 5, 480)):
        value = settings.get(option)
        if value is not None and (not _is_int(value) or not low <= int(value) <= high):
            errors.append("%s: %r must be a whole number from %d to %d" % (v(option), value, low, high))
    retention = settings.get("log_retention_days", 30)
    errors += validate_log_retention(int(retention) if _is_int(retention) else retention, v("log_retention_days"))
    if settings.get("compute_type", COMPUTE_TYPES[0]) not in COMPUTE_TYPES:
        errors.append("%s: %r is not a CodeBuild compute type; use one of %s" % (v("compute_type"), settings.get("compute_type"), ", ".join(COMPUTE_TYPES)))
    if settings.get("deployment_config", "one-at-a-time") not in DEPLOYMENT_CONFIGS:
        errors.append("%s: %r is not a deployment configuration; use one-at-a-time or half" % (v("deployment_config"), settings.get("deployment_config")))
    image = settings.get("build_image", "aws/codebuild/standard:7.0")
    if not isinstance(image, str) or not image or " " in image:
        errors.append("%s: %r is not an image reference" % (v("build_image"), image))
    for tier in APP_TIERS:
        option = "%s_health_path" % tier
        path = settings.get(option, "/health")
        if not isinstance(path, str) or not HEALTH_PATH.match(path):
            errors.append("%s: %r must be a path starting with / (letters, digits, . _ ~ - /)" % (v(option), path))
    return errors


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, str) and value.isdigit())


CHECKS = TierChecks(
    "the pipeline",
    kept=lambda v: "repositories, code and bucket are kept unless %s / %s" % (v("delete_repositories"), v("delete_bucket")),
    common=(_validate_images,),
    build=(_validate_source, _validate_build),
    teardown=(_validate_force,),
    settings_of=settings_of,
)
validate_pipeline = CHECKS.settings  # the validate play's check (``prefix``: pipeline_)


def image_uris(registry, registry_host, n):
    """tier -> where the build pushes the tier's image (without the tag)."""
    if registry == "dockerhub":
        return dict((tier, "docker.io/%s" % n["repositories"][tier]) for tier in APP_TIERS)
    return dict((tier, "%s/%s" % (registry_host, n["repositories"][tier])) for tier in APP_TIERS)


# ---------------------------------------------------------------- build: buildspec and appspec


def hook_scripts(stack, region, health_paths, dockerhub_secret_arn=None, dockerhub_username=None):
    """The CodeDeploy hooks that replace the app container in place; the tier comes from the deployment group.

    The instance's own env file (/etc/hatrading/<tier>.env, written by the compute tier's user data) gives the port;
    the image reference comes from the artifact (images/<tier>.txt, written by the build).
    """
    common = [
        "#!/bin/bash",
        "set -euo pipefail",
        'TIER="${DEPLOYMENT_GROUP_NAME#%s-}"' % stack,
        'case "$TIER" in frontend|backend) ;; *) echo "unknown deployment group $DEPLOYMENT_GROUP_NAME" >&2; exit 1;; esac',
        'BUNDLE="$(dirname "$0")/.."',
        'IMAGE="$(cat "$BUNDLE/images/$TIER.txt")"',
        'PORT="$(sed -n "s/^PORT=//p" "/etc/hatrading/$TIER.env")"',
    ]
    health_case = 'case "$TIER" in frontend) HEALTH=%s;; backend) HEALTH=%s;; esac' % (health_paths["frontend"], health_paths["backend"])
    stop = common + [
        "# ApplicationStop: stop the running container; a fresh instance has none",
        'docker stop --time 30 "$TIER" 2>/dev/null || true',
        'docker rm --force "$TIER" 2>/dev/null || true',
    ]
    pull = common + [
        "# BeforeInstall: log in to the registry and pull the new image by its commit tag",
        'REGISTRY="${IMAGE%%/*}"',
        'case "$REGISTRY" in *.dkr.ecr.*) aws ecr get-login-password --region %s | docker login --username AWS --password-stdin "$REGISTRY";; esac' % region,
    ]
    if dockerhub_secret_arn:  # the secret's string is the password (an access token), as for compute_registry_secret_arn
        pull += [
            "aws secretsmanager get-secret-value --region %s --secret-id %s --query SecretString --output text \\" % (region, dockerhub_secret_arn),
            "  | docker login --username %s --password-stdin" % dockerhub_username,
        ]
    pull += ['docker pull "$IMAGE"']
    start = common + [
        "# ApplicationStart: run the new image as the tier's container, as the compute tier's user data does",
        'docker run --detach --name "$TIER" --restart unless-stopped \\',
        '  --publish "$PORT:$PORT" --env-file "/etc/hatrading/$TIER.env" \\',
        '  --log-driver awslogs --log-opt awslogs-region=%s --log-opt "awslogs-group=/hatrading/%s/$TIER/container" \\' % (region, stack),
        '  --log-opt awslogs-create-group=true "$IMAGE"',
    ]
    validate = common + [
        health_case,
        "# ValidateService: the container answers its health path within 2 minutes, or the deployment fails (and rolls back)",
        "for attempt in $(seq 1 24); do",
        '  if curl -fsS "http://127.0.0.1:$PORT$HEALTH" >/dev/null; then exit 0; fi',
        "  sleep 5",
        "done",
        'echo "$TIER did not answer http://127.0.0.1:$PORT$HEALTH" >&2',
        "exit 1",
    ]
    return {
        "stop.sh": "\n".join(stop) + "\n",
        "pull.sh": "\n".join(pull) + "\n",
        "start.sh": "\n".join(start) + "\n",
        "validate.sh": "\n".join(validate) + "\n",
    }


def appspec():
    """The appspec.yml of an in-place EC2 deployment: the hooks in the order CodeDeploy runs them."""
    hooks = (
        ("ApplicationStop", "stop.sh", 120),
        ("BeforeInstall", "pull.sh", 600),
        ("ApplicationStart", "start.sh", 120),
        ("ValidateService", "validate.sh", 180),
    )
    lines = ["version: 0.0", "os: linux", "hooks:"]
    for event, script, timeout in hooks:
        lines += ["  %s:" % event, "    - location: %s/%s" % (APPSPEC_DIR, script), "      timeout: %d" % timeout, "      runas: root"]
    return "\n".join(lines) + "\n"


def _b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def buildspec(stack, region, repository_uris, health_paths, dockerhub_secret_arn=None, dockerhub_username=None):
    """The CodeBuild buildspec (YAML text): build both images, tag them with the short commit, push them, and
    write the artifact CodeDeploy deploys (appspec.yml, the hooks, images/<tier>.txt) plus imagedefinitions.json.

    ``repository_uris``: tier -> repository URI (``<account>.dkr.ecr.<region>.amazonaws.com/<name>``).
    The appspec and hooks are embedded base64-encoded so no character of theirs needs YAML quoting.
    With ``dockerhub_secret_arn`` (Docker Hub), CodeBuild reads the secret (the password, an access token) into the
    build's environment (masked in the logs) and the build logs in as ``dockerhub_username``.
    """
    registry = repository_uris["frontend"].split("/", 1)[0]
    hooks = hook_scripts(stack, region, health_paths, dockerhub_secret_arn, dockerhub_username)
    files = [("appspec.yml", appspec())] + [("%s/%s" % (APPSPEC_DIR, name), text) for name, text in sorted(hooks.items())]
    pre = ['TAG="$(echo "$CODEBUILD_RESOLVED_SOURCE_VERSION" | cut -c1-12)"', 'test -n "$TAG"']
    env = ""
    if dockerhub_secret_arn:
        pre.append('echo "$DOCKERHUB_PASSWORD" | docker login --username %s --password-stdin' % dockerhub_username)
        env = "env:\n  secrets-manager:\n    DOCKERHUB_PASSWORD: %s\n" % json.dumps(dockerhub_secret_arn)
    else:
        pre.append("aws ecr get-login-password --region %s | docker login --username AWS --password-stdin %s" % (region, registry))
    build = []
    for tier in APP_TIERS:
        uri = repository_uris[tier]
        build += ['docker build --pull --tag "%s:$TAG" apps/%s' % (uri, tier)]
    post = ["mkdir -p out/%s out/images" % APPSPEC_DIR]
    for tier in APP_TIERS:
        post += ['docker push "%s:$TAG"' % repository_uris[tier], 'echo "%s:$TAG" > out/images/%s.txt' % (repository_uris[tier], tier)]
    for path, text in files:
        post.append("echo %s | base64 -d > out/%s" % (_b64(text), path))
    post.append("chmod 0755 out/%s/*.sh" % APPSPEC_DIR)
    definitions = ",".join('{\\"name\\":\\"%s\\",\\"imageUri\\":\\"%s:$TAG\\"}' % (tier, repository_uris[tier]) for tier in APP_TIERS)
    post.append('echo "[%s]" > out/imagedefinitions.json' % definitions)

    def block(commands):
        return "".join("      - %s\n" % json.dumps(command) for command in commands)

    return (
        "version: 0.2\n" + env + "phases:\n"
        "  pre_build:\n    commands:\n"
        + block(pre)
        + "  build:\n    commands:\n"
        + block(build)
        + "  post_build:\n    commands:\n"
        + block(post)
        + "artifacts:\n"
        "  base-directory: out\n"
        "  files:\n"
        "    - '**/*'\n"
    )


# ---------------------------------------------------------------- IAM


def trust_policy(service):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def build_policy(partition, region, account, n, code_source=True, kms_key_arn=None, dockerhub_secret_arn=None):
    """CodeBuild: push to the two repositories only (or read the Docker Hub secret only), write its own log group
    only, the artifact bucket only."""
    repos = ["arn:%s:ecr:%s:%s:repository/%s" % (partition, region, account, n["repositories"][tier]) for tier in APP_TIERS]
    log_group = "arn:%s:logs:%s:%s:log-group:%s" % (partition, region, account, n["log_group"])
    bucket = "arn:%s:s3:::%s" % (partition, n["bucket"])
    statements = [
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
        {
            "Sid": "EcrPushThisStack",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ],
            "Resource": repos,
        },
        {"Sid": "OwnLogGroup", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": [log_group, log_group + ":*"]},
        {"Sid": "ArtifactBucket", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], "Resource": [bucket + "/*"]},
        {"Sid": "ArtifactBucketLocation", "Effect": "Allow", "Action": ["s3:GetBucketAcl", "s3:GetBucketLocation"], "Resource": [bucket]},
    ]
    if dockerhub_secret_arn:
        statements = [
            {"Sid": "DockerHubSecret", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [dockerhub_secret_arn]}
        ] + statements[2:]
    if code_source:
        repo = "arn:%s:codecommit:%s:%s:%s" % (partition, region, account, n["code_repository"])
        statements.append({"Sid": "PullCode", "Effect": "Allow", "Action": ["codecommit:GitPull"], "Resource": [repo]})
    if kms_key_arn:
        statements.append({"Sid": "KmsKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [kms_key_arn]})
    return {"Version": "2012-10-17", "Statement": statements}


def deploy_policy(partition, region, account, n):
    """CodeDeploy in place behind a target group: the stack's two groups, their instances and target groups."""
    groups = [
        "arn:%s:autoscaling:%s:%s:autoScalingGroup:*:autoScalingGroupName/%s" % (partition, region, account, n["auto_scaling_groups"][t]) for t in APP_TIERS
    ]
    target_groups = ["arn:%s:elasticloadbalancing:%s:%s:targetgroup/%s/*" % (partition, region, account, n["target_groups"][t]) for t in APP_TIERS]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Describe",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeLifecycleHooks",
                    "ec2:DescribeInstances",
                    "ec2:DescribeInstanceStatus",
                    "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeTargetHealth",
                    "tag:GetResources",
                ],
                "Resource": "*",
            },
            {
                "Sid": "StackGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:CompleteLifecycleAction",
                    "autoscaling:DeleteLifecycleHook",
                    "autoscaling:PutLifecycleHook",
                    "autoscaling:RecordLifecycleActionHeartbeat",
                    "autoscaling:ResumeProcesses",
                    "autoscaling:SuspendProcesses",
                ],
                "Resource": groups,
            },
            {
                "Sid": "StackTargetGroups",
                "Effect": "Allow",
                "Action": ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
                "Resource": target_groups,
            },
        ],
    }


def pipeline_policy(partition, region, account, n, role_arns, connection_arn=None):
    """CodePipeline: the artifact bucket, pull from the code repository (or use the connection), start this build,
    deploy this application."""
    bucket = "arn:%s:s3:::%s" % (partition, n["bucket"])
    application = "arn:%s:codedeploy:%s:%s:application:%s" % (partition, region, account, n["application"])
    groups = ["arn:%s:codedeploy:%s:%s:deploymentgroup:%s/%s" % (partition, region, account, n["application"], n["deployment_groups"][t]) for t in APP_TIERS]
    config = "arn:%s:codedeploy:%s:%s:deploymentconfig:*" % (partition, region, account)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ArtifactBucket", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], "Resource": [bucket + "/*"]},
            {"Sid": "ArtifactBucketLocation", "Effect": "Allow", "Action": ["s3:GetBucketVersioning", "s3:GetBucketLocation"], "Resource": [bucket]},
            {
                "Sid": "Source",
                "Effect": "Allow",
                "Action": [
                    "codecommit:CancelUploadArchive",
                    "codecommit:GetBranch",
                    "codecommit:GetCommit",
                    "codecommit:GetRepository",
                    "codecommit:GetUploadArchiveStatus",
                    "codecommit:UploadArchive",
                ],
                "Resource": ["arn:%s:codecommit:%s:%s:%s" % (partition, region, account, n["code_repository"])],
            }
            if not connection_arn
            else {
                "Sid": "Source",
                "Effect": "Allow",
                "Action": ["codeconnections:UseConnection", "codestar-connections:UseConnection"],
                "Resource": [connection_arn],
            },
            {
                "Sid": "Build",
                "Effect": "Allow",
                "Action": ["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
                "Resource": ["arn:%s:codebuild:%s:%s:project/%s" % (partition, region, account, n["build_project"])],
            },
            {
                "Sid": "Deploy",
                "Effect": "Allow",
                "Action": [
                    "codedeploy:CreateDeployment",
                    "codedeploy:GetApplication",
                    "codedeploy:GetApplicationRevision",
                    "codedeploy:GetDeployment",
                    "codedeploy:GetDeploymentConfig",
                    "codedeploy:RegisterApplicationRevision",
                ],
                "Resource": [application] + groups + [config],
            },
            {"Sid": "PassDeployRole", "Effect": "Allow", "Action": ["iam:PassRole"], "Resource": [role_arns.get("deploy_role") or NEW]},
        ],
    }


def desired_roles(n, tags, documents):
    """role kind -> {"name", "service", "trust", "policy", "tags"}; ``documents``: role kind -> inline policy."""
    services = {
        "build_role": "codebuild.amazonaws.com",
        "deploy_role": "codedeploy.amazonaws.com",
        "pipeline_role": "codepipeline.amazonaws.com",
        "events_role": "events.amazonaws.com",
    }
    return dict(
        (
            kind,
            {
                "name": n[kind],
                "trust": trust_policy(services[kind]),
                "policy": documents[kind],
                "tags": stack_tags(tags["stack"], TIER, n[kind], tags["extra"]),
            },
        )
        for kind in ROLE_KINDS
        if kind in documents
    )


def plan_role(name, want, role, policy_document, policy_name):
    """Role (with its trust policy and tags), then its inline policy, compared as canonical JSON."""
    changes = []
    if role is None:
        changes.append(Change(CREATE, "role", name, after={"trust": want["trust"], "tags": want["tags"]}, ref=want))
        changes.append(Change(CREATE, "role_policy", name, after=want["policy"], ref={"role": name, "policy": policy_name}))
        return changes
    fields = []
    if canonical_json(role.get("AssumeRolePolicyDocument") or {}) != canonical_json(want["trust"]):
        fields.append("trust")
    have_tags = dict((t["Key"], t.get("Value", "")) for t in role.get("Tags") or [])
    if any(have_tags.get(key) != value for key, value in want["tags"].items()):
        fields.append("tags")
    if fields:
        changes.append(Change(UPDATE, "role", name, before={"tags": have_tags}, after={"trust": want["trust"], "tags": want["tags"]}, fields=fields, ref=want))
    if policy_document is None or canonical_json(policy_document) != canonical_json(want["policy"]):
        action = CREATE if policy_document is None else UPDATE
        fields = [] if policy_document is None else ["statements"]
        changes.append(
            Change(action, "role_policy", name, before=policy_document, after=want["policy"], fields=fields, ref={"role": name, "policy": policy_name})
        )
    return changes


# ---------------------------------------------------------------- ECR


def lifecycle_policy(untagged_days, keep_tagged):
    """Expire untagged images after ``untagged_days``, keep only the newest ``keep_tagged`` tagged ones."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": "expire untagged images after %d days" % untagged_days,
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": untagged_days},
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": "keep the last %d tagged images" % keep_tagged,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_tagged},
                "action": {"type": "expire"},
            },
        ]
    }


def desired_repository(cfg, name):
    kms = cfg.get("kms_key_arn")
    return {
        "scan_on_push": bool(cfg.get("scan_on_push", True)),
        "tag_mutability": "IMMUTABLE",
        "encryption": {"type": "KMS", "kms_key": kms} if kms else {"type": "AES256", "kms_key": None},
        "lifecycle_policy": lifecycle_policy(int(cfg.get("untagged_expire_days", 7)), int(cfg.get("keep_tagged_images", 30))),
        "tags": stack_tags(cfg["stack"], TIER, name, cfg.get("tags")),
    }


def actual_repository(repo, lifecycle_text, tags):
    if repo is None:
        return None
    encryption = repo.get("encryptionConfiguration") or {}
    return {
        "uri": repo.get("repositoryUri"),
        "arn": repo.get("repositoryArn"),
        "scan_on_push": bool((repo.get("imageScanningConfiguration") or {}).get("scanOnPush")),
        "tag_mutability": repo.get("imageTagMutability"),
        "encryption": {"type": encryption.get("encryptionType", "AES256"), "kms_key": encryption.get("kmsKey") or None},
        "lifecycle_policy": json.loads(lifecycle_text) if lifecycle_text else None,
        "tags": dict(tags or {}),
    }


def compare_repository(want, have):
    fields = [key for key in ("scan_on_push", "tag_mutability") if want[key] != have.get(key)]
    if want["encryption"]["type"] != have["encryption"]["type"] or (
        want["encryption"]["kms_key"] and want["encryption"]["kms_key"] != have["encryption"]["kms_key"]
    ):
        fields.append("encryption")
    if have.get("lifecycle_policy") is None or canonical_json(want["lifecycle_policy"]) != canonical_json(have["lifecycle_policy"]):
        fields.append("lifecycle_policy")
    if any(have["tags"].get(key) != value for key, value in want["tags"].items()):
        fields.append("tags")
    return sorted(fields)


# ---------------------------------------------------------------- bucket, code repository, logs


def desired_bucket(cfg, name):
    return private_bucket(cfg.get("kms_key_arn"), stack_tags(cfg["stack"], TIER, name, cfg.get("tags")))


def desired_log_group(cfg, name):
    return {"retention": int(cfg.get("log_retention_days", 30)), "tags": stack_tags(cfg["stack"], TIER, name, cfg.get("tags"))}


def actual_log_group(group, tags):
    if group is None:
        return None
    return {"retention": group.get("retentionInDays"), "tags": dict(tags or {})}


def compare_log_group(want, have):
    fields = ["retention"] if want["retention"] != have.get("retention") else []
    if any(have["tags"].get(key) != value for key, value in want["tags"].items()):
        fields.append("tags")
    return fields


# ---------------------------------------------------------------- CodeBuild


def desired_project(cfg, n, service_role_arn, spec_text):
    return {
        "description": "hatrading %s: build and push the frontend and backend images" % cfg["stack"],
        "source": {"type": "CODEPIPELINE", "buildspec": spec_text},
        "source_location": cfg.get("source_repository") or n["code_repository"],
        "artifacts_location": n["bucket"],
        "artifacts": {"type": "CODEPIPELINE"},
        "environment": {
            "type": "LINUX_CONTAINER",
            "image": cfg.get("build_image", "aws/codebuild/standard:7.0"),
            "computeType": cfg.get("compute_type", COMPUTE_TYPES[0]),
            "privilegedMode": True,  # Docker in Docker
            "imagePullCredentialsType": "CODEBUILD",
        },
        "serviceRole": service_role_arn,
        "timeoutInMinutes": int(cfg.get("build_timeout", 30)),
        "logsConfig": {"cloudWatchLogs": {"status": "ENABLED", "groupName": n["log_group"]}, "s3Logs": {"status": "DISABLED"}},
        "tags": stack_tags(cfg["stack"], TIER, n["build_project"], cfg.get("tags")),
    }


def actual_project(project):
    if project is None:
        return None
    environment = project.get("environment") or {}
    logs = project.get("logsConfig") or {}
    cw = logs.get("cloudWatchLogs") or {}
    return {
        "arn": project.get("arn"),
        "description": project.get("description", ""),
        "source": {"type": (project.get("source") or {}).get("type"), "buildspec": (project.get("source") or {}).get("buildspec")},
        "artifacts": {"type": (project.get("artifacts") or {}).get("type")},
        "environment": {
            "type": environment.get("type"),
            "image": environment.get("image"),
            "computeType": environment.get("computeType"),
            "privilegedMode": bool(environment.get("privilegedMode")),
            "imagePullCredentialsType": environment.get("imagePullCredentialsType", "CODEBUILD"),
        },
        "serviceRole": project.get("serviceRole"),
        "timeoutInMinutes": project.get("timeoutInMinutes"),
        "logsConfig": {
            "cloudWatchLogs": {"status": cw.get("status"), "groupName": cw.get("groupName")},
            "s3Logs": {"status": (logs.get("s3Logs") or {}).get("status", "DISABLED")},
        },
        "tags": dict((t["key"], t.get("value", "")) for t in project.get("tags") or []),
    }


def compare_project(want, have):
    fields = [
        key for key in ("description", "source", "artifacts", "environment", "serviceRole", "timeoutInMinutes", "logsConfig") if want[key] != have.get(key)
    ]
    if any(have["tags"].get(key) != value for key, value in want["tags"].items()):
        fields.append("tags")
    return sorted(fields)


def project_params(name, want):
    """CreateProject / UpdateProject parameters of the wanted project."""
    params = dict((key, want[key]) for key in ("description", "source", "artifacts", "environment", "serviceRole", "timeoutInMinutes", "logsConfig"))
    params["name"] = name
    # CodePipeline hands the code over and takes the artifact, and ignores both locations; moto insists on them,
    # so the repository and the bucket are named (the comparison leaves locations out)
    params["source"] = dict(want["source"], location=want["source_location"])
    params["artifacts"] = dict(want["artifacts"], location=want["artifacts_location"])
    params["tags"] = [{"key": key, "value": value} for key, value in sorted(want["tags"].items())]
    return params


# ---------------------------------------------------------------- CodeDeploy


def desired_deployment_group(cfg, tier, n, service_role_arn):
    return {
        "deploymentConfigName": DEPLOYMENT_CONFIGS[cfg.get("deployment_config", "one-at-a-time")],
        "autoScalingGroups": [n["auto_scaling_groups"][tier]],
        "serviceRoleArn": service_role_arn,
        "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "loadBalancerInfo": {"targetGroupInfoList": [{"name": n["target_groups"][tier]}]},
        "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
        "outdatedInstancesStrategy": "UPDATE",
    }


def actual_deployment_group(group):
    if group is None:
        return None
    rollback = group.get("autoRollbackConfiguration") or {}
    return {
        "deploymentConfigName": group.get("deploymentConfigName"),
        "autoScalingGroups": sorted((item.get("name") or "") if isinstance(item, dict) else item for item in group.get("autoScalingGroups") or []),
        "serviceRoleArn": group.get("serviceRoleArn"),
        "deploymentStyle": group.get("deploymentStyle") or {},
        "loadBalancerInfo": {"targetGroupInfoList": [{"name": t.get("name")} for t in (group.get("loadBalancerInfo") or {}).get("targetGroupInfoList") or []]},
        "autoRollbackConfiguration": {"enabled": bool(rollback.get("enabled")), "events": sorted(rollback.get("events") or [])},
        "outdatedInstancesStrategy": group.get("outdatedInstancesStrategy") or "UPDATE",
    }


def compare_deployment_group(want, have):
    return sorted(key for key in want if want[key] != have.get(key))


# ---------------------------------------------------------------- CodePipeline


def desired_pipeline(cfg, n, role_arn, deploy_tiers):
    """The pipeline declaration (as GetPipeline returns it, without version and metadata)."""
    if cfg.get("source") == "codestar":  # the connection detects the pushes itself
        provider = "CodeStarSourceConnection"
        configuration = {
            "ConnectionArn": cfg["codestar_connection_arn"],
            "FullRepositoryId": cfg["source_repository"],
            "BranchName": cfg.get("branch", "main"),
            "OutputArtifactFormat": "CODE_ZIP",
            "DetectChanges": "true",
        }
    else:  # the EventBridge rule starts it on a push (desired_trigger)
        provider = "CodeCommit"
        configuration = {"RepositoryName": n["code_repository"], "BranchName": cfg.get("branch", "main"), "PollForSourceChanges": "false"}
    source = {
        "name": "Source",
        "actions": [
            {
                "name": "Source",
                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": provider, "version": "1"},
                "runOrder": 1,
                "configuration": configuration,
                "outputArtifacts": [{"name": "Code"}],
                "inputArtifacts": [],
            }
        ],
    }
    build = {
        "name": "Build",
        "actions": [
            {
                "name": "Images",
                "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                "runOrder": 1,
                "configuration": {"ProjectName": n["build_project"]},
                "outputArtifacts": [{"name": "Bundle"}],
                "inputArtifacts": [{"name": "Code"}],
            }
        ],
    }
    stages = [source, build]
    actions = []
    for order, tier in enumerate([t for t in DEPLOY_ORDER if t in deploy_tiers], start=1):
        actions.append(
            {
                "name": tier.capitalize(),
                "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CodeDeploy", "version": "1"},
                "runOrder": order,
                "configuration": {"ApplicationName": n["application"], "DeploymentGroupName": n["deployment_groups"][tier]},
                "outputArtifacts": [],
                "inputArtifacts": [{"name": "Bundle"}],
            }
        )
    if actions:
        stages.append({"name": "Deploy", "actions": actions})
    return {
        "name": n["pipeline"],
        "roleArn": role_arn,
        "artifactStore": {"type": "S3", "location": n["bucket"]},
        "stages": stages,
    }


def normalize_pipeline(declaration):
    """A GetPipeline declaration in the comparable form of :func:`desired_pipeline` (no version, defaults filled)."""
    if declaration is None:
        return None
    store = declaration.get("artifactStore") or {}
    stages = []
    for stage in declaration.get("stages") or []:
        actions = []
        for action in stage.get("actions") or []:
            actions.append(
                {
                    "name": action.get("name"),
                    "actionTypeId": dict(action.get("actionTypeId") or {}),
                    "runOrder": action.get("runOrder", 1),
                    "configuration": dict(action.get("configuration") or {}),
                    "outputArtifacts": [{"name": a.get("name")} for a in action.get("outputArtifacts") or []],
                    "inputArtifacts": [{"name": a.get("name")} for a in action.get("inputArtifacts") or []],
                }
            )
        stages.append({"name": stage.get("name"), "actions": actions})
    return {
        "name": declaration.get("name"),
        "roleArn": declaration.get("roleArn"),
        "artifactStore": {"type": store.get("type"), "location": store.get("location")},
        "stages": stages,
    }


def compare_pipeline(want, have):
    """Fields of the declaration that differ; ``tags`` (ListTagsForResource: GetPipeline has none) when one is missing."""
    fields = [key for key in ("roleArn", "artifactStore", "stages") if want[key] != have.get(key)]
    if any((have.get("tags") or {}).get(key) != value for key, value in (want.get("tags") or {}).items()):
        fields.append("tags")
    return sorted(fields)


# ---------------------------------------------------------------- the push trigger (EventBridge)


def events_policy(partition, region, account, n):
    """EventBridge may start this pipeline, nothing else."""
    arn = "arn:%s:codepipeline:%s:%s:%s" % (partition, region, account, n["pipeline"])
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "StartThisPipeline", "Effect": "Allow", "Action": ["codepipeline:StartPipelineExecution"], "Resource": [arn]}],
    }


def desired_trigger(cfg, n, partition, region, account, role_arn):
    """A push to the branch starts the pipeline (the source action does not poll: AWS recommends events)."""
    repository = "arn:%s:codecommit:%s:%s:%s" % (partition, region, account, n["code_repository"])
    return {
        "pattern": {
            "source": ["aws.codecommit"],
            "detail-type": ["CodeCommit Repository State Change"],
            "resources": [repository],
            "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"], "referenceName": [cfg.get("branch", "main")]},
        },
        "state": "ENABLED",
        "targets": [{"Id": "pipeline", "Arn": "arn:%s:codepipeline:%s:%s:%s" % (partition, region, account, n["pipeline"]), "RoleArn": role_arn}],
    }


def actual_trigger(rule, targets):
    if rule is None:
        return None
    pattern = rule.get("EventPattern")
    return {
        "pattern": json.loads(pattern) if pattern else None,
        "state": rule.get("State"),
        "targets": [dict((key, t.get(key)) for key in ("Id", "Arn", "RoleArn")) for t in targets or []],
    }


def compare_trigger(want, have):
    fields = []
    if have.get("pattern") is None or canonical_json(want["pattern"]) != canonical_json(have["pattern"]):
        fields.append("pattern")
    if want["state"] != have.get("state"):
        fields.append("state")
    if want["targets"] != have.get("targets"):
        fields.append("targets")
    return fields


# ---------------------------------------------------------------- plans


def _one(kind, name, want, have, compare, ref=None):
    if have is None:
        return [Change(CREATE, kind, name, after=want, ref=ref)]
    fields = compare(want, have)
    if fields:
        return [Change(UPDATE, kind, name, before=have, after=want, fields=fields, ref=ref if ref is not None else have)]
    return []


def plan_pipeline(want, have):
    """Every change, in the order the resources depend on each other.

    ``want``/``have`` keys: repositories {tier: ...}, code_repository, bucket, log_group, roles {kind: ...}
    (have: {kind: (role, policy)}), project, application, deployment_groups {tier: ...}, pipeline.
    """
    plan = Plan()
    for tier in APP_TIERS:
        if tier in want["repositories"]:
            name, spec = want["repositories"][tier]
            plan.extend(_one("repository", name, spec, have["repositories"].get(tier), compare_repository, ref={"tier": tier}))
    if want.get("code_repository"):  # None with an external source
        name, spec = want["code_repository"]
        if have.get("code_repository") is None:
            plan.extend([Change(CREATE, "code_repository", name, after=spec)])
    name, spec = want["bucket"]
    plan.extend(_one("bucket", name, spec, have.get("bucket"), compare_bucket))
    name, spec = want["log_group"]
    plan.extend(_one("log_group", name, spec, have.get("log_group"), compare_log_group))
    for kind in ROLE_KINDS:
        if kind in want["roles"]:
            role, document = have["roles"].get(kind, (None, None))
            plan.extend(plan_role(want["roles"][kind]["name"], want["roles"][kind], role, document, want["policy_name"]))
    name, spec = want["project"]
    plan.extend(_one("build_project", name, spec, have.get("project"), compare_project))
    name, spec = want["application"]
    if have.get("application") is None:
        plan.extend([Change(CREATE, "application", name, after=spec)])
    for tier in DEPLOY_ORDER:
        if tier in want["deployment_groups"]:
            name, spec = want["deployment_groups"][tier]
            plan.extend(_one("deployment_group", name, spec, have["deployment_groups"].get(tier), compare_deployment_group, ref={"tier": tier}))
    name, spec = want["pipeline"]
    plan.extend(_one("pipeline", name, spec, have.get("pipeline"), compare_pipeline))
    if want.get("trigger"):
        name, spec = want["trigger"]
        plan.extend(_one("trigger_rule", name, spec, have.get("trigger"), compare_trigger))
    return plan


def plan_teardown(n, have, delete_repositories=False, delete_bucket=False, force=False):
    """Pipeline, deployment groups, application, build project, roles; repositories, code and bucket only when asked
    (and, holding anything, only with ``force``). The build log group is kept: its retention expires it."""
    plan = Plan()
    if have.get("trigger") is not None:
        plan.extend([Change(DELETE, "trigger_rule", n["trigger_rule"], before=have["trigger"])])
    if have.get("pipeline") is not None:
        plan.extend([Change(DELETE, "pipeline", n["pipeline"], before=have["pipeline"])])
    for tier in DEPLOY_ORDER:
        if have["deployment_groups"].get(tier) is not None:
            plan.extend([Change(DELETE, "deployment_group", n["deployment_groups"][tier], before=have["deployment_groups"][tier])])
    if have.get("application") is not None:
        plan.extend([Change(DELETE, "application", n["application"], before=have["application"])])
    if have.get("project") is not None:
        plan.extend([Change(DELETE, "build_project", n["build_project"], before=have["project"])])
    for kind in reversed(ROLE_KINDS):
        role, _document = have["roles"].get(kind, (None, None))
        if role is not None:
            plan.extend([Change(DELETE, "role", n[kind], before={"arn": role.get("Arn")})])
    refused = []
    if delete_repositories:
        for tier in APP_TIERS:
            repo = have["repositories"].get(tier)
            if repo is None:
                continue
            count = have.get("image_counts", {}).get(tier, 0)
            if count and not force:
                refused.append("repository %s holds %d image(s)" % (n["repositories"][tier], count))
            plan.extend([Change(DELETE, "repository", n["repositories"][tier], before=repo, ref={"force": bool(count)})])
        if have.get("code_repository") is not None:
            if have["code_repository"].get("defaultBranch") and not force:
                refused.append("code repository %s holds code (branch %s)" % (n["code_repository"], have["code_repository"]["defaultBranch"]))
            plan.extend([Change(DELETE, "code_repository", n["code_repository"], before=have["code_repository"])])
    if delete_bucket and have.get("bucket") is not None:
        count = have.get("bucket_objects", 0)
        if count and not force:
            refused.append("bucket %s holds %d object version(s)" % (n["bucket"], count))
        plan.extend([Change(DELETE, "bucket", n["bucket"], before=have["bucket"], ref={"objects": count})])
    if refused:
        raise PipelinePlanError(
            "pipeline_force: %s; they are kept. Set pipeline_force=true to delete them with their content (nothing was deleted)" % "; ".join(refused)
        )
    return plan


# ---------------------------------------------------------------- the account, the targets, the wanted state, the results


class Context:
    """The account facts the names and policies need (from one GetCallerIdentity answer's ARN)."""

    def __init__(self, caller_arn, region):
        self.partition = caller_arn.split(":")[1]
        self.account = caller_arn.split(":")[4]
        self.region = region

    def role_arn(self, name):
        return "arn:%s:iam::%s:role/%s" % (self.partition, self.account, name)

    def registry(self):
        return "%s.dkr.ecr.%s.amazonaws.com%s" % (self.account, self.region, ".cn" if self.partition == "aws-cn" else "")


def deploy_targets(n, groups, target_groups):
    """The app tiers whose Auto Scaling group and target group (names found) exist, and a note for each that does not."""
    tiers, notes = [], []
    for tier in APP_TIERS:
        missing = [
            "%s %s" % (what, name)
            for what, name, found in (
                ("Auto Scaling group", n["auto_scaling_groups"][tier], groups),
                ("target group", n["target_groups"][tier], target_groups),
            )
            if name not in found
        ]
        if missing:
            notes.append("no deployment group for %s: %s not found (deploy the compute tier, then run this again)" % (tier, " and ".join(missing)))
        else:
            tiers.append(tier)
    return tiers, notes


def wanted(cfg, n, ctx, tiers):
    """Every resource as wanted: (name, description) pairs for plan_pipeline, and the image URIs."""
    arns = dict((kind, ctx.role_arn(n[kind])) for kind in ROLE_KINDS)
    registry = cfg.get("registry", "ecr")
    secret = cfg.get("dockerhub_secret_arn") if registry == "dockerhub" else None
    uris = image_uris(registry, ctx.registry(), n)
    health = dict((tier, cfg.get("%s_health_path" % tier, "/health")) for tier in APP_TIERS)
    codecommit = cfg.get("source", "codecommit") == "codecommit"
    spec_text = buildspec(cfg["stack"], ctx.region, uris, health, secret, cfg.get("dockerhub_username"))
    return {
        "uris": uris,
        "repositories": dict((tier, (n["repositories"][tier], desired_repository(cfg, n["repositories"][tier]))) for tier in APP_TIERS if registry == "ecr"),
        "code_repository": (n["code_repository"], {"description": "hatrading %s: the trading apps (frontend, backend)" % cfg["stack"]}) if codecommit else None,
        "bucket": (n["bucket"], desired_bucket(cfg, n["bucket"])),
        "log_group": (n["log_group"], desired_log_group(cfg, n["log_group"])),
        "roles": desired_roles(n, {"stack": cfg["stack"], "extra": cfg.get("tags")}, role_documents(cfg, n, ctx, arns, tiers, secret)),
        "policy_name": n["policy"],
        "project": (n["build_project"], desired_project(cfg, n, arns["build_role"], spec_text)),
        "application": (n["application"], {"computePlatform": "Server"}),
        "deployment_groups": dict((tier, (n["deployment_groups"][tier], desired_deployment_group(cfg, tier, n, arns["deploy_role"]))) for tier in tiers),
        "trigger": (n["trigger_rule"], desired_trigger(cfg, n, ctx.partition, ctx.region, ctx.account, arns["events_role"])) if codecommit else None,
        "pipeline": (
            n["pipeline"],
            dict(desired_pipeline(cfg, n, arns["pipeline_role"], tiers), tags=stack_tags(cfg["stack"], TIER, n["pipeline"], cfg.get("tags"))),
        ),
    }


def role_documents(cfg, n, ctx, arns, tiers, secret):
    """role kind -> its inline policy; the deploy role only with a deployment group, the events role only with CodeCommit."""
    codecommit = cfg.get("source", "codecommit") == "codecommit"
    connection = None if codecommit else cfg["codestar_connection_arn"]
    documents = {
        "build_role": build_policy(
            ctx.partition, ctx.region, ctx.account, n, code_source=codecommit, kms_key_arn=cfg.get("kms_key_arn"), dockerhub_secret_arn=secret
        ),
        "pipeline_role": pipeline_policy(ctx.partition, ctx.region, ctx.account, n, arns, connection),
    }
    if codecommit:
        documents["events_role"] = events_policy(ctx.partition, ctx.region, ctx.account, n)
    if tiers:
        documents["deploy_role"] = deploy_policy(ctx.partition, ctx.region, ctx.account, n)
    return documents


def refuse_encryption_change(plan):
    """ECR cannot change a repository's encryption: such a plan is refused before any change."""
    for change in plan.of("repository", UPDATE):
        if "encryption" in change.fields:
            raise PipelinePlanError(
                "pipeline_kms_key_arn: repository %s is encrypted with %s; ECR cannot change a repository's encryption "
                "(delete the repository or keep its setting)" % (change.name, change.before["encryption"]["kms_key"] or "AES256")
            )


def present_result(cfg, n, ctx, want, tiers, notes):
    """The module's ``pipeline`` result after a deploy."""
    codecommit = bool(want["code_repository"])
    return {
        "repositories": want["uris"],
        "code_repository": n["code_repository"] if codecommit else cfg["source_repository"],
        "clone_url_http": "https://git-codecommit.%s.amazonaws.com/v1/repos/%s" % (ctx.region, n["code_repository"]) if codecommit else None,
        "bucket": n["bucket"],
        "build_project": n["build_project"],
        "application": n["application"],
        "deployment_groups": [n["deployment_groups"][t] for t in DEPLOY_ORDER if t in tiers],
        "pipeline": n["pipeline"],
        "notes": notes,
    }


def absent_result(n, have, plan):
    """The module's ``pipeline`` result after a teardown: what was kept."""
    deleted = set((c.kind, c.name) for c in plan.changes)
    kept = ["repository %s" % n["repositories"][t] for t in APP_TIERS if t in have["repositories"] and ("repository", n["repositories"][t]) not in deleted]
    if have.get("code_repository") is not None and ("code_repository", n["code_repository"]) not in deleted:
        kept.append("code repository %s" % n["code_repository"])
    if have.get("bucket") is not None and ("bucket", n["bucket"]) not in deleted:
        kept.append("bucket %s" % n["bucket"])
    if have.get("log_group") is not None:
        kept.append("log group %s (expires by its retention)" % n["log_group"])
    return {"code_repository": n["code_repository"], "bucket": n["bucket"], "pipeline": n["pipeline"], "kept": kept, "notes": []}
