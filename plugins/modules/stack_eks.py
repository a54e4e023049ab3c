#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_eks
short_description: Reconcile the EKS tier of a stack (cluster, node groups, IRSA, add-ons, access entries)
version_added: 0.2.0
description:
  - One run reconciles the whole tier and changes only the difference; a rerun that finds everything in place makes
    only read calls.
  - The cluster C(<stack>-eks) in the network tier's app subnets of every AZ, its API endpoint private (and
    optionally public, from O(public_access_cidrs)), Kubernetes secrets encrypted with the stack's KMS key (the
    database tier's C(alias/<stack>-database), or O(kms_key_arn)), the control-plane logs O(log_types) to
    C(/aws/eks/<stack>-eks/cluster) with a retention, authentication by access entries.
  - One managed node group C(<stack>-<az>) per AZ, in that AZ's app subnet, so a scale-out lands in the zone that
    needs it. Its desired size is the autoscaler's after creation; only a new range moves it.
  - The IAM OIDC provider of the cluster's issuer and, per app tier, the role C(<stack>-eks-<tier>) that only the
    service account C(<namespace>/<tier>) can assume, with a least-privilege inline policy (its own logs; the
    back-end also reads the database secret).
  - The add-ons O(addons) and the access entries O(access_entries) (only the principals listed are managed; the
    cluster creator's own entry is left alone).
  - RV(eks.manifests) are the two apps as Kubernetes objects made from the same settings (ports, health paths,
    replica range) as the Auto Scaling tier.
  - O(state=absent) refuses unless O(confirm_delete) equals O(stack); it deletes the node groups, the cluster (its
    add-ons and access entries with it), the OIDC provider and the roles. The log group is KEPT unless
    O(delete_log_group=true).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  kubernetes_version:
    description: The Kubernetes minor version of the control plane; raising it upgrades the cluster in place.
    type: str
    default: "1.33"
  kms_key_arn:
    description: The KMS key encrypting Kubernetes secrets. Unset uses the stack's key (C(alias/<stack>-database)). Fixed at creation.
    type: str
  endpoint_private_access:
    description: The API server is reachable from inside the VPC.
    type: bool
    default: true
  endpoint_public_access:
    description: The API server is reachable from the internet (from O(public_access_cidrs) only).
    type: bool
    default: false
  public_access_cidrs:
    description: With O(endpoint_public_access=true), the networks allowed to reach the public endpoint.
    type: list
    elements: str
    default: []
  log_types:
    description: The control-plane logs sent to CloudWatch.
    type: list
    elements: str
    default: [api, audit, authenticator, controllerManager, scheduler]
  log_retention_days:
    description: Retention of the control plane's log group.
    type: int
    default: 30
  node_instance_types:
    description: Instance types of the node groups.
    type: list
    elements: str
    default: [t3.medium]
  node_capacity_type:
    description: On-demand or spot nodes.
    type: str
    choices: [ON_DEMAND, SPOT]
    default: ON_DEMAND
  node_ami_type:
    description: The node image family.
    type: str
    choices: [AL2023_x86_64_STANDARD, AL2023_ARM_64_STANDARD, BOTTLEROCKET_x86_64, BOTTLEROCKET_ARM_64]
    default: AL2023_x86_64_STANDARD
  node_min_size:
    description: Minimum nodes per AZ.
    type: int
    default: 1
  node_desired_size:
    description: Nodes per AZ at creation.
    type: int
    default: 1
  node_max_size:
    description: Maximum nodes per AZ.
    type: int
    default: 3
  addons:
    description: EKS add-ons to install (latest default version, conflicts overwritten).
    type: list
    elements: str
    default: [vpc-cni, coredns, kube-proxy]
  access_entries:
    description:
      - Principals given access, each C({principal_arn, policy, namespaces}); C(policy) is one of
        C(AmazonEKSClusterAdminPolicy), C(AmazonEKSAdminPolicy), C(AmazonEKSEditPolicy), C(AmazonEKSViewPolicy)
        (default); with C(namespaces) the policy applies to those namespaces only.
    type: list
    elements: dict
    default: []
  namespace:
    description: The namespace of the apps' objects and service accounts.
    type: str
    default: hatrading
  frontend_image:
    description: The front-end image. Unset is the pipeline's ECR repository with O(image_tag).
    type: str
  backend_image:
    description: The back-end image. Unset is the pipeline's ECR repository with O(image_tag).
    type: str
  image_tag:
    description: The tag of the pipeline's images when O(frontend_image) / O(backend_image) are unset.
    type: str
    default: latest
  frontend_port:
    description: The front-end's container port (the compute tier's).
    type: int
    default: 8080
  backend_port:
    description: The back-end's container port (the compute tier's).
    type: int
    default: 8081
  frontend_health_path:
    description: The front-end's health path, for its probes and the ALB's health check.
    type: str
    default: /health
  backend_health_path:
    description: The back-end's health path, for its probes.
    type: str
    default: /health
  frontend_min_replicas:
    description: The front-end's replicas at least (its HorizontalPodAutoscaler's minimum).
    type: int
    default: 2
  frontend_max_replicas:
    description: The front-end's replicas at most.
    type: int
    default: 4
  backend_min_replicas:
    description: The back-end's replicas at least.
    type: int
    default: 2
  backend_max_replicas:
    description: The back-end's replicas at most.
    type: int
    default: 4
  backend_nosql_tables:
    description:
      - The back-end uses the nosql tier's DynamoDB tables C(<stack>-market) and C(<stack>-sessions), as on the compute
        tier - C(MARKET_TABLE), C(SESSIONS_TABLE), C(AWS_REGION) and C(SESSIONS_TTL_ATTRIBUTE) in its pods' environment,
        and its service account's role may get, put and update items of those two tables only.
    type: bool
    default: false
  backend_nosql_session_ttl_attribute:
    description: The sessions table's TTL attribute, in the back-end's environment with O(backend_nosql_tables).
    type: str
    default: expires_at
  cpu_target_percent:
    description: The CPU use the HorizontalPodAutoscalers hold.
    type: int
    default: 60
  wait_timeout:
    description: Seconds to wait for the cluster, a node group or an add-on to become active (or be deleted).
    type: int
    default: 1800
  confirm_delete:
    description: Must equal O(stack) for O(state=absent) to delete anything.
    type: str
  delete_log_group:
    description: With O(state=absent), delete the control plane's log group too.
    type: bool
    default: false
