# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the pipeline tier finds: its own resources through ``clients.<service>``, the compute tier's
Auto Scaling groups and target groups through the stack view. Every read, no write."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.cdn.model import actual_bucket
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict
from ansible_collections.hatrading.aws.plugins.module_utils.core.together import read_together
from ansible_collections.hatrading.aws.plugins.module_utils.pipeline import model


def account(clients, region):
    """The partition and account of the caller (one GetCallerIdentity)."""
    return model.Context(clients.sts.get_caller_identity()["Arn"], region)


def read_state(clients, n, ecr_repositories=True):
    """Everything the tier owns, as model.plan_pipeline / plan_teardown compare it (None: not found).

    One branch a service, read at the same time (core/together.py)."""
    have = read_together(
        {
            "repositories": lambda: read_repositories(clients, n) if ecr_repositories else {},
            "code_repository": lambda: clients.codecommit.get_repository(repositoryName=n["code_repository"], missing=None),
            "bucket": lambda: read_bucket(clients, n["bucket"]),
            "log_group": lambda: read_log_group(clients, n["log_group"]),
            "roles": lambda: read_roles(clients, n),
            "project": lambda: read_project(clients, n["build_project"]),
            "deployment": lambda: read_deployment(clients, n),
            "trigger": lambda: read_trigger(clients, n["trigger_rule"]),
            "pipeline": lambda: read_pipeline(clients, n["pipeline"]),
        }
    )
    have["application"], have["deployment_groups"] = have.pop("deployment")
    return have


def read_project(clients, name):
    projects = clients.codebuild.batch_get_projects(names=[name]).get("projects") or []
    return model.actual_project(projects[0] if projects else None)


def read_deployment(clients, n):
    """The CodeDeploy application, and its deployment groups when it exists."""
    application = (clients.codedeploy.get_application(applicationName=n["application"], missing=None) or {}).get("application")
    return application, read_deployment_groups(clients, n) if application is not None else {}


def read_trigger(clients, name):
    rule = clients.events.describe_rule(Name=name, missing=None)
    return model.actual_trigger(rule, clients.events.list_targets_by_rule(Rule=name, missing=[]) if rule else None)


def read_repositories(clients, n):
    """tier -> the ECR repository found, with its lifecycle policy and tags."""
    ecr, found = clients.ecr, {}
    repos = ecr.repositories_named([n["repositories"][tier] for tier in model.APP_TIERS])
    for tier in model.APP_TIERS:
        repo = repos.get(n["repositories"][tier])
        if repo is not None:
            lifecycle = (ecr.get_lifecycle_policy(repositoryName=repo["repositoryName"], missing=None) or {}).get("lifecyclePolicyText")
            tags = tag_dict(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags"))
            found[tier] = model.actual_repository(repo, lifecycle, tags)
    return found


def read_bucket(clients, bucket):
    """The artifact bucket's settings, or None when it does not exist (someone else's bucket, a 403, is an error)."""
    return actual_bucket(clients.s3.bucket_settings(bucket))


def read_log_group(clients, name):
    """The build log group called ``name`` exactly (the API matches by prefix), or None."""
    group = next((g for g in clients.logs.describe_log_groups(logGroupNamePrefix=name) if g["logGroupName"] == name), None)
    if group is None:
        return None
    arn = group.get("logGroupArn") or group["arn"].rstrip("*").rstrip(":")
    return model.actual_log_group(group, clients.logs.list_tags_for_resource(resourceArn=arn).get("tags", {}))


def read_roles(clients, n):
    """role kind -> (role, its inline policy document) for the roles that exist."""
    found = {}
    for kind in model.ROLE_KINDS:
        role = (clients.iam.get_role(RoleName=n[kind], missing=None) or {}).get("Role")
        if role is not None:
            found[kind] = (role, (clients.iam.get_role_policy(RoleName=n[kind], PolicyName=n["policy"], missing=None) or {}).get("PolicyDocument"))
    return found


def read_deployment_groups(clients, n):
    found = {}
    for tier in model.APP_TIERS:
        group = (
            clients.codedeploy.get_deployment_group(applicationName=n["application"], deploymentGroupName=n["deployment_groups"][tier], missing=None) or {}
        ).get("deploymentGroupInfo")
        if group is not None:
            found[tier] = model.actual_deployment_group(group)
    return found


def read_pipeline(clients, name):
    """The pipeline declaration in comparable form, with its ARN and tags (GetPipeline has none), or None."""
    raw = clients.codepipeline.get_pipeline(name=name, missing=None)
    if raw is None:
        return None
    found = model.normalize_pipeline(raw["pipeline"])
    found["arn"] = raw.get("metadata", {}).get("pipelineArn")
    found["tags"] = dict((t["key"], t.get("value", "")) for t in clients.codepipeline.list_tags_for_resource(resourceArn=found["arn"])) if found["arn"] else {}
    return found


def compute_targets(view, n):
    """The app tiers the compute tier has made deployable (their Auto Scaling group and target group), and notes."""
    groups = set(g["AutoScalingGroupName"] for g in view.auto_scaling_groups())
    target_groups = set(t["TargetGroupName"] for t in view.target_groups())
    return model.deploy_targets(n, groups, target_groups)


def image_counts(clients, n, tiers):
    """tier -> how many images its repository holds (a teardown refuses to delete them without force)."""
    return dict((tier, len(clients.ecr.list_images(repositoryName=n["repositories"][tier]))) for tier in tiers)


def bucket_object_count(clients, bucket):
    return len(clients.s3.object_versions(bucket))
