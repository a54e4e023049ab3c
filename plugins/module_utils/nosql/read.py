# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the nosql tier finds: its tables (with their tags, backups and TTL), their scaling, and the stack's KMS key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.nosql import model


def read_nosql(clients, stack):
    """The tier's tables and their settings: one DescribeTable per table, the rest only for tables that exist."""
    n = stack_names.nosql(stack)
    dynamodb = clients.dynamodb
    raw = {"tables": {}, "tags": {}, "backups": {}, "ttl": {}}
    for table in n["tables"].values():
        found = dynamodb.describe_table(TableName=table)
        if not found:
            continue
        raw["tables"][table] = found
        raw["tags"][table] = dict((t["Key"], t.get("Value", "")) for t in dynamodb.list_tags_of_resource(ResourceArn=found["TableArn"], missing=[]) or [])
        raw["backups"][table] = dynamodb.describe_continuous_backups(TableName=table)
        raw["ttl"][table] = dynamodb.describe_time_to_live(TableName=table)
    raw.update(read_scaling(clients, stack, sorted(raw["tables"])))
    return raw


def read_scaling(clients, stack, tables):
    """The Application Auto Scaling targets and policies of the existing tables: two calls, none without a table."""
    if not tables:
        return {"scalable_targets": [], "scaling_policies": []}
    scaling = clients("application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="dynamodb", ResourceIds=["table/%s" % table for table in tables])
    n = stack_names.nosql(stack)
    policy_names = [n["scaling_policy"](table, dimension) for table in tables for dimension in model.DIMENSIONS]
    policies = scaling.describe_scaling_policies(ServiceNamespace="dynamodb", PolicyNames=policy_names)
    return {"scalable_targets": targets, "scaling_policies": [p for p in policies if p["ResourceId"].split("/", 1)[1] in tables]}


def resolve_kms_key(clients, cfg):
    """(ARN of the tables' key or None when it does not exist, the key asked for): ``kms_key`` or the stack's key."""
    key_id = cfg.get("kms_key") or stack_names.nosql(cfg["stack"])["kms_alias"]
    answer = clients.kms.describe_key(KeyId=key_id, missing=None)
    return ((answer or {}).get("KeyMetadata") or {}).get("Arn"), key_id
