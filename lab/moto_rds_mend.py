"""DescribeDBEngineVersions, which moto 5.2.5 lacks (it answers HTTP 500), and DescribeOrderableDBInstanceOptions, which
it answers only for Aurora PostgreSQL, so the preflight can check a version and an instance class in the lab.

The lab answers from a fixed list of the engine versions RDS offered in us-east-1 in 2025 (PostgreSQL 13-17, MySQL 8.0
and 8.4, and the Aurora flavours of both), filtered by ``Engine`` and ``EngineVersion`` as RDS filters them: an unknown
version answers an empty list, as RDS does. Installed by lab/moto_server.py; nothing in plugins/ knows about it.
"""

from moto.core.responses import ActionResult
from moto.rds.responses import RDSResponse

VERSIONS = {
    "postgres": ["13.20", "14.17", "15.12", "16.4", "16.8", "17.4"],
    "mysql": ["8.0.40", "8.0.41", "8.4.4"],
    "aurora-postgresql": ["13.20", "14.17", "15.12", "16.4", "16.6"],
    "aurora-mysql": ["8.0.mysql_aurora.3.08.1"],
}


def family(engine, version):
    major = version.split(".")[0]
    if engine in ("postgres", "aurora-postgresql"):
        return "%s%s" % (engine, major)
    return "%s%s.%s" % (engine, major, version.split(".")[1])


def describe_db_engine_versions(self):
    engine, version = self._get_param("Engine"), self._get_param("EngineVersion")
    found = []
    for name, versions in sorted(VERSIONS.items()):
        if engine and name != engine:
            continue
        for number in versions:
            if version and number != version and not number.startswith(version + "."):
                continue
            found.append({"Engine": name, "EngineVersion": number, "DBParameterGroupFamily": family(name, number), "Status": "available"})
    return ActionResult({"DBEngineVersions": found})


# DescribeOrderableDBInstanceOptions: moto 5.2.5 answers nothing for postgres and mysql, and from its own data for
# Aurora. The lab answers every version above with the instance classes RDS offered for them in us-east-1 in 2025
# (the families below; db.serverless for Aurora), filtered by Engine, EngineVersion and DBInstanceClass as RDS does.
CLASS_FAMILIES = {
    "db.t3": ("micro", "small", "medium", "large", "xlarge", "2xlarge"),
    "db.t4g": ("micro", "small", "medium", "large", "xlarge", "2xlarge"),
    "db.m5": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
    "db.m6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "db.m6i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
    "db.m7g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "db.r5": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
    "db.r6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "db.r6i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
    "db.r7g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
}
AZS = ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f")


def instance_classes(engine):
    classes = ["%s.%s" % (family, size) for family, sizes in sorted(CLASS_FAMILIES.items()) for size in sizes]
    if engine.startswith("aurora"):  # Aurora has no burstable micro/small, and offers Serverless v2
        classes = [c for c in classes if not c.endswith((".micro", ".small"))] + ["db.serverless"]
    return classes


def describe_orderable_db_instance_options(self):
    engine, version, wanted = self._get_param("Engine"), self._get_param("EngineVersion"), self._get_param("DBInstanceClass")
    found = []
    for number in VERSIONS.get(engine, []):
        if version and number != version:
            continue
        for instance_class in instance_classes(engine):
            if wanted and instance_class != wanted:
                continue
            found.append(
                {
                    "Engine": engine,
                    "EngineVersion": number,
                    "DBInstanceClass": instance_class,
                    "AvailabilityZones": [{"Name": zone} for zone in AZS],
                    "MultiAZCapable": True,
                    "StorageType": "gp3",
                }
            )
    return ActionResult({"OrderableDBInstanceOptions": found[: int(self._get_param("MaxRecords") or 100)]})


def install_rds_mend():
    """Idempotent: add the handler to moto's RDS responses."""
    if getattr(RDSResponse, "lab_rds_mend", False):
        return
    RDSResponse.describe_db_engine_versions = describe_db_engine_versions
    RDSResponse.describe_orderable_db_instance_options = describe_orderable_db_instance_options
    RDSResponse.lab_rds_mend = True
