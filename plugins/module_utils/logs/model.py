# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logs tier (OpenSearch, the ELK option), pure: its settings and their checks, the wanted state, what exists, the plan.

One OpenSearch domain ``<stack>-logs`` in the data subnets of every AZ (zone awareness), encrypted at rest with
the stack's key and node to node, HTTPS only, fine-grained access control, reachable only inside the VPC.
The app and VPC flow log groups reach it through CloudWatch Logs subscription filters into one Firehose stream
(buffered, retried, failed documents to an S3 bucket). No AWS call and no Ansible here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_arn
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import TierChecks
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import canonical_json
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_fields
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_resources
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags

TIER = "logs"
ENGINE_FORM = re.compile(r"^OpenSearch_\d+\.\d+$")
INSTANCE_FORM = re.compile(r"^[a-z0-9]+\.[a-z0-9]+\.search$")
KMS_KEY_FORM = re.compile(r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+|alias/[A-Za-z0-9/_-]+|(mrk-)?[0-9a-f-]{32,36})$")
IAM_ARN_FORM = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
USER_FORM = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
ROTATIONS = ("NoRotation", "OneHour", "OneDay", "OneWeek", "OneMonth")
TLS_POLICIES = ("Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10")
# OpenSearch's rule for a master password: 8-128 characters with an upper, a lower, a digit and a special character
PASSWORD_RULES = (re.compile(r"[A-Z]"), re.compile(r"[a-z]"), re.compile(r"\d"), re.compile(r"[^A-Za-z0-9]"))
FIREHOSE_TRUST = {"Service": "firehose.amazonaws.com"}
LOGS_TRUST = {"Service": "logs.amazonaws.com"}
NEW = "(known after the create)"
ORDER = (
    ("subscription_filter", DELETE),
    ("delivery_stream", DELETE),
    ("role", DELETE),
    ("domain", DELETE),
    ("security_group", DELETE),
    ("secret", CREATE),
    ("security_group", CREATE),
    ("bucket", CREATE),
    ("role", CREATE),
    ("role", UPDATE),
    ("domain", CREATE),
    ("domain", UPDATE),
    ("delivery_stream", CREATE),
    ("delivery_stream", UPDATE),
    ("log_group", CREATE),
    ("subscription_filter", CREATE),
    ("subscription_filter", UPDATE),
)
DOMAIN_FIELDS = (
    "engine_version",
    "instance_type",
    "instance_count",
    "zone_awareness",
    "az_count",
    "dedicated_master",
    "master_type",
    "master_count",
    "volume_size",
    "subnets",
    "security_groups",
    "kms_key",
    "node_to_node",
    "enforce_https",
    "tls_policy",
    "fine_grained",
    "internal_users",
    "master_user_arn",
    "access_policy",
    "snapshot_hour",
)
# What AWS cannot change on a domain in place (a new domain, and the logs moved, is the way).
FIXED = ("kms_key",)
STREAM_FIELDS = ("domain_arn", "index", "rotation", "buffer_seconds", "buffer_mb", "retry_seconds", "role_arn", "bucket_arn", "subnets", "security_groups")
STREAM_FIXED = ("subnets", "security_groups")  # a stream's VPC delivery is set at its create


class LogsError(TierError):
    """A wanted change AWS cannot make (a domain's key, a stream's subnets), or something the tier needs missing."""


def _int_in(settings, errors, name, v, low, high, default, what):
    value = settings.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        errors.append("%s: %r is not %s; use %d-%d" % (v(name), value, what, low, high))
    return value


