# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nosql tier's writes (:class:`NosqlApplier`) and its reconcile: read, plan, apply, report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.scaling import put_target_tracking_policy
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.nosql import model
from ansible_collections.hatrading.aws.plugins.module_utils.nosql import read


def sse(kms_key_arn):
    return {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_key_arn}


class NosqlApplier(Applier):
    """Carries out a nosql plan: one method per (kind, action).

    DynamoDB takes one kind of change per UpdateTable and refuses the next while the table is
    UPDATING, so each update call waits for the table to be ACTIVE again.
    """

    def __init__(self, clients, cfg, arns=None):
        self.dynamodb = clients.dynamodb
        self.scaling = clients("application-autoscaling")
        self.cfg = cfg
        self.timeout = cfg.get("wait_timeout", 600)
        self.arns = dict(arns or {})
        self.backups = []

    def finishers(self):
        return {("table", CREATE): self.wait_active, ("table", DELETE): self.wait_gone}

    def _wait(self, waiter, tables):
        for table in tables:
            if self.timeout:
                self.dynamodb.wait(waiter, self.timeout, delay=5, TableName=table)

    def wait_active(self, changes):
        self._wait("table_exists", [change.name for change in changes])

    def wait_gone(self, changes):
        self._wait("table_not_exists", [change.name for change in changes])

    # -- tables
    def create_table(self, change):
        spec = change.after
        params = dict(
            TableName=change.name,
            AttributeDefinitions=[{"AttributeName": spec["key"], "AttributeType": "S"}],
            KeySchema=[{"AttributeName": spec["key"], "KeyType": "HASH"}],
            BillingMode=spec["billing_mode"],
            SSESpecification=sse(spec["kms_key"]),
            DeletionProtectionEnabled=spec["deletion_protection"],
            Tags=tag_list(spec["tags"]),
        )
        if spec["capacity"]:
            params["ProvisionedThroughput"] = {"ReadCapacityUnits": spec["capacity"]["read"], "WriteCapacityUnits": spec["capacity"]["write"]}
        if spec["stream"]:
            params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec["stream"]}
        self.arns[change.name] = self.dynamodb.create_table(**params)["TableDescription"]["TableArn"]
        if spec["replicas"]:  # a replica is added to an ACTIVE table, one per call
            self.wait_active([change])
            self._replicas(change.name, [], spec["replicas"])

    def _update(self, table, **params):
        self.dynamodb.update_table(TableName=table, **params)
        self._wait("table_exists", [table])

    def update_table(self, change):
        want, have, fields = change.after, change.before, change.fields
        if "deletion_protection" in fields:
            self._update(change.name, DeletionProtectionEnabled=want["deletion_protection"])
        if "billing_mode" in fields:
            extra = {}
            if want["billing_mode"] == "PROVISIONED":
                extra["ProvisionedThroughput"] = {"ReadCapacityUnits": want["capacity"]["read"], "WriteCapacityUnits": want["capacity"]["write"]}
            self._update(change.name, BillingMode=want["billing_mode"], **extra)
        if "kms_key" in fields:
            self._update(change.name, SSESpecification=sse(want["kms_key"]))
        if "stream" in fields:
            self._update(change.name, StreamSpecification={"StreamEnabled": True, "StreamViewType": want["stream"]})
        if "replicas" in fields:
            self._replicas(change.name, have["replicas"], want["replicas"])
        if "tags" in fields:
            self.dynamodb.tag_resource(ResourceArn=have["arn"], Tags=tag_list(missing_tags(want["tags"], have.get("tags") or {})))

    def _replicas(self, table, have, want):
        for region in sorted(set(want) - set(have)):
            self._update(
                table,
                ReplicaUpdates=[{"Create": {"RegionName": region, "KMSMasterKeyId": self.cfg.get("replica_kms_keys", {}).get(region) or "alias/aws/dynamodb"}}],
            )
        for region in sorted(set(have) - set(want)):
            self._update(table, ReplicaUpdates=[{"Delete": {"RegionName": region}}])

    def delete_table(self, change):
        if change.ref and change.ref.get("backup"):
            stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
            name = stack_names.nosql(self.cfg["stack"])["final_backup"](change.name, stamp)
            self.backups.append(self.dynamodb.create_backup(TableName=change.name, BackupName=name)["BackupDetails"]["BackupArn"])
        self.dynamodb.delete_table(TableName=change.name)

    # -- backups and expiry
    def update_point_in_time_recovery(self, change):
        self.dynamodb.update_continuous_backups(TableName=change.name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": change.after["enabled"]})

    def update_ttl(self, change):
        before, after = change.before or {}, change.after
        if before.get("enabled"):  # another attribute, or none: the old one is switched off first
            self.dynamodb.update_time_to_live(TableName=change.name, TimeToLiveSpecification={"Enabled": False, "AttributeName": before["attribute"]})
        if after["enabled"]:
            self.dynamodb.update_time_to_live(TableName=change.name, TimeToLiveSpecification={"Enabled": True, "AttributeName": after["attribute"]})

    # -- Application Auto Scaling
    def create_scalable_target(self, change):
        table, dimension = change.name.rsplit("/", 1)
        self.scaling.register_scalable_target(
            ServiceNamespace="dynamodb",
            ResourceId="table/%s" % table,
            ScalableDimension=model.scalable_dimension(dimension),
            MinCapacity=change.after["min"],
            MaxCapacity=change.after["max"],
        )

    update_scalable_target = create_scalable_target  # RegisterScalableTarget updates a registered target

    def delete_scalable_target(self, change):
        table, dimension = change.name.rsplit("/", 1)
        self.scaling.deregister_scalable_target(
            ServiceNamespace="dynamodb", ResourceId="table/%s" % table, ScalableDimension=model.scalable_dimension(dimension)
        )

    def create_scaling_policy(self, change):
        spec = change.after
        table, dimension = spec["target"].rsplit("/", 1)
        put_target_tracking_policy(
            self.scaling, change.name, "dynamodb", "table/%s" % table, model.scalable_dimension(dimension), spec["target_value"], spec["metric"]
        )

    update_scaling_policy = create_scaling_policy

    def delete_scaling_policy(self, change):
        table, dimension = change.before["target"].rsplit("/", 1)
        self.scaling.delete_scaling_policy(
            PolicyName=change.name, ServiceNamespace="dynamodb", ResourceId="table/%s" % table, ScalableDimension=model.scalable_dimension(dimension)
        )


def _kms_key(clients, cfg, check_mode):
    """(the ARN the tables want, a note): the stack's key must exist, except in a check run before the database tier."""
    arn, asked = read.resolve_kms_key(clients, cfg)
    if arn:
        return arn, None
    if check_mode:
        return asked, "KMS key %s not found yet: the tables will use it once it exists (the database tier makes the stack's key)" % asked
    what = (
        "kms_key: KMS key %s not found" % asked
        if cfg.get("kms_key")
        else "kms_key: the stack's key %s not found; deploy the database tier first or name a key" % asked
    )
    raise model.NosqlError(what)


def reconcile(clients, params, run, outcome):
    cfg = dict(params, region=run.region)
    stack = cfg["stack"]
    outcome.step = "tables"
    raw = read.read_nosql(clients, stack)
    have = model.actual_nosql(stack, raw)
    note = None
    if cfg["state"] == "present":
        kms_arn, note = _kms_key(clients, cfg, run.check_mode)
        outcome.plan = model.plan_nosql(model.desired_nosql(cfg, kms_arn), have)
    else:
        outcome.plan = model.plan_teardown(cfg, have)
    outcome.result["notes"] = model.plan_notes(cfg, have, note)
    applier = NosqlApplier(clients, cfg, dict((name, spec["arn"]) for name, spec in have["table"].items()))
    outcome.plan.apply(applier.handlers(), applier.finishers(), check_mode=run.check_mode)
    gone = [c.name for c in outcome.plan.of("table", DELETE)] if not run.check_mode else []
    made = [c.name for c in outcome.plan.of("table", CREATE)] if not run.check_mode else []
    existing = set(have["table"]) - set(gone) | set(made)
    outcome.result["nosql"] = dict(model.summarize(stack, existing, run.region), backups=applier.backups)
