#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: database_instance
short_description: Reconcile the database of a stack (RDS Multi-AZ or an Aurora cluster) with its KMS key, subnet group and parameter group
version_added: 0.1.0
description:
  - Finds the stack's data subnets (tags C(hatrading:tier=network), C(hatrading:layer=data)) and its database security
    group (Name C(<stack>-database)), reads the stack's database in a few describes, compares it with the wanted one
    and applies only the difference. A rerun that finds everything in place makes only read calls.
  - Builds, in order, a KMS key (alias C(alias/<stack>-database), rotation on) unless O(kms_key_id) is given, a DB subnet
    group over the data subnets of every AZ, a DB parameter group, and either an RDS instance (O(engine=rds)) or an
    Aurora cluster with a writer and O(aurora_readers) readers, each reader in another AZ (O(engine=aurora)).
  - Storage is always encrypted and never publicly accessible; automated backups, a backup and a maintenance window,
    deletion protection and CloudWatch log exports are on by default.
  - The master password is read from the Secrets Manager secret O(secret_name) (see M(hatrading.aws.database_credentials))
    only when a database is created or restored; it never appears in the module's arguments or results.
  - Changes that restart the database (instance class, engine version) are applied in the maintenance window unless
    O(apply_immediately=true); check mode lists them in RV(downtime) and RV(plan_text).
  - O(state=absent) refuses unless O(confirm_delete) equals O(stack); it lifts deletion protection, deletes the database
    taking a final snapshot C(<stack>-database-final-<UTC time>), then the parameter and subnet groups. The KMS key and
    the secret stay, since the snapshot needs both to be restored.
  - Fields AWS cannot change in place (engine, encryption key, master user name, parameter group family) are refused with
    a message rather than replaced.
  - In check mode, a stack whose network does not exist yet (a first C(--check) of the whole stack) gets the plan
    against the network the network tier would build, with a warning; otherwise a missing network fails.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  engine:
    description: V(rds) for one Multi-AZ RDS instance; V(aurora) for an Aurora cluster.
    type: str
    choices: [rds, aurora]
    default: rds
  flavor:
    description: The database engine family.
    type: str
    choices: [postgres, mysql]
    default: postgres
  engine_version:
    description:
      - Engine version. A major version alone (V(16)) accepts any minor version found. Defaults to a current version
        of the engine (16.4 for PostgreSQL, 8.0.39 for MySQL).
    type: str
  instance_class:
    description: DB instance class of the instance, or of every Aurora instance. A change restarts the database.
    type: str
    default: db.t3.medium
  allocated_storage:
    description: Storage in GiB (RDS only). Storage only grows; a smaller value than found is not a change.
    type: int
    default: 20
  storage_type:
    description: Storage type (RDS only).
    type: str
    choices: [gp2, gp3, io1, io2, standard]
    default: gp3
  multi_az:
    description: A standby in another AZ (RDS only). O(resilience=ha) refuses V(false).
    type: bool
    default: true
  aurora_readers:
    description: How many Aurora readers, each in the next AZ after the writer's.
    type: int
    default: 1
  resilience:
    description: V(ha) refuses a single copy of the data, no reader, or backups kept less than 7 days; V(cost) allows them.
    type: str
    choices: [ha, cost]
    default: ha
  backup_retention_days:
    description: Days automated backups are kept, 1 to 35 (7 at the least with O(resilience=ha)).
    type: int
    default: 7
  backup_window:
    description: Daily backup window, C(hh24:mi-hh24:mi) UTC.
    type: str
    default: "03:00-04:00"
  maintenance_window:
    description: Weekly maintenance window, C(ddd:hh24:mi-ddd:hh24:mi) UTC.
    type: str
    default: "sun:05:00-sun:06:00"
  deletion_protection:
    description: Deletion protection. O(state=absent) lifts it itself, after the confirmation.
    type: bool
    default: true
  log_exports:
    description: Log types exported to CloudWatch Logs. Defaults to V(postgresql) and V(upgrade) for PostgreSQL, V(error) and V(slowquery) for MySQL.
    type: list
    elements: str
  performance_insights:
    description: Turn on Performance Insights (encrypted with the database's key).
    type: bool
    default: false
  performance_insights_retention_days:
    description: Days Performance Insights keeps its data.
    type: int
    default: 7
  monitoring_interval:
    description: Seconds between enhanced-monitoring samples; V(0) turns it off.
    type: int
    default: 0
  monitoring_role_arn:
    description: IAM role RDS uses to publish enhanced monitoring; required when O(monitoring_interval) is not V(0).
    type: str
  kms_key_id:
    description: KMS key (ID, ARN or alias) for storage encryption. When unset, the stack's own key is created and used.
    type: str
  parameters:
    description: Parameters of the DB parameter group (name to value). They take effect at the next reboot.
    type: dict
    default: {}
  apply_immediately:
    description: Apply changes that restart the database now instead of in the maintenance window.
    type: bool
    default: false
  port:
    description: Port the database listens on. Defaults to 5432 (PostgreSQL) or 3306 (MySQL).
    type: int
  database_name:
    description: Name of the database created with the instance or cluster.
    type: str
    default: trading
  master_username:
    description: Master user name (set at creation; cannot change in place).
    type: str
    default: dbadmin
  secret_name:
    description: Secrets Manager secret holding the master credentials as JSON (C(username), C(password)). Defaults to C(<stack>/database/master).
    type: str
  restore_from_snapshot:
    description:
      - Create the database from this snapshot (a DB snapshot for V(rds), a DB cluster snapshot for V(aurora)) when it does
        not exist yet. The snapshot must exist (it is looked up before anything changes). Ignored when the database exists.
      - After the restore the master password is set from O(secret_name).
    type: str
  confirm_delete:
    description: Must equal O(stack) for O(state=absent) to delete anything.
    type: str
  wait:
    description: Wait until created or modified databases are available and deleted ones are gone.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each database or cluster.
    type: int
    default: 3600
extends_documentation_fragment:
  - hatrading.aws.stack
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Multi-AZ PostgreSQL for stack "prod"
  hatrading.aws.database_instance:
    stack: prod
    engine: rds
    flavor: postgres
    instance_class: db.m6g.large
    allocated_storage: 100
    backup_retention_days: 14
    performance_insights: true

- name: Aurora PostgreSQL, a writer and two readers
  hatrading.aws.database_instance:
    stack: prod
    engine: aurora
    aurora_readers: 2
    instance_class: db.r6g.large

- name: Restore the database of stack "prod" from its final snapshot
  hatrading.aws.database_instance:
    stack: prod
    restore_from_snapshot: prod-database-final-20260101-120000

- name: Delete it (a final snapshot is taken)
  hatrading.aws.database_instance:
    stack: prod
    state: absent
    confirm_delete: prod
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "update", "kind": "db_instance", "name": "prod-database", "fields": ["instance_class"]}]
plan_text:
  description: The plan as lines a reviewer reads, with restarts, restores and final snapshots noted under it.
  returned: always
  type: list
  elements: str
  sample: ["~ db_instance prod-database (instance_class)", "Plan: 0 to create, 1 to update, 0 to delete.",
           "! db_instance prod-database: instance_class restart(s) the database; applied in the maintenance window sun:05:00-sun:06:00"]
