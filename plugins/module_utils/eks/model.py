# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EKS tier as plain data: settings, validation, the wanted cluster, node groups, roles, add-ons and
access entries, and the plan between wanted and found. Nothing here calls AWS: read.py reads, apply.py applies.

The cluster sits in the app subnets of every AZ, its secrets encrypted with the stack's KMS key, its control
plane logging to CloudWatch; one managed node group per AZ (so a scale-out lands in the zone that needs it);
an IAM OIDC provider for its issuer, and one role per app tier that only that tier's service account assumes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import KMS_ARN
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_cidr
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_log_retention
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_port
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import TierChecks
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.nosql_access import nosql_statements
from ansible_collections.hatrading.aws.plugins.module_utils.core.nosql_access import validate_ttl_attribute
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import canonical_json
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import diff_resources
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS
from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import regional_options
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags

TIER = "eks"
DEFAULT_REGION = "us-east-1"
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
AMI_TYPES = ("AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64")
ACCESS_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy")
ACCESS_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/%s"
CORE_ADDONS = ("vpc-cni", "coredns", "kube-proxy")
VERSION = re.compile(r"^1\.\d{2}$")
PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
ADDON_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
HEALTH_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")
CLUSTER_POLICIES = ("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",)
NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
)
OIDC_AUDIENCE = "sts.amazonaws.com"
PORTS = {"frontend": 8080, "backend": 8081}  # the compute tier's defaults
NEW = "(known after apply)"


class EksError(TierError):
    """A wanted state the tier cannot reach (no app subnets, no key)."""


# ---------------------------------------------------------------- settings and validation


def settings_of(params):
    return regional_options(params, DEFAULT_REGION)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_cluster(settings, v):
    errors = []
    version = settings.get("kubernetes_version", "1.33")
    if not isinstance(version, str) or not VERSION.match(version):
        errors.append("%s: %r is not a Kubernetes minor version such as 1.33" % (v("kubernetes_version"), version))
    kms = settings.get("kms_key_arn") or ""
    if kms and not KMS_ARN.match(kms):
        errors.append("%s: %r is not the ARN of a KMS key or alias" % (v("kms_key_arn"), kms))
    if not settings.get("endpoint_private_access", True) and not settings.get("endpoint_public_access", False):
        errors.append("%s: with %s=false too the API server would be unreachable" % (v("endpoint_private_access"), v("endpoint_public_access")))
    for cidr in settings.get("public_access_cidrs") or []:
        errors += validate_cidr(cidr, v("public_access_cidrs"))
    if settings.get("public_access_cidrs") and not settings.get("endpoint_public_access", False):
        errors.append("%s: only used with %s=true" % (v("public_access_cidrs"), v("endpoint_public_access")))
    unknown = [kind for kind in settings.get("log_types", LOG_TYPES) or [] if kind not in LOG_TYPES]
    if unknown:
        errors.append("%s: %s not a control-plane log type; use %s" % (v("log_types"), ", ".join(map(repr, unknown)), ", ".join(LOG_TYPES)))
    errors += validate_log_retention(settings.get("log_retention_days", 30), v("log_retention_days"))
    for name in settings.get("addons", CORE_ADDONS) or []:
        if not isinstance(name, str) or not ADDON_NAME.match(name):
            errors.append("%s: %r is not an add-on name" % (v("addons"), name))
    return errors


def _validate_nodes(settings, v):
    errors = []
    sizes = dict((key, settings.get("node_%s_size" % key, default)) for key, default in (("min", 1), ("desired", 1), ("max", 3)))
    bad = [key for key, value in sizes.items() if not _is_int(value) or value < 0]
    errors += ["%s: %r must be a whole number, 0 or more" % (v("node_%s_size" % key), sizes[key]) for key in sorted(bad)]
    if not bad and not sizes["min"] <= sizes["desired"] <= sizes["max"]:
        bounds = (v("node_min_size"), sizes["min"], v("node_max_size"), sizes["max"])
        errors.append("%s: %d must lie between %s (%d) and %s (%d)" % ((v("node_desired_size"), sizes["desired"]) + bounds))
    if not bad and sizes["max"] < 1:
        errors.append("%s: a node group needs a maximum of 1 or more" % v("node_max_size"))
    types = settings.get("node_instance_types", ["t3.medium"])
    if not isinstance(types, list) or not types or any(not isinstance(t, str) or not INSTANCE_TYPE.match(t) for t in types):
        errors.append("%s: %r must be a non-empty list of instance types such as t3.medium" % (v("node_instance_types"), types))
    if settings.get("node_capacity_type", "ON_DEMAND") not in CAPACITY_TYPES:
        errors.append("%s: %r is not ON_DEMAND or SPOT" % (v("node_capacity_type"), settings.get("node_capacity_type")))
    if settings.get("node_ami_type", AMI_TYPES[0]) not in AMI_TYPES:
        errors.append("%s: %r is not one of %s" % (v("node_ami_type"), settings.get("node_ami_type"), ", ".join(AMI_TYPES)))
    return errors