def _validate_domain(settings, v):
    """The OpenSearch domain: its version, instances, storage, nodes and shipping (its master user: _validate_master)."""
    errors = []
    engine = settings.get("engine_version", "OpenSearch_2.13")
    if not isinstance(engine, str) or not ENGINE_FORM.match(engine):
        errors.append("%s: %r is not an OpenSearch version; use OpenSearch_<major>.<minor>, e.g. OpenSearch_2.13" % (v("engine_version"), engine))
    for option, default in (("instance_type", "r6g.large.search"), ("master_instance_type", "m6g.large.search")):
        value = settings.get(option, default)
        if not isinstance(value, str) or not INSTANCE_FORM.match(value):
            errors.append("%s: %r is not an OpenSearch instance type (e.g. r6g.large.search)" % (v(option), value))
    count = _int_in(settings, errors, "instance_count", v, 1, 80, 2, "a number of data nodes")
    az_count = settings.get("az_count", 0)
    if az_count not in (0, 1, 2, 3) or isinstance(az_count, bool):
        errors.append("%s: %r is not an AZ count; use 0 (every AZ of the data subnets, at most 3), 1, 2 or 3" % (v("az_count"), az_count))
    elif az_count and isinstance(count, int) and count % az_count:
        errors.append("%s: %r data nodes do not spread evenly over %s=%d AZs; use a multiple of it" % (v("instance_count"), count, v("az_count"), az_count))
    if settings.get("dedicated_master"):
        masters = settings.get("master_count", 3)
        if masters not in (3, 5):
            errors.append("%s: %r is not a dedicated master count; use 3 or 5 (a quorum survives one lost AZ)" % (v("master_count"), masters))
    _int_in(settings, errors, "volume_size", v, 10, 16384, 20, "a volume size in GiB")
    _int_in(settings, errors, "snapshot_hour", v, 0, 23, 3, "an hour (UTC) of the automated daily snapshot")
    _int_in(settings, errors, "buffer_seconds", v, 60, 900, 60, "a Firehose buffering interval in seconds")
    _int_in(settings, errors, "buffer_mb", v, 1, 100, 5, "a Firehose buffer size in MiB")
    _int_in(settings, errors, "retry_seconds", v, 0, 7200, 300, "a Firehose retry duration in seconds")
    _int_in(settings, errors, "wait_timeout", v, 0, 7200, 3600, "a number of seconds to wait for the domain")
    if settings.get("index_rotation", "OneDay") not in ROTATIONS:
        errors.append("%s: %r is not an index rotation; use one of %s" % (v("index_rotation"), settings.get("index_rotation"), ", ".join(ROTATIONS)))
    if settings.get("tls_policy", TLS_POLICIES[0]) not in TLS_POLICIES:
        errors.append("%s: %r is not a TLS 1.2 policy; use one of %s" % (v("tls_policy"), settings.get("tls_policy"), ", ".join(TLS_POLICIES)))
    kms_key = settings.get("kms_key") or ""
    if kms_key and not KMS_KEY_FORM.match(kms_key):
        errors.append("%s: %r is not a KMS key ID, ARN or alias; leave it empty for the stack's key" % (v("kms_key"), kms_key))
    return errors


def _validate_master(settings, v):
    arn, password = settings.get("master_user_arn") or "", settings.get("master_user_password") or ""
    if arn:
        errors = validate_arn(arn, IAM_ARN_FORM, v("master_user_arn"), "an IAM role or user ARN")
        if password:
            errors.append("%s: give it or %s, not both (an IAM master has no password)" % (v("master_user_password"), v("master_user_arn")))
        return errors
    errors = []
    user = settings.get("master_user_name", "admin")
    if not isinstance(user, str) or not USER_FORM.match(user):
        errors.append("%s: %r is not a user name; use 1-64 letters, digits, _ or -, starting with a letter" % (v("master_user_name"), user))
    if password and (not 8 <= len(password) <= 128 or not all(rule.search(password) for rule in PASSWORD_RULES)):
        # the value itself is never repeated: it is a secret
        errors.append(
            "%s: not a valid master password; use 8-128 characters with an upper, a lower, a digit and a special character" % v("master_user_password")
        )
    return errors


CHECKS = TierChecks(
    "the logs tier",
    kept=lambda v: "the domain is kept unless %s=true" % v("delete_domain"),
    build=(_validate_domain, _validate_master),
)
validate_logs = CHECKS.settings  # the validate play's check (``prefix``: logs_)


# ---------------------------------------------------------------- wanted state


def account_of(arn):
    return arn.split(":")[4] if arn and arn.count(":") >= 5 else None


def spread(subnets_by_az, az_count):
    """(the data subnets used, one per AZ, sorted by AZ; the AZ count): every AZ (at most 3) unless ``az_count``."""
    zones = sorted(subnets_by_az)[: (az_count or 3)]
    return [subnets_by_az[zone] for zone in zones], len(zones)


def access_policy(region, account, domain):
    """Only principals of the stack's account, and only HTTP calls to this domain; fine-grained access decides the rest."""
    resource = "arn:aws:es:%s:%s:domain/%s/*" % (region, account, domain)
    statement = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % account}, "Action": "es:ESHttp*", "Resource": resource}
    return canonical_json({"Version": "2012-10-17", "Statement": [statement]})


