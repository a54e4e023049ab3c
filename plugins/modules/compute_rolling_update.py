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
  stack:
    description: Name of the stack.
    type: str
    required: true
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
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
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
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.hatrading.aws.plugins.module_utils import compute as model
from ansible_collections.hatrading.aws.plugins.module_utils import compute_roll
from ansible_collections.hatrading.aws.plugins.module_utils.autoscaling import LAUNCH_RETRY
from ansible_collections.hatrading.aws.plugins.module_utils.clients import ClientCache
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_stack_name


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        tiers=dict(type="list", elements="str", choices=list(model.APP_TIERS), default=["backend", "frontend"]),
        strategy=dict(type="str", choices=list(compute_roll.STRATEGIES), default="replace"),
        batch_size=dict(type="int", default=1),
        min_healthy_percentage=dict(type="int", default=90),
        instance_warmup=dict(type="int", default=120),
        wait_timeout=dict(type="int", default=900),
        poll_interval=dict(type="int", default=5),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    errors = validate_stack_name(params["stack"], "stack")
    if not 1 <= params["batch_size"] <= 20:
        errors.append("batch_size: %d; replace 1 to 20 instances at a time" % params["batch_size"])
    if not 0 <= params["min_healthy_percentage"] <= 100:
        errors.append("min_healthy_percentage: %d is outside 0-100" % params["min_healthy_percentage"])
    for option in ("wait_timeout", "poll_interval"):
        if params[option] < 1:
            errors.append("%s: %d; give 1 second or more" % (option, params[option]))
    if len(set(params["tiers"])) != len(params["tiers"]):
        errors.append("tiers: %s lists a tier twice" % ", ".join(params["tiers"]))
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid rolling update settings: " + "; ".join(errors), errors=errors)

    clients = ClientCache(module, {"autoscaling": LAUNCH_RETRY})
    plan, tiers, warnings = Plan(), {}, []
    tier = None
    try:
        for tier in params["tiers"]:
            group, launched, wanted = compute_roll.read_tier(clients("autoscaling"), clients("ec2"), params["stack"], tier)
            name = group["AutoScalingGroupName"]
            stale = compute_roll.stale_instances(group, launched, wanted)
            tier_plan = compute_roll.plan_roll(name, stale, launched, wanted)
            plan.extend(tier_plan.changes)
            tiers[tier] = dict(auto_scaling_group=name, launch_template_version=wanted, replaced=[], refresh_id=None)
            if not stale or module.check_mode:
                continue
            serving = len(compute_roll.in_service(group))
            if serving < group["DesiredCapacity"]:
                module.fail_json(
                    msg="%s has %d of %d instances in service; not rolling a group that is short already" % (name, serving, group["DesiredCapacity"]),
                    plan=plan.as_list(),
                )
            roller = compute_roll.Roller(clients, params["wait_timeout"], params["poll_interval"])
            try:
                if params["strategy"] == "replace":
                    roller.replace(group, stale, params["batch_size"])
                else:
                    preferences = {
                        "MinHealthyPercentage": params["min_healthy_percentage"],
                        "InstanceWarmup": params["instance_warmup"],
                        "SkipMatching": True,
                    }
                    roller.refresh(group, preferences)
            finally:
                warnings += roller.warnings
                tiers[tier].update(replaced=roller.replaced, refresh_id=roller.refresh_id)
    except model.ComputeError as error:
        module.fail_json(msg=str(error), plan=plan.as_list(), tiers=tiers)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, botocore.exceptions.WaiterError) as error:
        module.fail_json_aws(error, msg="Failed to roll the %s tier of stack %s" % (tier, params["stack"]), plan=plan.as_list(), tiers=tiers)

    for warning in warnings:
        module.warn(warning)
    result = dict(changed=plan.changed, plan=plan.as_list(), plan_text=plan.render(), tiers=tiers)
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
