# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VPC flow log to CloudWatch Logs with the IAM role that delivers it, as plain data.

Kinds, in creation order: the delivery role, its inline policy, the log group, the flow log.
A flow log cannot be modified, so a changed field plans a delete and a create.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_fields
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict

POLICY_NAME = "vpc-flow-log-delivery"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


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