def trust(principal, account=None, region=None):
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if account:  # the confused-deputy guard: only this account's log groups may use the role
        statement["Condition"] = {"StringLike": {"aws:SourceArn": "arn:aws:logs:%s:%s:*" % (region, account)}}
    return canonical_json({"Version": "2012-10-17", "Statement": [statement]})


# Firehose's network interfaces in the data subnets (EC2 takes no resource-level grant for Describe*)
FIREHOSE_VPC_ACTIONS = [
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeNetworkInterfaces",
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
]


def firehose_policy(domain_arn, bucket, kms_key_arn):
    statements = [
        {"Effect": "Allow", "Action": ["es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpGet"],
         "Resource": [domain_arn, domain_arn + "/*"]},
        {"Effect": "Allow", "Action": ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
         "Resource": ["arn:aws:s3:::%s" % bucket, "arn:aws:s3:::%s/*" % bucket]},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [kms_key_arn]},
        {"Effect": "Allow", "Action": FIREHOSE_VPC_ACTIONS, "Resource": "*"},
    ]  # fmt: skip
    return canonical_json({"Version": "2012-10-17", "Statement": statements})


def subscription_policy(stream_arn):
    return canonical_json(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"], "Resource": [stream_arn]}]}
    )


def desired_logs(cfg, found):
    """{kind: {name: description}} of what the tier wants.

    ``found``: what the wanted state depends on that exists elsewhere or is made in this run: ``kms_key`` (ARN),
    ``subnets`` ({AZ: data subnet ID}), ``vpc_id``, ``security_group`` (ID, or NEW before its create),
    ``log_groups`` (the wanted groups that exist). Every ARN is the one AWS gives (account, region, name).
    """
    stack, region = cfg["stack"], cfg["region"]
    n = stack_names.logs(stack, region)
    account = account_of(found["kms_key"]) or "000000000000"
    subnets, az_count = spread(found["subnets"], cfg.get("az_count", 0))
    subnets = sorted(subnets)
    tags = dict((name, stack_tags(stack, TIER, name, cfg.get("tags"))) for name in (n["domain"], n["delivery_stream"], n["security_group"], n["bucket"]))
    domain_arn = "arn:aws:es:%s:%s:domain/%s" % (region, account, n["domain"])
    stream_arn = "arn:aws:firehose:%s:%s:deliverystream/%s" % (region, account, n["delivery_stream"])
    role_arn = dict((name, "arn:aws:iam::%s:role/%s" % (account, name)) for name in (n["firehose_role"], n["subscription_role"]))
    master_arn = cfg.get("master_user_arn") or None
    want = dict((kind, {}) for kind in ("secret", "security_group", "bucket", "role", "domain", "delivery_stream", "log_group", "subscription_filter"))
    if not master_arn and not cfg.get("master_user_password"):  # a password made once, kept in Secrets Manager
        want["secret"][n["master_secret"]] = {
            "user": cfg.get("master_user_name", "admin"),
            "tags": stack_tags(stack, TIER, n["master_secret"], cfg.get("tags")),
        }
    want["security_group"][n["security_group"]] = {"vpc": found["vpc_id"], "https_from_itself": True, "tags": tags[n["security_group"]]}
    want["bucket"][n["bucket"]] = {"kms_key": found["kms_key"], "tags": tags[n["bucket"]]}
    want["role"][n["firehose_role"]] = {
        "trust": trust(FIREHOSE_TRUST),
        "inline": firehose_policy(domain_arn, n["bucket"], found["kms_key"]),
        "tags": stack_tags(stack, TIER, n["firehose_role"], cfg.get("tags")),
    }
    want["role"][n["subscription_role"]] = {
        "trust": trust(LOGS_TRUST, account, region),
        "inline": subscription_policy(stream_arn),
        "tags": stack_tags(stack, TIER, n["subscription_role"], cfg.get("tags")),
    }
    want["domain"][n["domain"]] = _desired_domain(cfg, found, access_policy(region, account, n["domain"]), az_count, subnets, tags[n["domain"]])
    want["delivery_stream"][n["delivery_stream"]] = {
        "domain_arn": domain_arn,
        "index": n["index"],
        "rotation": cfg.get("index_rotation", "OneDay"),
        "buffer_seconds": cfg.get("buffer_seconds", 60),
        "buffer_mb": cfg.get("buffer_mb", 5),
        "retry_seconds": cfg.get("retry_seconds", 300),
        "role_arn": role_arn[n["firehose_role"]],
        "bucket_arn": "arn:aws:s3:::%s" % n["bucket"],
        "subnets": subnets,
        "security_groups": [found["security_group"]],
        "tags": tags[n["delivery_stream"]],
    }
    for group in shipped_groups(cfg, n):
        if group not in found["log_groups"]:  # not made yet (the agent, the monitoring tier): made here so the filter has a group
            want["log_group"][group] = {"tags": stack_tags(stack, TIER, group, cfg.get("tags"))}
        want["subscription_filter"][group] = {
            "filter": n["subscription_filter"],
            "destination": stream_arn,
            "role_arn": role_arn[n["subscription_role"]],
            "pattern": cfg.get("filter_pattern", ""),
        }
    return want


