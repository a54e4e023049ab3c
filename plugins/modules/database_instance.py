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
  aurora_reader_scaling:
    description:
      - >-
        Application Auto Scaling adds and removes Aurora readers (C(rds:cluster:ReadReplicaCount)) by target tracking, between O(aurora_min_readers)
        and O(aurora_max_readers); Aurora places them in the AZs of the data subnets. Readers it made are never deleted by this module.
    type: bool
    default: false
  aurora_min_readers:
    description:
      - "Fewest readers the scaling keeps (with O(aurora_reader_scaling)); at least 1 with O(resilience=ha)."
    type: int
    default: 1
  aurora_max_readers:
    description:
      - "Most readers the scaling adds (up to 15); not below O(aurora_readers)."
    type: int
    default: 4
  aurora_scaling_metric:
    description:
      - "What the scaling tracks: V(cpu) (the readers' average CPU) or V(connections) (their average connections)."
    type: str
    choices: [cpu, connections]
    default: cpu
  aurora_scaling_target:
    description:
      - "The value kept: percent CPU (10-90) or connections per reader."
    type: float
    default: 60
  aurora_serverless_v2:
    description:
      - >-
        Aurora Serverless v2: every member of class C(db.serverless), the cluster's capacity between O(aurora_serverless_min_acu) and
        O(aurora_serverless_max_acu).
    type: bool
    default: false
  aurora_serverless_min_acu:
    description:
      - "Lowest Serverless v2 capacity, in ACUs (0-256, steps of 0.5)."
    type: float
    default: 0.5
  aurora_serverless_max_acu:
    description:
      - "Highest Serverless v2 capacity, in ACUs (1-256, steps of 0.5)."
    type: float
    default: 16
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
  credentials:
    description:
      - Make the master credentials' secret O(secret_name) first, in the same run, as M(hatrading.aws.database_credentials)
        does (a password generated here, never shown; an existing secret is kept, a deleted one restored, missing tags
        added). Omitted, the secret must exist when the database is created.
      - The secret records the user O(master_username), the database O(database_name), O(port) and the engine
        (C(postgres), C(mysql), C(aurora-postgresql) or C(aurora-mysql), from O(engine) and O(flavor)).
    type: dict
    suboptions:
      password_length:
        description: Length of the generated password, 16 to 128.
        type: int
        default: 32
      kms_key_id:
        description: KMS key encrypting the secret (the account's C(aws/secretsmanager) key when omitted).
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
secret:
  description: With O(credentials), the master credentials' secret (its ARN is what the back-end is handed; never the password).
  returned: when O(credentials) is given and O(state=present)
  type: dict
  sample: {"arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/database/master-AbCdEf", "name": "prod/database/master"}
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

from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier
from ansible_collections.hatrading.aws.plugins.module_utils.database import apply

ARGUMENT_SPEC = dict(
    TIER_SPEC,
    engine=dict(type="str", choices=["rds", "aurora"], default="rds"),
    flavor=dict(type="str", choices=["postgres", "mysql"], default="postgres"),
    engine_version=dict(type="str"),
    instance_class=dict(type="str", default="db.t3.medium"),
    allocated_storage=dict(type="int", default=20),
    storage_type=dict(type="str", choices=["gp2", "gp3", "io1", "io2", "standard"], default="gp3"),
    multi_az=dict(type="bool", default=True),
    aurora_readers=dict(type="int", default=1),
    aurora_reader_scaling=dict(type="bool", default=False),
    aurora_min_readers=dict(type="int", default=1),
    aurora_max_readers=dict(type="int", default=4),
    aurora_scaling_metric=dict(type="str", choices=["cpu", "connections"], default="cpu"),
    aurora_scaling_target=dict(type="float", default=60.0),
    aurora_serverless_v2=dict(type="bool", default=False),
    aurora_serverless_min_acu=dict(type="float", default=0.5),
    aurora_serverless_max_acu=dict(type="float", default=16.0),
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
    credentials=dict(
        type="dict",
        options=dict(
            password_length=dict(type="int", default=32, no_log=False),
            kms_key_id=dict(type="str"),
        ),
    ),
    restore_from_snapshot=dict(type="str"),
    confirm_delete=dict(type="str"),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=3600),
)


def main():
    run_tier("database", ARGUMENT_SPEC, apply.validate_params, apply.reconcile_with_credentials)


if __name__ == "__main__":
    main()
