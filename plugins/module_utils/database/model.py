# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database of one stack as plain data: settings, their checks, what is wanted, what exists, the plan between.

No AWS call and no Ansible here. ``validate_params`` checks the module's options before any AWS
call (``validate_database`` the same settings under the role's variable names); ``desired_database`` turns
them (plus the data subnets and security group found by the stack tags) into descriptions
keyed by kind and name; ``actual_database`` turns describe answers into the same shape;
``plan_database`` and ``plan_teardown`` order the changes. ``downtime`` says which planned
updates restart the database and when they happen (now, or in the maintenance window).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.database import scaling
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_delete_confirmed
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_port
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_resources
from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import options_set
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict

TIER = "database"
ENGINES = ("rds", "aurora")
FLAVORS = ("postgres", "mysql")
KINDS = ("kms_key", "db_subnet_group", "db_parameter_group", "db_cluster", "db_instance")
TEARDOWN_ORDER = ("db_instance", "db_cluster", "db_parameter_group", "db_subnet_group")

# (engine, flavor) -> the RDS engine name, its default version, the form of a version,
# the log types it can export (and those exported by default), its default port.
ENGINE_SPECS = {
    ("rds", "postgres"): {
        "engine": "postgres",
        "version": "16.4",
        "version_form": r"^1[1-7](\.\d{1,2})?$",
        "logs": ("postgresql", "upgrade"),
        "default_logs": ["postgresql", "upgrade"],
        "port": 5432,
    },
    ("rds", "mysql"): {
        "engine": "mysql",
        "version": "8.0.39",
        "version_form": r"^(5\.7|8\.0|8\.4)\.\d{1,2}$",
        "logs": ("audit", "error", "general", "slowquery"),
        "default_logs": ["error", "slowquery"],
        "port": 3306,
    },
    ("aurora", "postgres"): {
        "engine": "aurora-postgresql",
        "version": "16.4",
        "version_form": r"^1[1-7]\.\d{1,2}$",
        "logs": ("postgresql",),
        "default_logs": ["postgresql"],
        "port": 5432,
    },
    ("aurora", "mysql"): {
        "engine": "aurora-mysql",
        "version": "8.0.mysql_aurora.3.07.1",
        "version_form": r"^(5\.7\.mysql_aurora\.2|8\.0\.mysql_aurora\.3)\.\d{2}\.\d{1,2}$",
        "logs": ("audit", "error", "general", "slowquery"),
        "default_logs": ["error", "slowquery"],
        "port": 3306,
    },
}
# Storage the RDS engines accept at the least, by storage type (GiB).
MIN_STORAGE = {"gp2": 20, "gp3": 20, "io1": 100, "io2": 100, "standard": 5}
MAX_STORAGE = 65536
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
PI_RETENTION_DAYS = (7, 731) + tuple(31 * month for month in range(1, 24))
INSTANCE_CLASS_FORM = re.compile(r"^db\.[a-z0-9]+\.[a-z0-9]+$")
BACKUP_WINDOW_FORM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
MAINTENANCE_WINDOW_FORM = re.compile(r"^%s:([01]\d|2[0-3]):[0-5]\d-%s:([01]\d|2[0-3]):[0-5]\d$" % (DAY, DAY))
IDENTIFIER_FORM = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$")
USERNAME_FORM = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,15}$")
ROLE_ARN_FORM = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
RESERVED_USERNAMES = ("postgres", "rdsadmin", "root", "mysql", "admin_rds")
# Changes that restart the database: applied in the maintenance window unless apply_immediately.
DOWNTIME_FIELDS = ("instance_class", "engine_version")
# Fields AWS cannot change in place (changing them means a new database and a data migration).
FIXED_FIELDS = ("engine", "storage_encrypted", "kms_key", "master_username", "cluster", "az", "family")
# Describe fields that a pending (deferred) modification will change: what it becomes counts.
PENDING_FIELDS = {
    "DBInstanceClass": "instance_class",
    "EngineVersion": "engine_version",
    "MultiAZ": "multi_az",
    "AllocatedStorage": "allocated_storage",
    "StorageType": "storage_type",
    "BackupRetentionPeriod": "backup_retention_days",
    "Port": "port",
}


