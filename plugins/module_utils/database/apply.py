# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database's changes carried out, and the reconcile the module runs: read, plan, apply, read back."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import Outcome
from ansible_collections.hatrading.aws.plugins.module_utils.core.scaling import put_target_tracking_policy
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_NAME
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_STACK
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_TIER
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.database import credentials
from ansible_collections.hatrading.aws.plugins.module_utils.database import model
from ansible_collections.hatrading.aws.plugins.module_utils.database import read
from ansible_collections.hatrading.aws.plugins.module_utils.database import scaling

NO_SECRET = "secret_name: secret %s not found; create it first with hatrading.aws.database_credentials"


def credentials_params(params):
    """The credentials step's parameters (database_credentials') from database_instance's own and its ``credentials`` option."""
    spec = model.engine_spec(params) or {}
    return {
        "stack": params["stack"],
        "state": "present",
        "tags": params.get("tags") or {},
        "secret_name": model.settings_of(params)["secret_name"],
        "username": params["master_username"],
        "database_name": params["database_name"],
        "engine": spec.get("engine", params.get("flavor")),  # what the secret says the database runs (aurora-postgresql...)
        "port": params["port"],
        "password_length": params["credentials"]["password_length"],
        "kms_key_id": params["credentials"].get("kms_key_id"),
        "recovery_window_days": 7,
    }


def validate_params(params):
    """The database's checks, and its credentials' (named ``credentials.<option>``) when it makes them."""
    errors = model.validate_params(params)
    if params.get("credentials") and params["state"] == "present":
        length = params["credentials"]["password_length"]
        if not 16 <= length <= 128:
            errors.append("credentials.password_length: %d is out of range; use 16 to 128" % length)
    return errors


def reconcile_with_credentials(clients, params, run, outcome):
    """With ``credentials``: the master credentials' secret first (made once, never shown), then the database, in one run.

    One module process fewer on every run; the password still never leaves Secrets Manager but to create the database.
    """
    if not params.get("credentials") or params["state"] != "present":
        return reconcile(clients, params, run, outcome)
    secret = Outcome(mask=outcome.mask)
    outcome.step = "master credentials"
    try:
        credentials.reconcile(clients, credentials_params(params), run, secret)
    finally:
        outcome.plan = secret.plan
        outcome.result["secret"] = secret.result.get("secret", {})
    outcome.step = None
    try:
        reconcile(clients, params, run, outcome)
    finally:
        if outcome.plan is not secret.plan:  # the database's plan (with its notes) after the secret's change
            outcome.plan = model.NotedPlan(secret.plan.changes + outcome.plan.changes, getattr(outcome.plan, "notes", []))


