#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: compute_launch_template
short_description: Reconcile one app tier's launch template, instance role and instance profile
version_added: 0.1.0
description:
  - Manages, for the V(frontend) or V(backend) tier of a stack, an IAM role with one inline least-privilege
    policy (pull the tier's image, ship metrics and logs, Session Manager), the instance profile carrying it,
    and the launch template C(<stack>-<tier>).
  - The user data (cloud-init) installs Docker and the CloudWatch agent, writes the agent configuration,
    logs in to the registry (ECR, a Secrets Manager secret, or none), pulls the image by tag and runs it with
    a restart policy, a container health check and log shipping to CloudWatch Logs.
  - IMDSv2 is required (hop limit 1 unless O(metadata_hop_limit=2)), the root volume is encrypted gp3, the
    instance gets no public IP (unless O(public_ip=true) for the seed's public-subnet placement).
  - Each template version carries the fingerprint of its data in its description; a rerun with the same
    inputs finds it and creates no version. A change creates one new version and makes it the default.
  - The security group C(<stack>-<tier>) is found by the stack's tags (built by M(hatrading.aws.stack_network)).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  tier:
    description: Which app tier.
    type: str
    required: true
    choices: [frontend, backend]
  image:
    description: Container image reference with a tag, for example V(123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/backend:1.0.0).
    type: str
  port:
    description: Port the container listens on (published on the same host port).
    type: int
  health_path:
    description: Path of the container's health endpoint, starting with a slash.
    type: str
    default: /health
  instance_type:
    description: EC2 instance type; checked against the region's offerings before any change.
    type: str
    default: t3.micro
  image_id:
    description: AMI ID, or C(resolve:ssm:<parameter>) (the default follows the latest Amazon Linux 2023).
    type: str
    default: resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
  metadata_hop_limit:
    description: IMDSv2 hop limit; 1 keeps the credentials on the host, 2 lets containers reach them.
    type: int
    choices: [1, 2]
    default: 1
  root_volume_size:
    description: Root volume size in GiB (encrypted gp3).
    type: int
    default: 20
  public_ip:
    description: Give instances a public IP (only for the seed's placement in public subnets).
    type: bool
    default: false
  registry_auth:
    description:
      - How instances log in to the registry. V(auto) means V(ecr) for an ECR image and V(none) otherwise;
        V(secret) reads a password from O(registry_secret_arn).
    type: str
    choices: [auto, ecr, secret, none]
    default: auto
  registry_username:
    description: User name for V(secret) registry logins.
    type: str
  registry_secret_arn:
    description: Secrets Manager secret holding the registry password (read on the instance, never here).
    type: str
  environment:
    description: Environment of the container (C(PORT) is set to O(port) unless given).
    type: dict
    default: {}
  key_name:
    description: EC2 key pair for SSH; leave unset and use Session Manager.
    type: str
  codedeploy_bucket:
    description:
      - The pipeline tier's artifact bucket. When set, the user data installs the CodeDeploy agent (from the region's
        own installer bucket) and the instance role may read deployment revisions from this bucket only, so the
        pipeline's in-place deployments can reach the instances.
    type: str
  nosql_tables:
    description:
      - The containers use the nosql tier's DynamoDB tables (M(hatrading.aws.stack_nosql)) C(<stack>-market) and
        C(<stack>-sessions). Their names, their TTL attribute and the region go into the container's environment
        (C(MARKET_TABLE), C(SESSIONS_TABLE), C(SESSIONS_TTL_ATTRIBUTE), C(AWS_REGION); O(environment) wins), and the
        instance role may get, put and update items of those two tables only, and use their KMS key only through DynamoDB.
    type: bool
    default: false
  nosql_session_ttl_attribute:
    description: The sessions table's TTL attribute (the nosql tier's C(session_ttl_attribute)); empty for none.
    type: str
    default: expires_at
  prometheus_agent:
    description:
      - The back-end runs Prometheus in agent mode beside its container (ignored for O(tier=frontend), which has no
        C(/metrics)). A systemd service fetches the observability tier's configuration (M(hatrading.aws.stack_observability),
        the SSM parameter C(/hatrading/<stack>/observability/scrape-config)) with C(aws ssm get-parameter), retrying until
        it exists, labels the series with the instance's ID and AZ from the instance metadata, and runs the agent on the
        host's network (it scrapes C(127.0.0.1) and signs its remote write with the instance role); a timer reloads a
        changed configuration every 5 minutes.
      - The instance role may read that one parameter (C(ssm:GetParameter)) and remote-write (C(aps:RemoteWrite)) to the
        region's Prometheus workspaces tagged C(hatrading:stack=<stack>).
    type: bool
    default: false
  prometheus_agent_image:
    description: The agent's image, pinned by tag; a copy mirrored to ECR is logged in to and may be pulled by the instance role.
    type: str
    default: quay.io/prometheus/prometheus:v2.53.5
extends_documentation_fragment:
  - hatrading.aws.stack
"""

EXAMPLES = r"""
- name: Launch template of the back-end tier
  hatrading.aws.compute_launch_template:
    stack: prod
    tier: backend
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/backend:1.4.2
    port: 8081
    health_path: /health
    instance_type: m7g.large
    image_id: resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64

- name: Delete it (template, profile, role)
  hatrading.aws.compute_launch_template:
    stack: prod
    tier: backend
    state: absent
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "update", "kind": "launch_template_version", "name": "prod-backend", "fields": ["instance_type"]}]
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["~ launch_template_version prod-backend (instance_type)", "Plan: 0 to create, 1 to update, 0 to delete."]
launch_template:
  description: The launch template after the changes (in check mode, as found); empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Launch template ID.
      type: str
      sample: lt-0a1b2c3d4e5f
    name:
      description: Launch template name.
      type: str
      sample: prod-backend
    version:
      description: The latest version, which is also the default one.
      type: int
      sample: 3
    user_data_sha256:
      description: First 16 hex digits of the SHA-256 of the rendered user data.
      type: str
      sample: 0f3a9c1e2b4d5a6f
instance_profile:
  description: Name of the instance profile.
  returned: when state is present
  type: str
  sample: prod-backend-instance
"""

from ansible_collections.hatrading.aws.plugins.module_utils.compute import apply
from ansible_collections.hatrading.aws.plugins.module_utils.compute import model
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier

ARGUMENT_SPEC = model.argument_spec("launch_template")


def main():
    run_tier("launch template", ARGUMENT_SPEC, model.validate_template_params, apply.reconcile_template, required_if=model.required_if("launch_template"))


if __name__ == "__main__":
    main()