def _validate_access(settings, v):
    errors = []
    entries = settings.get("access_entries") or []
    if not isinstance(entries, list):
        return ["%s: must be a list of {principal_arn, policy, namespaces}" % v("access_entries")]
    for index, entry in enumerate(entries):
        where = "%s[%d]" % (v("access_entries"), index)
        if not isinstance(entry, dict):
            errors.append("%s: must be a mapping with principal_arn and policy" % where)
            continue
        if not PRINCIPAL_ARN.match(entry.get("principal_arn") or ""):
            errors.append("%s.principal_arn: %r is not the ARN of an IAM role or user" % (where, entry.get("principal_arn")))
        if entry.get("policy", "AmazonEKSViewPolicy") not in ACCESS_POLICIES:
            errors.append("%s.policy: %r is not one of %s" % (where, entry.get("policy"), ", ".join(ACCESS_POLICIES)))
        bad = [n for n in entry.get("namespaces") or [] if not isinstance(n, str) or not DNS_LABEL.match(n)]
        if bad:
            errors.append("%s.namespaces: %r are not namespace names" % (where, bad))
        unknown = sorted(set(entry) - set(["principal_arn", "policy", "namespaces"]))
        if unknown:
            errors.append("%s: unknown keys %s" % (where, ", ".join(unknown)))
    principals = [entry.get("principal_arn") for entry in entries if isinstance(entry, dict)]
    if len(set(principals)) != len(principals):
        errors.append("%s: a principal is listed twice" % v("access_entries"))
    return errors


def _validate_apps(settings, v):
    errors = []
    namespace = settings.get("namespace", "hatrading")
    if not isinstance(namespace, str) or not DNS_LABEL.match(namespace):
        errors.append("%s: %r is not a namespace name (lower-case letters, digits and dashes)" % (v("namespace"), namespace))
    for tier in APP_TIERS:
        errors += validate_port(settings.get("%s_port" % tier, PORTS[tier]), v("%s_port" % tier))
        path = settings.get("%s_health_path" % tier, "/health")
        if not isinstance(path, str) or not HEALTH_PATH.match(path):
            errors.append("%s: %r must be a path starting with /" % (v("%s_health_path" % tier), path))
        low, high = settings.get("%s_min_replicas" % tier, 2), settings.get("%s_max_replicas" % tier, 4)
        if not (_is_int(low) and _is_int(high) and 1 <= low <= high):
            errors.append("%s: %r must be a whole number from 1 to %s (%r)" % (v("%s_min_replicas" % tier), low, v("%s_max_replicas" % tier), high))
    target = settings.get("cpu_target_percent", 60)
    if not _is_int(target) or not 10 <= target <= 95:
        errors.append("%s: %r must be a whole number from 10 to 95" % (v("cpu_target_percent"), target))
    return errors + validate_ttl_attribute(settings.get("backend_nosql_session_ttl_attribute"), v("backend_nosql_session_ttl_attribute"))


CHECKS = TierChecks(
    "the EKS cluster",
    kept=lambda v: "its log group is kept unless %s" % v("delete_log_group"),
    build=(_validate_cluster, _validate_nodes, _validate_access, _validate_apps),
    settings_of=settings_of,
)
validate_eks = CHECKS.settings  # the validate play's check (``prefix``: eks_)


def backend_nosql(cfg):
    """What core.nosql_access reads for the back-end's pods: the same tables and TTL attribute as the compute tier's back-end."""
    return {
        "stack": cfg["stack"],
        "region": cfg.get("region"),
        "nosql_tables": cfg.get("backend_nosql_tables", False),
        "nosql_session_ttl_attribute": cfg.get("backend_nosql_session_ttl_attribute", "expires_at"),
    }


# ---------------------------------------------------------------- wanted state


def trust(service=None, federated=None, conditions=None):
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole"}
    if service:
        statement["Principal"] = {"Service": service}
    else:
        statement.update(Principal={"Federated": federated}, Action="sts:AssumeRoleWithWebIdentity", Condition={"StringEquals": conditions})
    return {"Version": "2012-10-17", "Statement": [statement]}


