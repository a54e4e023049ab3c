#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vpc_flow_log
short_description: Reconcile a VPC flow log to CloudWatch Logs, its log group and its delivery role
version_added: 0.1.0
description:
  - Keeps one flow log (found by its C(Name) and C(hatrading:stack) tags) on a VPC, delivering to a CloudWatch
    Logs group with a retention, through an IAM role that may write to that group only.
  - A rerun that finds everything in place makes three read calls and no change. Flow logs cannot be modified,
    so a changed setting replaces the flow log.
  - The role's trust policy and the tags of the role and the log group are set when they are created and not
    compared afterwards (reading them would cost two more calls on every run).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  name:
    description: Name of the flow log (its C(Name) tag); also names the plan steps.
    type: str
    required: true
  tier:
    description: Value of the C(hatrading:tier) tag.
    type: str
    default: network
  vpc_id:
    description:
      - The VPC to log. Required when O(state=present), except in check mode, where a missing one stands for a
        VPC that the same run would create.
    type: str
  log_group_name:
    description: CloudWatch Logs group receiving the records. Defaults to C(/hatrading/<stack>/vpc-flow-logs).
    type: str
  retention_days:
    description: Days CloudWatch Logs keeps the records.
    type: int
    default: 30
  traffic_type:
    description: Which traffic to record.
    type: str
    choices: [ALL, ACCEPT, REJECT]
    default: ALL
  max_aggregation_interval:
    description: Seconds over which records are aggregated.
    type: int
    choices: [60, 600]
    default: 600
  role_name:
    description: IAM role the flow log service assumes to deliver. Defaults to C(<stack>-vpc-flow-logs).
    type: str
  retain_log_group:
    description: With O(state=absent), keep the log group and its records.
    type: bool
    default: false
extends_documentation_fragment:
  - hatrading.aws.stack
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Record all traffic of the stack's VPC for 90 days
  hatrading.aws.vpc_flow_log:
    stack: prod
    name: prod-vpc-flow-log
    vpc_id: "{{ network.network.vpc_id }}"
    retention_days: 90

- name: Remove the flow log, its role and its log group
  hatrading.aws.vpc_flow_log:
    stack: prod
    name: prod-vpc-flow-log
    state: absent
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "update", "kind": "log_group", "name": "prod-vpc-flow-log", "fields": ["retention_days"]}]
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["~ log_group prod-vpc-flow-log (retention_days)", "Plan: 0 to create, 1 to update, 0 to delete."]
flow_log:
  description: The flow log after the changes (in check mode, as found); empty when there is none.
  returned: always
  type: dict
  contains:
    flow_log_id:
      description: ID of the flow log.
      type: str
      sample: fl-0a1b2c3d
    log_group_name:
      description: The log group receiving the records.
      type: str
      sample: /hatrading/prod/vpc-flow-logs
    role_arn:
      description: ARN of the delivery role.
      type: str
      sample: arn:aws:iam::123456789012:role/prod-vpc-flow-logs
