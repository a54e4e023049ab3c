"""DescribeDBEngineVersions, which moto 5.2.5 lacks (it answers HTTP 500), so the preflight can check a version in the lab.

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


def install_rds_mend():
    """Idempotent: add the handler to moto's RDS responses."""
    if getattr(RDSResponse, "lab_rds_mend", False):
        return
    RDSResponse.describe_db_engine_versions = describe_db_engine_versions
    RDSResponse.lab_rds_mend = True