def app_policy(cfg, tier, account):
    """What each app's pods may do, and no more: write their own logs; the back-end also reads the database secret and,
    with ``backend_nosql_tables``, the items of the nosql tier's two tables (the compute tier's statements)."""
    stack, region = cfg["stack"], cfg["region"]
    prefix = names.eks(stack)["log_group_prefix"]
    statements = [
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:aws:logs:%s:%s:log-group:%s%s:*" % (region, account, prefix, tier),
        }
    ]
    if tier == "backend":
        secret = names.eks(stack)["database_secret"]
        statements.append(
            {
                "Sid": "DatabaseSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "arn:aws:secretsmanager:%s:%s:secret:%s-*" % (region, account, secret),
            }
        )
        if backend_nosql(cfg)["nosql_tables"]:
            statements += nosql_statements(backend_nosql(cfg))
    return {"Version": "2012-10-17", "Statement": statements}


def desired_roles(cfg, account, provider_arn, issuer):
    """name -> role: the cluster's, the nodes', and one per app tier for its service account (IRSA)."""
    n, stack = names.eks(cfg["stack"]), cfg["stack"]

    def role(name, trust_doc, managed=(), inline=None):
        return {
            "trust": canonical_json(trust_doc) if trust_doc else NEW,
            "managed": sorted(managed),
            "inline": canonical_json(inline) if inline else None,
            "tags": stack_tags(stack, TIER, name, cfg.get("tags")),
        }

    roles = {
        n["cluster_role"]: role(n["cluster_role"], trust("eks.amazonaws.com"), CLUSTER_POLICIES),
        n["node_role"]: role(n["node_role"], trust("ec2.amazonaws.com"), NODE_POLICIES),
    }
    host = issuer_host(issuer) if issuer else None
    for tier in APP_TIERS:
        name = n["service_account_role"](tier)
        account_name = "system:serviceaccount:%s:%s" % (cfg.get("namespace", "hatrading"), tier)
        conditions = {"%s:sub" % host: account_name, "%s:aud" % host: OIDC_AUDIENCE} if host else None
        roles[name] = role(name, trust(federated=provider_arn, conditions=conditions) if host else None, (), app_policy(cfg, tier, account))
    return roles


def issuer_host(issuer):
    return issuer.split("://", 1)[-1]


def desired_cluster(cfg, subnet_ids, key_arn, role_arn):
    name = names.eks(cfg["stack"])["cluster"]
    public = bool(cfg.get("endpoint_public_access", False))
    return {
        "version": cfg.get("kubernetes_version", "1.33"),
        "role_arn": role_arn or NEW,
        "subnets": sorted(subnet_ids),
        "endpoint_private_access": bool(cfg.get("endpoint_private_access", True)),
        "endpoint_public_access": public,
        "public_access_cidrs": sorted(cfg.get("public_access_cidrs") or ["0.0.0.0/0"]) if public else None,
        "logging": sorted(cfg.get("log_types", LOG_TYPES) or []),
        "kms_key_arn": key_arn,
        "tags": stack_tags(cfg["stack"], TIER, name, cfg.get("tags")),
    }


def desired_nodegroups(cfg, subnets_by_az):
    """One managed node group per AZ, in that AZ's app subnet."""
    n, found = names.eks(cfg["stack"]), {}
    for az, subnet_id in sorted(subnets_by_az.items()):
        name = n["nodegroup"](az)
        found[name] = {
            "subnets": [subnet_id],
            "min_size": cfg.get("node_min_size", 1),
            "max_size": cfg.get("node_max_size", 3),
            "desired_size": cfg.get("node_desired_size", 1),
            "instance_types": list(cfg.get("node_instance_types") or ["t3.medium"]),
            "capacity_type": cfg.get("node_capacity_type", "ON_DEMAND"),
            "ami_type": cfg.get("node_ami_type", AMI_TYPES[0]),
            "labels": {"hatrading/stack": cfg["stack"], "topology.kubernetes.io/zone": az},
            "tags": stack_tags(cfg["stack"], TIER, name, cfg.get("tags")),
        }
    return found


def desired_addons(cfg):
    return dict((name, {"tags": stack_tags(cfg["stack"], TIER, name, cfg.get("tags"))}) for name in cfg.get("addons", CORE_ADDONS) or [])


def desired_access_entries(cfg):
    found = {}
    for entry in cfg.get("access_entries") or []:
        namespaces = sorted(entry.get("namespaces") or [])
        scope = {"type": "namespace", "namespaces": namespaces} if namespaces else {"type": "cluster"}
        found[entry["principal_arn"]] = {
            "policies": {ACCESS_POLICY_ARN % entry.get("policy", "AmazonEKSViewPolicy"): scope},
            "tags": stack_tags(cfg["stack"], TIER, names.eks(cfg["stack"])["cluster"], cfg.get("tags")),
        }
    return found


def desired_log_group(cfg):
    name = names.eks(cfg["stack"])["log_group"]
    return {name: {"retention": cfg.get("log_retention_days", 30), "tags": stack_tags(cfg["stack"], TIER, name, cfg.get("tags"))}}


# ---------------------------------------------------------------- found state, compared


