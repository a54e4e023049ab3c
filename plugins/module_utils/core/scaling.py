# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Application Auto Scaling target tracking, as the database (Aurora) and nosql (DynamoDB) tiers both write and read it.

Plain functions: the caller passes its client; no Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def put_target_tracking_policy(client, name, namespace, resource_id, dimension, target_value, metric):
    """One PutScalingPolicy: a target-tracking policy holding a predefined metric at ``target_value``."""
    client.put_scaling_policy(
        PolicyName=name,
        ServiceNamespace=namespace,
        ResourceId=resource_id,
        ScalableDimension=dimension,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target_value,
            "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
        },
    )


def target_tracking_of(policy):
    """(metric, target value) of a DescribeScalingPolicies entry; (None, 0.0) for a policy without target tracking."""
    config = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    return (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType"), float(config.get("TargetValue", 0))