"""

import json
import uuid

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils import cloudwatch_logs
from ansible_collections.hatrading.aws.plugins.module_utils import ec2
from ansible_collections.hatrading.aws.plugins.module_utils import flow_log as model
from ansible_collections.hatrading.aws.plugins.module_utils import iam
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_specifications
from ansible_collections.hatrading.aws.plugins.module_utils.validate import LOG_RETENTION_DAYS
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_tags


class FlowLogApplier(Applier):
    def __init__(self, module, clients, cfg, have):
        self.module = module
        self.ec2, self.logs, self.iam = clients
        self.cfg = cfg
        self.have = have
        self.role_arn = (have["role"] or {}).get("arn") or (have["flow_log"] or {}).get("role_arn")
        self.flow_log_id = (have["flow_log"] or {}).get("id")

    def create_role(self, change):
        role = self.iam.create_role(
            RoleName=self.cfg["role_name"],
            AssumeRolePolicyDocument=json.dumps(model.TRUST_POLICY),
            Description="Delivers the VPC flow log of stack %s to CloudWatch Logs" % self.cfg["stack"],
            Tags=tag_list(self.cfg["tags"]),
            aws_retry=True,
        )["Role"]
        self.role_arn = role["Arn"]

    def delete_role(self, change):
        self.iam.delete_role(RoleName=change.ref["name"], aws_retry=True)

    def create_role_policy(self, change):
        self.iam.put_role_policy(
            RoleName=self.cfg["role_name"], PolicyName=model.POLICY_NAME, PolicyDocument=json.dumps(change.after["document"]), aws_retry=True
        )

    update_role_policy = create_role_policy  # put_role_policy creates and replaces alike

    def delete_role_policy(self, change):
        self.iam.delete_role_policy(RoleName=self.cfg["role_name"], PolicyName=model.POLICY_NAME, aws_retry=True)

    def create_log_group(self, change):
        self.logs.create_log_group(logGroupName=self.cfg["log_group_name"], tags=self.cfg["tags"], aws_retry=True)
        self.update_log_group(change)

    def update_log_group(self, change):
        self.logs.put_retention_policy(logGroupName=self.cfg["log_group_name"], retentionInDays=change.after["retention_days"], aws_retry=True)

    def delete_log_group(self, change):
        self.logs.delete_log_group(logGroupName=change.ref["name"], aws_retry=True)

    def create_flow_log(self, change):
        if self.role_arn is None:  # the role was there already but only its policy was read
            self.role_arn = iam.get_role(self.iam, self.cfg["role_name"])["Arn"]
        answer = self.ec2.create_flow_logs(
            ResourceIds=[self.cfg["vpc_id"]],
            ResourceType="VPC",
            TrafficType=self.cfg["traffic_type"],
            LogDestinationType="cloud-watch-logs",
            LogGroupName=self.cfg["log_group_name"],
            DeliverLogsPermissionArn=self.role_arn,
            MaxAggregationInterval=self.cfg["max_aggregation_interval"],
            TagSpecifications=tag_specifications("vpc-flow-log", self.cfg["tags"]),
            ClientToken=str(uuid.uuid4()),
            aws_retry=True,
        )
        if answer.get("Unsuccessful"):
            error = answer["Unsuccessful"][0]["Error"]
            self.module.fail_json(msg="Flow log for %s refused: %s %s" % (self.cfg["vpc_id"], error.get("Code"), error.get("Message")))
        self.flow_log_id = answer["FlowLogIds"][0]

    def delete_flow_log(self, change):
        self.ec2.delete_flow_logs(FlowLogIds=[change.ref["id"]], aws_retry=True)
        if change.ref["id"] == self.flow_log_id:
            self.flow_log_id = None


def read_flow_log(clients, cfg):
    ec2_client, logs_client, iam_client = clients
    filters = stack_filters(cfg["stack"], cfg["tier"]) + [{"Name": "tag:Name", "Values": [cfg["name"]]}]
    flow_logs = ec2.describe_flow_logs(ec2_client, filters)
    log_group = cloudwatch_logs.describe_log_group(logs_client, cfg["log_group_name"])
    document = iam.get_role_policy(iam_client, cfg["role_name"], model.POLICY_NAME)
    # The policy answers for the role too; only when it is missing is the role itself looked up.
    role = {"RoleName": cfg["role_name"], "Arn": None} if document is not None else iam.get_role(iam_client, cfg["role_name"])
    return model.actual_flow_log(flow_logs, log_group, role, document)


def log_group_arn(module, have, cfg):
    if have["log_group"] and have["log_group"].get("arn"):
        return have["log_group"]["arn"].rstrip("*").rstrip(":")
    identity = module.client("sts", retry_decorator=AWSRetry.jittered_backoff()).get_caller_identity(aws_retry=True)
    partition = identity["Arn"].split(":")[1]
    return model.log_group_arn(partition, module.region, identity["Account"], cfg["log_group_name"])


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        name=dict(type="str", required=True),
        tier=dict(type="str", default="network"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        vpc_id=dict(type="str"),
        log_group_name=dict(type="str"),
        retention_days=dict(type="int", default=30),
        traffic_type=dict(type="str", choices=["ALL", "ACCEPT", "REJECT"], default="ALL"),
        max_aggregation_interval=dict(type="int", choices=[60, 600], default=600),
        role_name=dict(type="str"),
        retain_log_group=dict(type="bool", default=False),
        tags=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    errors = validate_stack_name(p["stack"]) + validate_tags(p["tags"], "tags")
    if p["state"] == "present" and not p["vpc_id"] and not module.check_mode:
        errors.append("vpc_id: required to create the flow log (only check mode may plan one for a VPC yet to come)")
    if p["retention_days"] not in LOG_RETENTION_DAYS:
        errors.append("retention_days: %r is not a CloudWatch Logs retention" % p["retention_days"])
    if errors:
        module.fail_json(msg="; ".join(errors), errors=errors)
    cfg = dict(p)
    cfg["vpc_id"] = p["vpc_id"] or "(new VPC)"
    cfg["log_group_name"] = p["log_group_name"] or "/hatrading/%s/vpc-flow-logs" % p["stack"]
    cfg["role_name"] = p["role_name"] or "%s-vpc-flow-logs" % p["stack"]
    cfg["tags"] = stack_tags(p["stack"], p["tier"], p["name"], p["tags"])

    retry = AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidParameter"])
    clients = (module.client("ec2", retry_decorator=retry), module.client("logs", retry_decorator=retry), module.client("iam", retry_decorator=retry))
    try:
        have = read_flow_log(clients, cfg)
        if p["state"] == "present":
            want = model.desired_flow_log(cfg, log_group_arn(module, have, cfg))
            plan = model.plan_flow_log(want, have, p["name"])
        else:
            plan = model.plan_flow_log_teardown(have, p["name"], p["retain_log_group"])
        applier = FlowLogApplier(module, clients, cfg, have)
        plan.apply(applier.handlers(), check_mode=module.check_mode)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile flow log %s" % p["name"])

    flow = {}
    if applier.flow_log_id and (p["state"] == "present" or module.check_mode):
        flow = {"flow_log_id": applier.flow_log_id, "log_group_name": cfg["log_group_name"], "role_arn": applier.role_arn}
    result = dict(changed=plan.changed, plan=plan.as_list(), plan_text=plan.render(), flow_log=flow)
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