def actual_cluster(raw):
    if not raw:
        return None
    vpc = raw.get("resourcesVpcConfig") or {}
    enabled = [kind for setup in (raw.get("logging") or {}).get("clusterLogging") or [] if setup.get("enabled") for kind in setup.get("types") or []]
    keys = [c.get("provider", {}).get("keyArn") for c in raw.get("encryptionConfig") or [] if "secrets" in (c.get("resources") or [])]
    return {
        "version": raw.get("version"),
        "role_arn": raw.get("roleArn"),
        "subnets": sorted(vpc.get("subnetIds") or []),
        "endpoint_private_access": bool(vpc.get("endpointPrivateAccess")),
        "endpoint_public_access": bool(vpc.get("endpointPublicAccess")),
        "public_access_cidrs": sorted(vpc.get("publicAccessCidrs") or []) if vpc.get("endpointPublicAccess") else None,
        "logging": sorted(enabled),
        "kms_key_arn": keys[0] if keys else None,
        "tags": raw.get("tags") or {},
        "status": raw.get("status"),
        "issuer": ((raw.get("identity") or {}).get("oidc") or {}).get("issuer"),
        "arn": raw.get("arn"),
    }


def actual_nodegroup(raw):
    scaling = raw.get("scalingConfig") or {}
    return {
        "subnets": list(raw.get("subnets") or []),
        "min_size": scaling.get("minSize"),
        "max_size": scaling.get("maxSize"),
        "desired_size": scaling.get("desiredSize"),
        "instance_types": list(raw.get("instanceTypes") or []),
        "capacity_type": raw.get("capacityType"),
        "ami_type": raw.get("amiType"),
        "labels": raw.get("labels") or {},
        "tags": raw.get("tags") or {},
        "arn": raw.get("nodegroupArn"),
    }


def compare_tags(want, have):
    return any(have.get(key) != value for key, value in want.items())


CLUSTER_UPDATABLE = ("version", "endpoint_private_access", "endpoint_public_access", "public_access_cidrs", "logging")
CLUSTER_FIXED = ("subnets", "kms_key_arn", "role_arn")  # EKS cannot change these on a running cluster
NODEGROUP_FIXED = ("subnets", "instance_types", "capacity_type", "ami_type")


def compare_cluster(want, have):
    fields = [f for f in CLUSTER_UPDATABLE if want.get(f) is not None and want[f] != have.get(f)]
    return sorted(fields + (["tags"] if compare_tags(want["tags"], have["tags"]) else []))


def compare_nodegroup(want, have):
    # the desired size is the autoscaler's after creation: only a value outside the new range moves it
    fields = [f for f in ("min_size", "max_size", "labels") if want[f] != have.get(f)]
    if have.get("desired_size") is not None and not want["min_size"] <= have["desired_size"] <= want["max_size"]:
        fields.append("desired_size")
    return sorted(fields + (["tags"] if compare_tags(want["tags"], have["tags"]) else []))


def compare_role(want, have):
    fields = [f for f in ("trust", "managed", "inline") if want[f] != NEW and want[f] != have.get(f)]
    return sorted(fields + (["tags"] if compare_tags(want["tags"], have["tags"]) else []))


def compare_tags_only(want, have):
    return ["tags"] if compare_tags(want["tags"], have.get("tags") or {}) else []


def compare_access_entry(want, have):
    return (["policies"] if want["policies"] != have.get("policies") else []) + compare_tags_only(want, have)


def compare_log_group(want, have):
    return (["retention"] if want["retention"] != have.get("retention") else []) + compare_tags_only(want, have)


def fixed_changes(want, have, fixed):
    """The fields that differ but cannot change in place: a warning each, never a silent replacement."""
    return [f for f in fixed if want.get(f) not in (None, NEW) and have.get(f) is not None and want[f] != have[f]]


def plan_present(want, have):
    """The changes, in deploy order: roles, log group, cluster, OIDC provider, node groups, add-ons, access entries."""
    changes = diff_resources("role", want["roles"], have["roles"], compare_role, delete_extra=False)
    changes += diff_resources("log_group", want["log_group"], have["log_group"], compare_log_group, delete_extra=False)
    changes += diff_resources("cluster", want["cluster"], have["cluster"], compare_cluster, delete_extra=False)
    changes += diff_resources("oidc_provider", want["oidc_provider"], have["oidc_provider"], lambda w, h: [], delete_extra=False)
    changes += diff_resources("nodegroup", want["nodegroups"], have["nodegroups"], compare_nodegroup)
    changes += diff_resources("addon", want["addons"], have["addons"], compare_tags_only, delete_extra=False)
    changes += diff_resources("access_entry", want["access_entries"], have["access_entries"], compare_access_entry, delete_extra=False)
    return changes
