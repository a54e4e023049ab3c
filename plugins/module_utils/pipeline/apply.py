# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pipeline tier's writes: the Applier carrying out a plan through ``clients.<service>``, and
``reconcile`` (read, plan, apply) that the module's runner calls."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import create_or_adopt
from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.pipeline import model
from ansible_collections.hatrading.aws.plugins.module_utils.pipeline import read


def reconcile(clients, params, run, outcome):
    """Read what exists, plan, apply (nothing in check mode); ``outcome`` gets the plan and the ``pipeline`` result."""
    cfg = model.settings_of(params)
    n = names.pipeline(cfg["stack"], cfg["region"], cfg.get("repositories"), cfg.get("bucket_name"))
    ctx = read.account(clients, cfg["region"])
    have = read.read_state(clients, n, ecr_repositories=cfg["state"] == "absent" or cfg.get("registry") == "ecr")
    applier = PipelineApplier(clients, cfg, n, ctx, have)
    if cfg["state"] == "present":
        tiers, notes = read.compute_targets(StackView(clients, cfg["stack"]), n)
        want = model.wanted(cfg, n, ctx, tiers)
        plan = model.plan_pipeline(want, have)
        model.refuse_encryption_change(plan)  # before any change, and with no plan reported as made
        outcome.plan = plan
        result = model.present_result(cfg, n, ctx, want, tiers, notes)
    else:
        if cfg["delete_repositories"]:
            have["image_counts"] = read.image_counts(clients, n, have["repositories"])
        if cfg["delete_bucket"] and have.get("bucket") is not None:
            have["bucket_objects"] = read.bucket_object_count(clients, n["bucket"])
        outcome.plan = model.plan_teardown(n, have, cfg["delete_repositories"], cfg["delete_bucket"], cfg["force"])
        result = model.absent_result(n, have, outcome.plan)
    outcome.plan.apply(applier.handlers(), check_mode=run.check_mode)
    outcome.warnings.extend(applier.warnings)
    outcome.result = {"pipeline": result}


