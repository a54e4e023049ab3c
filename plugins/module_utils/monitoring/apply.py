# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monitoring tier's writes (:class:`MonitoringApplier`) and its reconcile: read, plan, apply, report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import error_code
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.monitoring import model
from ansible_collections.hatrading.aws.plugins.module_utils.monitoring import read


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
        answer = self.clients.sns.create_topic(Name=change.name, Attributes=attributes, Tags=tag_list(change.after["tags"]))
        self.topic_arn = answer["TopicArn"]
        if change.after.get("amp_statement"):  # added to the policy AWS gave the new topic
            policy = self.clients.sns.get_topic_attributes(TopicArn=self.topic_arn)["Attributes"].get("Policy")
            self._put_amp_statement(policy, change.after["amp_statement"])

    def _put_amp_statement(self, policy, statement):
        text = model.with_amp_statement(policy, statement, self.topic_arn)
        self.clients.sns.set_topic_attributes(TopicArn=self.topic_arn, AttributeName="Policy", AttributeValue=text)

    def update_sns_topic(self, change):
        if "kms_key" in change.fields:
            self.clients.sns.set_topic_attributes(TopicArn=self.topic_arn, AttributeName="KmsMasterKeyId", AttributeValue=change.after["kms_key"])
        if "amp_statement" in change.fields:
            self._put_amp_statement(change.before.get("policy"), change.after["amp_statement"])
        missing = missing_tags(change.after["tags"], change.before.get("tags", {}))
        if missing:
            self.clients.sns.tag_resource(ResourceArn=self.topic_arn, Tags=tag_list(missing))

    def delete_sns_topic(self, change):
        self.clients.sns.delete_topic(TopicArn=change.ref["arn"])

    def create_subscription(self, change):
        spec = change.after
        self.clients.sns.subscribe(TopicArn=self.topic_arn, Protocol=spec["protocol"], Endpoint=spec["endpoint"], ReturnSubscriptionArn=True)

    def delete_subscription(self, change):
        if change.ref.get("arn") and change.ref["arn"] != self.clients.sns.PENDING:  # an unconfirmed one cannot be unsubscribed
            self.clients.sns.unsubscribe(SubscriptionArn=change.ref["arn"])

    # -- log groups
    def create_log_group(self, change):
        logs = self.clients.logs
        try:
            logs.create_log_group(logGroupName=change.name, tags=change.after["tags"])
        except ClientError as error:
            # the CloudWatch agent or Docker's awslogs driver may create it between our read and this call
            if error_code(error) != "ResourceAlreadyExistsException":
                raise
            found = logs.describe_log_groups(logGroupNamePrefix=change.name)
            logs.tag_resource(resourceArn=read.log_group_arn([g for g in found if g["logGroupName"] == change.name][0]), tags=change.after["tags"])
        logs.put_retention_policy(logGroupName=change.name, retentionInDays=change.after["retention_days"])

    def update_log_group(self, change):
        if "retention_days" in change.fields:
            self.clients.logs.put_retention_policy(logGroupName=change.name, retentionInDays=change.after["retention_days"])
        missing = missing_tags(change.after["tags"], change.before.get("tags", {}))
        if missing:
            self.clients.logs.tag_resource(resourceArn=read.log_group_arn(self.log_groups[change.name]), tags=missing)

    def delete_log_group(self, change):
        self.clients.logs.delete_log_group(logGroupName=change.name)

    # -- alarms and dashboard
    def create_metric_alarm(self, change):
        self.clients.cloudwatch.put_metric_alarm(**alarm_params(change.name, change.after, self.topic_arn))

    update_metric_alarm = create_metric_alarm

    def delete_metric_alarm(self, change):
        pass  # deleted in one batch by delete_alarms_batched

    def delete_alarms_batched(self, changes):
        self.clients.cloudwatch.delete_alarms_named([change.name for change in changes])

    def create_dashboard(self, change):
        account = self.topic_arn.split(":")[4]
        body = json.dumps(change.after["body"], sort_keys=True).replace(model.ACCOUNT_PLACEHOLDER, account)
        self.clients.cloudwatch.put_dashboard(DashboardName=change.name, DashboardBody=body)

    update_dashboard = create_dashboard

    def delete_dashboard(self, change):
        self.clients.cloudwatch.delete_dashboards(DashboardNames=[change.name])


# (PutMetricAlarm argument, key of the wanted alarm) passed as they are
ALARM_ARGUMENTS = (
    ("AlarmDescription", "description"),
    ("ActionsEnabled", "actions_enabled"),
    ("InsufficientDataActions", "insufficient_data_actions"),
    ("Namespace", "namespace"),
    ("MetricName", "metric"),
    ("Period", "period"),
    ("EvaluationPeriods", "evaluation_periods"),
    ("DatapointsToAlarm", "datapoints_to_alarm"),
    ("Threshold", "threshold"),
    ("ComparisonOperator", "comparison"),
    ("TreatMissingData", "treat_missing_data"),
)


def alarm_params(name, spec, topic_arn):
    """PutMetricAlarm arguments of one wanted alarm."""
    params = dict((argument, spec[key]) for argument, key in ALARM_ARGUMENTS)
    params.update(
        AlarmName=name,
        AlarmActions=model.resolve(spec["alarm_actions"], topic_arn),
        OKActions=model.resolve(spec["ok_actions"], topic_arn),
        Dimensions=[{"Name": key, "Value": value} for key, value in spec["dimensions"]],
        Tags=tag_list(spec["tags"]),
    )
    if spec.get("extended_statistic"):
        params["ExtendedStatistic"] = spec["extended_statistic"]
    else:
        params["Statistic"] = spec["statistic"]
    return params


def plan_present(clients, cfg, have, topic_arn):
    """The plan to the wanted state, its notes, and the wanted alarms' names."""
    stack = cfg["stack"]
    found = model.watched_resources(stack, read.read_watched(clients, stack))
    want, notes = model.desired_monitoring(cfg, found, topic_arn)
    stale = model.stale_alarm_candidates(want, have)
    plan = model.plan_monitoring(stack, want, have, read.alarm_tags(clients, have, stale))
    return plan, notes + model.plan_notes(plan, have, cfg.get("kms_key")), sorted(want["metric_alarm"])


def reconcile(clients, params, run, outcome):
    stack = params["stack"]
    cfg = dict(model.settings(params), region=run.region)
    present = params["state"] == "present"
    raw = read.read_monitoring(clients, stack, log_tags=present)
    have = model.actual_monitoring(stack, raw)
    topic_arn = raw["topic"]["arn"] if raw["topic"] else None
    if present:
        outcome.plan, notes, alarms = plan_present(clients, cfg, have, topic_arn)
    else:
        outcome.plan = model.plan_teardown(stack, have, read.alarm_tags(clients, have, sorted(have["metric_alarm"])), params["delete_log_groups"])
        notes = model.plan_notes(outcome.plan, have, None)
    outcome.result["notes"] = notes
    applier = MonitoringApplier(clients, stack, topic_arn, raw["log_groups"])
    outcome.plan.apply(applier.handlers(), applier.finishers(), check_mode=run.check_mode)
    if present:
        summary = model.summarize(stack, {"metric_alarm": dict.fromkeys(alarms)}, applier.topic_arn, run.region)
    else:
        gone = not run.check_mode
        summary = model.summarize(stack, {"metric_alarm": {} if gone else have["metric_alarm"]}, None if gone else topic_arn, run.region)
    outcome.result["monitoring"] = summary
