# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each drill scenario as an AWS Fault Injection Service experiment template, with the drill's stop conditions (pure).

FIS stops on CloudWatch alarms only, so the drill's error-rate bound becomes an alarm too
(:func:`error_rate_alarm`: the ALB's 5xx answers over its requests, metric math), put beside the template.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import DrillError
from ansible_collections.hatrading.aws.plugins.module_utils.drill.model import SCENARIOS

ALARM_ARN = "arn:aws:cloudwatch:%s:%s:alarm:%s"


def error_rate_alarm(stack, load_balancer_dimension, max_error_rate, period=60):
    """PutMetricAlarm arguments: the front door's 5xx share over ``max_error_rate`` for one ``period``."""

    def metric(name, id_):
        return {
            "Id": id_,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": name, "Dimensions": [{"Name": "LoadBalancer", "Value": load_balancer_dimension}]},
                "Period": period,
                "Stat": "Sum",
            },
        }

    return {
        "AlarmName": "%s-drill-error-rate" % stack,
        "AlarmDescription": "hatrading.aws drill stop condition: 5xx share of the front door's answers",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": float(max_error_rate),
        "EvaluationPeriods": 1,
        "TreatMissingData": "notBreaching",
        "Metrics": [
            metric("HTTPCode_ELB_5XX_Count", "elb5xx"),
            metric("HTTPCode_Target_5XX_Count", "target5xx"),
            metric("RequestCount", "requests"),
            {"Id": "rate", "Expression": "(FILL(elb5xx, 0) + FILL(target5xx, 0)) / IF(requests > 0, requests, 1)", "Label": "error rate", "ReturnData": True},
        ],
    }


def template(scenario, stack, role_arn, region, account, alarms=(), group=None, az=None, subnet_arns=(), database=None, duration="PT5M", ssm_commands=None):
    """CreateExperimentTemplate arguments for ``scenario``; ``alarms``: the stop conditions' alarm names."""
    if scenario not in SCENARIOS:
        raise DrillError("unknown scenario %r" % scenario)
    stop = [{"source": "aws:cloudwatch:alarm", "value": ALARM_ARN % (region, account, name)} for name in alarms] or [{"source": "none"}]
    instances = {
        "resourceType": "aws:ec2:instance",
        "resourceTags": {"aws:autoscaling:groupName": group or ""},
        "filters": [{"path": "State.Name", "values": ["running"]}],
        "selectionMode": "COUNT(1)",
    }
    if scenario == "instance_loss":
        targets = {"Instances": instances}
        actions = {
            "terminate-one": {
                "actionId": "aws:ec2:terminate-instances",
                "targets": {"Instances": "Instances"},
                "description": "lose one instance of %s" % group,
            }
        }
    elif scenario == "az_loss":
        if not az:
            raise DrillError("az_loss needs the AZ to lose")
        targets = {
            "Instances": dict(instances, filters=instances["filters"] + [{"path": "Placement.AvailabilityZone", "values": [az]}], selectionMode="ALL"),
            "Subnets": {"resourceType": "aws:ec2:subnet", "resourceArns": sorted(subnet_arns), "selectionMode": "ALL"},
        }
        actions = {
            "cut-az": {
                "actionId": "aws:network:disrupt-connectivity",
                "parameters": {"duration": duration, "scope": "all"},
                "targets": {"Subnets": "Subnets"},
                "description": "take %s's subnets out for the drill" % az,
            },
            "terminate-az": {"actionId": "aws:ec2:terminate-instances", "targets": {"Instances": "Instances"}, "description": "lose every instance in %s" % az},
        }
    elif scenario == "database_failover":
        if not database:
            raise DrillError("database_failover needs the DB instance or cluster")
        if database["kind"] == "cluster":
            targets = {"Clusters": {"resourceType": "aws:rds:cluster", "resourceArns": [database["arn"]], "selectionMode": "ALL"}}
            actions = {"failover": {"actionId": "aws:rds:failover-db-cluster", "targets": {"Clusters": "Clusters"}}}
        else:
            targets = {"DBInstances": {"resourceType": "aws:rds:db", "resourceArns": [database["arn"]], "selectionMode": "ALL"}}
            actions = {
                "failover": {"actionId": "aws:rds:reboot-db-instances", "parameters": {"forceFailover": "true"}, "targets": {"DBInstances": "DBInstances"}}
            }
    else:
        # FIS deploys nothing: a bad release is one instance told, through SSM, to answer 5xx on orders
        commands = ssm_commands or [
            "docker exec $(docker ps -q --filter label=hatrading.tier=backend | head -1) sh -c 'touch /tmp/bad-release'",
        ]
        targets = {"Instances": instances}
        actions = {
            "bad-release": {
                "actionId": "aws:ssm:send-command",
                "parameters": {
                    "documentArn": "arn:aws:ssm:%s::document/AWS-RunShellScript" % region,
                    "documentParameters": json.dumps({"commands": commands}),
                    "duration": duration,
                },
                "targets": {"Instances": "Instances"},
            }
        }
    return {
        "clientToken": "%s-%s" % (stack, scenario),
        "description": "hatrading.aws %s drill of stack %s" % (scenario.replace("_", " "), stack),
        "roleArn": role_arn,
        "targets": targets,
        "actions": actions,
        "stopConditions": stop,
        "tags": {"hatrading:stack": stack, "hatrading:drill": scenario, "Name": "%s-%s" % (stack, scenario.replace("_", "-"))},
    }