class DatabasePlanError(TierError):
    """The wanted database cannot be reached from the one that exists without losing something."""


class DatabaseError(TierError):
    """A prerequisite is missing: the network, the secret, the key or the snapshot to restore."""


class NotedPlan(Plan):
    """A plan whose text ends with notes (restarts and when, restores, final snapshots)."""

    def __init__(self, changes=None, notes=None):
        super(NotedPlan, self).__init__(changes)
        self.notes = list(notes or [])

    def render(self):
        return super(NotedPlan, self).render() + self.notes


# ---------------------------------------------------------------- settings and validation


def settings_of(params):
    """The module's options as the settings the model reads (unset ones left out), the secret's name filled in."""
    cfg = options_set(params)
    cfg["secret_name"] = params.get("secret_name") or stack_names.database(params["stack"])["secret"]
    return cfg


def validate_params(params):
    return validate_database(settings_of(params))


def engine_spec(settings):
    return ENGINE_SPECS.get((settings.get("engine", "rds"), settings.get("flavor", "postgres")))


def validate_database(settings, prefix=""):
    """Check the database tier's settings; returns the problems found, each naming the variable."""

    def v(option):  # the variable's name as the user wrote it (database_name is itself a database_ variable)
        return option if prefix and option.startswith(prefix) else prefix + option

    errors = validate_stack_name(settings.get("stack"), v("stack"))
    errors += validate_tags(settings.get("tags"), v("tags"))
    if settings.get("state", "present") == "absent":
        errors += validate_delete_confirmed(settings, v("confirm_delete"), "the database", "a final snapshot is taken first")
        return errors
    for check in (_validate_passwords, _validate_engine, _validate_storage, _validate_backups, _validate_observability, _validate_access):
        errors += check(settings, v)
    errors += scaling.validate_scaling(settings, v)
    return errors


def _validate_passwords(settings, v):
    errors = []
    for option in ("master_password", "password"):
        if settings.get(option):  # the value is never repeated in the message
            errors.append(
                "%s: refused; a password must not sit in plain variables. The master password is generated "
                "and kept in Secrets Manager (secret %s); remove the variable" % (v(option), settings.get("secret_name") or "<stack>/database/master")
            )
    return errors


def _validate_engine(settings, v):
    errors = []
    engine, flavor = settings.get("engine", "rds"), settings.get("flavor", "postgres")
    resilience = settings.get("resilience", "ha")
    if engine not in ENGINES:
        errors.append("%s: %r is not a database engine; use rds or aurora" % (v("engine"), engine))
    if flavor not in FLAVORS:
        errors.append("%s: %r is not a database flavor; use postgres or mysql" % (v("flavor"), flavor))
    if resilience not in ("ha", "cost"):
        errors.append("%s: %r is not a resilience level; use ha or cost" % (v("resilience"), resilience))
    spec = engine_spec(settings)
    version = settings.get("engine_version") or None  # empty takes the current default
    if spec and version is not None and not re.match(spec["version_form"], str(version)):
        errors.append("%s: %r is not a %s version (for example %s)" % (v("engine_version"), version, spec["engine"], spec["version"]))
    instance_class = settings.get("instance_class", "db.t3.medium")
    if not isinstance(instance_class, str) or not INSTANCE_CLASS_FORM.match(instance_class):
        errors.append("%s: %r is not a DB instance class (for example db.t3.medium or db.r6g.large)" % (v("instance_class"), instance_class))
    return errors