def _desired_domain(cfg, found, policy, az_count, subnets, tags):
    """The OpenSearch domain's description: its nodes over ``az_count`` AZs (``subnets``), its access ``policy`` and encryption."""
    master_arn = cfg.get("master_user_arn") or None
    dedicated = bool(cfg.get("dedicated_master"))
    return {
        "engine_version": cfg.get("engine_version", "OpenSearch_2.13"),
        "instance_type": cfg.get("instance_type", "r6g.large.search"),
        "instance_count": cfg.get("instance_count", 2),
        "zone_awareness": az_count > 1,
        "az_count": az_count if az_count > 1 else None,
        "dedicated_master": dedicated,
        "master_type": cfg.get("master_instance_type", "m6g.large.search") if dedicated else None,
        "master_count": cfg.get("master_count", 3) if dedicated else None,
        "volume_size": cfg.get("volume_size", 20),
        "subnets": subnets,
        "security_groups": [found["security_group"]],
        "kms_key": found["kms_key"],
        "node_to_node": True,
        "enforce_https": True,
        "tls_policy": cfg.get("tls_policy", TLS_POLICIES[0]),
        "fine_grained": True,
        "internal_users": not master_arn,
        "master_user_arn": master_arn,
        "access_policy": policy,
        "snapshot_hour": cfg.get("snapshot_hour", 3),
        "tags": tags,
    }


def shipped_groups(cfg, n):
    flow = stack_names.flow_log(cfg["stack"])["log_group"]
    return [g for g in n["log_groups"] if (cfg.get("ship_flow_logs", True) if g == flow else cfg.get("ship_app_logs", True))]


# ---------------------------------------------------------------- what exists


def actual_domain(status, tags):
    """A DescribeDomain answer (and the domain's tags) in the terms of :func:`desired_logs`."""
    cluster = status.get("ClusterConfig") or {}
    vpc = status.get("VPCOptions") or {}
    security = status.get("AdvancedSecurityOptions") or {}
    endpoint = status.get("DomainEndpointOptions") or {}
    rest = status.get("EncryptionAtRestOptions") or {}
    dedicated = bool(cluster.get("DedicatedMasterEnabled"))
    zone_awareness = bool(cluster.get("ZoneAwarenessEnabled"))
    policy = status.get("AccessPolicies")
    return {
        "engine_version": status.get("EngineVersion"),
        "instance_type": cluster.get("InstanceType"),
        "instance_count": cluster.get("InstanceCount"),
        "zone_awareness": zone_awareness,
        "az_count": (cluster.get("ZoneAwarenessConfig") or {}).get("AvailabilityZoneCount") if zone_awareness else None,
        "dedicated_master": dedicated,
        "master_type": cluster.get("DedicatedMasterType") if dedicated else None,
        "master_count": cluster.get("DedicatedMasterCount") if dedicated else None,
        "volume_size": (status.get("EBSOptions") or {}).get("VolumeSize"),
        "subnets": sorted(vpc.get("SubnetIds") or []),
        "security_groups": sorted(vpc.get("SecurityGroupIds") or []),
        "kms_key": rest.get("KmsKeyId") if rest.get("Enabled") else None,
        "node_to_node": bool((status.get("NodeToNodeEncryptionOptions") or {}).get("Enabled")),
        "enforce_https": bool(endpoint.get("EnforceHTTPS")),
        "tls_policy": endpoint.get("TLSSecurityPolicy"),
        "fine_grained": bool(security.get("Enabled")),
        "internal_users": bool(security.get("InternalUserDatabaseEnabled")),
        "master_user_arn": None,  # AWS never shows the master user: set at the create, or changed by hand
        "access_policy": canonical_json(policy) if policy else None,
        "snapshot_hour": (status.get("SnapshotOptions") or {}).get("AutomatedSnapshotStartHour"),
        "tags": tags,
        "arn": status.get("ARN"),
        "public": bool(status.get("Endpoint")) and not vpc,
        "processing": bool(status.get("Processing")),
        "endpoint": (status.get("Endpoints") or {}).get("vpc") or status.get("Endpoint"),
        "zones": sorted(vpc.get("AvailabilityZones") or []),
    }


