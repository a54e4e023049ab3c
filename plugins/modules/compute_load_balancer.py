#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: compute_load_balancer
short_description: Reconcile one app tier's application load balancer, target group and listeners
version_added: 0.1.0
description:
  - For O(tier=frontend), a public (internet-facing) ALB C(<stack>-alb-pub) in the stack's public subnets with the
    C(<stack>-alb-public) security group; for O(tier=backend), an internal ALB C(<stack>-alb-int) in the app subnets
    with C(<stack>-alb-internal). Subnets and groups are found by the stack's tags.
  - A target group C(<stack>-tg-fe) or C(<stack>-tg-be) with a health path, healthy/unhealthy thresholds and a
    deregistration delay for fast, safe rolling updates (30 s by default instead of AWS's 300 s).
  - An HTTP listener forwarding to the target group; with O(certificate_arn), an HTTPS listener forwarding to it and
    the HTTP listener redirecting to HTTPS.
  - Targets are never registered or deregistered here (the Auto Scaling group does that), so a rerun never drains
    an instance. Invalid headers are dropped by the ALB.
  - Port, protocol and VPC of a target group and the scheme of an ALB cannot change in place; the module refuses
    rather than replaces them.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  tier:
    description: Which app tier the ALB serves.
    type: str
    required: true
    choices: [frontend, backend]
  port:
    description: Port of the tier's instances (the target group's port).
    type: int
  health_path:
    description: Path the ALB probes on each instance, starting with a slash.
    type: str
    default: /health
  health_matcher:
    description: HTTP codes of a healthy answer.
    type: str
    default: "200"
  health_check_interval:
    description: Seconds between probes.
    type: int
    default: 10
  health_check_timeout:
    description: Seconds before a probe fails; shorter than O(health_check_interval).
    type: int
    default: 5
  healthy_threshold:
    description: Probes in a row that make a target healthy.
    type: int
    default: 3
  unhealthy_threshold:
    description: Probes in a row that make a target unhealthy.
    type: int
    default: 2
  deregistration_delay:
    description: Seconds a leaving target keeps serving its open requests.
    type: int
    default: 30
  listener_port:
    description: HTTP listener port.
    type: int
    default: 80
  certificate_arn:
    description: ACM certificate for an HTTPS listener; HTTP then redirects to HTTPS.
    type: str
  https_port:
    description: HTTPS listener port.
    type: int
    default: 443
  ssl_policy:
    description: TLS policy of the HTTPS listener.
    type: str
    default: ELBSecurityPolicy-TLS13-1-2-2021-06
  idle_timeout:
    description: ALB idle timeout in seconds.
    type: int
    default: 60
  wait_timeout:
    description: Seconds to wait for a deleted ALB to be gone before its target group is deleted.
    type: int
    default: 600
extends_documentation_fragment:
  - hatrading.aws.stack
"""

EXAMPLES = r"""
- name: Public ALB with HTTPS in front of the front-end
  hatrading.aws.compute_load_balancer:
    stack: prod
    tier: frontend
    port: 8080
    health_path: /health
    certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666

- name: Internal ALB in front of the back-end
  hatrading.aws.compute_load_balancer:
    stack: prod
    tier: backend
    port: 8081
    listener_port: 80
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "create", "kind": "target_group", "name": "prod-tg-fe"}]
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ target_group prod-tg-fe", "Plan: 1 to create, 0 to update, 0 to delete."]
load_balancer:
  description: The ALB after the changes (in check mode, as found); empty when there is none.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the ALB.
      type: str
    name:
      description: Name of the ALB.
      type: str
      sample: prod-alb-pub
    dns_name:
      description: DNS name of the ALB.
      type: str
      sample: prod-alb-pub-1234.us-east-1.elb.amazonaws.com
    scheme:
      description: V(internet-facing) or V(internal).
      type: str
target_group:
  description: The target group after the changes; empty when there is none.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the target group.
      type: str
    name:
      description: Name of the target group.
      type: str
      sample: prod-tg-fe
resource_label:
  description: The C(ALBRequestCountPerTarget) resource label of the ALB and target group, for scaling policies.
  returned: when both exist
  type: str
  sample: app/prod-alb-pub/50dc6c495c0c9188/targetgroup/prod-tg-fe/73e2d6bc24d8a067
url:
  description: Where the tier answers (first listener).
  returned: when the ALB exists
  type: str
  sample: http://prod-alb-int-1234.us-east-1.elb.amazonaws.com:80
"""

from ansible_collections.hatrading.aws.plugins.module_utils.compute import apply
from ansible_collections.hatrading.aws.plugins.module_utils.compute import model
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier

ARGUMENT_SPEC = model.argument_spec("load_balancer")


def main():
    run_tier("load balancer", ARGUMENT_SPEC, model.validate_balancer_params, apply.reconcile_balancer, required_if=model.required_if("load_balancer"))


if __name__ == "__main__":
    main()