def _validate_storage(settings, v):
    """RDS: Multi-AZ and storage; Aurora: the readers."""
    errors = []
    engine, resilience = settings.get("engine", "rds"), settings.get("resilience", "ha")
    if engine == "rds":
        if settings.get("multi_az") is False and resilience == "ha":
            errors.append(
                "%s: false leaves one copy of the data in one AZ; with %s=ha set it true (or %s=cost)" % (v("multi_az"), v("resilience"), v("resilience"))
            )
        storage_type = settings.get("storage_type", "gp3")
        storage = settings.get("allocated_storage", 20)
        least = MIN_STORAGE.get(storage_type)
        if least is None:
            errors.append("%s: %r is not a storage type; use one of %s" % (v("storage_type"), storage_type, ", ".join(sorted(MIN_STORAGE))))
        elif not isinstance(storage, int) or isinstance(storage, bool) or storage < least:
            errors.append("%s: %r GiB is below the %d GiB that %s storage needs at the least" % (v("allocated_storage"), storage, least, storage_type))
        elif storage > MAX_STORAGE:
            errors.append("%s: %r GiB is above the %d GiB RDS allows" % (v("allocated_storage"), storage, MAX_STORAGE))
    elif engine == "aurora":
        readers = settings.get("aurora_readers", 1)
        if not isinstance(readers, int) or isinstance(readers, bool) or not 0 <= readers <= 15:
            errors.append("%s: %r is out of range; use 0 to 15 readers" % (v("aurora_readers"), readers))
        elif readers < 1 and resilience == "ha":
            errors.append(
                "%s: 0 readers leaves no instance to fail over to; with %s=ha use at least 1 (or %s=cost)"
                % (v("aurora_readers"), v("resilience"), v("resilience"))
            )
    return errors


def _validate_backups(settings, v):
    """Backup retention and the two windows."""
    errors = []
    retention = settings.get("backup_retention_days", 7)
    if not isinstance(retention, int) or isinstance(retention, bool) or retention < 1:
        errors.append("%s: %r turns automated backups off; keep them 7 to 35 days" % (v("backup_retention_days"), retention))
    elif retention > 35:
        errors.append("%s: %r is above the 35 days RDS keeps automated backups" % (v("backup_retention_days"), retention))
    elif retention < 7 and settings.get("resilience", "ha") == "ha":
        errors.append(
            "%s: %r days is too short a point-in-time-recovery range for %s=ha; use 7 to 35" % (v("backup_retention_days"), retention, v("resilience"))
        )
    backup_window = settings.get("backup_window", "03:00-04:00")
    if not isinstance(backup_window, str) or not BACKUP_WINDOW_FORM.match(backup_window):
        errors.append("%s: %r is not a window hh24:mi-hh24:mi in UTC (for example 03:00-04:00)" % (v("backup_window"), backup_window))
    elif _length(*(_minutes(clock) for clock in backup_window.split("-")), period=1440) < 30:
        errors.append("%s: %r is shorter than the 30 minutes RDS asks of a backup window" % (v("backup_window"), backup_window))
    maintenance_window = settings.get("maintenance_window", "sun:05:00-sun:06:00")
    if not isinstance(maintenance_window, str) or not MAINTENANCE_WINDOW_FORM.match(maintenance_window):
        errors.append("%s: %r is not a window ddd:hh24:mi-ddd:hh24:mi in UTC (for example sun:05:00-sun:06:00)" % (v("maintenance_window"), maintenance_window))
    elif _length(*(_week_minute(end) for end in maintenance_window.lower().split("-")), period=WEEK_MINUTES) < 30:
        errors.append("%s: %r is shorter than the 30 minutes RDS asks of a maintenance window" % (v("maintenance_window"), maintenance_window))
    elif not errors and windows_overlap(backup_window, maintenance_window):
        errors.append(
            "%s: %s overlaps %s %s; RDS refuses a backup window inside the maintenance window, so move one of them"
            % (v("backup_window"), backup_window, v("maintenance_window"), maintenance_window)
        )
    return errors


WEEK_MINUTES = 7 * 24 * 60
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes(clock):
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _week_minute(moment):
    """'sun:05:00' -> minutes since Monday 00:00."""
    return DAYS.index(moment[:3]) * 1440 + _minutes(moment[4:])


def _length(start, end, period):
    """Minutes from ``start`` to ``end``, wrapping at ``period``."""
    return (end - start) % period