def reconcile(clients, params, run, outcome):
    """Read the stack's database, plan the way to the wanted one (or to none), apply it, read it back."""
    cfg = model.settings_of(params)
    stack, present = cfg["stack"], cfg["state"] == "present"
    raw = read.read_database(clients.rds, stack, cfg["aurora_readers"])
    kms_arn, final_snapshot, reboots = None, None, []
    scaled = _reader_scaling(clients, cfg, raw)
    if present:
        kms_arn, have, plan = _plan_present(clients, cfg, raw, run, outcome)
        plan.extend(scaling.plan_scaling(scaling.desired_scaling(cfg), scaled))
        reboots = model.downtime(plan, cfg["apply_immediately"], cfg["maintenance_window"])
    else:
        have = model.actual_database(raw)
        final_snapshot = names.database(stack)["final_snapshot"](datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S"))
        plan = outcome.plan = model.Plan(scaling.plan_teardown(scaled)).extend(model.plan_teardown(have, final_snapshot).changes)
    applier = DatabaseApplier(clients, cfg, kms_arn, mask=outcome.mask)
    try:
        plan.apply(applier.handlers(), applier.finishers(), check_mode=run.check_mode)
    finally:
        outcome.warnings.extend(applier.warnings)
    if plan.changed and not run.check_mode and present:
        have = model.actual_database(read.read_database(clients.rds, stack, cfg["aurora_readers"]))
        kms_arn = applier.kms_arn
    outcome.plan = model.NotedPlan(plan.changes, model.plan_notes(plan, reboots, cfg.get("restore_from_snapshot")))
    gone = not present and not run.check_mode
    outcome.result.update(downtime=reboots, database={} if gone else model.summarize(have, cfg["engine"]), secret_name=cfg["secret_name"])
    if present:
        outcome.result["kms_key_arn"] = kms_arn
    elif any(change.ref and change.ref.get("final_snapshot") for change in plan.changes):
        outcome.result["final_snapshot"] = final_snapshot


def _reader_scaling(clients, cfg, raw):
    """What Application Auto Scaling holds for the Aurora cluster; an RDS instance (or no cluster) costs no call."""
    if cfg.get("engine") != "aurora" and not raw["clusters"]:
        return scaling.actual_scaling([], [])
    return scaling.actual_scaling(*read.read_reader_scaling(clients, cfg["stack"]))


def _plan_present(clients, cfg, raw, run, outcome):
    """(the key's ARN, what exists, the plan) of a database to build or update; refuses what cannot be done."""
    subnets, group_id = _network(StackView(clients, cfg["stack"]), cfg, run, outcome)
    kms_arn, raw["kms_key"] = resolve_kms_key(clients.kms, cfg)
    have = model.actual_database(raw)
    check_restore(clients.rds, cfg, have)
    want = model.desired_database(cfg, subnets, group_id, kms_arn or names.database(cfg["stack"])["kms_alias"])
    plan = outcome.plan = model.plan_database(want, have)
    for change in plan.of(kind="kms_key", action=CREATE):
        change.ref = adoptable_kms_key(clients, cfg["stack"], change.name, outcome)
    creates = [c for c in plan.of(action=CREATE) if c.kind in ("db_cluster", "db_instance")]
    needs_password = any(c.kind == "db_cluster" or not c.after.get("cluster") for c in creates)
    if needs_password and not run.check_mode and clients.secretsmanager.describe_secret(SecretId=cfg["secret_name"], missing=None) is None:
        raise model.DatabaseError(NO_SECRET % cfg["secret_name"])
    return kms_arn, have, plan


def _network(view, cfg, run, outcome):
    """The data subnets and the database security group the network tier built; refused when missing or in one AZ."""
    stack = cfg["stack"]
    subnets, group_id = read.find_network(view)
    if run.check_mode and not subnets and not group_id:
        # --check of a whole stack on a fresh account: the network is in the same run's plan.
        subnets = [("(data subnet %d of %s)" % (index, stack), "(az %d)" % index) for index in (1, 2)]
        group_id = "(security group %s-database)" % stack
        outcome.warnings.append("the network of stack %s does not exist yet; the plan assumes the one the network tier will build" % stack)
    if not subnets or not group_id:
        raise model.DatabaseError(
            "stack %s has no data subnets or no security group %s-database; build the network first (role hatrading.aws.network)" % (stack, stack)
        )
    azs = sorted(set(az for _id, az in subnets))
    if len(azs) < 2 and cfg["resilience"] == "ha":
        raise model.DatabaseError("resilience: the data subnets of stack %s span one AZ (%s); an HA database needs two" % (stack, ", ".join(azs)))
    return subnets, group_id


def resolve_kms_key(kms, cfg):
    """(ARN, key) of the given key, or of the stack's key; (None, None) when the stack's key is still to be made."""
    if cfg.get("kms_key_id"):
        key = _key(kms, cfg["kms_key_id"])
        if key is None:
            raise model.DatabaseError("kms_key_id: KMS key %s not found" % cfg["kms_key_id"])
        return key["Arn"], None
    key = _key(kms, names.database(cfg["stack"])["kms_alias"])
    return (key["Arn"] if key else None), key


def tagged_kms_keys(clients, stack, alias, besides=None):
    """The enabled KMS keys carrying the stack key's tags (stack, tier and the alias as Name), oldest first; ``besides``
    (an ARN) is left out unread."""
    tags = {TAG_STACK: stack, TAG_TIER: model.TIER, TAG_NAME: alias}
    found = clients.resourcegroupstaggingapi.get_resources(
        ResourceTypeFilters=["kms:key"], TagFilters=[{"Key": key, "Values": [value]} for key, value in sorted(tags.items())]
    )
    arns = [mapping["ResourceARN"] for mapping in found if mapping["ResourceARN"] != besides]
    keys = [key for key in (_key(clients.kms, arn) for arn in arns) if key and key.get("KeyState") == "Enabled"]
    return sorted(keys, key=lambda key: (key.get("CreationDate") or 0, key["Arn"]))


def adoptable_kms_key(clients, stack, alias, outcome):
    """The stack's key a stopped run created but did not name (CreateKey done, CreateAlias not): found by its tags.

    Asked only when the alias is missing (a first deploy, or after an interruption). None when there is none.
    """
    keys = tagged_kms_keys(clients, stack, alias)
    if not keys:
        return None
    outcome.warnings.append(
        "kms key %s carries the tags of %s but no alias (a run stopped between CreateKey and CreateAlias): adopted, not created again%s"
        % (keys[0]["Arn"], alias, "; also tagged so, left as they are: %s" % ", ".join(key["Arn"] for key in keys[1:]) if keys[1:] else "")
    )
    return {"adopt": {"KeyId": keys[0]["KeyId"], "Arn": keys[0]["Arn"]}}


def _key(kms, key_id):
    """KMS key metadata by ID, ARN or alias, or None."""
    answer = kms.describe_key(KeyId=key_id, missing=None)
    return answer["KeyMetadata"] if answer else None


def check_restore(rds, cfg, have):
    """Before any change: the snapshot to restore must exist and hold the wanted engine."""
    snapshot = cfg.get("restore_from_snapshot")
    n = names.database(cfg["stack"])
    aurora = cfg.get("engine") == "aurora"
    if not snapshot or (n["cluster"] in have["db_cluster"] if aurora else n["instance"] in have["db_instance"]):
        cfg.pop("restore_from_snapshot", None)  # the database exists: nothing to restore
        return
    found = read.snapshots(rds, snapshot, aurora)
    kind = "DB cluster snapshot" if aurora else "DB snapshot"
    if not found:
        raise model.DatabaseError("restore_from_snapshot: %s %s not found; nothing was changed" % (kind, snapshot))
    engine = model.engine_spec(cfg)["engine"]
    if found[0].get("Engine") != engine:
        raise model.DatabaseError("restore_from_snapshot: %s %s holds %s, not %s; nothing was changed" % (kind, snapshot, found[0].get("Engine"), engine))


def major(version):
    return str(version).split(".", maxsplit=1)[0]


# Plan field -> ModifyDBInstance / ModifyDBCluster parameter.
INSTANCE_FIELDS = {
    "instance_class": "DBInstanceClass",
    "engine_version": "EngineVersion",
    "allocated_storage": "AllocatedStorage",
    "storage_type": "StorageType",
    "multi_az": "MultiAZ",
    "parameter_group": "DBParameterGroupName",
    "security_groups": "VpcSecurityGroupIds",
    "backup_retention_days": "BackupRetentionPeriod",
    "backup_window": "PreferredBackupWindow",
    "maintenance_window": "PreferredMaintenanceWindow",
    "deletion_protection": "DeletionProtection",
    "performance_insights": "EnablePerformanceInsights",
    "monitoring_interval": "MonitoringInterval",
    "publicly_accessible": "PubliclyAccessible",
    "port": "DBPortNumber",
}
CLUSTER_FIELDS = {
    "engine_version": "EngineVersion",
    "port": "Port",
    "security_groups": "VpcSecurityGroupIds",
    "backup_retention_days": "BackupRetentionPeriod",
    "backup_window": "PreferredBackupWindow",
    "maintenance_window": "PreferredMaintenanceWindow",
    "deletion_protection": "DeletionProtection",
    "serverless_v2": "ServerlessV2ScalingConfiguration",
}
PARAMETERS_PER_CALL = 20


# (CreateDBInstance / RestoreDBInstanceFromDBSnapshot argument, key of the wanted instance) given alike to both
PLACEMENT_ARGUMENTS = (
    ("DBInstanceClass", "instance_class"),
    ("StorageType", "storage_type"),
    ("MultiAZ", "multi_az"),
    ("DBSubnetGroupName", "subnet_group"),
    ("DBParameterGroupName", "parameter_group"),
    ("VpcSecurityGroupIds", "security_groups"),
    ("Port", "port"),
    ("DeletionProtection", "deletion_protection"),
    ("EnableCloudwatchLogsExports", "log_exports"),
)


class DatabaseApplier(Applier):
    """Carries out a database plan: one method per (kind, action)."""

    def __init__(self, clients, cfg, kms_arn, mask=None):
        self.clients = clients
        self.rds, self.kms, self.secrets = clients.rds, clients.kms, clients.secretsmanager
        self.scaling = clients("application-autoscaling")
        self.cfg = cfg
        self.kms_arn = kms_arn
        self.timeout = cfg["wait_timeout"]
        self.waiting = cfg["wait"]
        self.mask = mask or (lambda value: None)
        self._password = None
        self.warnings = []

    def finishers(self):
        return {("db_instance", DELETE): self.wait_instances_deleted}

    def _wait(self, waiter, **params):
        if self.waiting:
            self.rds.wait(waiter, self.timeout, delay=30 if self.timeout >= 600 else 2, **params)

    def password(self):
        """The master password from the secret, read once; masked in anything Ansible might print."""
        if self._password is None:
            value = (self.secrets.get_secret_value(SecretId=self.cfg["secret_name"], missing=None) or {}).get("SecretString")
            if value is None:
                raise model.DatabaseError(NO_SECRET % self.cfg["secret_name"])
            try:
                password = json.loads(value)["password"]
            except (ValueError, KeyError, TypeError):
                password = None
            if password is None:
                raise model.DatabaseError("secret_name: secret %s holds no JSON with a password key" % self.cfg["secret_name"])
            self.mask(password)
            self._password = password
        return self._password

    def _tags(self, arn, change):
        missing = missing_tags(change.after.get("tags", {}), (change.before or {}).get("tags", {}))
        if missing:
            self.rds.add_tags_to_resource(ResourceName=arn, Tags=tag_list(missing))

    # -- KMS key of the stack
    def create_kms_key(self, change):
        # tagged at creation, so that a run stopped before CreateAlias leaves a key the next run finds and adopts
        key = (change.ref or {}).get("adopt")
        if not key:
            tags = [{"TagKey": key, "TagValue": value} for key, value in sorted(change.after["tags"].items())]
            key = self.kms.create_key(Description=change.after["description"], KeyUsage="ENCRYPT_DECRYPT", Tags=tags)["KeyMetadata"]
        self.kms.enable_key_rotation(KeyId=key["KeyId"])
        self.kms.create_alias(AliasName=change.name, TargetKeyId=key["KeyId"])
        self.kms_arn = key["Arn"]
        if not (change.ref or {}).get("adopt"):
            self._retire_twin_keys(change.name, key)

    def _retire_twin_keys(self, alias, key):
        """CreateKey takes no client token: an answer lost after it took effect, then retried, makes a second key.

        None carried the tags before this run's CreateKey (one would have been adopted), so any other one now is
        that retry's twin, never used: it is scheduled for deletion (KMS's shortest wait, 7 days) and named.
        """
        for twin in tagged_kms_keys(self.clients, self.cfg["stack"], alias, besides=key["Arn"]):
            self.kms.schedule_key_deletion(KeyId=twin["KeyId"], PendingWindowInDays=7)
            self.warnings.append(
                "kms key %s was made twice (an answer lost, the call retried): the unused %s is scheduled for deletion in 7 days" % (key["Arn"], twin["Arn"])
            )

    # -- subnet group
    def create_db_subnet_group(self, change):
        self.rds.create_db_subnet_group(
            DBSubnetGroupName=change.name,
            DBSubnetGroupDescription=change.after["description"],
            SubnetIds=change.after["subnets"],
            Tags=tag_list(change.after["tags"]),
        )

    def update_db_subnet_group(self, change):
        self.rds.modify_db_subnet_group(DBSubnetGroupName=change.name, DBSubnetGroupDescription=change.after["description"], SubnetIds=change.after["subnets"])

    def delete_db_subnet_group(self, change):
        self.rds.delete_db_subnet_group(DBSubnetGroupName=change.name)

    # -- parameter group
    def create_db_parameter_group(self, change):
        self.rds.create_db_parameter_group(
            DBParameterGroupName=change.name,
            DBParameterGroupFamily=change.after["family"],
            Description=change.after["description"],
            Tags=tag_list(change.after["tags"]),
        )
        self._set_parameters(change.name, change.after["parameters"], {})

    def update_db_parameter_group(self, change):
        self._set_parameters(change.name, change.after["parameters"], change.before["parameters"])

    def _set_parameters(self, name, want, have):
        # Static parameters only take effect at a reboot; pending-reboot is accepted for every parameter.
        changed = [{"ParameterName": k, "ParameterValue": v, "ApplyMethod": "pending-reboot"} for k, v in sorted(want.items()) if have.get(k) != v]
        dropped = [{"ParameterName": k, "ApplyMethod": "pending-reboot"} for k in sorted(set(have) - set(want))]
        for start in range(0, len(changed), PARAMETERS_PER_CALL):
            self.rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=changed[start : start + PARAMETERS_PER_CALL])
        for start in range(0, len(dropped), PARAMETERS_PER_CALL):
            self.rds.reset_db_parameter_group(DBParameterGroupName=name, Parameters=dropped[start : start + PARAMETERS_PER_CALL])

    def delete_db_parameter_group(self, change):
        self.rds.delete_db_parameter_group(DBParameterGroupName=change.name)

    # -- shared pieces of clusters and instances
    def _log_exports(self, want, have):
        enable = sorted(set(want) - set(have or []))
        disable = sorted(set(have or []) - set(want))
        config = {}
        if enable:
            config["EnableLogTypes"] = enable
        if disable:
            config["DisableLogTypes"] = disable
        return config

    def _modify(self, call, identifier_key, change, mapping):
        """One modify call for what applies now, one for restarts (now or in the maintenance window)."""
        spec, before = change.after, change.before
        now, later = {}, {}
        for field in change.fields:
            if field in mapping:
                target = later if field in model.DOWNTIME_FIELDS else now
                target[mapping[field]] = spec[field]
        if "engine_version" in change.fields and major(spec["engine_version"]) != major(before.get("engine_version")):
            later["AllowMajorVersionUpgrade"] = True
        if "log_exports" in change.fields:
            now["CloudwatchLogsExportConfiguration"] = self._log_exports(spec["log_exports"], before.get("log_exports"))
        if now.get("MonitoringInterval"):
            now["MonitoringRoleArn"] = self.cfg["monitoring_role_arn"]
        if now.get("EnablePerformanceInsights"):
            now.update(PerformanceInsightsRetentionPeriod=self.cfg.get("performance_insights_retention_days", 7), PerformanceInsightsKMSKeyId=self.kms_arn)
        if now:
            call(ApplyImmediately=True, **dict(now, **{identifier_key: change.name}))
        if later:
            call(ApplyImmediately=self.cfg["apply_immediately"], **dict(later, **{identifier_key: change.name}))
        if "tags" in change.fields:
            self._tags(before["arn"], change)

    def _lift_protection(self, change, call, identifier_key):
        if change.ref.get("deletion_protection"):
            call(DeletionProtection=False, ApplyImmediately=True, **{identifier_key: change.name})

    def _after_restore(self, spec):
        """What a restore does not take from the settings: the password (the secret's), backups and windows."""
        return dict(
            MasterUserPassword=self.password(),
            BackupRetentionPeriod=spec["backup_retention_days"],
            PreferredBackupWindow=spec["backup_window"],
            PreferredMaintenanceWindow=spec["maintenance_window"],
            ApplyImmediately=True,
        )

    # -- Aurora cluster
    def create_db_cluster(self, change):
        spec = change.after
        common = dict(
            DBClusterIdentifier=change.name,
            Engine=spec["engine"],
            EngineVersion=spec["engine_version"],
            Port=spec["port"],
            DBSubnetGroupName=spec["subnet_group"],
            VpcSecurityGroupIds=spec["security_groups"],
            KmsKeyId=self.kms_arn,
            DeletionProtection=spec["deletion_protection"],
            EnableCloudwatchLogsExports=spec["log_exports"],
            Tags=tag_list(spec["tags"]),
            CopyTagsToSnapshot=True,
        )
        if spec.get("serverless_v2"):
            common["ServerlessV2ScalingConfiguration"] = spec["serverless_v2"]
        snapshot = self.cfg.get("restore_from_snapshot")
        if snapshot:
            self.rds.restore_db_cluster_from_snapshot(SnapshotIdentifier=snapshot, **common)
            self._wait("db_cluster_available", DBClusterIdentifier=change.name)
            self.rds.modify_db_cluster(DBClusterIdentifier=change.name, **self._after_restore(spec))
        else:
            self.rds.create_db_cluster(
                MasterUsername=spec["master_username"],
                MasterUserPassword=self.password(),
                DatabaseName=self.cfg.get("database_name", "trading"),
                StorageEncrypted=True,
                BackupRetentionPeriod=spec["backup_retention_days"],
                PreferredBackupWindow=spec["backup_window"],
                PreferredMaintenanceWindow=spec["maintenance_window"],
                **common,
            )
        self._wait("db_cluster_available", DBClusterIdentifier=change.name)

    def update_db_cluster(self, change):
        self._modify(self.rds.modify_db_cluster, "DBClusterIdentifier", change, CLUSTER_FIELDS)

    def delete_db_cluster(self, change):
        self._lift_protection(change, self.rds.modify_db_cluster, "DBClusterIdentifier")
        self.rds.delete_db_cluster(DBClusterIdentifier=change.name, FinalDBSnapshotIdentifier=change.ref["final_snapshot"])
        self._wait("db_cluster_deleted", DBClusterIdentifier=change.name)

    # -- Aurora reader auto scaling (Application Auto Scaling)
    def create_scalable_target(self, change):
        self.scaling.register_scalable_target(
            ServiceNamespace="rds",
            ResourceId="cluster:%s" % change.name,
            ScalableDimension=scaling.DIMENSION,
            MinCapacity=change.after["min"],
            MaxCapacity=change.after["max"],
        )

    update_scalable_target = create_scalable_target  # RegisterScalableTarget updates a registered target

    def delete_scalable_target(self, change):
        self.scaling.deregister_scalable_target(ServiceNamespace="rds", ResourceId="cluster:%s" % change.name, ScalableDimension=scaling.DIMENSION)

    def create_scaling_policy(self, change):
        spec = change.after
        put_target_tracking_policy(self.scaling, change.name, "rds", "cluster:%s" % spec["cluster"], scaling.DIMENSION, spec["target_value"], spec["metric"])

    update_scaling_policy = create_scaling_policy

    def delete_scaling_policy(self, change):
        cluster = change.before["cluster"]
        self.scaling.delete_scaling_policy(
            PolicyName=change.name, ServiceNamespace="rds", ResourceId="cluster:%s" % cluster, ScalableDimension=scaling.DIMENSION
        )

    # -- instances (RDS, or members of the Aurora cluster)
    def _monitoring(self, spec):
        extra = {"MonitoringInterval": spec["monitoring_interval"]}
        if spec["monitoring_interval"]:
            extra["MonitoringRoleArn"] = self.cfg["monitoring_role_arn"]
        if spec["performance_insights"]:
            extra.update(
                EnablePerformanceInsights=True,
                PerformanceInsightsKMSKeyId=self.kms_arn,
                PerformanceInsightsRetentionPeriod=self.cfg.get("performance_insights_retention_days", 7),
            )
        return extra

    def create_db_instance(self, change):
        spec = change.after
        if spec.get("cluster"):
            self.rds.create_db_instance(
                DBInstanceIdentifier=change.name,
                DBClusterIdentifier=spec["cluster"],
                Engine=spec["engine"],
                DBInstanceClass=spec["instance_class"],
                AvailabilityZone=spec["az"],
                DBParameterGroupName=spec["parameter_group"],
                PubliclyAccessible=False,
                PromotionTier=1,
                Tags=tag_list(spec["tags"]),
                **self._monitoring(spec),
            )
        elif self.cfg.get("restore_from_snapshot"):
            self._restore_instance(change)
        else:
            self.rds.create_db_instance(
                Engine=spec["engine"],
                EngineVersion=spec["engine_version"],
                DBName=self.cfg.get("database_name", "trading"),
                AllocatedStorage=spec["allocated_storage"],
                StorageEncrypted=True,
                KmsKeyId=self.kms_arn,
                MasterUsername=spec["master_username"],
                MasterUserPassword=self.password(),
                BackupRetentionPeriod=spec["backup_retention_days"],
                PreferredBackupWindow=spec["backup_window"],
                PreferredMaintenanceWindow=spec["maintenance_window"],
                **self._instance_placement(change.name, spec),
                **self._monitoring(spec),
            )
        self._wait("db_instance_available", DBInstanceIdentifier=change.name)

    @staticmethod
    def _instance_placement(name, spec):
        """What a new RDS instance and a restored one are given alike: class, placement, network, safety, tags."""
        given = dict((argument, spec[key]) for argument, key in PLACEMENT_ARGUMENTS)
        fixed = dict(PubliclyAccessible=False, CopyTagsToSnapshot=True, AutoMinorVersionUpgrade=True)
        return dict(given, DBInstanceIdentifier=name, Tags=tag_list(spec["tags"]), **fixed)

    def _restore_instance(self, change):
        """Restore, then set what a restore does not take: password, backups, windows, monitoring."""
        spec = change.after
        self.rds.restore_db_instance_from_db_snapshot(
            DBSnapshotIdentifier=self.cfg["restore_from_snapshot"],
            **self._instance_placement(change.name, spec),
        )
        self._wait("db_instance_available", DBInstanceIdentifier=change.name)
        self.rds.modify_db_instance(DBInstanceIdentifier=change.name, **dict(self._after_restore(spec), **self._monitoring(spec)))

    def update_db_instance(self, change):
        self._modify(self.rds.modify_db_instance, "DBInstanceIdentifier", change, INSTANCE_FIELDS)

    def delete_db_instance(self, change):
        final = change.ref.get("final_snapshot")
        self._lift_protection(change, self.rds.modify_db_instance, "DBInstanceIdentifier")
        snapshot = {"FinalDBSnapshotIdentifier": final} if final else {"SkipFinalSnapshot": True}
        self.rds.delete_db_instance(DBInstanceIdentifier=change.name, DeleteAutomatedBackups=False, **snapshot)

    def wait_instances_deleted(self, changes):
        for change in changes:
            self._wait("db_instance_deleted", DBInstanceIdentifier=change.name)
