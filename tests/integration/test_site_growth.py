"""The demo stack plus the growth tiers, as issue 16 asks: site.yml with playbooks/vars/growth.yml against moto,
then a second run that changes nothing and makes no mutating call."""

import base64
import json

import yaml

GROWTH = ("-e", "@playbooks/vars/growth.yml", "-e", "hatrading_report=false")


def failures(result):
    return {name: task.get("msg") for name, task in result["tasks"].items() if task.get("failed") and not task.get("rescued")}


def test_the_growth_stack_deploys_then_reruns_without_a_change(fresh_moto, ansible):
    first = ansible.playbook("playbooks/site.yml", extra_args=GROWTH)
    assert first["rc"] == 0, (failures(first), first["stderr"][-2000:])
    dynamodb = fresh_moto.client("dynamodb")
    assert sorted(dynamodb.list_tables()["TableNames"]) == ["demo-market", "demo-sessions"]
    cluster = fresh_moto.client("rds").describe_db_clusters(DBClusterIdentifier="demo-database")["DBClusters"][0]
    assert len(cluster["DBClusterMembers"]) == 2
    scaling = fresh_moto.client("application-autoscaling")
    assert [t["ResourceId"] for t in scaling.describe_scalable_targets(ServiceNamespace="rds")["ScalableTargets"]] == ["cluster:demo-database"]
    assert len(scaling.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"]) == 4
    alarms = [a["AlarmName"] for a in fresh_moto.client("cloudwatch").describe_alarms(AlarmNamePrefix="demo-nosql-")["MetricAlarms"]]
    assert len(alarms) == 4
    estimate = first["tasks"]["Estimate the month's cost from the checked settings (hatrading_budget_monthly stops a plan above it)"]["cost"]["estimate"]
    priced = [entry["item"] for entry in estimate["items"] if entry["group"] in ("nosql", "eks", "observability", "logs")]
    assert priced == [
        "DynamoDB requests",
        "DynamoDB storage and backups",
        "EKS control plane",
        "EKS nodes",
        "Prometheus samples ingested",
        "Prometheus storage and queries",
        "OpenSearch data nodes",
        "OpenSearch storage",
        "Firehose delivery",
    ]
    assert not estimate["unknown"]
    # the alarms the plan was priced for are the alarms the monitoring tier made (the growth tiers' included)
    made = fresh_moto.client("cloudwatch").get_paginator("describe_alarms").paginate(AlarmNamePrefix="demo-").build_full_result()["MetricAlarms"]
    alarms_line = [entry["detail"] for entry in estimate["items"] if entry["item"] == "alarms and dashboard"]
    assert alarms_line == ["%d alarms + 1 dashboard" % len(made)], sorted(a["AlarmName"] for a in made)
    workspaces = fresh_moto.client("amp").list_workspaces(alias="demo-prometheus")["workspaces"]
    assert [w["tags"]["hatrading:tier"] for w in workspaces] == ["observability"]
    assert fresh_moto.client("ssm").get_parameter(Name="/hatrading/demo/observability/scrape-config")["Parameter"]["Value"].startswith("global:")
    # the chain: the back-end's launch template runs the Prometheus agent that reads that parameter (issue 16)
    versions = fresh_moto.client("ec2").describe_launch_template_versions(LaunchTemplateName="demo-backend", Versions=["$Latest"])
    user_data = base64.b64decode(versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"]).decode()
    assert "--name /hatrading/demo/observability/scrape-config --with-decryption" in user_data
    # the alerts go to the monitoring tier's topic, which lets the workspace publish (observability ran first)
    amp = fresh_moto.client("amp")
    data = amp.describe_alert_manager_definition(workspaceId=workspaces[0]["workspaceId"])["alertManagerDefinition"]["data"]
    receiver = yaml.safe_load(yaml.safe_load(data)["alertmanager_config"])["receivers"][0]
    topic_arn = receiver["sns_configs"][0]["topic_arn"]
    assert topic_arn.endswith(":demo-alarms")
    policy = json.loads(fresh_moto.client("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]["Policy"])
    granted = [s for s in policy["Statement"] if s.get("Principal") == {"Service": "aps.amazonaws.com"}]
    assert [s["Condition"]["ArnEquals"]["aws:SourceArn"] for s in granted] == [workspaces[0]["arn"]]

    fresh_moto.forget_calls()
    again = ansible.playbook("playbooks/site.yml", extra_args=GROWTH)
    assert again["rc"] == 0, failures(again)
    assert again["stats"]["localhost"]["changed"] == 0, [name for name, task in again["tasks"].items() if task.get("changed")]
    assert fresh_moto.mutating_calls() == []

    audit = ansible.playbook("playbooks/audit.yml", extra_args=GROWTH[:2] + ("-e", "hatrading_audit_fail_on=never"))
    findings = audit["tasks"]["Read the stack and check what one AZ or instance failure would do"]["findings"]
    checks = {(f["check"], f["status"]) for f in findings}
    assert ("database.reader_azs", "pass") in checks and ("nosql.point_in_time_recovery", "pass") in checks
    assert ("observability.az_spread", "pass") in checks and ("observability.rules", "pass") in checks
    assert ("observability.alerts", "pass") in checks