def _spans(start, end, period):
    """[start, end) minute spans of one window within ``period``, split where it wraps."""
    if end > start:
        return [(start, end)]
    return [(start, period), (0, end)]


def windows_overlap(backup_window, maintenance_window):
    """Whether the daily backup window (hh:mi-hh:mi) meets the weekly maintenance window (ddd:hh:mi-ddd:hh:mi) on any day."""
    first, last = backup_window.split("-")
    begin, finish = maintenance_window.lower().split("-")
    maintenance = _spans(_week_minute(begin), _week_minute(finish), WEEK_MINUTES)
    for day in range(7):
        for low, high in _spans(_minutes(first), _minutes(last), 1440):
            backup = (day * 1440 + low, day * 1440 + high)
            if any(backup[0] < m_high and m_low < backup[1] for m_low, m_high in maintenance):
                return True
    return False


def _validate_observability(settings, v):
    """Log exports, enhanced monitoring, Performance Insights."""
    errors = []
    spec = engine_spec(settings)
    if spec:
        unknown = sorted(set(settings.get("log_exports") or []) - set(spec["logs"]))
        if unknown:
            errors.append("%s: %s cannot be exported by %s; use %s" % (v("log_exports"), ", ".join(unknown), spec["engine"], ", ".join(spec["logs"])))
    interval = settings.get("monitoring_interval", 0)
    if interval not in MONITORING_INTERVALS:
        errors.append(
            "%s: %r is not an enhanced-monitoring interval; use one of %s" % (v("monitoring_interval"), interval, ", ".join(map(str, MONITORING_INTERVALS)))
        )
    elif interval and not settings.get("monitoring_role_arn"):
        errors.append(
            "%s: enhanced monitoring every %ss needs %s (a role trusted by monitoring.rds.amazonaws.com)"
            % (v("monitoring_role_arn"), interval, v("monitoring_role_arn"))
        )
    role_arn = settings.get("monitoring_role_arn")
    if role_arn and (not isinstance(role_arn, str) or not ROLE_ARN_FORM.match(role_arn)):
        errors.append("%s: %r is not an IAM role ARN (arn:aws:iam::123456789012:role/rds-monitoring)" % (v("monitoring_role_arn"), role_arn))
    pi_retention = settings.get("performance_insights_retention_days", 7)
    if settings.get("performance_insights") and pi_retention not in PI_RETENTION_DAYS:
        errors.append(
            "%s: %r is not a Performance Insights retention; use 7, 731 or a multiple of 31 below it" % (v("performance_insights_retention_days"), pi_retention)
        )
    return errors


def _validate_access(settings, v):
    """Port, master user, database name, the snapshot to restore."""
    errors = []
    if "port" in settings and settings.get("port") is not None:
        errors += validate_port(settings["port"], v("port"))
    username = settings.get("master_username", "dbadmin")
    if not isinstance(username, str) or not USERNAME_FORM.match(username) or username.lower() in RESERVED_USERNAMES:
        errors.append(
            "%s: %r is not a usable master user name; use 1-16 letters, digits or _, starting with a letter, not a reserved name"
            % (v("master_username"), username)
        )
    # the module's option database_name is the role's variable database_name: prefix database_, key name
    name_key = "database_name" if "database_name" in settings else "name"
    database_name = settings.get(name_key, "trading")
    if database_name is not None and (not isinstance(database_name, str) or not USERNAME_FORM.match(database_name)):
        errors.append("%s: %r is not a database name; use 1-16 letters, digits or _, starting with a letter" % (v(name_key), database_name))
    snapshot = settings.get("restore_from_snapshot")
    if snapshot and (not isinstance(snapshot, str) or not IDENTIFIER_FORM.match(snapshot)):
        errors.append(
            "%s: %r is not a snapshot identifier (letters, digits and single dashes, starting with a letter)" % (v("restore_from_snapshot"), snapshot)
        )
    return errors


# ---------------------------------------------------------------- desired state