class PipelineApplier(Applier):
    def __init__(self, clients, cfg, n, ctx, have):
        self.clients = clients
        self.cfg = cfg
        self.n = n
        self.ctx = ctx
        self.have = have
        self.warnings = []

    def _create(self, label, call, **params):
        """A create; when AWS answers that it exists (a create retried after its answer was lost, or another run
        made it), the resource is adopted with a warning and the caller goes on (the next run compares it as usual).
        Returns True when this call created it."""
        if create_or_adopt(call, **params) is not None:
            return True
        self.warnings.append("%s already existed when this run created it (a create whose answer was lost, retried): adopted" % label)
        return False

    def _stack_tags(self, name):
        return stack_tags(self.cfg["stack"], model.TIER, name, self.cfg.get("tags"))

    # -- ECR
    def create_repository(self, change):
        want = change.after
        encryption = {"encryptionType": want["encryption"]["type"]}
        if want["encryption"]["kms_key"]:
            encryption["kmsKey"] = want["encryption"]["kms_key"]
        self._create(
            "ECR repository " + change.name,
            self.clients.ecr.create_repository,
            repositoryName=change.name,
            imageTagMutability=want["tag_mutability"],
            imageScanningConfiguration={"scanOnPush": want["scan_on_push"]},
            encryptionConfiguration=encryption,
            tags=tag_list(want["tags"]),
        )
        self.clients.ecr.put_lifecycle_policy(repositoryName=change.name, lifecyclePolicyText=json.dumps(want["lifecycle_policy"], sort_keys=True))

    def update_repository(self, change):
        ecr, want = self.clients.ecr, change.after
        if "scan_on_push" in change.fields:
            ecr.put_image_scanning_configuration(repositoryName=change.name, imageScanningConfiguration={"scanOnPush": want["scan_on_push"]})
        if "tag_mutability" in change.fields:
            ecr.put_image_tag_mutability(repositoryName=change.name, imageTagMutability=want["tag_mutability"])
        if "lifecycle_policy" in change.fields:
            ecr.put_lifecycle_policy(repositoryName=change.name, lifecyclePolicyText=json.dumps(want["lifecycle_policy"], sort_keys=True))
        if "tags" in change.fields:
            ecr.tag_resource(resourceArn=change.before["arn"], tags=tag_list(missing_tags(want["tags"], change.before["tags"])))

    def delete_repository(self, change):
        self.clients.ecr.delete_repository(repositoryName=change.name, force=change.ref["force"])

    # -- CodeCommit
    def create_code_repository(self, change):
        self._create(
            "CodeCommit repository " + change.name,
            self.clients.codecommit.create_repository,
            repositoryName=change.name,
            repositoryDescription=change.after["description"],
            tags=self._stack_tags(change.name),
        )

    def delete_code_repository(self, change):
        self.clients.codecommit.delete_repository(repositoryName=change.name)

    # -- artifact bucket
    def create_bucket(self, change):
        params = dict(Bucket=change.name, ObjectOwnership="BucketOwnerEnforced")
        if self.ctx.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.ctx.region}
        self.clients.s3.create_bucket(**params)
        self.clients.s3.wait("bucket_exists", 60, delay=2, Bucket=change.name)
        self._configure_bucket(change.name, change.after, {"tags": {}}, ["public_access_block", "encryption", "versioning", "tags"])

    def update_bucket(self, change):
        self._configure_bucket(change.name, change.after, change.before, change.fields)

    def _configure_bucket(self, bucket, want, have, fields):
        s3 = self.clients.s3
        if "public_access_block" in fields:
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=want["public_access_block"])
        if "ownership" in fields:
            s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": want["ownership"]}]})
        if "encryption" in fields:
            default = {"SSEAlgorithm": want["encryption"]["algorithm"]}
            if want["encryption"]["kms_key"]:
                default["KMSMasterKeyID"] = want["encryption"]["kms_key"]
            rule = {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": want["encryption"]["bucket_key"]}
            s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
        if "versioning" in fields:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": want["versioning"]})
        if "tags" in fields:  # PutBucketTagging replaces the set: keep the tags found that we do not manage
            tags = dict(have.get("tags") or {})
            tags.update(want["tags"])
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(tags)})

    def delete_bucket(self, change):
        s3 = self.clients.s3
        if change.ref.get("objects"):
            s3.delete_versions(change.name, s3.object_versions(change.name))  # what is left makes DeleteBucket fail, as S3 says
        s3.delete_bucket(Bucket=change.name)

    # -- build log group
    def create_log_group(self, change):
        self._create("log group " + change.name, self.clients.logs.create_log_group, logGroupName=change.name, tags=change.after["tags"])
        self.clients.logs.put_retention_policy(logGroupName=change.name, retentionInDays=change.after["retention"])

    def update_log_group(self, change):
        if "retention" in change.fields:
            self.clients.logs.put_retention_policy(logGroupName=change.name, retentionInDays=change.after["retention"])
        if "tags" in change.fields:
            arn = "arn:%s:logs:%s:%s:log-group:%s" % (self.ctx.partition, self.ctx.region, self.ctx.account, change.name)
            self.clients.logs.tag_resource(resourceArn=arn, tags=missing_tags(change.after["tags"], change.before["tags"]))

    # -- IAM
    def create_role(self, change):
        self._create(
            "IAM role " + change.name,
            self.clients.iam.create_role,
            RoleName=change.name,
            Path="/",
            AssumeRolePolicyDocument=json.dumps(change.after["trust"]),
            Description="hatrading %s pipeline service role" % self.cfg["stack"],
            Tags=tag_list(change.after["tags"]),
        )
        self.clients.iam.wait("role_exists", 60, delay=2, RoleName=change.name)

    def update_role(self, change):
        if "trust" in change.fields:
            self.clients.iam.update_assume_role_policy(RoleName=change.name, PolicyDocument=json.dumps(change.after["trust"]))
        if "tags" in change.fields:
            self.clients.iam.tag_role(RoleName=change.name, Tags=tag_list(missing_tags(change.after["tags"], change.before["tags"])))

    def delete_role(self, change):
        iam = self.clients.iam
        for policy in iam.list_role_policies(RoleName=change.name):
            iam.delete_role_policy(RoleName=change.name, PolicyName=policy)
        iam.delete_role(RoleName=change.name)

    def create_role_policy(self, change):
        self.clients.iam.put_role_policy(RoleName=change.ref["role"], PolicyName=change.ref["policy"], PolicyDocument=json.dumps(change.after, sort_keys=True))

    update_role_policy = create_role_policy

    # -- CodeBuild (moto has no UpdateProject: the update is covered by Stubber tests); a new role is waited out (RETRY_CLASS)
    def create_build_project(self, change):
        if not self._create("CodeBuild project " + change.name, self.clients.codebuild.create_project, **model.project_params(change.name, change.after)):
            found = self.clients.codebuild.batch_get_projects(names=[change.name]).get("projects") or []
            if model.compare_project(change.after, model.actual_project(found[0])):  # another run's settings: make them ours
                self.update_build_project(change)

    def update_build_project(self, change):
        self.clients.codebuild.update_project(**model.project_params(change.name, change.after))

    def delete_build_project(self, change):
        self.clients.codebuild.delete_project(name=change.name)

    # -- CodeDeploy
    def create_application(self, change):
        self._create(
            "CodeDeploy application " + change.name,
            self.clients.codedeploy.create_application,
            applicationName=change.name,
            computePlatform=change.after["computePlatform"],
            tags=tag_list(self._stack_tags(change.name)),
        )

    def delete_application(self, change):
        self.clients.codedeploy.delete_application(applicationName=change.name)

    def create_deployment_group(self, change):
        params = dict(change.after, applicationName=self.n["application"], deploymentGroupName=change.name, tags=tag_list(self._stack_tags(change.name)))
        self._create("CodeDeploy deployment group " + change.name, self.clients.codedeploy.create_deployment_group, **params)

    def update_deployment_group(self, change):
        self.clients.codedeploy.update_deployment_group(applicationName=self.n["application"], currentDeploymentGroupName=change.name, **change.after)

    def delete_deployment_group(self, change):
        self.clients.codedeploy.delete_deployment_group(applicationName=self.n["application"], deploymentGroupName=change.name)

    # -- CodePipeline
    def create_pipeline(self, change):
        declaration = dict((k, v) for k, v in change.after.items() if k != "tags")
        tags = [{"key": k, "value": v} for k, v in sorted(change.after["tags"].items())]
        self._create("pipeline " + change.name, self.clients.codepipeline.create_pipeline, pipeline=declaration, tags=tags)

    def update_pipeline(self, change):
        if set(change.fields) - set(["tags"]):
            declaration = dict((k, v) for k, v in change.after.items() if k != "tags")
            self.clients.codepipeline.update_pipeline(pipeline=declaration)
        if "tags" in change.fields:
            missing = missing_tags(change.after["tags"], change.before.get("tags") or {})
            self.clients.codepipeline.tag_resource(resourceArn=change.before["arn"], tags=[{"key": k, "value": v} for k, v in sorted(missing.items())])

    def delete_pipeline(self, change):
        self.clients.codepipeline.delete_pipeline(name=change.name)

    # -- EventBridge: a push starts the pipeline
    def create_trigger_rule(self, change):
        self._put_rule(change, tag_list(self._stack_tags(change.name)))
        self.clients.events.put_targets(Rule=change.name, Targets=change.after["targets"])

    def update_trigger_rule(self, change):
        if set(change.fields) & set(["pattern", "state"]):
            self._put_rule(change, None)
        if "targets" in change.fields:
            self.clients.events.put_targets(Rule=change.name, Targets=change.after["targets"])

    def _put_rule(self, change, tags):
        params = dict(
            Name=change.name,
            EventPattern=json.dumps(change.after["pattern"], sort_keys=True),
            State=change.after["state"],
            Description="hatrading %s: a push to the branch starts the pipeline" % self.cfg["stack"],
        )
        if tags:
            params["Tags"] = tags
        self.clients.events.put_rule(**params)

    def delete_trigger_rule(self, change):
        ids = [target["Id"] for target in change.before.get("targets") or []]
        if ids:
            self.clients.events.remove_targets(Rule=change.name, Ids=ids)
        self.clients.events.delete_rule(Name=change.name)
