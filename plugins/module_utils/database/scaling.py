# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Aurora's reader auto scaling and Serverless v2 capacity, pure: settings checks, wanted state, plan.

Application Auto Scaling adds and removes readers of the cluster (``rds:cluster:ReadReplicaCount``)
by target tracking on the readers' average CPU or connections. Aurora places the readers it adds in
the AZs of the cluster's subnet group (the data subnets of every AZ); the tier's own readers are
spread over them already (``model.member_azs``). Readers Aurora adds are called
``application-autoscaling-<id>``: the tier never plans to delete them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_resources
from ansible_collections.hatrading.aws.plugins.module_utils.core.scaling import target_tracking_of

DIMENSION = "rds:cluster:ReadReplicaCount"
METRICS = {"cpu": "RDSReaderAverageCPUUtilization", "connections": "RDSReaderAverageDatabaseConnections"}
AUTOSCALED_PREFIX = "application-autoscaling-"  # the readers Application Auto Scaling makes
SERVERLESS_CLASS = "db.serverless"
MAX_READERS = 15


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_scaling(settings, v):
    """Messages naming the variable for the reader scaling and Serverless v2 settings."""
    errors = []
    aurora = settings.get("engine", "rds") == "aurora"
    for option in ("aurora_reader_scaling", "aurora_serverless_v2"):
        if settings.get(option) and not aurora:
            errors.append("%s: only an Aurora cluster has it; set %s=aurora or leave it false" % (v(option), v("engine")))
    if aurora and settings.get("aurora_reader_scaling"):
        low, high = settings.get("aurora_min_readers", 1), settings.get("aurora_max_readers", 4)
        readers = settings.get("aurora_readers", 1)
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (low, high)) or not 0 <= low <= high <= MAX_READERS:
            errors.append("%s, %s: %r..%r is not a reader range; use 0 <= min <= max <= 15" % (v("aurora_min_readers"), v("aurora_max_readers"), low, high))
        elif low < 1 and settings.get("resilience", "ha") == "ha":
            errors.append("%s: 0 can leave no reader to fail over to; with %s=ha use at least 1" % (v("aurora_min_readers"), v("resilience")))
        elif isinstance(readers, int) and high < readers:
            errors.append("%s: %d is below %s (%d): the tier's own readers already exceed it" % (v("aurora_max_readers"), high, v("aurora_readers"), readers))
        metric = settings.get("aurora_scaling_metric", "cpu")
        target = settings.get("aurora_scaling_target", 60)
        if metric not in METRICS:
            errors.append("%s: %r is not a metric; use cpu or connections" % (v("aurora_scaling_metric"), metric))
        elif not _number(target) or (metric == "cpu" and not 10 <= target <= 90) or target <= 0:
            bounds = "10-90 (percent CPU)" if metric == "cpu" else "above 0 (connections per reader)"
            errors.append("%s: %r is not a target for %s; use %s" % (v("aurora_scaling_target"), target, metric, bounds))
    if aurora and settings.get("aurora_serverless_v2"):
        low, high = settings.get("aurora_serverless_min_acu", 0.5), settings.get("aurora_serverless_max_acu", 16)
        if not (_number(low) and _number(high)) or not 0 <= low <= high <= 256 or high < 1 or (low * 2) % 1 or (high * 2) % 1:
            errors.append(
                "%s, %s: %r..%r is not a capacity range; use 0 <= min <= max <= 256 ACUs in steps of 0.5, max at least 1"
                % (v("aurora_serverless_min_acu"), v("aurora_serverless_max_acu"), low, high)
            )
    return errors


def serverless_capacity(cfg):
    """The cluster's ServerlessV2ScalingConfiguration wanted, or None (leave it alone)."""
    if cfg.get("engine") != "aurora" or not cfg.get("aurora_serverless_v2"):
        return None
    return {"MinCapacity": float(cfg.get("aurora_serverless_min_acu", 0.5)), "MaxCapacity": float(cfg.get("aurora_serverless_max_acu", 16))}


def desired_scaling(cfg):
    """{kind: {name: description}} of the reader scaling: one target and one target-tracking policy, or none."""
    want = {"scalable_target": {}, "scaling_policy": {}}
    if cfg.get("engine") != "aurora" or not cfg.get("aurora_reader_scaling"):
        return want
    n = stack_names.database(cfg["stack"])
    want["scalable_target"][n["cluster"]] = {"min": cfg.get("aurora_min_readers", 1), "max": cfg.get("aurora_max_readers", 4)}
    want["scaling_policy"][n["reader_scaling_policy"]] = {
        "cluster": n["cluster"],
        "metric": METRICS[cfg.get("aurora_scaling_metric", "cpu")],
        "target_value": float(cfg.get("aurora_scaling_target", 60)),
    }
    return want


def actual_scaling(targets, policies):
    """DescribeScalableTargets and DescribeScalingPolicies answers in the terms of :func:`desired_scaling`."""
    have = {"scalable_target": {}, "scaling_policy": {}}
    for target in targets:
        have["scalable_target"][target["ResourceId"].split(":", 1)[1]] = {"min": target["MinCapacity"], "max": target["MaxCapacity"]}
    for policy in policies:
        metric, target_value = target_tracking_of(policy)
        have["scaling_policy"][policy["PolicyName"]] = {"cluster": policy["ResourceId"].split(":", 1)[1], "metric": metric, "target_value": target_value}
    return have


def plan_scaling(want, have):
    """Stale policy and target first, then the target before its policy."""
    policies = diff_resources("scaling_policy", want["scaling_policy"], have["scaling_policy"])
    targets = diff_resources("scalable_target", want["scalable_target"], have["scalable_target"])
    deletes = [c for c in policies + targets if c.action == "delete"]
    return deletes + [c for c in targets + policies if c.action != "delete"]


def plan_teardown(have):
    """The scaling goes before the cluster it scales."""
    return plan_scaling({"scalable_target": {}, "scaling_policy": {}}, have)


def autoscaled(identifier):
    """Whether a cluster member is a reader Application Auto Scaling made (never the tier's to delete)."""
    return identifier.startswith(AUTOSCALED_PREFIX)
