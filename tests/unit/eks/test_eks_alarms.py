"""The monitoring tier's alarms on the EKS tier: made when the stack's cluster exists, none otherwise."""

from ansible_collections.hatrading.aws.plugins.module_utils.monitoring import model

TOPIC = "arn:aws:sns:us-east-1:123456789012:prod-alarms"


def found(cluster):
    return model.watched_resources("prod", {"eks_cluster": cluster})


def test_a_cluster_of_the_stack_gets_its_api_and_scheduler_alarms():
    cluster = {"name": "prod-eks", "status": "ACTIVE", "tags": {"hatrading:stack": "prod", "hatrading:tier": "eks"}}
    alarms, _notes = model.desired_alarms({"stack": "prod"}, found(cluster), TOPIC)
    eks = dict((name, spec) for name, spec in alarms.items() if spec["namespace"] == "AWS/EKS")
    assert sorted(eks) == ["prod-eks-api-5xx", "prod-eks-pending-pods"]
    assert eks["prod-eks-api-5xx"]["dimensions"] == [["ClusterName", "prod-eks"]]
    assert eks["prod-eks-api-5xx"]["metric"] == "apiserver_request_total_5XX" and eks["prod-eks-api-5xx"]["threshold"] == 10.0
    assert eks["prod-eks-pending-pods"]["comparison"] == "GreaterThanThreshold" and eks["prod-eks-pending-pods"]["threshold"] == 0.0
    assert eks["prod-eks-pending-pods"]["alarm_actions"] == [TOPIC]
    # the basic metrics EKS publishes for 1.28 and later, with the statistic its guide gives them
    assert [(spec["metric"], spec["statistic"]) for _name, spec in sorted(eks.items())] == [
        ("apiserver_request_total_5XX", "Sum"),
        ("scheduler_pending_pods", "Sum"),
    ]


def test_no_cluster_or_another_stacks_cluster_gets_none():
    for cluster in (None, {"name": "prod-eks", "status": "ACTIVE", "tags": {"hatrading:stack": "other"}}):
        alarms, _notes = model.desired_alarms({"stack": "prod"}, found(cluster), TOPIC)
        assert not [spec for spec in alarms.values() if spec["namespace"] == "AWS/EKS"]