downtime:
  description: Planned updates that restart the database, and when they take effect.
  returned: always
  type: list
  elements: dict
  sample:
    - {"kind": "db_instance", "name": "prod-database", "fields": ["instance_class"], "reboot": true,
       "when": "in the maintenance window sun:05:00-sun:06:00"}
database:
  description: The database as AWS reports it after the changes (in check mode, as found); empty when there is none. Never a credential.
  returned: always
  type: dict
  sample: {"engine": "postgres", "engine_version": "16.4", "endpoint": "prod-database.abc.us-east-1.rds.amazonaws.com", "port": 5432,
           "multi_az": true, "storage_encrypted": true, "kms_key_id": "arn:aws:kms:...", "backup_retention_days": 7,
           "deletion_protection": true, "pending": [], "arn": "arn:aws:rds:...:db:prod-database", "status": "available"}
kms_key_arn:
  description: ARN of the key encrypting the database (null in check mode before the stack's key exists).
  returned: when O(state=present)
  type: str
secret_name:
  description: Name of the secret the master password is taken from.
  returned: always
  type: str
  sample: prod/database/master
final_snapshot:
  description: Identifier of the final snapshot taken (or, in check mode, that would be taken) with O(state=absent).
  returned: when O(state=absent) and a database existed
  type: str
  sample: prod-database-final-20260101-120000
"""

import datetime
import json

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils import database as model
from ansible_collections.hatrading.aws.plugins.module_utils import ec2
from ansible_collections.hatrading.aws.plugins.module_utils import rds
from ansible_collections.hatrading.aws.plugins.module_utils import secrets
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_LAYER
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_NAME
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.waiters import wait

SETTINGS = (
    "stack",
    "state",
    "tags",
    "engine",
    "flavor",
    "engine_version",
    "instance_class",
    "allocated_storage",
    "storage_type",
    "multi_az",
    "aurora_readers",
    "resilience",
    "backup_retention_days",
    "backup_window",
    "maintenance_window",
    "deletion_protection",
    "log_exports",
    "performance_insights",
    "performance_insights_retention_days",
    "monitoring_interval",
    "monitoring_role_arn",
    "kms_key_id",
    "parameters",
    "port",
    "database_name",
    "master_username",
    "secret_name",
    "restore_from_snapshot",
    "confirm_delete",
)
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
}
PARAMETERS_PER_CALL = 20


def major(version):
    return str(version).split(".", maxsplit=1)[0]


def settings_of(params):
    cfg = dict((key, params[key]) for key in SETTINGS if params.get(key) is not None)
    cfg["secret_name"] = params.get("secret_name") or model.names(params["stack"])["secret"]
    return cfg


def read_database(client, stack, aurora_readers):
    """The stack's database as describe answers: cluster, instances, subnet and parameter groups."""
    n = model.names(stack)
    raw = {"kms_alias": n["kms_alias"], "clusters": rds.describe_db_clusters(client, n["cluster"])}
    members = [m["DBInstanceIdentifier"] for cluster in raw["clusters"] for m in cluster.get("DBClusterMembers", [])]
    wanted = [n["instance"]] + [n["member"](index) for index in range(1, aurora_readers + 2)]
    raw["instances"] = rds.describe_db_instances(client, set(members + wanted))
    raw["subnet_groups"] = rds.describe_db_subnet_groups(client, n["subnet_group"])
    raw["parameter_groups"] = rds.describe_db_parameter_groups(client, n["parameter_group"])
    raw["parameters"] = rds.describe_db_parameters(client, n["parameter_group"]) if raw["parameter_groups"] else []
    return raw


def find_network(client, stack):
    """[(subnet ID, AZ)] of the stack's data subnets and the ID of its database security group."""
    data = stack_filters(stack, "network") + [{"Name": "tag:%s" % TAG_LAYER, "Values": ["data"]}]
    subnets = sorted((subnet["SubnetId"], subnet["AvailabilityZone"]) for subnet in ec2.describe_subnets(client, data))
    named = stack_filters(stack, "network") + [{"Name": "tag:%s" % TAG_NAME, "Values": ["%s-database" % stack]}]
    groups = ec2.describe_security_groups(client, named)
    return subnets, (groups[0]["GroupId"] if groups else None)


class DatabaseApplier(Applier):
    """Carries out a database plan: one method per (kind, action)."""

    def __init__(self, module, clients, cfg, kms_arn):
        self.module = module
        self.rds, self.kms, self.secrets = clients["rds"], clients["kms"], clients["secretsmanager"]
        self.cfg = cfg
        self.kms_arn = kms_arn
        self.timeout = module.params["wait_timeout"]
        self.waiting = module.params["wait"]
        self._password = None

    def finishers(self):
        return {("db_instance", DELETE): self.wait_instances_deleted}

    def _wait(self, waiter, **params):
        if self.waiting:
            wait(self.rds, waiter, self.timeout, delay=30 if self.timeout >= 600 else 2, **params)

    def password(self):
        """The master password from the secret, read once; masked in anything Ansible might print."""
        if self._password is None:
            value = secrets.get_secret_string(self.secrets, self.cfg["secret_name"])
            if value is None:
                self.module.fail_json(msg="secret_name: secret %s not found; create it first with hatrading.aws.database_credentials" % self.cfg["secret_name"])
            try:
                self._password = json.loads(value)["password"]
            except (ValueError, KeyError, TypeError):
                self.module.fail_json(msg="secret_name: secret %s holds no JSON with a password key" % self.cfg["secret_name"])
            self.module.no_log_values.add(self._password)
        return self._password

    def _tags(self, arn, change):
        missing = missing_tags(change.after.get("tags", {}), (change.before or {}).get("tags", {}))
        if missing:
            self.rds.add_tags_to_resource(ResourceName=arn, Tags=tag_list(missing), aws_retry=True)

    # -- KMS key of the stack
    def create_kms_key(self, change):
        tags = [{"TagKey": key, "TagValue": value} for key, value in sorted(change.after["tags"].items())]
        key = self.kms.create_key(Description=change.after["description"], KeyUsage="ENCRYPT_DECRYPT", Tags=tags, aws_retry=True)["KeyMetadata"]
        self.kms.enable_key_rotation(KeyId=key["KeyId"], aws_retry=True)
        self.kms.create_alias(AliasName=change.name, TargetKeyId=key["KeyId"], aws_retry=True)
        self.kms_arn = key["Arn"]

    # -- subnet group
    def create_db_subnet_group(self, change):
        self.rds.create_db_subnet_group(
            DBSubnetGroupName=change.name,
            DBSubnetGroupDescription=change.after["description"],
            SubnetIds=change.after["subnets"],
            Tags=tag_list(change.after["tags"]),
            aws_retry=True,
        )

    def update_db_subnet_group(self, change):
        self.rds.modify_db_subnet_group(
            DBSubnetGroupName=change.name, DBSubnetGroupDescription=change.after["description"], SubnetIds=change.after["subnets"], aws_retry=True
        )

    def delete_db_subnet_group(self, change):
        rds.ignore_not_found(self.rds.delete_db_subnet_group, DBSubnetGroupName=change.name, aws_retry=True)

    # -- parameter group
    def create_db_parameter_group(self, change):
        self.rds.create_db_parameter_group(
            DBParameterGroupName=change.name,
            DBParameterGroupFamily=change.after["family"],
            Description=change.after["description"],
            Tags=tag_list(change.after["tags"]),
            aws_retry=True,
        )
        self._set_parameters(change.name, change.after["parameters"], {})

    def update_db_parameter_group(self, change):
        self._set_parameters(change.name, change.after["parameters"], change.before["parameters"])

    def _set_parameters(self, name, want, have):
        # Static parameters only take effect at a reboot; pending-reboot is accepted for every parameter.
        changed = [{"ParameterName": k, "ParameterValue": v, "ApplyMethod": "pending-reboot"} for k, v in sorted(want.items()) if have.get(k) != v]
        dropped = [{"ParameterName": k, "ApplyMethod": "pending-reboot"} for k in sorted(set(have) - set(want))]
        for start in range(0, len(changed), PARAMETERS_PER_CALL):
            self.rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=changed[start : start + PARAMETERS_PER_CALL], aws_retry=True)
        for start in range(0, len(dropped), PARAMETERS_PER_CALL):
            self.rds.reset_db_parameter_group(DBParameterGroupName=name, Parameters=dropped[start : start + PARAMETERS_PER_CALL], aws_retry=True)

    def delete_db_parameter_group(self, change):
        rds.ignore_not_found(self.rds.delete_db_parameter_group, DBParameterGroupName=change.name, aws_retry=True)

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
            call(ApplyImmediately=True, aws_retry=True, **dict(now, **{identifier_key: change.name}))
        if later:
            call(ApplyImmediately=self.module.params["apply_immediately"], aws_retry=True, **dict(later, **{identifier_key: change.name}))
        if "tags" in change.fields:
            self._tags(before["arn"], change)

    def _lift_protection(self, change, call, identifier_key):
        if change.ref.get("deletion_protection"):
            call(DeletionProtection=False, ApplyImmediately=True, aws_retry=True, **{identifier_key: change.name})

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
        snapshot = self.cfg.get("restore_from_snapshot")
        if snapshot:
            self.rds.restore_db_cluster_from_snapshot(SnapshotIdentifier=snapshot, aws_retry=True, **common)
            self._wait("db_cluster_available", DBClusterIdentifier=change.name)
            self.rds.modify_db_cluster(
                DBClusterIdentifier=change.name,
                MasterUserPassword=self.password(),
                BackupRetentionPeriod=spec["backup_retention_days"],
                PreferredBackupWindow=spec["backup_window"],
                PreferredMaintenanceWindow=spec["maintenance_window"],
                ApplyImmediately=True,
                aws_retry=True,
            )
        else:
            self.rds.create_db_cluster(
                MasterUsername=spec["master_username"],
                MasterUserPassword=self.password(),
                DatabaseName=self.cfg.get("database_name", "trading"),
                StorageEncrypted=True,
                BackupRetentionPeriod=spec["backup_retention_days"],
                PreferredBackupWindow=spec["backup_window"],
                PreferredMaintenanceWindow=spec["maintenance_window"],
                aws_retry=True,
                **common,
            )
        self._wait("db_cluster_available", DBClusterIdentifier=change.name)

    def update_db_cluster(self, change):
        self._modify(self.rds.modify_db_cluster, "DBClusterIdentifier", change, CLUSTER_FIELDS)

    def delete_db_cluster(self, change):
        self._lift_protection(change, self.rds.modify_db_cluster, "DBClusterIdentifier")
        rds.ignore_not_found(
            self.rds.delete_db_cluster, DBClusterIdentifier=change.name, FinalDBSnapshotIdentifier=change.ref["final_snapshot"], aws_retry=True
        )
        self._wait("db_cluster_deleted", DBClusterIdentifier=change.name)

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
                aws_retry=True,
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
                aws_retry=True,
                **self._instance_placement(change.name, spec),
                **self._monitoring(spec),
            )
        self._wait("db_instance_available", DBInstanceIdentifier=change.name)

    @staticmethod
    def _instance_placement(name, spec):
        """What a new RDS instance and a restored one are given alike: class, placement, network, safety, tags."""
        return dict(
            DBInstanceIdentifier=name,
            DBInstanceClass=spec["instance_class"],
            StorageType=spec["storage_type"],
            MultiAZ=spec["multi_az"],
            DBSubnetGroupName=spec["subnet_group"],
            DBParameterGroupName=spec["parameter_group"],
            VpcSecurityGroupIds=spec["security_groups"],
            Port=spec["port"],
            DeletionProtection=spec["deletion_protection"],
            EnableCloudwatchLogsExports=spec["log_exports"],
            PubliclyAccessible=False,
            CopyTagsToSnapshot=True,
            AutoMinorVersionUpgrade=True,
            Tags=tag_list(spec["tags"]),
        )

    def _restore_instance(self, change):
        """Restore, then set what a restore does not take: password, backups, windows, monitoring."""
        spec = change.after
        self.rds.restore_db_instance_from_db_snapshot(
            DBSnapshotIdentifier=self.cfg["restore_from_snapshot"],
            aws_retry=True,
            **self._instance_placement(change.name, spec),
        )
        self._wait("db_instance_available", DBInstanceIdentifier=change.name)
        self.rds.modify_db_instance(
            DBInstanceIdentifier=change.name,
            MasterUserPassword=self.password(),
            BackupRetentionPeriod=spec["backup_retention_days"],
            PreferredBackupWindow=spec["backup_window"],
            PreferredMaintenanceWindow=spec["maintenance_window"],
            ApplyImmediately=True,
            aws_retry=True,
            **self._monitoring(spec),
        )

    def update_db_instance(self, change):
        self._modify(self.rds.modify_db_instance, "DBInstanceIdentifier", change, INSTANCE_FIELDS)

    def delete_db_instance(self, change):
        final = change.ref.get("final_snapshot")
        self._lift_protection(change, self.rds.modify_db_instance, "DBInstanceIdentifier")
        snapshot = {"FinalDBSnapshotIdentifier": final} if final else {"SkipFinalSnapshot": True}
        rds.ignore_not_found(self.rds.delete_db_instance, DBInstanceIdentifier=change.name, DeleteAutomatedBackups=False, aws_retry=True, **snapshot)

    def wait_instances_deleted(self, changes):
        for change in changes:
            self._wait("db_instance_deleted", DBInstanceIdentifier=change.name)


