# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nosql tier (DynamoDB), pure: its settings and their checks, the wanted state, what exists, the plan.

Two tables per stack: ``<stack>-sessions`` (one item per session, expired by TTL) and
``<stack>-market`` (one item per symbol: the last trade and the top of the book, read by key).
No AWS call and no Ansible here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_wait_timeout
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import TierChecks
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_fields
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_resources
from ansible_collections.hatrading.aws.plugins.module_utils.core.scaling import target_tracking_of
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags

TIER = "nosql"
BILLING_MODES = {"on_demand": "PAY_PER_REQUEST", "provisioned": "PROVISIONED"}
# The key of each table: one GetItem answers a session or a symbol's last trade and top of book.
KEYS = {"sessions": "session_id", "market": "symbol"}
DIMENSIONS = {"read": ("ReadCapacityUnits", "DynamoDBReadCapacityUtilization"), "write": ("WriteCapacityUnits", "DynamoDBWriteCapacityUtilization")}
MAX_CAPACITY = 40000  # DynamoDB's default per-table quota of read or write capacity units
REPLICA_STREAM = "NEW_AND_OLD_IMAGES"  # global tables (version 2019.11.21) replicate through this stream
REGION_FORM = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
ATTRIBUTE_FORM = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")
KMS_KEY_FORM = re.compile(r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+|alias/[A-Za-z0-9/_-]+|(mrk-)?[0-9a-f-]{32,36})$")
# Deletes first (a switch to on-demand drops the scaling before the billing changes), then the table, then the rest.
ORDER = (
    ("scaling_policy", DELETE),
    ("scalable_target", DELETE),
    ("table", CREATE),
    ("table", UPDATE),
    ("point_in_time_recovery", UPDATE),
    ("ttl", UPDATE),
    ("scalable_target", CREATE),
    ("scalable_target", UPDATE),
    ("scaling_policy", CREATE),
    ("scaling_policy", UPDATE),
    ("table", DELETE),
)


class NosqlError(TierError):
    """A wanted change AWS cannot make (a key schema differs, a protected table to delete)."""


def _validate_table(settings, v):
    """The billing, the TTL attribute, the key, the replicas and the wait."""
    errors = []
    billing = settings.get("billing_mode", "on_demand")
    if billing not in BILLING_MODES:
        errors.append("%s: %r is not a billing mode; use on_demand or provisioned" % (v("billing_mode"), billing))
    if billing == "provisioned":
        errors += _validate_capacity(settings, v)
    attribute = settings.get("session_ttl_attribute", "expires_at") or ""
    if attribute and (not ATTRIBUTE_FORM.match(attribute) or attribute in KEYS.values()):
        errors.append(
            "%s: %r is not a TTL attribute; use 1-255 letters, digits, _ . - other than a table key, or empty for no TTL"
            % (v("session_ttl_attribute"), attribute)
        )
    kms_key = settings.get("kms_key") or ""
    if kms_key and not KMS_KEY_FORM.match(kms_key):
        errors.append("%s: %r is not a KMS key ID, ARN or alias; leave it empty for the stack's key" % (v("kms_key"), kms_key))
    errors += _validate_replicas(settings.get("replica_regions") or [], settings.get("region"), v)
    for region in sorted(settings.get("replica_kms_keys") or {}):
        if region not in (settings.get("replica_regions") or []):
            errors.append("%s: %s is not among %s" % (v("replica_kms_keys"), region, v("replica_regions")))
    return errors + validate_wait_timeout(settings, v)


def _validate_capacity(settings, v):
    errors = []
    for dimension in DIMENSIONS:
        low, high = settings.get("%s_capacity_min" % dimension, 5), settings.get("%s_capacity_max" % dimension, 100)
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in (low, high)) or not 1 <= low <= high <= MAX_CAPACITY:
            errors.append(
                "%s, %s: %r..%r is not a capacity range; use 1 <= min <= max <= %d units"
                % (v("%s_capacity_min" % dimension), v("%s_capacity_max" % dimension), low, high, MAX_CAPACITY)
            )
    target = settings.get("target_utilization", 70)
    if not isinstance(target, int) or isinstance(target, bool) or not 20 <= target <= 90:
        errors.append("%s: %r is not a target utilisation; use 20-90 (percent of the provisioned capacity)" % (v("target_utilization"), target))
    return errors


