# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the monitoring tier finds: its own topic, alarms, dashboard and log groups, and (through the
stack view) what the other tiers built for it to watch."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView
from ansible_collections.hatrading.aws.plugins.module_utils.core.together import read_together


def read_watched(clients, stack):
    """What the other tiers built, found by name and checked by stack tag: a few batched reads."""
    view = StackView(clients, stack)

    def load_balancing():
        return {"load_balancers": view.load_balancers(), "target_groups": view.target_groups(), "elb_tags": view.elb_tags()}

    def databases():
        clusters = view.db_clusters()
        # a cluster's members are in its answer: the instance is asked only for a single RDS instance
        return {"db_clusters": clusters, "db_instances": [] if clusters else view.db_instances()}

    raw = {}
    branches = {
        "elbv2": load_balancing,
        "autoscaling": lambda: {"auto_scaling_groups": view.auto_scaling_groups()},
        "rds": databases,
        "ec2": lambda: {"nat_gateways": view.nat_gateways()},
        "dynamodb": lambda: {"dynamodb_tables": view.dynamodb_tables()},
        "eks": lambda: {"eks_cluster": view.eks_cluster()},
        "amp": lambda: {"amp_workspace": view.amp_workspace()},
        "opensearch": lambda: {"opensearch_domain": view.opensearch_domain()},
    }
    for found in read_together(branches).values():  # one branch a service (core/together.py)
        raw.update(found)
    return raw


def log_group_arn(group):
    """A describe answer's ARN of a log group: its ``logGroupArn``, else its ``arn`` without ``:*``."""
    return group.get("logGroupArn") or group["arn"].rstrip("*").rstrip(":")


def read_monitoring(clients, stack, log_tags=True):
    """The tier's own resources: one DescribeAlarms for every alarm of the stack, the dashboard, topic, log groups."""
    n = stack_names.monitoring(stack)

    def alarms_and_dashboard():
        alarms = clients.cloudwatch.describe_alarms(AlarmNamePrefix=n["alarm_prefix"], AlarmTypes=["MetricAlarm"])
        return {"alarms": alarms, "dashboard": clients.cloudwatch.dashboard_body(DashboardName=n["dashboard"])}

    def topic():
        arn = clients.sns.topic_named(n["topic"])
        return {"topic": clients.sns.topic(arn) if arn else None}

    def log_groups():
        found = clients.logs.describe_log_groups(logGroupNamePrefix=n["log_group_prefix"])
        groups = [g for g in found if g["logGroupName"] in n["log_groups"]]
        tags = {}
        if log_tags:
            tags = dict((g["logGroupName"], clients.logs.list_tags_for_resource(resourceArn=log_group_arn(g)).get("tags", {})) for g in groups)
        return {"log_groups": groups, "log_group_tags": tags}

    raw = {}
    for found in read_together({"cloudwatch": alarms_and_dashboard, "sns": topic, "logs": log_groups}).values():
        raw.update(found)
    return raw


def alarm_tags(clients, have, names):
    """Tags of the named alarms: read only for alarms that may be deleted."""
    return dict((name, clients.cloudwatch.tags_of(have["metric_alarm"][name]["arn"])) for name in names)