def actual_stream(description, tags):
    """A DescribeDeliveryStream answer in the terms of :func:`desired_logs` (its OpenSearch destination)."""
    destination = (description.get("Destinations") or [{}])[0]
    target = destination.get("AmazonopensearchserviceDestinationDescription") or {}
    vpc = target.get("VpcConfigurationDescription") or {}
    return {
        "domain_arn": target.get("DomainARN"),
        "index": target.get("IndexName"),
        "rotation": target.get("IndexRotationPeriod"),
        "buffer_seconds": (target.get("BufferingHints") or {}).get("IntervalInSeconds"),
        "buffer_mb": (target.get("BufferingHints") or {}).get("SizeInMBs"),
        "retry_seconds": (target.get("RetryOptions") or {}).get("DurationInSeconds"),
        "role_arn": target.get("RoleARN"),
        "bucket_arn": (target.get("S3DestinationDescription") or {}).get("BucketARN"),
        "subnets": sorted(vpc.get("SubnetIds") or []),
        "security_groups": sorted(vpc.get("SecurityGroupIds") or []),
        "tags": tags,
        "arn": description.get("DeliveryStreamARN"),
        "version": description.get("VersionId"),
        "destination_id": destination.get("DestinationId"),
        "status": description.get("DeliveryStreamStatus"),
    }


def actual_logs(stack, region, raw):
    """{kind: {name: description}} of what exists; ``raw`` is what read.read_logs found."""
    n = stack_names.logs(stack, region)
    have = dict((kind, {}) for kind in ("secret", "security_group", "bucket", "role", "domain", "delivery_stream", "log_group", "subscription_filter"))
    if raw.get("secret"):
        have["secret"][n["master_secret"]] = raw["secret"]
    if raw.get("security_group"):
        group = raw["security_group"]
        have["security_group"][n["security_group"]] = group
    if raw.get("bucket"):
        have["bucket"][n["bucket"]] = raw["bucket"]
    have["role"] = dict(raw.get("roles") or {})
    if raw.get("domain"):
        have["domain"][n["domain"]] = actual_domain(raw["domain"], raw.get("domain_tags") or {})
    if raw.get("stream"):
        have["delivery_stream"][n["delivery_stream"]] = actual_stream(raw["stream"], raw.get("stream_tags") or {})
    for group in raw.get("log_groups") or []:
        have["log_group"][group] = {"tags": {}}
    for group, found in (raw.get("filters") or {}).items():
        mine = [f for f in found if f.get("filterName") == n["subscription_filter"]]
        if mine:
            have["subscription_filter"][group] = {
                "filter": n["subscription_filter"],
                "destination": mine[0].get("destinationArn"),
                "role_arn": mine[0].get("roleArn"),
                "pattern": mine[0].get("filterPattern") or "",
            }
    return have


# ---------------------------------------------------------------- plan


def _tagged(fields):
    def compare(want, have):
        changed = diff_fields(want, have, fields)
        if missing_tags(want.get("tags") or {}, have.get("tags") or {}):
            changed.append("tags")
        return sorted(changed)

    return compare


def compare_domain(want, have):
    changed = _tagged(DOMAIN_FIELDS)(want, have)
    if have.get("master_user_arn") is None:  # AWS does not show it: never a difference
        changed = [f for f in changed if f != "master_user_arn"]
    fixed = [f for f in changed if f in FIXED and have.get(f)]
    if fixed:
        raise LogsError(
            "domain %s: its %s is %s, the tier wants %s; a domain's key cannot change (make a new domain and move the logs)"
            % (have.get("arn"), fixed[0], have.get(fixed[0]), want[fixed[0]])
        )
    if "node_to_node" in changed and not want["node_to_node"]:
        raise LogsError("domain %s: node-to-node encryption cannot be switched off" % have.get("arn"))
    return changed