def _validate_replicas(regions, region, v):
    errors = []
    if not isinstance(regions, list):
        return ["%s: %r is not a list of regions" % (v("replica_regions"), regions)]
    for replica in regions:
        if not isinstance(replica, str) or not REGION_FORM.match(replica):
            errors.append("%s: %r is not an AWS region (e.g. us-west-2)" % (v("replica_regions"), replica))
        elif replica == region:
            errors.append("%s: %s is the stack's own region; list only the other regions of the global table" % (v("replica_regions"), replica))
    if len(set(regions)) != len(regions):
        errors.append("%s: a region is listed twice" % v("replica_regions"))
    return errors


CHECKS = TierChecks(
    "the nosql tier",
    kept=lambda v: "the tables are kept unless %s=true" % v("delete_tables"),
    build=(_validate_table,),
)
validate_nosql = CHECKS.settings  # the validate play's check (``prefix``: nosql_)


# ---------------------------------------------------------------- wanted state


def table_names(stack):
    return stack_names.nosql(stack)["tables"]


def target_name(table, dimension):
    return "%s/%s" % (table, dimension)


def desired_nosql(cfg, kms_key_arn):
    """{kind: {name: description}} of what the tier wants; ``kms_key_arn`` the resolved key of the tables."""
    stack = cfg["stack"]
    n = stack_names.nosql(stack)
    billing = BILLING_MODES[cfg.get("billing_mode", "on_demand")]
    replicas = sorted(cfg.get("replica_regions") or [])
    want = {"table": {}, "point_in_time_recovery": {}, "ttl": {}, "scalable_target": {}, "scaling_policy": {}}
    for logical, table in n["tables"].items():
        want["table"][table] = {
            "key": KEYS[logical],
            "billing_mode": billing,
            "kms_key": kms_key_arn,
            "deletion_protection": bool(cfg.get("deletion_protection", True)),
            "replicas": replicas,
            "stream": REPLICA_STREAM if replicas else None,  # None: leave a stream alone
            "tags": stack_tags(stack, TIER, table, cfg.get("tags")),
            "capacity": dict((d, cfg.get("%s_capacity_min" % d, 5)) for d in DIMENSIONS) if billing == "PROVISIONED" else None,
        }
        want["point_in_time_recovery"][table] = {"enabled": bool(cfg.get("point_in_time_recovery", True))}
        if logical == "sessions":
            attribute = cfg.get("session_ttl_attribute", "expires_at") or ""
            want["ttl"][table] = {"enabled": bool(attribute), "attribute": attribute or None}
        if billing == "PROVISIONED":
            for dimension, (_units, metric) in DIMENSIONS.items():
                want["scalable_target"][target_name(table, dimension)] = {
                    "min": cfg.get("%s_capacity_min" % dimension, 5),
                    "max": cfg.get("%s_capacity_max" % dimension, 100),
                }
                want["scaling_policy"][n["scaling_policy"](table, dimension)] = {
                    "target": target_name(table, dimension),
                    "metric": metric,
                    "target_value": float(cfg.get("target_utilization", 70)),
                }
    return want


# ---------------------------------------------------------------- what exists


