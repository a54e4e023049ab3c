#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_monitoring
short_description: Reconcile the monitoring of a stack (SNS topic, CloudWatch alarms, dashboard, log group retention)
version_added: 0.1.0
description:
  - Finds what the other tiers built by their names and stack tags (ALBs C(<stack>-alb-pub) and C(<stack>-alb-int),
    target groups C(<stack>-tg-fe) and C(<stack>-tg-be), Auto Scaling groups C(<stack>-frontend) and C(<stack>-backend),
    the RDS instance or Aurora cluster C(<stack>-database), the network tier's NAT gateways) and watches them.
  - Owns the SNS topic C(<stack>-alarms) (unencrypted unless O(kms_key) names a customer managed key) and its e-mail/https subscriptions, the CloudWatch alarms
    C(<stack>-<tier>-<metric>) (each with alarm and OK actions to the topic), the dashboard C(hatrading-<stack>), and the retention
    and tags of the app log groups C(/hatrading/<stack>/<tier>/host) and C(/hatrading/<stack>/<tier>/container).
  - Alarms of resources that do not exist (no database tier, no NAT gateway) are skipped and said so in RV(notes).
  - Reads everything in a few batched calls (one DescribeAlarms for every alarm of the stack), compares normalised
    wanted and actual state, and changes only the difference; a rerun makes no mutating call.
  - Alarms with the stack's name prefix that are no longer wanted are deleted only when their tags say they are
    this stack's monitoring alarms.
  - O(state=absent) deletes alarms, dashboard, subscriptions and topic; the log groups are kept unless
    O(delete_log_groups=true).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  kms_key:
    description:
      - KMS key (ID, ARN or alias) encrypting the topic; empty (the default) leaves it unencrypted.
      - CloudWatch can publish to an encrypted topic only when the key policy lets C(cloudwatch.amazonaws.com) use
        the key (C(kms:Decrypt), C(kms:GenerateDataKey*)). The AWS managed key C(alias/aws/sns) cannot allow that,
        so it is refused before any call.
    type: str
    default: ""
  subscriptions:
    description:
      - Who hears the alarms. Listed ones missing are subscribed, unlisted ones unsubscribed, existing ones left alone
        (never subscribed again, so nobody is asked to confirm twice).
    type: list
    elements: dict
    default: []
    suboptions:
      protocol:
        description: V(email) or V(https).
        type: str
        required: true
        choices: [email, https]
      endpoint:
        description: The e-mail address or https URL (never shown in the output, since a webhook URL may carry a token).
        type: str
        required: true
  thresholds:
    description:
      - Thresholds overriding the defaults, by key. Keys (default) are C(alb_5xx_count) (10), C(target_5xx_count) (10),
        C(latency_p99_seconds) (1.0), C(unhealthy_hosts) (0), C(healthy_hosts_min) (1), C(cpu_percent) (80),
        C(memory_percent) (85), C(disk_percent) (85), C(db_cpu_percent) (80), C(db_free_storage_gib) (2),
        C(db_freeable_memory_mib) (256), C(db_connections) (200), C(db_replica_lag_ms) (1000), C(nat_port_allocation_errors) (0).
    type: dict
    default: {}
  period:
    description: Seconds of each evaluated period, a multiple of 60 (every watched metric is per minute).
    type: int
    default: 60
  evaluation_periods:
    description: How many periods each alarm looks at.
    type: int
    default: 5
  datapoints_to_alarm:
    description: How many of those periods must breach for the alarm to fire.
    type: int
    default: 3
  log_retention_days:
    description: Retention of the app log groups.
    type: int
    default: 30
  dashboard:
    description: Keep the CloudWatch dashboard C(hatrading-<stack>).
    type: bool
    default: true
  confirm_delete:
    description: Must equal O(stack) for O(state=absent).
    type: str
    default: ""
  delete_log_groups:
    description: With O(state=absent), delete the app log groups too (their logs are lost).
    type: bool
    default: false
extends_documentation_fragment:
  - hatrading.aws.stack
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Watch stack "prod", alarms by e-mail
  hatrading.aws.stack_monitoring:
    stack: prod
    kms_key: alias/prod-alarms
    subscriptions:
      - protocol: email
        endpoint: oncall@example.com
    thresholds:
      latency_p99_seconds: 0.5

- name: Show what would change
  hatrading.aws.stack_monitoring:
    stack: prod
  check_mode: true
  register: monitoring_plan

- name: Delete the monitoring of stack "prod" (the log groups stay)
  hatrading.aws.stack_monitoring:
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
    - {"action": "create", "kind": "metric_alarm", "name": "prod-frontend-latency-p99"}
    - {"action": "update", "kind": "metric_alarm", "name": "prod-backend-cpu-high", "fields": ["threshold"]}
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ sns_topic prod-alarms", "Plan: 1 to create, 0 to update, 0 to delete."]
notes:
  description: What was skipped and why (resources not found), unconfirmed subscriptions, encryption caveats.
  returned: always
  type: list
  elements: str
  sample: ["database: prod-database not found (no database tier); its alarms are skipped"]
monitoring:
  description: What the stack's monitoring is made of, after the changes.
  returned: always
  type: dict
  contains:
    topic_arn:
      description: ARN of the alarm topic, or null when there is none.
      type: str
      sample: arn:aws:sns:us-east-1:123456789012:prod-alarms
    dashboard:
      description: Name of the dashboard.
      type: str
      sample: prod
    dashboard_url:
      description: Console address of the dashboard.
      type: str
      sample: https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=prod
    alarms:
      description: Names of the stack's alarms.
      type: list
      elements: str
      sample: ["prod-frontend-alb-5xx"]
    log_groups:
      description: The app log groups whose retention is managed.
      type: list
      elements: str
      sample: ["/hatrading/prod/frontend/host"]
"""

import json

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.hatrading.aws.plugins.module_utils import cloudwatch
from ansible_collections.hatrading.aws.plugins.module_utils import cloudwatch_logs
from ansible_collections.hatrading.aws.plugins.module_utils import ec2
from ansible_collections.hatrading.aws.plugins.module_utils import elbv2
from ansible_collections.hatrading.aws.plugins.module_utils import monitoring as model
from ansible_collections.hatrading.aws.plugins.module_utils import rds
from ansible_collections.hatrading.aws.plugins.module_utils import sns
from ansible_collections.hatrading.aws.plugins.module_utils.clients import ClientCache
from ansible_collections.hatrading.aws.plugins.module_utils.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.stack import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.stack import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.stack import tag_list

SETTINGS = (
    "stack",
    "state",
    "confirm_delete",
    "tags",
    "kms_key",
    "subscriptions",
    "thresholds",
    "period",
    "evaluation_periods",
    "datapoints_to_alarm",
    "log_retention_days",
    "dashboard",
    "delete_log_groups",
)


def read_watched(clients, stack):
    """What the other tiers built, found by name and checked by stack tag: a few batched reads."""
    n = model.names(stack)
    elb = clients("elbv2")
    raw = {"load_balancers": elbv2.describe_load_balancers(elb, sorted(n["load_balancer"].values()))}
    raw["target_groups"] = elbv2.describe_target_groups(elb, sorted(n["target_group"].values()))
    arns = [lb["LoadBalancerArn"] for lb in raw["load_balancers"]] + [tg["TargetGroupArn"] for tg in raw["target_groups"]]
    raw["elb_tags"] = elbv2.describe_tags(elb, arns) if arns else {}
    answer = clients("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=sorted(n["auto_scaling_group"].values()), aws_retry=True)
    raw["auto_scaling_groups"] = answer.get("AutoScalingGroups", [])
    raw["db_clusters"] = rds.describe_db_clusters(clients("rds"), n["database"])
    raw["db_instances"] = [] if raw["db_clusters"] else rds.describe_db_instances(clients("rds"), [n["database"]])
    nat_filters = stack_filters(stack, "network") + [{"Name": "state", "Values": ["pending", "available"]}]
    raw["nat_gateways"] = ec2.describe_nat_gateways(clients("ec2"), nat_filters)
    return raw


def read_monitoring(clients, stack, log_tags=True):
    """The tier's own resources: one DescribeAlarms for every alarm of the stack, the dashboard, topic, log groups."""
    n = model.names(stack)
    raw = {"alarms": cloudwatch.describe_alarms(clients("cloudwatch"), n["alarm_prefix"])}
    raw["dashboard"] = cloudwatch.get_dashboard(clients("cloudwatch"), n["dashboard"])
    arn = sns.find_topic(clients("sns"), n["topic"])
    raw["topic"] = sns.describe_topic(clients("sns"), arn) if arn else None
    groups = [g for g in cloudwatch_logs.describe_log_groups(clients("logs"), n["log_group_prefix"]) if g["logGroupName"] in n["log_groups"]]
    raw["log_groups"] = groups
    raw["log_group_tags"] = dict((g["logGroupName"], cloudwatch_logs.list_tags(clients("logs"), g)) for g in groups) if log_tags else {}
    return raw


def alarm_tags(clients, have, names):
    """Tags of the named alarms: read only for alarms that may be deleted."""
    return dict((name, cloudwatch.list_tags(clients("cloudwatch"), have["metric_alarm"][name]["arn"])) for name in names)


class MonitoringApplier(Applier):
    """Carries out a monitoring plan: one method per (kind, action)."""

    def __init__(self, clients, stack, topic_arn, log_groups):
        self.clients = clients
        self.stack = stack
        self.topic_arn = topic_arn
        self.log_groups = dict((g["logGroupName"], g) for g in log_groups)

    def finishers(self):
        return {("metric_alarm", DELETE): self.delete_alarms_batched}

    # -- topic and subscriptions
    def create_sns_topic(self, change):
        attributes = {"KmsMasterKeyId": change.after["kms_key"]} if change.after["kms_key"] else {}
        answer = self.clients("sns").create_topic(Name=change.name, Attributes=attributes, Tags=tag_list(change.after["tags"]), aws_retry=True)
        self.topic_arn = answer["TopicArn"]

    def update_sns_topic(self, change):
        client = self.clients("sns")
        if "kms_key" in change.fields:
            client.set_topic_attributes(TopicArn=self.topic_arn, AttributeName="KmsMasterKeyId", AttributeValue=change.after["kms_key"], aws_retry=True)
        missing = missing_tags(change.after["tags"], change.before.get("tags", {}))
        if missing:
            client.tag_resource(ResourceArn=self.topic_arn, Tags=tag_list(missing), aws_retry=True)

    def delete_sns_topic(self, change):
        sns.ignore_not_found(self.clients("sns").delete_topic, TopicArn=change.ref["arn"], aws_retry=True)

    def create_subscription(self, change):
        spec = change.after
        self.clients("sns").subscribe(TopicArn=self.topic_arn, Protocol=spec["protocol"], Endpoint=spec["endpoint"], ReturnSubscriptionArn=True, aws_retry=True)

    def delete_subscription(self, change):
        if change.ref.get("arn") and change.ref["arn"] != sns.PENDING:  # an unconfirmed one cannot be unsubscribed
            sns.ignore_not_found(self.clients("sns").unsubscribe, SubscriptionArn=change.ref["arn"], aws_retry=True)

    # -- log groups
    def create_log_group(self, change):
        logs = self.clients("logs")
        try:
            logs.create_log_group(logGroupName=change.name, tags=change.after["tags"], aws_retry=True)
        except botocore.exceptions.ClientError as error:
            # the CloudWatch agent or Docker's awslogs driver may create it between our read and this call
            if error.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
                raise
            found = logs.describe_log_groups(logGroupNamePrefix=change.name, aws_retry=True)["logGroups"]
            arn = [g for g in found if g["logGroupName"] == change.name][0]["arn"].rstrip("*").rstrip(":")
            logs.tag_resource(resourceArn=arn, tags=change.after["tags"], aws_retry=True)
        logs.put_retention_policy(logGroupName=change.name, retentionInDays=change.after["retention_days"], aws_retry=True)

    def update_log_group(self, change):
        logs = self.clients("logs")
        if "retention_days" in change.fields:
            logs.put_retention_policy(logGroupName=change.name, retentionInDays=change.after["retention_days"], aws_retry=True)
        missing = missing_tags(change.after["tags"], change.before.get("tags", {}))
        if missing:
            group = self.log_groups[change.name]
            arn = group.get("logGroupArn") or group["arn"].rstrip("*").rstrip(":")
            logs.tag_resource(resourceArn=arn, tags=missing, aws_retry=True)

    def delete_log_group(self, change):
        try:
            self.clients("logs").delete_log_group(logGroupName=change.name, aws_retry=True)
        except botocore.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise

    # -- alarms and dashboard
    def create_metric_alarm(self, change):
        self.clients("cloudwatch").put_metric_alarm(aws_retry=True, **alarm_params(change.name, change.after, self.topic_arn))

    update_metric_alarm = create_metric_alarm

    def delete_metric_alarm(self, change):
        pass  # deleted in one batch by delete_alarms_batched

    def delete_alarms_batched(self, changes):
        cloudwatch.delete_alarms(self.clients("cloudwatch"), [change.name for change in changes])

    def create_dashboard(self, change):
        account = self.topic_arn.split(":")[4]
        body = json.dumps(change.after["body"], sort_keys=True).replace(model.ACCOUNT_PLACEHOLDER, account)
        self.clients("cloudwatch").put_dashboard(DashboardName=change.name, DashboardBody=body, aws_retry=True)

    update_dashboard = create_dashboard

    def delete_dashboard(self, change):
        cloudwatch.delete_dashboard(self.clients("cloudwatch"), change.name)


def alarm_params(name, spec, topic_arn):
    """PutMetricAlarm arguments of one wanted alarm."""
    params = dict(
        AlarmName=name,
        AlarmDescription=spec["description"],
        ActionsEnabled=spec["actions_enabled"],
        AlarmActions=model.resolve(spec["alarm_actions"], topic_arn),
        OKActions=model.resolve(spec["ok_actions"], topic_arn),
        InsufficientDataActions=spec["insufficient_data_actions"],
        Namespace=spec["namespace"],
        MetricName=spec["metric"],
        Dimensions=[{"Name": key, "Value": value} for key, value in spec["dimensions"]],
        Period=spec["period"],
        EvaluationPeriods=spec["evaluation_periods"],
        DatapointsToAlarm=spec["datapoints_to_alarm"],
        Threshold=spec["threshold"],
        ComparisonOperator=spec["comparison"],
        TreatMissingData=spec["treat_missing_data"],
        Tags=tag_list(spec["tags"]),
    )
    if spec.get("extended_statistic"):
        params["ExtendedStatistic"] = spec["extended_statistic"]
    else:
        params["Statistic"] = spec["statistic"]
    return params


def settings(params):
    return dict((key, params[key]) for key in SETTINGS if params.get(key) is not None)


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", default={}),
        kms_key=dict(type="str", default=model.DEFAULT_KMS_KEY, no_log=False),
        subscriptions=dict(
            type="list",
            elements="dict",
            default=[],
            # an https endpoint may carry a token (webhooks): never in the output
            options=dict(protocol=dict(type="str", required=True, choices=list(model.PROTOCOLS)), endpoint=dict(type="str", required=True, no_log=True)),
        ),
        thresholds=dict(type="dict", default={}),
        period=dict(type="int", default=60),
        evaluation_periods=dict(type="int", default=5),
        datapoints_to_alarm=dict(type="int", default=3),
        log_retention_days=dict(type="int", default=30),
        dashboard=dict(type="bool", default=True),
        confirm_delete=dict(type="str", default=""),
        delete_log_groups=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    cfg = settings(params)
    errors = model.validate_monitoring(cfg)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid monitoring settings: " + "; ".join(errors), errors=errors)
    stack = params["stack"]
    cfg["region"] = module.region

    clients = ClientCache(module)
    notes = []
    try:
        raw = read_monitoring(clients, stack, log_tags=params["state"] == "present")
        have = model.actual_monitoring(stack, raw)
        topic_arn = raw["topic"]["arn"] if raw["topic"] else None
        if params["state"] == "present":
            found = model.watched_resources(stack, read_watched(clients, stack))
            want, notes = model.desired_monitoring(cfg, found, topic_arn)
            stale = model.stale_alarm_candidates(want, have)
            plan = model.plan_monitoring(stack, want, have, alarm_tags(clients, have, stale))
            notes += model.plan_notes(plan, have, cfg.get("kms_key"))
        else:
            plan = model.plan_teardown(stack, have, alarm_tags(clients, have, sorted(have["metric_alarm"])), params["delete_log_groups"])
            notes += model.plan_notes(plan, have, None)
        applier = MonitoringApplier(clients, stack, topic_arn, raw["log_groups"])
        plan.apply(applier.handlers(), applier.finishers(), check_mode=module.check_mode)
    except model.MonitoringError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the monitoring of stack %s" % stack)

    if params["state"] == "present":
        alarms = sorted(want["metric_alarm"])
        summary = model.summarize(stack, {"metric_alarm": dict.fromkeys(alarms)}, applier.topic_arn, module.region)
    else:
        gone = not module.check_mode
        summary = model.summarize(stack, {"metric_alarm": {} if gone else have["metric_alarm"]}, None if gone else topic_arn, module.region)
    result = dict(changed=plan.changed, plan=plan.as_list(), plan_text=plan.render(), notes=notes, monitoring=summary)
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
