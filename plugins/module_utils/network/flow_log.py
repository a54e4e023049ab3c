# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VPC flow log to CloudWatch Logs with the IAM role that delivers it: hatrading.aws.vpc_flow_log.

A second file in the network package because it is a second module with its own resources (an
IAM role, a log group, the flow log) and its own reconcile; it shares nothing with the network's
model, reads or writes but the tier. It is small, so its parts stay in one file, in order: the
pure model (settings, checks, desired and actual state, plans; no AWS call), then the reads, the
Applier and ``reconcile``, which go through ``clients`` only.

Kinds, in creation order: the delivery role, its inline policy, the log group, the flow log.
A flow log cannot be modified, so a changed field plans a delete and a create.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import uuid

from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_log_retention
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_fields
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_specifications

POLICY_NAME = "vpc-flow-log-delivery"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}

NEW_VPC = "(new VPC)"  # check mode's stand-in for a VPC the same run would create


class FlowLogError(TierError):
    """EC2 refused the flow log, or there is no VPC to log."""


# ---------------------------------------------------------------- settings


# The flow log's own options: vpc_flow_log's, and the suboptions of stack_network's flow_log.
FLOW_LOG_OPTIONS = dict(
    log_group_name=dict(type="str"),
    retention_days=dict(type="int", default=30),
    traffic_type=dict(type="str", choices=["ALL", "ACCEPT", "REJECT"], default="ALL"),
    max_aggregation_interval=dict(type="int", choices=[60, 600], default=600),
    role_name=dict(type="str"),
    retain_log_group=dict(type="bool", default=False),
)


def validate_params(params):
    """The module's checks, before any AWS call (a missing vpc_id is checked by ``reconcile``: check mode may lack one)."""
    errors = validate_stack_name(params["stack"]) + validate_tags(params["tags"], "tags")
    return errors + validate_log_retention(params["retention_days"], "retention_days")


def settings_of(params):
    """The options with every default filled in: names from core.names, the tags the resources carry."""
    cfg = dict(params)
    defaults = names.flow_log(params["stack"])
    cfg["vpc_id"] = params["vpc_id"] or NEW_VPC
    cfg["log_group_name"] = params["log_group_name"] or defaults["log_group"]
    cfg["role_name"] = params["role_name"] or defaults["role"]
    cfg["tags"] = stack_tags(params["stack"], params["tier"], params["name"], params["tags"])
    return cfg


# ---------------------------------------------------------------- desired and actual state


