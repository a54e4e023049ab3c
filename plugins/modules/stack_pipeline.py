#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_pipeline
short_description: Reconcile the delivery pipeline of a stack (ECR, CodeCommit, CodeBuild, CodeDeploy, CodePipeline)
version_added: 0.1.0
description:
  - One run reconciles the whole tier and changes only the difference; a rerun that finds everything in place makes
    only read calls.
  - Two ECR repositories C(hatrading/<stack>/frontend) and C(hatrading/<stack>/backend) (overridable), with scan on push,
    C(IMMUTABLE) tags, AES256 or KMS encryption, a lifecycle policy (expire untagged images after
    O(untagged_expire_days) days, keep the newest O(keep_tagged_images) images).
  - The CodeCommit repository C(<stack>-trading) holding the code (read with GetRepository).
  - A private S3 artifact bucket C(hatrading-<stack>-pipeline-<region>) (Block Public Access, C(BucketOwnerEnforced),
    default encryption, versioning).
  - The CodeBuild project C(<stack>-images) (privileged, for Docker) whose buildspec builds C(apps/frontend) and
    C(apps/backend), tags both images with the first 12 characters of the commit, pushes them, and writes the
    artifact CodeDeploy deploys (C(appspec.yml), the hooks under C(deploy/), C(images/<tier>.txt)) and
    C(imagedefinitions.json). Its logs go to C(/hatrading/<stack>/pipeline/build) with a retention.
  - The CodeDeploy application C(<stack>) and, per app tier whose Auto Scaling group C(<stack>-<tier>) and target group
    (C(<stack>-tg-fe), C(<stack>-tg-be)) exist, a deployment group (in place, with traffic control, automatic
    rollback on failure). Without the compute tier the deployment groups are skipped and RV(pipeline.notes) says so.
  - The CodePipeline C(<stack>) Source (CodeCommit) -> Build (CodeBuild) -> Deploy (backend, then frontend), compared
    with a normalised GetPipeline (version and metadata ignored), so a rerun makes no UpdatePipeline.
  - The EventBridge rule C(<stack>-pipeline-trigger) that starts the pipeline on a push to O(branch) (the source
    action does not poll).
  - Four IAM service roles (C(<stack>-pipeline-build), C(<stack>-pipeline-deploy), C(<stack>-pipeline),
    C(<stack>-pipeline-events)) with inline least-privilege policies compared as canonical JSON.
  - O(state=absent) refuses unless O(confirm_delete) equals O(stack). It deletes the trigger, the pipeline, the deployment groups,
    the application, the build project and the roles. The ECR repositories, the CodeCommit repository, the build log
    group and the artifact bucket are KEPT unless O(delete_repositories=true) / O(delete_bucket=true); a repository
    holding images or code, or a bucket holding objects, is refused unless O(force=true).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  registry:
    description:
      - Where the images go. V(ecr) makes the two ECR repositories. V(dockerhub) makes none; the build pushes to the
        Docker Hub repositories named in O(repositories) and logs in with O(dockerhub_secret_arn).
    type: str
    choices: [ecr, dockerhub]
    default: ecr
  dockerhub_secret_arn:
    description:
      - With O(registry=dockerhub), the ARN of the Secrets Manager secret whose string is the Docker Hub password or
        access token (the same kind of secret as the compute tier's C(registry_secret_arn)). CodeBuild reads it into
        the build (masked in the logs) and the BeforeInstall hook reads it on the instance; the password itself never
        passes through Ansible.
    type: str
  dockerhub_username:
    description: With O(registry=dockerhub), the Docker Hub user the build and the instances log in as.
    type: str
  source:
    description:
      - Where the code comes from. V(codecommit) makes C(<stack>-trading) and an EventBridge rule that starts the
        pipeline on a push. V(codestar) uses an external repository (GitHub, GitLab, Bitbucket) through an existing,
        available CodeStar connection O(codestar_connection_arn); the connection detects the pushes.
    type: str
    choices: [codecommit, codestar]
    default: codecommit
  codestar_connection_arn:
    description: With O(source=codestar), the ARN of the connection (it must have been made available in the console).
    type: str
  source_repository:
    description: With O(source=codestar), the repository as C(<owner>/<name>).
    type: str
  repositories:
    description:
      - Repository name per app tier (keys V(frontend), V(backend)). With V(ecr), unset ones are C(hatrading/<stack>/<tier>);
        with V(dockerhub), both are required as C(<namespace>/<name>).
    type: dict
    default: {}
  scan_on_push:
    description: Scan every pushed image for vulnerabilities.
    type: bool
    default: true
  kms_key_arn:
    description:
      - KMS key encrypting the repositories (at creation only; ECR cannot change it later) and the artifact bucket.
        Unset uses AES256.
    type: str
  untagged_expire_days:
    description: Untagged images are expired this many days after their push.
    type: int
    default: 7
  keep_tagged_images:
    description: How many images each repository keeps; older ones are expired.
    type: int
    default: 30
  branch:
    description: The branch of C(<stack>-trading) the pipeline builds.
    type: str
    default: main
  bucket_name:
    description: Name of the artifact bucket. Defaults to C(hatrading-<stack>-pipeline-<region>).
    type: str
  log_retention_days:
    description: Retention of the build log group.
    type: int
    default: 30
  build_image:
    description: The CodeBuild image.
    type: str
    default: aws/codebuild/standard:7.0
  compute_type:
    description: The CodeBuild compute type.
    type: str
    choices: [BUILD_GENERAL1_SMALL, BUILD_GENERAL1_MEDIUM, BUILD_GENERAL1_LARGE]
    default: BUILD_GENERAL1_SMALL
  build_timeout:
    description: Minutes after which a build is stopped.
    type: int
    default: 30
  deployment_config:
    description: How many instances CodeDeploy updates at a time.
    type: str
    choices: [one-at-a-time, half]
    default: one-at-a-time
  frontend_health_path:
    description: Path the ValidateService hook asks the new frontend container for.
    type: str
    default: /health
  backend_health_path:
    description: Path the ValidateService hook asks the new backend container for.
    type: str
    default: /health
  confirm_delete:
    description: Must equal O(stack) for O(state=absent) to delete anything.
    type: str
  delete_repositories:
    description: With O(state=absent), delete the ECR repositories and the CodeCommit repository too.
    type: bool
    default: false
  delete_bucket:
    description: With O(state=absent), delete the artifact bucket too.
    type: bool
    default: false
  force:
    description: Delete a repository holding images or code, or a bucket holding objects, with its content.
    type: bool
    default: false
extends_documentation_fragment:
  - hatrading.aws.stack
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Instances deployed to need the CodeDeploy agent, and their role read access to the artifact bucket and pull
    access to the repositories.
"""

EXAMPLES = r"""
- name: The delivery pipeline of stack "prod"
  hatrading.aws.stack_pipeline:
    stack: prod

- name: Half the instances at a time, a KMS key, builds from the release branch
  hatrading.aws.stack_pipeline:
    stack: prod
    deployment_config: half
    branch: release
    kms_key_arn: arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f

- name: Images to Docker Hub, the build logs in with a Secrets Manager secret (never a password in a variable)
  hatrading.aws.stack_pipeline:
    stack: prod
    registry: dockerhub
    repositories: {frontend: example/trading-frontend, backend: example/trading-backend}
    dockerhub_username: example
    dockerhub_secret_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:hatrading/dockerhub-AbCdEf

- name: Delete the pipeline, keep the images, the code and the artifacts
  hatrading.aws.stack_pipeline:
    stack: prod
    state: absent
    confirm_delete: prod
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample:
    - {"action": "create", "kind": "repository", "name": "hatrading/prod/frontend"}
    - {"action": "update", "kind": "pipeline", "name": "prod", "fields": ["stages"]}
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ pipeline prod", "Plan: 1 to create, 0 to update, 0 to delete."]
pipeline:
  description: What the tier built (in check mode, what it would build).
  returned: always
  type: dict
  contains:
    repositories:
      description: Where the build pushes each app tier's image (without the tag).
      type: dict
      sample: {"frontend": "123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/prod/frontend"}
    code_repository:
      description: Name of the CodeCommit repository (with O(source=codestar), the external repository).
      type: str
      sample: prod-trading
    clone_url_http:
      description: HTTPS clone URL of the CodeCommit repository (none with O(source=codestar)).
      type: str
      sample: https://git-codecommit.us-east-1.amazonaws.com/v1/repos/prod-trading
    bucket:
      description: Name of the artifact bucket.
      type: str
      sample: hatrading-prod-pipeline-us-east-1
    build_project:
      description: Name of the CodeBuild project.
      type: str
      sample: prod-images
    application:
      description: Name of the CodeDeploy application.
      type: str
      sample: prod
    deployment_groups:
      description: Names of the deployment groups the pipeline deploys to, in deploy order.
      type: list
      elements: str
      sample: [prod-backend, prod-frontend]
    pipeline:
      description: Name of the pipeline.
      type: str
      sample: prod
    kept:
      description: With O(state=absent), what was left in place.
      type: list
      elements: str
      sample: ["repository hatrading/prod/frontend", "bucket hatrading-prod-pipeline-us-east-1"]
    notes:
      description: What was skipped and why (no compute tier, ...).
      type: list
      elements: str
      sample: ["no deployment group for frontend: Auto Scaling group prod-frontend not found (deploy the compute tier)"]
"""

import json

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils import autoscaling
from ansible_collections.hatrading.aws.plugins.module_utils import cloudwatch_logs
from ansible_collections.hatrading.aws.plugins.module_utils import codeservices as aws
from ansible_collections.hatrading.aws.plugins.module_utils import elbv2
from ansible_collections.hatrading.aws.plugins.module_utils import iam
from ansible_collections.hatrading.aws.plugins.module_utils import iam_compute
from ansible_collections.hatrading.aws.plugins.module_utils import pipeline as model
from ansible_collections.hatrading.aws.plugins.module_utils import s3
from ansible_collections.hatrading.aws.plugins.module_utils.cdn.model import actual_bucket
from ansible_collections.hatrading.aws.plugins.module_utils.clients import ClientCache
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list

SETTINGS = (
    "stack",
    "state",
    "tags",
    "registry",
    "source",
    "codestar_connection_arn",
    "source_repository",
    "dockerhub_secret_arn",
    "dockerhub_username",
    "repositories",
    "scan_on_push",
    "kms_key_arn",
    "untagged_expire_days",
    "keep_tagged_images",
    "branch",
    "bucket_name",
    "log_retention_days",
    "build_image",
    "compute_type",
    "build_timeout",
    "deployment_config",
    "frontend_health_path",
    "backend_health_path",
    "confirm_delete",
    "delete_repositories",
    "delete_bucket",
    "force",
)
ROLE_KINDS = model.ROLE_KINDS


class RolePropagationRetry(AWSRetry):
    """Right after IAM creates a role, CodeBuild, CodeDeploy and CodePipeline may not be able to assume it yet;
    only that answer (not any invalid input) is retried."""

    @staticmethod
    def status_code_from_exception(error):
        found = AWSRetry.status_code_from_exception(error)
        message = (error.response.get("Error", {}).get("Message") or "").lower()
        if found in ("InvalidInputException", "InvalidRoleException", "InvalidStructureException") and ("assume" in message or "not authorized" in message):
            return "RolePropagation"
        return found


@RolePropagationRetry.jittered_backoff(retries=10, delay=3, catch_extra_error_codes=["RolePropagation"])
def _create_after_role(call, **params):
    return call(**params)


def settings_of(params):
    cfg = dict((key, params.get(key)) for key in SETTINGS if params.get(key) is not None)
    cfg["region"] = params.get("region")
    return cfg


class Context:
    """The account facts the names and policies need (one GetCallerIdentity)."""

    def __init__(self, clients, region):
        arn = clients("sts").get_caller_identity(aws_retry=True)["Arn"]
        self.partition = arn.split(":")[1]
        self.account = arn.split(":")[4]
        self.region = region

    def role_arn(self, name):
        return "arn:%s:iam::%s:role/%s" % (self.partition, self.account, name)

    def registry(self):
        return "%s.dkr.ecr.%s.amazonaws.com%s" % (self.account, self.region, ".cn" if self.partition == "aws-cn" else "")


def read_state(clients, n, ecr_repositories=True):
    ecr = clients("ecr")
    repos = aws.describe_repositories(ecr, [n["repositories"][tier] for tier in model.APP_TIERS]) if ecr_repositories else {}
    have = {"repositories": {}, "roles": {}, "deployment_groups": {}}
    for tier in model.APP_TIERS:
        repo = repos.get(n["repositories"][tier])
        if repo is not None:
            have["repositories"][tier] = model.actual_repository(
                repo, aws.get_lifecycle_policy(ecr, repo["repositoryName"]), aws.list_repository_tags(ecr, repo["repositoryArn"])
            )
    have["code_repository"] = aws.get_code_repository(clients("codecommit"), n["code_repository"])
    have["bucket"] = actual_bucket(s3.read_bucket(clients("s3"), n["bucket"]))
    group = cloudwatch_logs.describe_log_group(clients("logs"), n["log_group"])
    have["log_group"] = model.actual_log_group(group, cloudwatch_logs.list_tags(clients("logs"), group) if group else None)
    for kind in ROLE_KINDS:
        role = iam.get_role(clients("iam"), n[kind])
        if role is not None:
            have["roles"][kind] = (role, iam.get_role_policy(clients("iam"), n[kind], n["policy"]))
    have["project"] = model.actual_project(aws.get_project(clients("codebuild"), n["build_project"]))
    have["application"] = aws.get_application(clients("codedeploy"), n["application"])
    if have["application"] is not None:
        for tier in model.APP_TIERS:
            found = aws.get_deployment_group(clients("codedeploy"), n["application"], n["deployment_groups"][tier])
            if found is not None:
                have["deployment_groups"][tier] = model.actual_deployment_group(found)
    rule = aws.describe_rule(clients("events"), n["trigger_rule"])
    have["trigger"] = model.actual_trigger(rule, aws.list_targets_by_rule(clients("events"), n["trigger_rule"]) if rule else None)
    raw = aws.get_pipeline(clients("codepipeline"), n["pipeline"])
    have["pipeline"] = None
    if raw is not None:
        have["pipeline"] = model.normalize_pipeline(raw["pipeline"])
        have["pipeline"]["arn"] = raw.get("metadata", {}).get("pipelineArn")
        have["pipeline"]["tags"] = aws.list_pipeline_tags(clients("codepipeline"), have["pipeline"]["arn"]) if have["pipeline"]["arn"] else {}
    return have


def compute_targets(clients, n):
    """The app tiers whose Auto Scaling group and target group exist, and a note for each that does not."""
    groups = set(g["AutoScalingGroupName"] for g in autoscaling.describe_groups(clients("autoscaling"), sorted(n["auto_scaling_groups"].values())))
    target_groups = set(t["TargetGroupName"] for t in elbv2.describe_target_groups(clients("elbv2"), sorted(n["target_groups"].values())))
    tiers, notes = [], []
    for tier in model.APP_TIERS:
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
    tag_base = {"stack": cfg["stack"], "extra": cfg.get("tags")}
    arns = dict((kind, ctx.role_arn(n[kind])) for kind in ROLE_KINDS)
    registry = cfg.get("registry", "ecr")
    secret = cfg.get("dockerhub_secret_arn") if registry == "dockerhub" else None
    uris = model.image_uris(registry, ctx.registry(), n)
    health = dict((tier, cfg.get("%s_health_path" % tier, "/health")) for tier in model.APP_TIERS)
    codecommit = cfg.get("source", "codecommit") == "codecommit"
    connection = None if codecommit else cfg["codestar_connection_arn"]
    documents = {
        "build_role": model.build_policy(
            ctx.partition, ctx.region, ctx.account, n, code_source=codecommit, kms_key_arn=cfg.get("kms_key_arn"), dockerhub_secret_arn=secret
        ),
        "pipeline_role": model.pipeline_policy(ctx.partition, ctx.region, ctx.account, n, arns, connection),
    }
    if codecommit:
        documents["events_role"] = model.events_policy(ctx.partition, ctx.region, ctx.account, n)
    if tiers:
        documents["deploy_role"] = model.deploy_policy(ctx.partition, ctx.region, ctx.account, n)
    spec_text = model.buildspec(cfg["stack"], ctx.region, uris, health, secret, cfg.get("dockerhub_username"))
    return {
        "uris": uris,
        "repositories": dict(
            (tier, (n["repositories"][tier], model.desired_repository(cfg, n["repositories"][tier]))) for tier in model.APP_TIERS if registry == "ecr"
        ),
        "code_repository": (n["code_repository"], {"description": "hatrading %s: the trading apps (frontend, backend)" % cfg["stack"]}) if codecommit else None,
        "bucket": (n["bucket"], model.desired_bucket(cfg, n["bucket"])),
        "log_group": (n["log_group"], model.desired_log_group(cfg, n["log_group"])),
        "roles": model.desired_roles(n, tag_base, documents),
        "policy_name": n["policy"],
        "project": (n["build_project"], model.desired_project(cfg, n, arns["build_role"], spec_text)),
        "application": (n["application"], {"computePlatform": "Server"}),
        "deployment_groups": dict((tier, (n["deployment_groups"][tier], model.desired_deployment_group(cfg, tier, n, arns["deploy_role"]))) for tier in tiers),
        "trigger": (n["trigger_rule"], model.desired_trigger(cfg, n, ctx.partition, ctx.region, ctx.account, arns["events_role"])) if codecommit else None,
        "pipeline": (
            n["pipeline"],
            dict(model.desired_pipeline(cfg, n, arns["pipeline_role"], tiers), tags=model.stack_tags(cfg["stack"], model.TIER, n["pipeline"], cfg.get("tags"))),
        ),
    }


class PipelineApplier(Applier):
    def __init__(self, clients, cfg, n, ctx, have):
        self.clients = clients
        self.cfg = cfg
        self.n = n
        self.ctx = ctx
        self.have = have

    # -- ECR
    def create_repository(self, change):
        want = change.after
        encryption = {"encryptionType": want["encryption"]["type"]}
        if want["encryption"]["kms_key"]:
            encryption["kmsKey"] = want["encryption"]["kms_key"]
        ecr = self.clients("ecr")
        ecr.create_repository(
            repositoryName=change.name,
            imageTagMutability=want["tag_mutability"],
            imageScanningConfiguration={"scanOnPush": want["scan_on_push"]},
            encryptionConfiguration=encryption,
            tags=tag_list(want["tags"]),
            aws_retry=True,
        )
        ecr.put_lifecycle_policy(repositoryName=change.name, lifecyclePolicyText=json.dumps(want["lifecycle_policy"], sort_keys=True), aws_retry=True)

    def update_repository(self, change):
        ecr, want = self.clients("ecr"), change.after
        if "scan_on_push" in change.fields:
            ecr.put_image_scanning_configuration(repositoryName=change.name, imageScanningConfiguration={"scanOnPush": want["scan_on_push"]}, aws_retry=True)
        if "tag_mutability" in change.fields:
            ecr.put_image_tag_mutability(repositoryName=change.name, imageTagMutability=want["tag_mutability"], aws_retry=True)
        if "lifecycle_policy" in change.fields:
            ecr.put_lifecycle_policy(repositoryName=change.name, lifecyclePolicyText=json.dumps(want["lifecycle_policy"], sort_keys=True), aws_retry=True)
        if "tags" in change.fields:
            ecr.tag_resource(resourceArn=change.before["arn"], tags=tag_list(missing_tags(want["tags"], change.before["tags"])), aws_retry=True)

    def delete_repository(self, change):
        aws.ignore_not_found(self.clients("ecr").delete_repository, repositoryName=change.name, force=change.ref["force"], aws_retry=True)

    # -- CodeCommit
    def create_code_repository(self, change):
        tags = model.stack_tags(self.cfg["stack"], model.TIER, change.name, self.cfg.get("tags"))
        self.clients("codecommit").create_repository(repositoryName=change.name, repositoryDescription=change.after["description"], tags=tags, aws_retry=True)

    def delete_code_repository(self, change):
        self.clients("codecommit").delete_repository(repositoryName=change.name, aws_retry=True)

    # -- artifact bucket
    def create_bucket(self, change):
        s3c = self.clients("s3")
        params = dict(Bucket=change.name, ObjectOwnership="BucketOwnerEnforced")
        if self.ctx.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.ctx.region}
        s3c.create_bucket(aws_retry=True, **params)
        s3c.get_waiter("bucket_exists").wait(Bucket=change.name, WaiterConfig={"Delay": 2, "MaxAttempts": 30})
        self._configure_bucket(change.name, change.after, {"tags": {}}, ["public_access_block", "encryption", "versioning", "tags"])

    def update_bucket(self, change):
        self._configure_bucket(change.name, change.after, change.before, change.fields)

    def _configure_bucket(self, bucket, want, have, fields):
        s3c = self.clients("s3")
        if "public_access_block" in fields:
            s3c.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=want["public_access_block"], aws_retry=True)
        if "ownership" in fields:
            s3c.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": want["ownership"]}]}, aws_retry=True)
        if "encryption" in fields:
            default = {"SSEAlgorithm": want["encryption"]["algorithm"]}
            if want["encryption"]["kms_key"]:
                default["KMSMasterKeyID"] = want["encryption"]["kms_key"]
            rule = {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": want["encryption"]["bucket_key"]}
            s3c.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]}, aws_retry=True)
        if "versioning" in fields:
            s3c.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": want["versioning"]}, aws_retry=True)
        if "tags" in fields:  # PutBucketTagging replaces the set: keep the tags found that we do not manage
            tags = dict(have.get("tags") or {})
            tags.update(want["tags"])
            s3c.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(tags)}, aws_retry=True)

    def delete_bucket(self, change):
        s3c = self.clients("s3")
        versions = s3.list_object_versions(s3c, change.name) if change.ref.get("objects") else []
        for start in range(0, len(versions), 1000):
            s3c.delete_objects(Bucket=change.name, Delete={"Objects": versions[start : start + 1000], "Quiet": True}, aws_retry=True)
        s3c.delete_bucket(Bucket=change.name, aws_retry=True)

    # -- build log group
    def create_log_group(self, change):
        logs = self.clients("logs")
        logs.create_log_group(logGroupName=change.name, tags=change.after["tags"], aws_retry=True)
        logs.put_retention_policy(logGroupName=change.name, retentionInDays=change.after["retention"], aws_retry=True)

    def update_log_group(self, change):
        logs = self.clients("logs")
        if "retention" in change.fields:
            logs.put_retention_policy(logGroupName=change.name, retentionInDays=change.after["retention"], aws_retry=True)
        if "tags" in change.fields:
            arn = "arn:%s:logs:%s:%s:log-group:%s" % (self.ctx.partition, self.ctx.region, self.ctx.account, change.name)
            logs.tag_resource(resourceArn=arn, tags=missing_tags(change.after["tags"], change.before["tags"]), aws_retry=True)

    # -- IAM
    def create_role(self, change):
        client = self.clients("iam")
        client.create_role(
            RoleName=change.name,
            Path="/",
            AssumeRolePolicyDocument=json.dumps(change.after["trust"]),
            Description="hatrading %s pipeline service role" % self.cfg["stack"],
            Tags=tag_list(change.after["tags"]),
            aws_retry=True,
        )
        client.get_waiter("role_exists").wait(RoleName=change.name, WaiterConfig={"Delay": 2, "MaxAttempts": 30})

    def update_role(self, change):
        client = self.clients("iam")
        if "trust" in change.fields:
            client.update_assume_role_policy(RoleName=change.name, PolicyDocument=json.dumps(change.after["trust"]), aws_retry=True)
        if "tags" in change.fields:
            client.tag_role(RoleName=change.name, Tags=tag_list(missing_tags(change.after["tags"], change.before["tags"])), aws_retry=True)

    def delete_role(self, change):
        client = self.clients("iam")
        for policy in iam_compute.list_role_policies(client, change.name):
            iam_compute.ignore_missing(client.delete_role_policy, RoleName=change.name, PolicyName=policy, aws_retry=True)
        iam_compute.ignore_missing(client.delete_role, RoleName=change.name, aws_retry=True)

    def create_role_policy(self, change):
        self.clients("iam").put_role_policy(
            RoleName=change.ref["role"], PolicyName=change.ref["policy"], PolicyDocument=json.dumps(change.after, sort_keys=True), aws_retry=True
        )

    update_role_policy = create_role_policy

    # -- CodeBuild (moto has no UpdateProject: the update is covered by Stubber tests)
    def create_build_project(self, change):
        _create_after_role(self.clients("codebuild").create_project, **model.project_params(change.name, change.after))

    def update_build_project(self, change):
        self.clients("codebuild").update_project(aws_retry=True, **model.project_params(change.name, change.after))

    def delete_build_project(self, change):
        self.clients("codebuild").delete_project(name=change.name, aws_retry=True)

    # -- CodeDeploy
    def create_application(self, change):
        tags = [{"Key": k, "Value": v} for k, v in sorted(model.stack_tags(self.cfg["stack"], model.TIER, change.name, self.cfg.get("tags")).items())]
        self.clients("codedeploy").create_application(applicationName=change.name, computePlatform=change.after["computePlatform"], tags=tags, aws_retry=True)

    def delete_application(self, change):
        aws.ignore_not_found(self.clients("codedeploy").delete_application, applicationName=change.name, aws_retry=True)

    def create_deployment_group(self, change):
        tags = [{"Key": k, "Value": v} for k, v in sorted(model.stack_tags(self.cfg["stack"], model.TIER, change.name, self.cfg.get("tags")).items())]
        _create_after_role(
            self.clients("codedeploy").create_deployment_group,
            applicationName=self.n["application"],
            deploymentGroupName=change.name,
            tags=tags,
            **change.after,
        )

    def update_deployment_group(self, change):
        self.clients("codedeploy").update_deployment_group(
            applicationName=self.n["application"], currentDeploymentGroupName=change.name, aws_retry=True, **change.after
        )

    def delete_deployment_group(self, change):
        aws.ignore_not_found(
            self.clients("codedeploy").delete_deployment_group, applicationName=self.n["application"], deploymentGroupName=change.name, aws_retry=True
        )

    # -- CodePipeline
    def create_pipeline(self, change):
        declaration = dict((k, v) for k, v in change.after.items() if k != "tags")
        tags = [{"key": k, "value": v} for k, v in sorted(change.after["tags"].items())]
        _create_after_role(self.clients("codepipeline").create_pipeline, pipeline=declaration, tags=tags)

    def update_pipeline(self, change):
        client = self.clients("codepipeline")
        if set(change.fields) - set(["tags"]):
            declaration = dict((k, v) for k, v in change.after.items() if k != "tags")
            client.update_pipeline(pipeline=declaration, aws_retry=True)
        if "tags" in change.fields:
            missing = missing_tags(change.after["tags"], change.before.get("tags") or {})
            client.tag_resource(resourceArn=change.before["arn"], tags=[{"key": k, "value": v} for k, v in sorted(missing.items())], aws_retry=True)

    # -- EventBridge: a push starts the pipeline
    def create_trigger_rule(self, change):
        tags = tag_list(model.stack_tags(self.cfg["stack"], model.TIER, change.name, self.cfg.get("tags")))
        self._put_rule(change, tags)
        _create_after_role(self.clients("events").put_targets, Rule=change.name, Targets=change.after["targets"])

    def update_trigger_rule(self, change):
        if set(change.fields) & set(["pattern", "state"]):
            self._put_rule(change, None)
        if "targets" in change.fields:
            _create_after_role(self.clients("events").put_targets, Rule=change.name, Targets=change.after["targets"])

    def _put_rule(self, change, tags):
        params = dict(
            Name=change.name,
            EventPattern=json.dumps(change.after["pattern"], sort_keys=True),
            State=change.after["state"],
            Description="hatrading %s: a push to the branch starts the pipeline" % self.cfg["stack"],
        )
        if tags:
            params["Tags"] = tags
        self.clients("events").put_rule(aws_retry=True, **params)

    def delete_trigger_rule(self, change):
        events = self.clients("events")
        ids = [target["Id"] for target in change.before.get("targets") or []]
        if ids:
            aws.ignore_not_found(events.remove_targets, Rule=change.name, Ids=ids, aws_retry=True)
        aws.ignore_not_found(events.delete_rule, Name=change.name, aws_retry=True)

    def delete_pipeline(self, change):
        aws.ignore_not_found(self.clients("codepipeline").delete_pipeline, name=change.name, aws_retry=True)


def ensure_present(module, clients, cfg, n, ctx, have):
    tiers, notes = compute_targets(clients, n)
    want = wanted(cfg, n, ctx, tiers)
    plan = model.plan_pipeline(want, have)
    for change in plan.of("repository", "update"):
        if "encryption" in change.fields:
            raise model.PipelinePlanError(
                "pipeline_kms_key_arn: repository %s is encrypted with %s; ECR cannot change a repository's encryption "
                "(delete the repository or keep its setting)" % (change.name, change.before["encryption"]["kms_key"] or "AES256")
            )
    applier = PipelineApplier(clients, cfg, n, ctx, have)
    plan.apply(applier.handlers(), check_mode=module.check_mode)
    result = {
        "repositories": want["uris"],
        "code_repository": n["code_repository"] if want["code_repository"] else cfg["source_repository"],
        "clone_url_http": "https://git-codecommit.%s.amazonaws.com/v1/repos/%s" % (ctx.region, n["code_repository"]) if want["code_repository"] else None,
        "bucket": n["bucket"],
        "build_project": n["build_project"],
        "application": n["application"],
        "deployment_groups": [n["deployment_groups"][t] for t in model.DEPLOY_ORDER if t in tiers],
        "pipeline": n["pipeline"],
        "notes": notes,
    }
    return plan, result


def ensure_absent(module, clients, cfg, n, ctx, have):
    params = module.params
    if params["delete_repositories"]:
        have["image_counts"] = dict((tier, aws.count_images(clients("ecr"), n["repositories"][tier])) for tier in have["repositories"])
    if params["delete_bucket"] and have.get("bucket") is not None:
        have["bucket_objects"] = len(s3.list_object_versions(clients("s3"), n["bucket"]))
    plan = model.plan_teardown(n, have, params["delete_repositories"], params["delete_bucket"], params["force"])
    applier = PipelineApplier(clients, cfg, n, ctx, have)
    plan.apply(applier.handlers(), check_mode=module.check_mode)
    deleted = set((c.kind, c.name) for c in plan.changes)
    kept = [
        "repository %s" % n["repositories"][t] for t in model.APP_TIERS if t in have["repositories"] and ("repository", n["repositories"][t]) not in deleted
    ]
    if have.get("code_repository") is not None and ("code_repository", n["code_repository"]) not in deleted:
        kept.append("code repository %s" % n["code_repository"])
    if have.get("bucket") is not None and ("bucket", n["bucket"]) not in deleted:
        kept.append("bucket %s" % n["bucket"])
    if have.get("log_group") is not None:
        kept.append("log group %s (expires by its retention)" % n["log_group"])
    return plan, {"code_repository": n["code_repository"], "bucket": n["bucket"], "pipeline": n["pipeline"], "kept": kept, "notes": []}


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", default={}),
        registry=dict(type="str", choices=list(model.REGISTRIES), default="ecr"),
        source=dict(type="str", choices=list(model.SOURCES), default="codecommit"),
        codestar_connection_arn=dict(type="str"),
        source_repository=dict(type="str"),
        dockerhub_secret_arn=dict(type="str", no_log=False),  # an ARN, not a secret
        dockerhub_username=dict(type="str"),
        repositories=dict(type="dict", default={}),
        scan_on_push=dict(type="bool", default=True),
        kms_key_arn=dict(type="str", no_log=False),  # an ARN, not a secret
        untagged_expire_days=dict(type="int", default=7),
        keep_tagged_images=dict(type="int", default=30),
        branch=dict(type="str", default="main"),
        bucket_name=dict(type="str"),
        log_retention_days=dict(type="int", default=30),
        build_image=dict(type="str", default="aws/codebuild/standard:7.0"),
        compute_type=dict(type="str", choices=list(model.COMPUTE_TYPES), default="BUILD_GENERAL1_SMALL"),
        build_timeout=dict(type="int", default=30),
        deployment_config=dict(type="str", choices=sorted(model.DEPLOYMENT_CONFIGS), default="one-at-a-time"),
        frontend_health_path=dict(type="str", default="/health"),
        backend_health_path=dict(type="str", default="/health"),
        confirm_delete=dict(type="str"),
        delete_repositories=dict(type="bool", default=False),
        delete_bucket=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if not params.get("region"):
        params["region"] = "us-east-1"
    cfg = settings_of(params)
    errors = model.validate_pipeline(cfg)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid pipeline settings: " + "; ".join(errors), errors=errors)
    n = model.names(params["stack"], params["region"], params.get("repositories"), params.get("bucket_name"))

    retries = {"s3": AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["NoSuchBucket", "OperationAborted"])}
    clients = ClientCache(module, retries)
    try:
        ctx = Context(clients, params["region"])
        have = read_state(clients, n, ecr_repositories=params["state"] == "absent" or params["registry"] == "ecr")
        if params["state"] == "present":
            plan, result = ensure_present(module, clients, cfg, n, ctx, have)
        else:
            plan, result = ensure_absent(module, clients, cfg, n, ctx, have)
    except model.PipelinePlanError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, botocore.exceptions.WaiterError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the delivery pipeline of stack %s" % params["stack"])

    output = dict(changed=plan.changed, plan=plan.as_list(), plan_text=plan.render(), pipeline=result)
    if module._diff:
        output["diff"] = plan.diff()
    module.exit_json(**output)


if __name__ == "__main__":
    main()
