"""The pipeline tier's applier against botocore Stubber: the requests moto cannot show.

moto 5.2.5 has no CodeBuild UpdateProject and no CodeDeploy UpdateDeploymentGroup; these tests check the exact
requests instead (Stubber validates every request and answer against the real service models), plus the ECR
updates, the role-propagation retry of a create, and that a wanted ECR encryption change is refused up front.
"""

import copy
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import SERVICES
from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils._aws.iam import RolePropagationRetry
from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.pipeline import apply
from ansible_collections.hatrading.aws.plugins.module_utils.pipeline import model

N = names.pipeline("prod", "us-east-1")
ROLE = "arn:aws:iam::123456789012:role/prod-pipeline-build"
URIS = {t: "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + N["repositories"][t] for t in model.APP_TIERS}
HEALTH = {"frontend": "/health", "backend": "/health"}


class Ctx:
    partition, account, region = "aws", "123456789012", "us-east-1"


@pytest.fixture
def aws():
    clients, stubbers = {}, {}
    for service in ("codebuild", "codedeploy", "ecr", "codepipeline"):
        client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        stubbers[service] = Stubber(client)
        stubbers[service].activate()
        clients[service] = client
    yield Clients(make=clients.get), stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def applier(clients):
    return apply.PipelineApplier(clients, {"stack": "prod"}, N, Ctx(), {})


def project(**cfg):
    return model.desired_project(dict({"stack": "prod"}, **cfg), N, ROLE, model.buildspec("prod", "us-east-1", URIS, HEALTH))


def test_a_changed_build_project_is_one_update_project_with_everything_managed(aws):
    clients, stubbers = aws
    want = project(compute_type="BUILD_GENERAL1_MEDIUM")
    have = model.actual_project(dict(model.project_params(N["build_project"], project()), arn="arn:aws:codebuild:us-east-1:123456789012:project/prod-images"))
    fields = model.compare_project(want, have)
    assert fields == ["environment"]
    expected = model.project_params(N["build_project"], want)
    assert expected["environment"]["computeType"] == "BUILD_GENERAL1_MEDIUM" and expected["environment"]["privilegedMode"] is True
    assert expected["source"]["type"] == "CODEPIPELINE" and expected["artifacts"]["type"] == "CODEPIPELINE"
    stubbers["codebuild"].add_response("update_project", {"project": {"name": N["build_project"]}}, expected)
    applier(clients).update_build_project(Change(UPDATE, "build_project", N["build_project"], before=have, after=want, fields=fields))


def test_an_unchanged_project_as_batch_get_projects_returns_it_compares_equal():
    want = project()
    answer = dict(
        model.project_params(N["build_project"], want),
        arn="arn:aws:codebuild:us-east-1:123456789012:project/prod-images",
        created="2026-01-01",
        badge={"badgeEnabled": False},
        queuedTimeoutInMinutes=480,
        encryptionKey="arn:aws:kms:us-east-1:123456789012:alias/aws/s3",
    )
    answer["source"] = dict(answer["source"], insecureSsl=False)
    assert model.compare_project(want, model.actual_project(answer)) == []


def test_a_changed_deployment_group_is_one_update_deployment_group(aws):
    clients, stubbers = aws
    want = model.desired_deployment_group({"deployment_config": "half"}, "backend", N, "arn:aws:iam::123456789012:role/prod-pipeline-deploy")
    have = copy.deepcopy(want)
    have["deploymentConfigName"] = "CodeDeployDefault.OneAtATime"
    raw = dict(have, autoScalingGroups=[{"name": "prod-backend", "hook": "CodeDeploy-managed-automatic-launch-deployment-hook-prod-backend"}])
    fields = model.compare_deployment_group(want, model.actual_deployment_group(raw))
    assert fields == ["deploymentConfigName"]
    expected = dict(want, applicationName="prod", currentDeploymentGroupName="prod-backend")
    stubbers["codedeploy"].add_response("update_deployment_group", {"hooksNotCleanedUp": []}, expected)
    applier(clients).update_deployment_group(Change(UPDATE, "deployment_group", "prod-backend", before=have, after=want, fields=fields))


def test_repository_updates_touch_only_what_differs(aws):
    clients, stubbers = aws
    cfg = {"stack": "prod", "keep_tagged_images": 10}
    want = model.desired_repository(cfg, N["repositories"]["frontend"])
    have = dict(copy.deepcopy(want), scan_on_push=False, lifecycle_policy=model.lifecycle_policy(7, 30), arn="arn:aws:ecr:us-east-1:1:repository/x")
    fields = model.compare_repository(want, have)
    assert fields == ["lifecycle_policy", "scan_on_push"]
    name = N["repositories"]["frontend"]
    stubbers["ecr"].add_response("put_image_scanning_configuration", {}, {"repositoryName": name, "imageScanningConfiguration": {"scanOnPush": True}})
    stubbers["ecr"].add_response(
        "put_lifecycle_policy",
        {},
        {"repositoryName": name, "lifecyclePolicyText": json.dumps(want["lifecycle_policy"], sort_keys=True)},
    )
    applier(clients).update_repository(Change(UPDATE, "repository", name, before=have, after=want, fields=fields))


def test_a_create_waits_out_iam_propagation_but_not_a_real_invalid_input():
    client = boto3.client("codebuild", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    calls = []
    client.meta.events.register("before-parameter-build.codebuild.CreateProject", lambda params, **kwargs: calls.append(params))
    params = model.project_params(N["build_project"], project())
    codebuild = Clients(make={"codebuild": client}.get).codebuild
    with Stubber(client) as stubber:
        stubber.add_client_error("create_project", "InvalidInputException", "CodeBuild is not authorized to perform: sts:AssumeRole", expected_params=params)
        stubber.add_response("create_project", {"project": {"name": N["build_project"]}}, params)
        assert codebuild.create_project(**params)["project"]["name"] == N["build_project"]
        assert len(calls) == 2
        stubber.assert_no_pending_responses()

    calls[:] = []
    with Stubber(client) as stubber:
        stubber.add_client_error("create_project", "InvalidInputException", "Invalid type provided", expected_params=params)
        with pytest.raises(ClientError):
            codebuild.create_project(**params)
    assert len(calls) == 1


def test_an_unchanged_pipeline_from_get_pipeline_makes_no_update():
    want = model.desired_pipeline({"stack": "prod"}, N, "arn:aws:iam::1:role/prod-pipeline", ["frontend", "backend"])
    answer = copy.deepcopy(want)
    answer["version"] = 7
    for stage in answer["stages"]:
        for action in stage["actions"]:
            action.pop("outputArtifacts") if not action["outputArtifacts"] else None
            action["region"] = "us-east-1"
            action["namespace"] = None
    got = model.normalize_pipeline(answer)
    assert model.compare_pipeline(want, got) == []
    assert [a["name"] for a in want["stages"][2]["actions"]] == ["Backend", "Frontend"]


def test_every_service_given_a_new_role_waits_out_its_propagation():
    for name in ("codebuild", "codedeploy", "codepipeline", "events"):
        service = SERVICES[name]
        assert service.RETRY_CLASS is RolePropagationRetry and "RolePropagation" in service.RETRY_CODES, name


def test_a_refused_repository_batch_is_asked_name_by_name():
    client = boto3.client("ecr", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    names_asked = [N["repositories"]["frontend"], N["repositories"]["backend"]]
    found = {"repositoryName": names_asked[0], "repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/" + names_asked[0]}
    with Stubber(client) as stubber:
        stubber.add_client_error("describe_repositories", "RepositoryNotFoundException", expected_params={"repositoryNames": names_asked})
        stubber.add_response("describe_repositories", {"repositories": [found]}, {"repositoryNames": names_asked[:1]})
        stubber.add_client_error("describe_repositories", "RepositoryNotFoundException", expected_params={"repositoryNames": names_asked[1:]})
        assert Clients(make={"ecr": client}.get).ecr.repositories_named(names_asked) == {names_asked[0]: found}
        stubber.assert_no_pending_responses()