def parameter_family(engine, version):
    """postgres16, mysql8.0, aurora-postgresql16, aurora-mysql8.0 from the engine and its version."""
    parts = str(version).split(".")
    if engine in ("postgres", "aurora-postgresql"):
        return "%s%s" % (engine, parts[0])
    return "%s%s.%s" % (engine, parts[0], parts[1])


def member_azs(azs, count):
    """AZ of each Aurora instance: the writer in the first, each reader in the next, round the AZs."""
    zones = sorted(azs)
    return [zones[index % len(zones)] for index in range(count)] if zones else []


def desired_database(cfg, subnets, security_group_id, kms_key):
    """The database of ``cfg['stack']`` as {kind: {name: description}}.

    ``subnets`` is [(subnet_id, az)] of the stack's data subnets, ``kms_key`` the ARN of the
    key (or the alias of the stack's key still to be created).
    """
    stack, spec = cfg["stack"], engine_spec(cfg)
    n = stack_names.database(stack)

    def tags(name, **labels):
        return stack_tags(stack, TIER, name, cfg.get("tags"), **labels)

    engine = spec["engine"]
    version = str(cfg.get("engine_version") or spec["version"])
    want = dict((kind, {}) for kind in KINDS)
    if not cfg.get("kms_key_id"):
        want["kms_key"][n["kms_alias"]] = {"description": "hatrading %s database storage, snapshots and logs" % stack, "tags": tags(n["kms_alias"])}
    want["db_subnet_group"][n["subnet_group"]] = {
        "subnets": sorted(subnet_id for subnet_id, _az in subnets),
        "description": "%s database: the data subnets of every AZ" % stack,
        "tags": tags(n["subnet_group"]),
    }
    want["db_parameter_group"][n["parameter_group"]] = {
        "family": parameter_family(engine, version),
        "parameters": dict((str(key), str(value)) for key, value in (cfg.get("parameters") or {}).items()),
        "description": "%s database parameters" % stack,
        "tags": tags(n["parameter_group"]),
    }
    log_exports = sorted(cfg.get("log_exports") if cfg.get("log_exports") is not None else spec["default_logs"])
    shared = {
        "engine": engine,
        "engine_version": version,
        "port": cfg.get("port") or spec["port"],
        "subnet_group": n["subnet_group"],
        "security_groups": [security_group_id] if security_group_id else [],
        "kms_key": kms_key,
        "storage_encrypted": True,
        "master_username": cfg.get("master_username", "dbadmin"),
        "backup_retention_days": cfg.get("backup_retention_days", 7),
        "backup_window": cfg.get("backup_window", "03:00-04:00"),
        "maintenance_window": cfg.get("maintenance_window", "sun:05:00-sun:06:00"),
        "deletion_protection": cfg.get("deletion_protection", True),
        "log_exports": log_exports,
    }
    instance = {
        "instance_class": cfg.get("instance_class", "db.t3.medium"),
        "parameter_group": n["parameter_group"],
        "performance_insights": bool(cfg.get("performance_insights", False)),
        "monitoring_interval": cfg.get("monitoring_interval", 0),
        "publicly_accessible": False,
    }
    if cfg.get("engine", "rds") == "rds":
        spec_rds = dict(shared, **instance)
        spec_rds.update(
            allocated_storage=cfg.get("allocated_storage", 20),
            storage_type=cfg.get("storage_type", "gp3"),
            multi_az=cfg.get("multi_az", True),
            tags=tags(n["instance"], role="primary"),
        )
        want["db_instance"][n["instance"]] = spec_rds
        return want

    want["db_cluster"][n["cluster"]] = dict(shared, tags=tags(n["cluster"]), serverless_v2=scaling.serverless_capacity(cfg))
    if cfg.get("aurora_serverless_v2"):
        instance["instance_class"] = scaling.SERVERLESS_CLASS
    count = 1 + cfg.get("aurora_readers", 1)
    for index, az in enumerate(member_azs([az for _id, az in subnets], count)):
        role = "writer" if index == 0 else "reader"
        name = n["member"](index + 1)
        want["db_instance"][name] = dict(instance, engine=engine, cluster=n["cluster"], az=az, role=role, tags=tags(name, role=role))
    return want


