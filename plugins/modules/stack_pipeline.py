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

from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier
from ansible_collections.hatrading.aws.plugins.module_utils.pipeline import apply
from ansible_collections.hatrading.aws.plugins.module_utils.pipeline import model

ARGUMENT_SPEC = dict(
    TIER_SPEC,
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


def main():
    run_tier("pipeline", ARGUMENT_SPEC, model.CHECKS.params, apply.reconcile)


if __name__ == "__main__":
    main()
