# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECR, CodeCommit, CodeBuild, CodeDeploy and CodePipeline reads, one wrapper per API call: retried,
paginated, "not found" as None."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8)
NOT_FOUND = (
    "RepositoryNotFoundException",
    "LifecyclePolicyNotFoundException",
    "RepositoryDoesNotExistException",
    "ApplicationDoesNotExistException",
    "DeploymentGroupDoesNotExistException",
    "PipelineNotFoundException",
    "ResourceNotFoundException",
)


def code(error):
    return error.response.get("Error", {}).get("Code")


def ignore_not_found(call, **params):
    """Run a read or a delete; something that does not exist answers None."""
    try:
        return call(**params)
    except ClientError as error:
        if code(error) in NOT_FOUND:
            return None
        raise


# ---------------------------------------------------------------- ECR


@RETRY
def describe_repositories(client, repository_names):
    """The named repositories that exist, by name (one call; a missing one is asked again alone)."""
    try:
        answer = client.describe_repositories(repositoryNames=list(repository_names))
        return dict((repo["repositoryName"], repo) for repo in answer.get("repositories", []))
    except ClientError as error:
        if code(error) != "RepositoryNotFoundException" or len(repository_names) == 1:
            if code(error) == "RepositoryNotFoundException":
                return {}
            raise
    found = {}
    for name in repository_names:
        found.update(describe_repositories(client, [name]))
    return found


@RETRY
def get_lifecycle_policy(client, name):
    answer = ignore_not_found(client.get_lifecycle_policy, repositoryName=name)
    return answer.get("lifecyclePolicyText") if answer else None


@RETRY
def list_repository_tags(client, arn):
    answer = client.list_tags_for_resource(resourceArn=arn)
    return dict((tag["Key"], tag.get("Value", "")) for tag in answer.get("tags", []))


@RETRY
def count_images(client, name):
    return sum(len(page.get("imageIds", [])) for page in client.get_paginator("list_images").paginate(repositoryName=name))


# ---------------------------------------------------------------- CodeCommit (moto has no ListRepositories)


@RETRY
def get_code_repository(client, name):
    answer = ignore_not_found(client.get_repository, repositoryName=name)
    return answer.get("repositoryMetadata") if answer else None


# ---------------------------------------------------------------- CodeBuild


@RETRY
def get_project(client, name):
    answer = client.batch_get_projects(names=[name])
    projects = answer.get("projects") or []
    return projects[0] if projects else None


# ---------------------------------------------------------------- CodeDeploy


@RETRY
def get_application(client, name):
    answer = ignore_not_found(client.get_application, applicationName=name)
    return answer.get("application") if answer else None


@RETRY
def get_deployment_group(client, application, name):
    answer = ignore_not_found(client.get_deployment_group, applicationName=application, deploymentGroupName=name)
    return answer.get("deploymentGroupInfo") if answer else None


# ---------------------------------------------------------------- EventBridge


@RETRY
def describe_rule(client, name):
    return ignore_not_found(client.describe_rule, Name=name)


@RETRY
def list_targets_by_rule(client, name):
    answer = ignore_not_found(client.list_targets_by_rule, Rule=name)
    return answer.get("Targets", []) if answer else []


# ---------------------------------------------------------------- CodePipeline


@RETRY
def get_pipeline(client, name):
    answer = ignore_not_found(client.get_pipeline, name=name)
    return answer if answer else None


@RETRY
def list_pipeline_tags(client, arn):
    answer = client.list_tags_for_resource(resourceArn=arn)
    return dict((tag["key"], tag.get("value", "")) for tag in answer.get("tags", []))