def compare_stream(want, have):
    changed = _tagged(STREAM_FIELDS)(want, have)
    fixed = [f for f in changed if f in STREAM_FIXED]
    if fixed:
        raise LogsError(
            "delivery stream %s: its %s are %s, the tier wants %s; Firehose sets a stream's VPC delivery at its create "
            "(tear the tier down and deploy it again: the domain and its data are kept)" % (have.get("arn"), fixed[0], have.get(fixed[0]), want[fixed[0]])
        )
    return changed


def ordered(changes):
    rank = dict((step, index) for index, step in enumerate(ORDER))
    return sorted(changes, key=lambda change: rank[(change.kind, change.action)])


def plan_logs(want, have):
    """The ordered changes from ``have`` to ``want``; nothing the tier does not want is deleted here."""
    changes = []
    for kind in ("secret", "security_group", "bucket", "log_group"):  # made once; their settings are set at the create
        changes += [Change(CREATE, kind, name, after=spec) for name, spec in want[kind].items() if name not in have[kind]]
    changes += diff_resources("role", want["role"], have["role"], compare=_tagged(("trust", "inline")), delete_extra=False)
    changes += diff_resources("domain", want["domain"], have["domain"], compare=compare_domain, delete_extra=False)
    changes += diff_resources("delivery_stream", want["delivery_stream"], have["delivery_stream"], compare=compare_stream, delete_extra=False)
    changes += diff_resources("subscription_filter", want["subscription_filter"], have["subscription_filter"], compare=diff_fields)
    return Plan(ordered(changes))


def plan_teardown(cfg, have):
    """Delivery always stops (filters, stream, roles); the domain, its key's data and the bucket are kept unless ``delete_domain``."""
    changes = [
        Change(DELETE, kind, name, before=spec) for kind in ("subscription_filter", "delivery_stream", "role") for name, spec in sorted(have[kind].items())
    ]
    if cfg.get("delete_domain"):
        changes += [Change(DELETE, "domain", name, before=spec) for name, spec in sorted(have["domain"].items())]
        changes += [Change(DELETE, "security_group", name, before=spec) for name, spec in sorted(have["security_group"].items())]
    return Plan(ordered(changes))


def plan_notes(cfg, have, kms_note=None):
    """What the plan does not say: what a teardown keeps, why no final snapshot, the key not there yet."""
    notes = [kms_note] if kms_note else []
    if cfg.get("state") != "absent":
        return notes
    if not cfg.get("delete_domain"):
        notes += ["domain %s kept with its indices and snapshots (delete_domain=false)" % name for name in sorted(have["domain"])]
    else:
        notes += [
            "domain %s: no final snapshot taken: a manual snapshot is a call to the domain's own _snapshot API from inside the VPC, "
            "not an AWS API call; its automated snapshots go with it (docs/logs.md)" % name
            for name in sorted(have["domain"])
        ]
    notes += ["bucket %s kept with the documents Firehose could not index" % name for name in sorted(have["bucket"])]
    notes += ["secret %s kept (the master user's password)" % name for name in sorted(have["secret"])]
    return notes


def summarize(stack, region, have, plan, check_mode):
    """What the module returns about the tier."""
    n = stack_names.logs(stack, region)
    domain = have["domain"].get(n["domain"]) or {}
    gone = set(c.name for c in plan.of("domain", DELETE)) if not check_mode else set()
    made = set(c.name for c in plan.of("domain", CREATE)) if not check_mode else set()
    exists = (n["domain"] in have["domain"] or n["domain"] in made) and n["domain"] not in gone
    shipped = set(have["subscription_filter"])
    if not check_mode:
        shipped = (shipped | set(c.name for c in plan.of("subscription_filter", CREATE))) - set(c.name for c in plan.of("subscription_filter", DELETE))
    return {
        "region": region,
        "domain": n["domain"],
        "domain_exists": exists,
        "endpoint": domain.get("endpoint"),
        "delivery_stream": n["delivery_stream"],
        "bucket": n["bucket"],
        "master_secret": n["master_secret"],
        "shipped_log_groups": sorted(shipped),
    }


def secret_string(user, password):
    return json.dumps({"username": user, "password": password}, sort_keys=True)