extends_documentation_fragment:
  - hatrading.aws.stack
"""

EXAMPLES = r"""
- name: The EKS tier of stack "prod", its secrets under the stack's key
  hatrading.aws.stack_eks:
    stack: prod

- name: A public endpoint for the office, an administrator
  hatrading.aws.stack_eks:
    stack: prod
    endpoint_public_access: true
    public_access_cidrs: [203.0.113.0/24]
    access_entries:
      - {principal_arn: "arn:aws:iam::123456789012:role/platform-admin", policy: AmazonEKSClusterAdminPolicy}

- name: Delete the cluster, keep its logs
  hatrading.aws.stack_eks:
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
  sample: [{"action": "create", "kind": "cluster", "name": "prod-eks"}]
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ cluster prod-eks", "Plan: 1 to create, 0 to update, 0 to delete."]
eks:
  description: What the tier built (in check mode, what it would build).
  returned: always
  type: dict
  contains:
    cluster:
      description: The cluster's name.
      type: str
      sample: prod-eks
    endpoint:
      description: The API server's URL (none in check mode before the cluster exists).
      type: str
    issuer:
      description: The cluster's OIDC issuer.
      type: str
    availability_zones:
      description: The AZs the cluster and its node groups span.
      type: list
      elements: str
    nodegroups:
      description: The node groups, one per AZ.
      type: list
      elements: str
    kms_key_arn:
      description: The key encrypting Kubernetes secrets.
      type: str
    service_account_roles:
      description: App tier -> the ARN of the role its service account assumes.
      type: dict
    manifests:
      description: The apps as Kubernetes objects (Namespace, ServiceAccount, Deployment, PodDisruptionBudget,
        HorizontalPodAutoscaler, Service, Ingress), ready for kubectl apply.
      type: list
      elements: dict
    kept:
      description: With O(state=absent), what was left in place.
      type: list
      elements: str
"""

from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier
from ansible_collections.hatrading.aws.plugins.module_utils.eks import apply
from ansible_collections.hatrading.aws.plugins.module_utils.eks import model

ARGUMENT_SPEC = dict(
    TIER_SPEC,
    kubernetes_version=dict(type="str", default="1.33"),
    kms_key_arn=dict(type="str", no_log=False),  # an ARN, not a secret
    endpoint_private_access=dict(type="bool", default=True),
    endpoint_public_access=dict(type="bool", default=False),
    public_access_cidrs=dict(type="list", elements="str", default=[]),
    log_types=dict(type="list", elements="str", default=list(model.LOG_TYPES)),
    log_retention_days=dict(type="int", default=30),
    node_instance_types=dict(type="list", elements="str", default=["t3.medium"]),
    node_capacity_type=dict(type="str", choices=list(model.CAPACITY_TYPES), default="ON_DEMAND"),
    node_ami_type=dict(type="str", choices=list(model.AMI_TYPES), default=model.AMI_TYPES[0]),
    node_min_size=dict(type="int", default=1),
    node_desired_size=dict(type="int", default=1),
    node_max_size=dict(type="int", default=3),
    addons=dict(type="list", elements="str", default=list(model.CORE_ADDONS)),
    access_entries=dict(type="list", elements="dict", default=[]),
    namespace=dict(type="str", default="hatrading"),
    frontend_image=dict(type="str"),
    backend_image=dict(type="str"),
    image_tag=dict(type="str", default="latest"),
    frontend_port=dict(type="int", default=8080),
    backend_port=dict(type="int", default=8081),
    frontend_health_path=dict(type="str", default="/health"),
    backend_health_path=dict(type="str", default="/health"),
    frontend_min_replicas=dict(type="int", default=2),
    frontend_max_replicas=dict(type="int", default=4),
    backend_min_replicas=dict(type="int", default=2),
    backend_max_replicas=dict(type="int", default=4),
    backend_nosql_tables=dict(type="bool", default=False),
    backend_nosql_session_ttl_attribute=dict(type="str", default="expires_at"),
    cpu_target_percent=dict(type="int", default=60),
    wait_timeout=dict(type="int", default=1800),
    confirm_delete=dict(type="str"),
    delete_log_group=dict(type="bool", default=False),
)


def main():
    run_tier("eks", ARGUMENT_SPEC, model.CHECKS.params, apply.reconcile)


if __name__ == "__main__":
    main()
