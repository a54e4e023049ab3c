"""The monitoring tier's AWS calls against botocore's Stubber: what moto fakes or lacks, not-found handling."""

import boto3
from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE, Change
from ansible_collections.hatrading.aws.plugins.module_utils.monitoring import apply, model, read
from botocore.stub import Stubber

TOPIC = "arn:aws:sns:us-east-1:123456789012:demo-alarms"


def client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def wrapped(service, raw):
    """The tier's view of a stubbed client: Clients(make=...)'s Service for it."""
    return Clients(make={service: raw}.get)(service)


def test_describe_alarms_follows_pages_with_one_prefix():
    cw = client("cloudwatch")
    with Stubber(cw) as stub:
        params = {"AlarmNamePrefix": "demo-", "AlarmTypes": ["MetricAlarm"]}
        stub.add_response("describe_alarms", {"MetricAlarms": [{"AlarmName": "demo-a"}], "NextToken": "t"}, params)
        stub.add_response("describe_alarms", {"MetricAlarms": [{"AlarmName": "demo-b"}]}, dict(params, NextToken="t"))
        assert [a["AlarmName"] for a in wrapped("cloudwatch", cw).describe_alarms(AlarmNamePrefix="demo-", AlarmTypes=["MetricAlarm"])] == ["demo-a", "demo-b"]
        stub.assert_no_pending_responses()


def test_describe_alarms_retries_throttling():
    cw = client("cloudwatch")
    with Stubber(cw) as stub:
        stub.add_client_error("describe_alarms", service_error_code="Throttling", http_status_code=400)
        stub.add_response("describe_alarms", {"MetricAlarms": []})
        assert wrapped("cloudwatch", cw).describe_alarms(AlarmNamePrefix="demo-", AlarmTypes=["MetricAlarm"]) == []
        stub.assert_no_pending_responses()


def test_missing_dashboard_is_none():
    cw = client("cloudwatch")
    with Stubber(cw) as stub:
        stub.add_client_error("get_dashboard", service_error_code="ResourceNotFound", http_status_code=404)
        assert wrapped("cloudwatch", cw).dashboard_body(DashboardName="demo") is None


def test_delete_alarms_in_batches_of_100():
    cw = client("cloudwatch")
    names = ["demo-%03d" % i for i in range(150)]
    with Stubber(cw) as stub:
        stub.add_response("delete_alarms", {}, {"AlarmNames": names[:100]})
        stub.add_response("delete_alarms", {}, {"AlarmNames": names[100:]})
        wrapped("cloudwatch", cw).delete_alarms_named(names)
        stub.assert_no_pending_responses()


def test_find_topic_by_exact_name_across_pages():
    client_sns = client("sns")
    with Stubber(client_sns) as stub:
        stub.add_response("list_topics", {"Topics": [{"TopicArn": TOPIC.replace("demo-alarms", "demo-alarms-old")}], "NextToken": "n"})
        stub.add_response("list_topics", {"Topics": [{"TopicArn": TOPIC}]}, {"NextToken": "n"})
        assert wrapped("sns", client_sns).topic_named("demo-alarms") == TOPIC


def test_unconfirmed_email_subscription_as_aws_reports_it():
    """moto confirms every subscription at once; AWS lists an unconfirmed one as PendingConfirmation."""
    client_sns = client("sns")
    pending = {"SubscriptionArn": "PendingConfirmation", "Owner": "123456789012", "Protocol": "email", "Endpoint": "a@b.io", "TopicArn": TOPIC}
    with Stubber(client_sns) as stub:
        stub.add_response("get_topic_attributes", {"Attributes": {"KmsMasterKeyId": "alias/demo-alarms"}}, {"TopicArn": TOPIC})
        stub.add_response("list_tags_for_resource", {"Tags": []}, {"ResourceArn": TOPIC})
        stub.add_response("list_subscriptions_by_topic", {"Subscriptions": [pending]}, {"TopicArn": TOPIC})
        topic = wrapped("sns", client_sns).topic(TOPIC)
    assert topic["subscriptions"] == [pending]


def test_unconfirmed_subscription_is_not_unsubscribed():
    """AWS refuses Unsubscribe of PendingConfirmation (it expires after 3 days): no call is made."""
    client_sns = client("sns")
    applier = apply.MonitoringApplier(Clients(make={"sns": client_sns}.get), "demo", TOPIC, [])
    with Stubber(client_sns) as stub:  # any call would fail: nothing is stubbed
        applier.delete_subscription(Change(DELETE, "subscription", "email:a@b.io", ref={"arn": "PendingConfirmation"}))
        stub.assert_no_pending_responses()
    with Stubber(client_sns) as stub:
        stub.add_response("unsubscribe", {}, {"SubscriptionArn": TOPIC + ":1"})
        applier.delete_subscription(Change(DELETE, "subscription", "email:old@b.io", ref={"arn": TOPIC + ":1"}))
        stub.assert_no_pending_responses()


def test_gone_topic_reads_as_none():
    client_sns = client("sns")
    with Stubber(client_sns) as stub:
        stub.add_client_error("get_topic_attributes", service_error_code="NotFound", http_status_code=404)
        assert wrapped("sns", client_sns).topic(TOPIC) is None


def test_log_group_tags_by_arn_without_the_star():
    logs = client("logs")
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/hatrading/demo/frontend/host"
    with Stubber(logs) as stub:
        stub.add_response("list_tags_for_resource", {"tags": {"a": "b"}}, {"resourceArn": arn})
        assert wrapped("logs", logs).list_tags_for_resource(resourceArn=read.log_group_arn({"arn": arn + ":*"}))["tags"] == {"a": "b"}


def test_put_metric_alarm_arguments_pass_the_service_model():
    """Every wanted alarm, as sent, is valid for PutMetricAlarm (Stubber checks the parameters against the model)."""
    found = {
        "tiers": {t: {"load_balancer": "app/x/1", "target_group": "targetgroup/y/2", "auto_scaling_group": "demo-" + t} for t in model.APP_TIERS},
        "database": {"engine": "aurora", "cluster": "demo-database", "writers": ["demo-database-1"], "readers": ["demo-database-2"]},
        "nat_gateways": [("demo-nat-a", "nat-1")],
    }
    alarms = model.desired_alarms({"stack": "demo"}, found, model.TOPIC_PLACEHOLDER)[0]
    cw = client("cloudwatch")
    with Stubber(cw) as stub:
        for name, spec in alarms.items():
            params = apply.alarm_params(name, spec, TOPIC)
            assert params["AlarmActions"] == [TOPIC] and params["OKActions"] == [TOPIC]
            stub.add_response("put_metric_alarm", {}, params)
            cw.put_metric_alarm(**params)
        stub.assert_no_pending_responses()