def delivery_policy(log_group_arn):
    """Least privilege: write streams and events to this log group only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [log_group_arn, log_group_arn + ":log-stream:*"],
            },
            {"Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": "*"},
        ],
    }


def log_group_arn(partition, region, account, name):
    return "arn:%s:logs:%s:%s:log-group:%s" % (partition, region, account, name)


def role_name_from_arn(arn):
    return (arn or "").rsplit("/", 1)[-1] or None


def desired_flow_log(cfg, group_arn):
    return {
        "role": {"name": cfg["role_name"]},
        "role_policy": {"document": delivery_policy(group_arn)},
        "log_group": {"name": cfg["log_group_name"], "retention_days": cfg["retention_days"]},
        "flow_log": {
            "vpc_id": cfg["vpc_id"],
            "traffic_type": cfg["traffic_type"],
            "log_group": cfg["log_group_name"],
            "role": cfg["role_name"],
            "max_aggregation_interval": cfg["max_aggregation_interval"],
            "tags": cfg["tags"],
        },
    }


def actual_flow_log(flow_logs, log_group, role, policy_document):
    """Describe answers -> {kind: description or None}."""
    flow = flow_logs[0] if flow_logs else None
    return {
        "role": {"name": role["RoleName"], "arn": role["Arn"]} if role else None,
        "role_policy": {"document": policy_document} if policy_document is not None else None,
        "log_group": {"name": log_group["logGroupName"], "retention_days": log_group.get("retentionInDays"), "arn": log_group.get("arn")}
        if log_group
        else None,
        "flow_log": {
            "vpc_id": flow["ResourceId"],
            "traffic_type": flow.get("TrafficType"),
            "log_group": flow.get("LogGroupName"),
            "role": role_name_from_arn(flow.get("DeliverLogsPermissionArn")),
            "max_aggregation_interval": flow.get("MaxAggregationInterval"),
            "tags": tag_dict(flow.get("Tags")),
            "id": flow["FlowLogId"],
            "role_arn": flow.get("DeliverLogsPermissionArn"),
        }
        if flow
        else None,
        "extra_flow_logs": [f["FlowLogId"] for f in flow_logs[1:]],
    }


FIELDS = {
    "role": [],
    "role_policy": ["document"],
    "log_group": ["retention_days"],
    "flow_log": ["vpc_id", "traffic_type", "log_group", "role", "max_aggregation_interval"],
}


def plan_flow_log(want, have, name):
    plan = Plan()
    for kind in ("role", "role_policy", "log_group", "flow_log"):
        wanted, found = want[kind], have[kind]
        if found is None:
            plan.extend([Change(CREATE, kind, name, after=wanted)])
            continue
        fields = diff_fields(wanted, found, FIELDS[kind])
        if kind == "flow_log" and (fields or set(wanted["tags"].items()) - set(found["tags"].items())):
            # Flow logs cannot be modified: replace (tags included, a rare change).
            plan.extend([Change(DELETE, kind, name, before=found, ref=found), Change(CREATE, kind, name, after=wanted)])
        elif fields:
            plan.extend([Change(UPDATE, kind, name, before=found, after=wanted, fields=fields, ref=found)])
    for flow_log_id in have["extra_flow_logs"]:  # duplicates from an interrupted run
        plan.extend([Change(DELETE, "flow_log", flow_log_id, ref={"id": flow_log_id})])
    return plan


def plan_flow_log_teardown(have, name, retain_log_group):
    plan = Plan()
    if have["flow_log"]:
        plan.extend([Change(DELETE, "flow_log", name, before=have["flow_log"], ref=have["flow_log"])])
    for flow_log_id in have["extra_flow_logs"]:
        plan.extend([Change(DELETE, "flow_log", flow_log_id, ref={"id": flow_log_id})])
    if have["log_group"] and not retain_log_group:
        plan.extend([Change(DELETE, "log_group", name, before=have["log_group"], ref=have["log_group"])])
    if have["role_policy"]:
        plan.extend([Change(DELETE, "role_policy", name, before=have["role_policy"])])
    if have["role"]:
        plan.extend([Change(DELETE, "role", name, before=have["role"], ref=have["role"])])
    return plan


# ---------------------------------------------------------------- reads, writes (through clients only)


def read_flow_log(clients, cfg):
    filters = stack_filters(cfg["stack"], cfg["tier"]) + [{"Name": "tag:Name", "Values": [cfg["name"]]}]
    flow_logs = clients.ec2.describe_flow_logs(Filters=filters)
    log_group = clients.logs.log_group_named(cfg["log_group_name"])
    policy = clients.iam.get_role_policy(RoleName=cfg["role_name"], PolicyName=POLICY_NAME, missing=None)
    document = policy["PolicyDocument"] if policy else None
    # The policy answers for the role too; only when it is missing is the role itself looked up.
    found = None if document is not None else clients.iam.get_role(RoleName=cfg["role_name"], missing=None)
    role = {"RoleName": cfg["role_name"], "Arn": None} if document is not None else (found or {}).get("Role")
    return actual_flow_log(flow_logs, log_group, role, document)


def group_arn(clients, region, have, cfg):
    """The log group's ARN: as found, else built from the caller's account (one STS call)."""
    if have["log_group"] and have["log_group"].get("arn"):
        return have["log_group"]["arn"].rstrip("*").rstrip(":")
    identity = clients.sts.get_caller_identity()
    return log_group_arn(identity["Arn"].split(":")[1], region, identity["Account"], cfg["log_group_name"])


class FlowLogApplier(Applier):
    def __init__(self, clients, cfg, have):
        self.ec2, self.logs, self.iam = clients.ec2, clients.logs, clients.iam
        self.cfg = cfg
        self.role_arn = (have["role"] or {}).get("arn") or (have["flow_log"] or {}).get("role_arn")
        self.flow_log_id = (have["flow_log"] or {}).get("id")

    def create_role(self, change):
        role = self.iam.create_role(
            RoleName=self.cfg["role_name"],
            AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
            Description="Delivers the VPC flow log of stack %s to CloudWatch Logs" % self.cfg["stack"],
            Tags=tag_list(self.cfg["tags"]),
        )["Role"]
        self.role_arn = role["Arn"]

    def delete_role(self, change):
        self.iam.delete_role(RoleName=change.ref["name"])

    def create_role_policy(self, change):
        self.iam.put_role_policy(RoleName=self.cfg["role_name"], PolicyName=POLICY_NAME, PolicyDocument=json.dumps(change.after["document"]))

    update_role_policy = create_role_policy  # put_role_policy creates and replaces alike

    def delete_role_policy(self, change):
        self.iam.delete_role_policy(RoleName=self.cfg["role_name"], PolicyName=POLICY_NAME)

    def create_log_group(self, change):
        self.logs.create_log_group(logGroupName=self.cfg["log_group_name"], tags=self.cfg["tags"])
        self.update_log_group(change)

    def update_log_group(self, change):
        self.logs.put_retention_policy(logGroupName=self.cfg["log_group_name"], retentionInDays=change.after["retention_days"])

    def delete_log_group(self, change):
        self.logs.delete_log_group(logGroupName=change.ref["name"])

    def create_flow_log(self, change):
        if self.role_arn is None:  # the role was there already but only its policy was read
            self.role_arn = self.iam.get_role(RoleName=self.cfg["role_name"])["Role"]["Arn"]
        answer = self.ec2.create_flow_logs_when_role_ready(
            ResourceIds=[self.cfg["vpc_id"]],
            ResourceType="VPC",
            TrafficType=self.cfg["traffic_type"],
            LogDestinationType="cloud-watch-logs",
            LogGroupName=self.cfg["log_group_name"],
            DeliverLogsPermissionArn=self.role_arn,
            MaxAggregationInterval=self.cfg["max_aggregation_interval"],
            TagSpecifications=tag_specifications("vpc-flow-log", self.cfg["tags"]),
            ClientToken=str(uuid.uuid4()),
        )
        if answer.get("Unsuccessful"):
            error = answer["Unsuccessful"][0]["Error"]
            raise FlowLogError("Flow log for %s refused: %s %s" % (self.cfg["vpc_id"], error.get("Code"), error.get("Message")))
        self.flow_log_id = answer["FlowLogIds"][0]

    def delete_flow_log(self, change):
        self.ec2.delete_flow_logs(FlowLogIds=[change.ref["id"]])
        if change.ref["id"] == self.flow_log_id:
            self.flow_log_id = None


def reconcile(clients, params, run, outcome):
    """Read the flow log, its role and log group; plan to the wanted ones (or none); apply unless in check mode."""
    present = params["state"] == "present"
    if present and not params["vpc_id"] and not run.check_mode:
        raise FlowLogError("vpc_id: required to create the flow log (only check mode may plan one for a VPC yet to come)")
    cfg = settings_of(params)
    have = read_flow_log(clients, cfg)
    if present:
        outcome.plan = plan_flow_log(desired_flow_log(cfg, group_arn(clients, run.region, have, cfg)), have, params["name"])
    else:
        outcome.plan = plan_flow_log_teardown(have, params["name"], params["retain_log_group"])
    applier = FlowLogApplier(clients, cfg, have)
    outcome.plan.apply(applier.handlers(), check_mode=run.check_mode)
    flow = {}
    if applier.flow_log_id and (present or run.check_mode):
        flow = {"flow_log_id": applier.flow_log_id, "log_group_name": cfg["log_group_name"], "role_arn": applier.role_arn}
    outcome.result["flow_log"] = flow
