#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: compute_rolling_update
short_description: Roll app tiers' instances onto their groups' launch template version, without losing capacity
version_added: 0.2.0
description:
  - For each tier in O(tiers) (in that order), replaces the in-service instances of the Auto Scaling group
    C(<stack>-<tier>) that were launched from another launch template version than the one the group launches now
    (after M(hatrading.aws.stack_compute) has made a version with a new image, for example).
  - "O(strategy=replace) (surge, then drain), per batch of O(batch_size): raise the desired capacity by the batch
    (and the max size with it, for the roll only), wait until the new instances are in service and healthy in the
    target group, deregister the old ones and wait for their drain, then detach them (lowering the desired
    capacity back) and terminate them. Capacity never drops below where it started. AZRebalance, AlarmNotification and ScheduledActions
    are suspended for the roll and resumed afterwards, also when it fails."
  - O(strategy=refresh) starts an AWS instance refresh (rolling, O(min_healthy_percentage), skip matching) and waits
    for it to succeed.
  - An instance's version is its EC2 tag C(aws:ec2launchtemplate:version), set at launch.
  - A group with fewer instances in service than its desired capacity is not rolled (fix it first).
    A rerun when every instance runs the group's version changes nothing and makes no mutating call.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  tiers:
    description: The tiers to roll, in order (the back-end first keeps the front-end's calls answered by one version for longer).
    type: list
    elements: str
    choices: [backend, frontend]
    default: [backend, frontend]
  strategy:
    description: V(replace) (surge, then drain; works wherever the Auto Scaling and ELB APIs do) or V(refresh) (AWS instance refresh).
    type: str
    choices: [replace, refresh]
    default: replace
  batch_size:
    description: Instances replaced at a time with O(strategy=replace) (at most 20).
    type: int
    default: 1
  min_healthy_percentage:
    description: Capacity kept in service with O(strategy=refresh).
    type: int
    default: 90
  instance_warmup:
    description: Seconds a new instance needs before it counts, with O(strategy=refresh).
    type: int
    default: 120
  wait_timeout:
    description: Seconds each wait (instances in service, targets healthy, drain, refresh) may take.
    type: int
    default: 900
  poll_interval:
    description: Seconds between the polls of each wait.
    type: int
    default: 5
  bake_time:
    description:
      - Seconds each batch's new instances serve (beside the old ones, which are not drained yet) under watch before the roll goes on.
      - A breach during the bake (an alarm of O(rollback_alarms) in ALARM, or the error rate of the synthetic orders sent to O(order_url)
        over O(max_error_rate)) stops the roll and rolls back by itself, with O(strategy=replace), see the notes.
    type: int
    default: 0
  rollback_alarms:
    description: CloudWatch alarms of the tier; one in ALARM during a bake rolls back.
    type: list
    elements: str
    default: []
  order_url:
    description: Base URL answering C(POST /orders) (the front door's C(/api)); the roll sends small resting orders there and watches their error rate.
    type: str
  order_rate:
    description: Synthetic orders a second sent to O(order_url) during the roll.
    type: float
    default: 5
  max_error_rate:
    description: Share (0-1) of failed synthetic orders since the batch went live that rolls back (after O(min_requests) orders).
    type: float
    default: 0.05
  min_requests:
    description: Synthetic orders a bake must hold before its error rate counts.
    type: int
    default: 10
extends_documentation_fragment:
  - hatrading.aws.stack_name
notes:
  - "Rollback: on a breach the batch's new instances are deregistered, detached (desired capacity back down) and terminated (the old
    ones still serve); the group goes back to the launch template version the roll started from; instances of earlier batches are
    rolled back to it the same way (surge, then drain). The task then fails, naming the hosts and the reason; RV(tiers) holds the
    rollback (hosts, reason, version, seconds from the first bad answer to the bad hosts' removal) and RV(requests) the synthetic orders."
  - Check mode returns the plan (the instances that would be replaced); diff mode shows their versions before and after.
"""

EXAMPLES = r"""
- name: Back-end image 1.1.0 (a new launch template version), then roll it out one instance at a time
  hatrading.aws.stack_compute:
    stack: prod
    tiers:
      - tier: backend
        launch_template: {image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/backend:1.1.0", port: 8081}
        load_balancer: {port: 8081}
        auto_scaling_group: {min_size: 2, desired_capacity: 2, max_size: 4, instance_refresh: false}

- name: Roll the back-end
  hatrading.aws.compute_rolling_update:
    stack: prod
    tiers: [backend]
    batch_size: 1
"""

RETURN = r"""
plan:
  description: One entry per instance to replace, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "update", "kind": "instance", "name": "i-0123456789abcdef0", "fields": ["launch_template_version"]}]
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
tiers:
  description: Per tier, the group, the version rolled to, the instances replaced (old and new) and the refresh ID.
  returned: always
  type: dict
  sample: {"backend": {"auto_scaling_group": "prod-backend", "launch_template_version": "3", "replaced": [{"old": "i-0a", "new": "i-0b"}]}}
requests:
  description: The synthetic orders sent during the roll (sent, failed, statuses), with O(order_url).
  returned: when O(order_url) is set
  type: dict
"""

from ansible_collections.hatrading.aws.plugins.module_utils.compute import roll
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS

ARGUMENT_SPEC = dict(
    stack=dict(type="str", required=True),
    tiers=dict(type="list", elements="str", choices=list(APP_TIERS), default=["backend", "frontend"]),
    strategy=dict(type="str", choices=list(roll.STRATEGIES), default="replace"),
    batch_size=dict(type="int", default=1),
    min_healthy_percentage=dict(type="int", default=90),
    instance_warmup=dict(type="int", default=120),
    wait_timeout=dict(type="int", default=900),
    poll_interval=dict(type="int", default=5),
    bake_time=dict(type="int", default=0),
    rollback_alarms=dict(type="list", elements="str", default=[]),
    order_url=dict(type="str"),
    order_rate=dict(type="float", default=5.0),
    max_error_rate=dict(type="float", default=0.05),
    min_requests=dict(type="int", default=10),
)


def main():
    roll.run_roll(ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