# ---------------------------------------------------------------- actual state


def _pending(resource, description):
    """Apply a resource's pending (deferred) modifications: what it will be is what counts."""
    pending = resource.get("PendingModifiedValues") or {}
    fields = []
    for key, field in PENDING_FIELDS.items():
        if pending.get(key) is not None:
            description[field] = pending[key]
            fields.append(field)
    description["pending"] = sorted(fields)
    return description


def actual_instance(db):
    groups = db.get("DBParameterGroups") or [{}]
    endpoint = db.get("Endpoint") or {}
    description = {
        "engine": db.get("Engine"),
        "engine_version": db.get("EngineVersion"),
        "instance_class": db.get("DBInstanceClass"),
        "allocated_storage": db.get("AllocatedStorage"),
        "storage_type": db.get("StorageType"),
        "multi_az": db.get("MultiAZ"),
        "subnet_group": (db.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
        "parameter_group": groups[0].get("DBParameterGroupName"),
        "security_groups": sorted(group["VpcSecurityGroupId"] for group in db.get("VpcSecurityGroups", [])),
        "kms_key": db.get("KmsKeyId"),
        "storage_encrypted": db.get("StorageEncrypted"),
        "master_username": db.get("MasterUsername"),
        "backup_retention_days": db.get("BackupRetentionPeriod"),
        "backup_window": db.get("PreferredBackupWindow"),
        "maintenance_window": db.get("PreferredMaintenanceWindow"),
        "deletion_protection": db.get("DeletionProtection"),
        "log_exports": sorted(db.get("EnabledCloudwatchLogsExports") or []),
        "performance_insights": db.get("PerformanceInsightsEnabled"),
        "monitoring_interval": db.get("MonitoringInterval"),
        "publicly_accessible": db.get("PubliclyAccessible"),
        "port": endpoint.get("Port") or db.get("DbInstancePort"),
        "cluster": db.get("DBClusterIdentifier"),
        "az": db.get("AvailabilityZone"),
        "tags": tag_dict(db.get("TagList")),
        "arn": db.get("DBInstanceArn"),
        "status": db.get("DBInstanceStatus"),
        "endpoint": endpoint.get("Address"),
    }
    return _pending(db, description)


def actual_cluster(cluster):
    description = {
        "engine": cluster.get("Engine"),
        "engine_version": cluster.get("EngineVersion"),
        "port": cluster.get("Port"),
        "subnet_group": cluster.get("DBSubnetGroup"),
        "security_groups": sorted(group["VpcSecurityGroupId"] for group in cluster.get("VpcSecurityGroups", [])),
        "kms_key": cluster.get("KmsKeyId"),
        "storage_encrypted": cluster.get("StorageEncrypted"),
        "master_username": cluster.get("MasterUsername"),
        "backup_retention_days": cluster.get("BackupRetentionPeriod"),
        "backup_window": cluster.get("PreferredBackupWindow"),
        "maintenance_window": cluster.get("PreferredMaintenanceWindow"),
        "deletion_protection": cluster.get("DeletionProtection"),
        "log_exports": sorted(cluster.get("EnabledCloudwatchLogsExports") or []),
        "tags": tag_dict(cluster.get("TagList")),
        "arn": cluster.get("DBClusterArn"),
        "status": cluster.get("Status"),
        "endpoint": cluster.get("Endpoint"),
        "reader_endpoint": cluster.get("ReaderEndpoint"),
        "multi_az": cluster.get("MultiAZ"),
        "writers": sorted(m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", []) if m.get("IsClusterWriter")),
        "members": sorted(m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", [])),
        "serverless_v2": _capacity(cluster.get("ServerlessV2ScalingConfiguration")),
    }
    return _pending(cluster, description)


def _capacity(config):
    """A cluster's Serverless v2 range, as desired_database states it (None: not serverless)."""
    if not config:
        return None
    return {"MinCapacity": float(config.get("MinCapacity", 0)), "MaxCapacity": float(config.get("MaxCapacity", 0))}


def actual_database(raw):
    """Describe answers -> {kind: {name: description}}, the same shape as desired_database."""
    have = dict((kind, {}) for kind in KINDS)
    key = raw.get("kms_key")
    if key:
        have["kms_key"][raw["kms_alias"]] = {"arn": key.get("Arn"), "state": key.get("KeyState")}
    for group in raw.get("subnet_groups", []):
        have["db_subnet_group"][group["DBSubnetGroupName"]] = {
            "subnets": sorted(subnet["SubnetIdentifier"] for subnet in group.get("Subnets", [])),
            "description": group.get("DBSubnetGroupDescription"),
            "vpc_id": group.get("VpcId"),
        }
    for group in raw.get("parameter_groups", []):
        have["db_parameter_group"][group["DBParameterGroupName"]] = {
            "family": group.get("DBParameterGroupFamily"),
            "parameters": dict((p["ParameterName"], p.get("ParameterValue")) for p in raw.get("parameters", []) if p.get("ParameterValue") is not None),
            "description": group.get("Description"),
        }
    for cluster in raw.get("clusters", []):
        have["db_cluster"][cluster["DBClusterIdentifier"]] = actual_cluster(cluster)
    for db in raw.get("instances", []):
        if db.get("DBInstanceStatus") != "deleting":
            have["db_instance"][db["DBInstanceIdentifier"]] = actual_instance(db)
    return have


# ---------------------------------------------------------------- comparing


def _same(field, want, have):
    if have is None:  # a field the API does not report is not compared
        return True
    if field == "engine_version":  # "16" asks for any 16.x; "16.4" for exactly that
        return str(have) == str(want) or str(have).startswith(str(want) + ".")
    if field == "allocated_storage":  # storage only grows (autoscaling may have grown it)
        return have >= want
    return want == have


def compare(want, have, name=None, kind="resource"):
    for field in FIXED_FIELDS:
        if field in want and want[field] is not None and have.get(field) is not None and not _same(field, want[field], have[field]):
            if field == "kms_key" and not str(want[field]).startswith("arn:"):
                continue  # the stack's key is to be created: nothing to compare yet
            raise DatabasePlanError(
                "%s %s has %s %s but %s is wanted; it cannot change in place. Take a snapshot, delete the database "
                "(state=absent), and restore the snapshot with the new setting" % (kind, name, field, have[field], want[field])
            )
    fields = ["tags"] if missing_tags(want.get("tags", {}), have.get("tags", {})) and "tags" in have else []
    for field, value in want.items():
        if field in FIXED_FIELDS or field in ("tags", "role", "description"):
            continue
        if value is not None and not _same(field, value, have.get(field)):
            fields.append(field)
    return sorted(fields)


def plan_database(want, have):
    """The ordered changes from ``have`` to ``want``: kms key, subnet group, parameter group, cluster, instances."""
    # readers Application Auto Scaling made are its own to remove
    extra = sorted(name for name in set(have["db_instance"]) - set(want["db_instance"]) if not scaling.autoscaled(name))
    for name in extra:  # first: an engine switch would otherwise surface as some other field
        spec = have["db_instance"][name]
        if not spec.get("cluster") or spec.get("cluster") not in want["db_cluster"]:
            raise DatabasePlanError(
                "db_instance %s (%s) exists but the settings want %s; switching engines is a migration: take a "
                "snapshot, delete the database (state=absent) and restore into the new engine"
                % (name, spec.get("engine"), ", ".join(sorted(want["db_instance"])))
            )
    plan = Plan()
    for kind in KINDS:
        if kind == "kms_key":
            for alias, spec in have["kms_key"].items():
                if spec.get("state") == "PendingDeletion" and alias in want["kms_key"]:
                    raise DatabasePlanError("kms key %s is scheduled for deletion; cancel the deletion (kms cancel-key-deletion) and run again" % alias)
            changes = [Change(CREATE, kind, name, after=spec) for name, spec in want[kind].items() if name not in have[kind]]
        else:
            for name in want[kind]:
                if name in have[kind]:
                    compare(want[kind][name], have[kind][name], name, kind)  # refuses first a field that cannot change
            changes = diff_resources(kind, want[kind], have[kind], compare=lambda w, h, k=kind: compare(w, h, kind=k), delete_extra=False)
        for change in changes:
            change.ref = have[kind].get(change.name)
        plan.extend(changes)
    for name in extra:
        spec = have["db_instance"][name]
        writers = have["db_cluster"].get(spec["cluster"], {}).get("writers", [])
        if name in writers:
            raise DatabasePlanError("db_instance %s is the writer of %s; fail over to a reader before reducing the readers" % (name, spec["cluster"]))
        plan.extend([Change(DELETE, "db_instance", name, before=spec, ref=spec)])
    return plan


def plan_teardown(have, final_snapshot):
    """Delete the database, taking ``final_snapshot`` of the data first; the KMS key stays (the snapshot needs it)."""
    plan = Plan()
    clusters = set(have["db_cluster"])
    for kind in TEARDOWN_ORDER:
        for name, spec in sorted(have[kind].items()):
            ref = dict(spec)
            if kind == "db_cluster" or (kind == "db_instance" and spec.get("cluster") not in clusters):
                ref["final_snapshot"] = final_snapshot
            plan.extend([Change(DELETE, kind, name, before=spec, ref=ref)])
    return plan


def downtime(plan, apply_immediately, window):
    """The planned updates that restart the database, and when they take effect."""
    when = "immediately" if apply_immediately else "in the maintenance window %s" % window
    found = []
    for change in plan.of(action=UPDATE):
        fields = [field for field in change.fields if field in DOWNTIME_FIELDS]
        if fields:
            found.append({"kind": change.kind, "name": change.name, "fields": fields, "reboot": True, "when": when})
    return found


def plan_notes(plan, reboots, restore_from=None):
    """Extra lines under the plan: restarts and when, the snapshot a create restores, the final snapshots."""
    notes = []
    for item in reboots:
        notes.append("! %s %s: %s restart(s) the database; applied %s" % (item["kind"], item["name"], ", ".join(item["fields"]), item["when"]))
    for change in plan.of(action=CREATE):
        if restore_from and change.kind in ("db_instance", "db_cluster") and not change.after.get("cluster"):
            notes.append("+ %s %s is restored from snapshot %s" % (change.kind, change.name, restore_from))
    for change in plan.of(action=DELETE):
        if change.ref and change.ref.get("final_snapshot"):
            notes.append("- %s %s: final snapshot %s is taken first" % (change.kind, change.name, change.ref["final_snapshot"]))
    return notes


# What summarize reports of a cluster and of an instance, in this order (kms_key_id is the found kms_key)
CLUSTER_SUMMARY = ("engine", "engine_version", "endpoint", "reader_endpoint", "port", "multi_az", "instances", "storage_encrypted")
INSTANCE_SUMMARY = ("engine", "engine_version", "instance_class", "endpoint", "port", "multi_az", "storage_encrypted")
COMMON_SUMMARY = ("kms_key_id", "backup_retention_days", "deletion_protection")


def summarize(have, engine):
    """What the back-end and the report need, as AWS reports it (never a credential)."""
    if engine == "aurora":
        clusters = list(have["db_cluster"].values())
        if not clusters:
            return {}
        azs = set(spec.get("az") for spec in have["db_instance"].values())
        fields = CLUSTER_SUMMARY + COMMON_SUMMARY + ("arn", "status")
        return _summary(clusters[0], fields, multi_az=len(azs) > 1, instances=sorted(have["db_instance"]))
    instances = list(have["db_instance"].values())
    if not instances:
        return {}
    return _summary(instances[0], INSTANCE_SUMMARY + COMMON_SUMMARY + ("pending", "arn", "status"))


def _summary(found, fields, **derived):
    source = dict(found, kms_key_id=found.get("kms_key"), **derived)
    return dict((field, source[field]) for field in fields)