def actual_table(description, tags):
    """A DescribeTable answer (and the table's tags) in the terms of :func:`desired_nosql`."""
    sse = description.get("SSEDescription") or {}
    stream = description.get("StreamSpecification") or {}
    return {
        "key": next((k["AttributeName"] for k in description.get("KeySchema") or [] if k["KeyType"] == "HASH"), None),
        "billing_mode": (description.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED",
        "kms_key": sse.get("KMSMasterKeyArn") if sse.get("Status", "ENABLED") in ("ENABLED", "UPDATING") else None,
        "deletion_protection": bool(description.get("DeletionProtectionEnabled")),
        "replicas": sorted(r["RegionName"] for r in description.get("Replicas") or []),
        "stream": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        "tags": tags,
        "status": description.get("TableStatus"),
        "arn": description.get("TableArn"),
    }


def actual_nosql(stack, raw):
    """{kind: {name: description}} of what exists; ``raw`` is what read.read_nosql found."""
    n = stack_names.nosql(stack)
    have = {"table": {}, "point_in_time_recovery": {}, "ttl": {}, "scalable_target": {}, "scaling_policy": {}}
    for table in n["tables"].values():
        found = raw["tables"].get(table)
        if found:
            have["table"][table] = actual_table(found, raw["tags"].get(table, {}))
        pitr = (raw["backups"].get(table) or {}).get("PointInTimeRecoveryDescription") or {}
        have["point_in_time_recovery"][table] = {"enabled": pitr.get("PointInTimeRecoveryStatus") == "ENABLED"}
        ttl = raw["ttl"].get(table) or {}
        have["ttl"][table] = {"enabled": ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"), "attribute": ttl.get("AttributeName")}
    for target in raw["scalable_targets"]:
        table, dimension = _target_of(target["ResourceId"], target["ScalableDimension"])
        if table in n["tables"].values():
            have["scalable_target"][target_name(table, dimension)] = {"min": target["MinCapacity"], "max": target["MaxCapacity"]}
    for policy in raw["scaling_policies"]:
        table, dimension = _target_of(policy["ResourceId"], policy["ScalableDimension"])
        metric, target_value = target_tracking_of(policy)
        have["scaling_policy"][policy["PolicyName"]] = {"target": target_name(table, dimension), "metric": metric, "target_value": target_value}
    return have


def _target_of(resource_id, scalable_dimension):
    """("<table>", "read"|"write") of an Application Auto Scaling target of a DynamoDB table."""
    dimension = "read" if scalable_dimension.endswith("ReadCapacityUnits") else "write"
    return resource_id.split("/", 1)[1], dimension


def scalable_dimension(dimension):
    return "dynamodb:table:%s" % DIMENSIONS[dimension][0]


# ---------------------------------------------------------------- plan


def compare_table(want, have):
    """The fields of a table to change; the key and the capacity (Application Auto Scaling's) are not among them."""
    if have.get("key") and want["key"] != have["key"]:
        raise NosqlError(
            "table %s: its key is %s, the tier wants %s; a key cannot change (move the data to a new table)" % (have.get("arn"), have["key"], want["key"])
        )
    fields = diff_fields(want, have, ("billing_mode", "kms_key", "deletion_protection", "replicas", "stream"))
    if missing_tags(want["tags"], have.get("tags") or {}):
        fields.append("tags")
    return sorted(fields)


def ordered(changes):
    rank = dict((step, index) for index, step in enumerate(ORDER))
    return sorted(changes, key=lambda change: rank[(change.kind, change.action)])


def plan_nosql(want, have):
    """The ordered changes from ``have`` to ``want`` (tables the tier does not want are never deleted here)."""
    changes = diff_resources("table", want["table"], have["table"], compare=compare_table, delete_extra=False)
    for kind in ("point_in_time_recovery", "ttl"):  # every table has them (off when it does not exist yet): updates only
        changes += diff_resources(kind, want[kind], have[kind], delete_extra=False)
    for kind in ("scalable_target", "scaling_policy"):
        changes += diff_resources(kind, want[kind], have[kind])
    return Plan(ordered(changes))


def plan_teardown(cfg, have):
    """Empty unless ``delete_tables``: the scaling, then each table (a backup first unless told not to)."""
    if not cfg.get("delete_tables"):
        return Plan()
    changes = [Change(DELETE, "scaling_policy", name, before=spec) for name, spec in sorted(have["scaling_policy"].items())]
    changes += [Change(DELETE, "scalable_target", name, before=spec) for name, spec in sorted(have["scalable_target"].items())]
    for table, spec in sorted(have["table"].items()):
        if spec["deletion_protection"]:
            if cfg.get("deletion_protection", True):
                raise NosqlError(
                    "deletion_protection: table %s is protected; set deletion_protection=false to let this teardown lift the protection and delete it" % table
                )
            after = dict(spec, deletion_protection=False)
            changes.append(Change(UPDATE, "table", table, before=spec, after=after, fields=["deletion_protection"]))
        changes.append(Change(DELETE, "table", table, before=spec, ref={"backup": bool(cfg.get("backup_before_delete", True))}))
    return Plan(ordered(changes))


def plan_notes(cfg, have, kms_note=None):
    """What the plan does not say: kept tables, the key the tables use."""
    notes = [kms_note] if kms_note else []
    if cfg.get("state") == "absent" and not cfg.get("delete_tables"):
        notes += ["table %s kept with its data (delete_tables=false)" % table for table in sorted(have["table"])]
    return notes


def summarize(stack, have_tables, region):
    """What the module returns about the tier's tables."""
    tables = table_names(stack)
    return {
        "region": region,
        "tables": dict((logical, name) for logical, name in tables.items()),
        "existing": sorted(name for name in tables.values() if name in have_tables),
    }