def resolve_kms_key(module, client, cfg):
    """ARN of the given key, or of the stack's key; the alias when the stack's key is still to be made."""
    if cfg.get("kms_key_id"):
        key = secrets.describe_key(client, cfg["kms_key_id"])
        if key is None:
            module.fail_json(msg="kms_key_id: KMS key %s not found" % cfg["kms_key_id"])
        return key["Arn"], None
    alias = model.names(cfg["stack"])["kms_alias"]
    key = secrets.describe_key(client, alias)
    return (key["Arn"] if key else None), key


def check_restore(module, client, cfg, have):
    """Before any change: the snapshot to restore must exist and hold the wanted engine."""
    snapshot = cfg.get("restore_from_snapshot")
    n = model.names(cfg["stack"])
    aurora = cfg.get("engine") == "aurora"
    if not snapshot or (n["cluster"] in have["db_cluster"] if aurora else n["instance"] in have["db_instance"]):
        cfg.pop("restore_from_snapshot", None)  # the database exists: nothing to restore
        return
    found = rds.describe_db_cluster_snapshots(client, snapshot) if aurora else rds.describe_db_snapshots(client, snapshot)
    kind = "DB cluster snapshot" if aurora else "DB snapshot"
    if not found:
        module.fail_json(msg="restore_from_snapshot: %s %s not found; nothing was changed" % (kind, snapshot))
    engine = model.engine_spec(cfg)["engine"]
    if found[0].get("Engine") != engine:
        module.fail_json(msg="restore_from_snapshot: %s %s holds %s, not %s; nothing was changed" % (kind, snapshot, found[0].get("Engine"), engine))


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", default={}),
        engine=dict(type="str", choices=["rds", "aurora"], default="rds"),
        flavor=dict(type="str", choices=["postgres", "mysql"], default="postgres"),
        engine_version=dict(type="str"),
        instance_class=dict(type="str", default="db.t3.medium"),
        allocated_storage=dict(type="int", default=20),
        storage_type=dict(type="str", choices=["gp2", "gp3", "io1", "io2", "standard"], default="gp3"),
        multi_az=dict(type="bool", default=True),
        aurora_readers=dict(type="int", default=1),
        resilience=dict(type="str", choices=["ha", "cost"], default="ha"),
        backup_retention_days=dict(type="int", default=7),
        backup_window=dict(type="str", default="03:00-04:00"),
        maintenance_window=dict(type="str", default="sun:05:00-sun:06:00"),
        deletion_protection=dict(type="bool", default=True),
        log_exports=dict(type="list", elements="str"),
        performance_insights=dict(type="bool", default=False),
        performance_insights_retention_days=dict(type="int", default=7),
        monitoring_interval=dict(type="int", default=0),
        monitoring_role_arn=dict(type="str"),
        kms_key_id=dict(type="str"),
        parameters=dict(type="dict", default={}),
        apply_immediately=dict(type="bool", default=False),
        port=dict(type="int"),
        database_name=dict(type="str", default="trading"),
        master_username=dict(type="str", default="dbadmin"),
        secret_name=dict(type="str", no_log=False),
        restore_from_snapshot=dict(type="str"),
        confirm_delete=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    cfg = settings_of(params)
    errors = model.validate_database(cfg)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid database settings: " + "; ".join(errors), errors=errors)

    retry = AWSRetry.jittered_backoff(retries=8)
    clients = dict((service, module.client(service, retry_decorator=retry)) for service in ("rds", "ec2", "kms", "secretsmanager"))
    stack, present = params["stack"], params["state"] == "present"
    engine = params["engine"]
    kms_arn, final_snapshot = None, None
    try:
        raw = read_database(clients["rds"], stack, params["aurora_readers"])
        if present:
            subnets, group_id = find_network(clients["ec2"], stack)
            azs = sorted(set(az for _id, az in subnets))
            if module.check_mode and not subnets and not group_id:
                # --check of a whole stack on a fresh account: the network is in the same run's plan.
                subnets = [("(data subnet %d of %s)" % (index, stack), "(az %d)" % index) for index in (1, 2)]
                group_id = "(security group %s-database)" % stack
                azs = sorted(set(az for _id, az in subnets))
                module.warn("the network of stack %s does not exist yet; the plan assumes the one the network tier will build" % stack)
            if not subnets or not group_id:
                module.fail_json(
                    msg="stack %s has no data subnets or no security group %s-database; build the network first (role hatrading.aws.network)" % (stack, stack)
                )
            if len(azs) < 2 and params["resilience"] == "ha":
                module.fail_json(msg="resilience: the data subnets of stack %s span one AZ (%s); an HA database needs two" % (stack, ", ".join(azs)))
            kms_arn, raw["kms_key"] = resolve_kms_key(module, clients["kms"], cfg)
            have = model.actual_database(raw)
            check_restore(module, clients["rds"], cfg, have)
            want = model.desired_database(cfg, subnets, group_id, kms_arn or model.names(stack)["kms_alias"])
            plan = model.plan_database(want, have)
            needs_password = any(
                c.kind == "db_cluster" or not c.after.get("cluster") for c in plan.of(action=CREATE) if c.kind in ("db_cluster", "db_instance")
            )
            if needs_password and not module.check_mode and secrets.describe_secret(clients["secretsmanager"], cfg["secret_name"]) is None:
                module.fail_json(msg="secret_name: secret %s not found; create it first with hatrading.aws.database_credentials" % cfg["secret_name"])
        else:
            have = model.actual_database(raw)
            final_snapshot = model.names(stack)["final_snapshot"](datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S"))
            plan = model.plan_teardown(have, final_snapshot)
        reboots = model.downtime(plan, params["apply_immediately"], params["maintenance_window"]) if present else []
        applier = DatabaseApplier(module, clients, cfg, kms_arn)
        plan.apply(applier.handlers(), applier.finishers(), check_mode=module.check_mode)
        if plan.changed and not module.check_mode and present:
            have = model.actual_database(read_database(clients["rds"], stack, params["aurora_readers"]))
            kms_arn = applier.kms_arn
    except model.DatabasePlanError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, botocore.exceptions.WaiterError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the database of stack %s" % stack)

    gone = not present and not module.check_mode
    result = dict(
        changed=plan.changed,
        plan=plan.as_list(),
        plan_text=plan.render() + model.plan_notes(plan, reboots, cfg.get("restore_from_snapshot")),
        downtime=reboots,
        database={} if gone else model.summarize(have, engine),
        secret_name=cfg["secret_name"],
    )
    if present:
        result["kms_key_arn"] = kms_arn
    elif any(change.ref and change.ref.get("final_snapshot") for change in plan.changes):
        result["final_snapshot"] = final_snapshot
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
