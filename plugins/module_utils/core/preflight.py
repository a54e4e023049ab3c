# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Before the first change: is the endpoint AWS, which account and region is it, and does the region have what the settings name?

A few reads with short timeouts (``PROBE_CONFIG``) so that a silent endpoint fails in seconds, an endpoint that
answers HTML or nothing is named as such, and an AZ, instance type or engine version the region lacks fails
before any mutating call, each message naming the variable the user set. The DB instance class is asked only
once the engine version is known good (RDS answers nothing for a class of an unknown version either).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
    from botocore.exceptions import ConnectTimeoutError
    from botocore.exceptions import EndpointConnectionError
    from botocore.exceptions import ReadTimeoutError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import error_code
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS

PROBE_CONFIG = dict(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "max_attempts": 2})
ENGINES = {("rds", "postgres"): "postgres", ("rds", "mysql"): "mysql", ("aurora", "postgres"): "aurora-postgresql", ("aurora", "mysql"): "aurora-mysql"}


def unreachable(error, stack, endpoint):
    """A message for an endpoint that did not answer, or answered something that is not AWS; None for other errors."""
    where = endpoint or "the AWS endpoint of the region"
    if isinstance(error, (ConnectTimeoutError, ReadTimeoutError)):
        return "stack %s: %s did not answer within %d s (AWS_ENDPOINT_URL or endpoint_url: is it an AWS API?)" % (stack, where, PROBE_CONFIG["read_timeout"])
    if isinstance(error, EndpointConnectionError):
        return "stack %s: cannot connect to %s (%s)" % (stack, where, error)
    if type(error).__name__ in ("ResponseParserError", "KeyError") or (isinstance(error, ClientError) and not error_code(error)):
        return "stack %s: %s answered something that is not an AWS API answer (an HTML page or an empty body): %s" % (stack, where, error)
    return None


def missing_zones(wanted, offered, region):
    unknown = sorted(set(wanted) - set(offered))
    if not unknown:
        return []
    return ["network_availability_zones: %s not in region %s, which offers %s" % (", ".join(unknown), region, ", ".join(sorted(offered)) or "none")]


def missing_instance_types(wanted, offered, region):
    """``wanted``: {variable: instance type}."""
    return ["%s: %s is not offered in region %s" % (variable, kind, region) for variable, kind in sorted(wanted.items()) if kind and kind not in offered]


def engine_of(database):
    return ENGINES.get((database.get("engine", "rds"), database.get("flavor", "postgres")))


def missing_engine_version(database, versions, region):
    version = database.get("engine_version")
    if not version or versions:
        return []
    return ["database_engine_version: %s is not a version of %s in region %s" % (version, engine_of(database), region)]


SERVERLESS_CLASS = "db.serverless"  # every Aurora member's class under Serverless v2


def instance_class_of(database):
    """(the variable, the DB instance class the database tier would ask for), or (None, None)."""
    if database.get("engine") == "aurora" and database.get("aurora_serverless_v2"):
        return "database_aurora_serverless_v2", SERVERLESS_CLASS
    if database.get("instance_class"):
        return "database_instance_class", database["instance_class"]
    return None, None


def missing_instance_class(database, options, region):
    """``options``: RDS's orderable options for the engine, version and class (empty when RDS does not offer them)."""
    variable, instance_class = instance_class_of(database)
    if not variable or options:
        return []
    version = " %s" % database["engine_version"] if database.get("engine_version") else ""
    return ["%s: %s is not offered for %s%s in region %s" % (variable, instance_class, engine_of(database), version, region)]


def read_region(clients, region, settings, probe=True):
    """(facts, problems): with ``probe``, the account and the region's AZs; then what the settings name that the region lacks.

    Each check reads only for the tiers in ``settings`` (a run limited by --tags hands only its own), and the AZs
    only when ``probe`` or the network names them: a rerun of one tier keeps its call budget.
    """
    network, compute, database = settings.get("network") or {}, settings.get("compute") or {}, settings.get("database") or {}
    facts = {"region": region}
    if probe:
        identity = clients.sts.get_caller_identity()
        facts.update(account=identity.get("Account"), caller_arn=identity.get("Arn"))
    problems = []
    if probe or network.get("availability_zones"):
        zones = clients.ec2.describe_availability_zones(Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}])["AvailabilityZones"]
        facts["availability_zones"] = [z["ZoneName"] for z in zones]
        problems += missing_zones(network.get("availability_zones") or [], facts["availability_zones"], region)
    types = dict(("compute_%s_instance_type" % tier, compute.get("%s_instance_type" % tier)) for tier in APP_TIERS if compute.get("%s_instance_type" % tier))
    if types:
        offers = clients.ec2.describe_instance_type_offerings(LocationType="region", Filters=[{"Name": "instance-type", "Values": sorted(set(types.values()))}])
        problems += missing_instance_types(types, set(o["InstanceType"] for o in offers), region)
    if database.get("engine_version") and engine_of(database):
        versions = clients.rds.describe_db_engine_versions(Engine=engine_of(database), EngineVersion=str(database["engine_version"]), missing=[])
        problems += missing_engine_version(database, versions, region)
    _variable, instance_class = instance_class_of(database)
    if instance_class and engine_of(database) and not problems:
        asked = dict(Engine=engine_of(database), DBInstanceClass=instance_class, MaxRecords=20)
        if database.get("engine_version"):
            asked["EngineVersion"] = str(database["engine_version"])
        problems += missing_instance_class(database, clients.rds.describe_orderable_db_instance_options(**asked), region)
    return facts, problems
