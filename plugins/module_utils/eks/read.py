# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the EKS tier finds: its cluster, node groups, roles, OIDC provider, add-ons, access entries and log
group; the network's app subnets and the stack's key through the stack view."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core import iam_roles
from ansible_collections.hatrading.aws.plugins.module_utils.eks import model

POLICY = names.eks("stack")["policy"]  # the inline policy's name, the same in every stack


def read_role(iam, name):
    return iam_roles.read_role(iam, name, POLICY, managed=True)


def read_roles(iam, role_names):
    found = {}
    for name in role_names:
        role = read_role(iam, name)
        if role:
            found[name] = role
    return found


def read_oidc_provider(iam, issuer):
    """{issuer host: {"arn"}} when IAM holds a provider for the cluster's issuer (its ARN ends with the host)."""
    if not issuer:
        return {}
    host = model.issuer_host(issuer)
    for provider in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList") or []:
        if provider["Arn"].endswith(":oidc-provider/" + host):
            return {host: {"arn": provider["Arn"]}}
    return {}


def read_nodegroups(eks, cluster):
    found = {}
    for name in eks.list_nodegroups(clusterName=cluster):
        raw = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)
        if raw:
            found[name] = model.actual_nodegroup(raw)
    return found


def read_addons(eks, cluster, wanted):
    found = {}
    for name in wanted:
        raw = eks.describe_addon(clusterName=cluster, addonName=name)
        if raw:
            found[name] = {"tags": raw.get("tags") or {}, "status": raw.get("status"), "version": raw.get("addonVersion")}
    return found


def read_access_entries(eks, cluster, principals):
    """Only the principals the settings name: EKS adds the cluster creator's own entry, which the tier leaves alone."""
    found = {}
    for principal in principals:
        raw = eks.describe_access_entry(clusterName=cluster, principalArn=principal)
        if not raw:
            continue
        policies = eks.list_associated_access_policies(clusterName=cluster, principalArn=principal)
        found[principal] = {
            "policies": dict((p["policyArn"], _scope(p.get("accessScope") or {})) for p in policies),
            "tags": raw.get("tags") or {},
        }
    return found


def _scope(scope):
    if scope.get("type") == "namespace":
        return {"type": "namespace", "namespaces": sorted(scope.get("namespaces") or [])}
    return {"type": scope.get("type", "cluster")}


def read_log_group(logs, name):
    group = logs.log_group_named(name)
    if not group:
        return {}
    tags = logs.list_tags_for_resource(resourceArn=group["arn"].rstrip("*").rstrip(":")).get("tags") or {}
    return {name: {"retention": group.get("retentionInDays"), "tags": tags}}
