# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EKS tier's Applier and reconcile(): read, plan, apply.

The OIDC issuer exists only once the cluster does: a first run plans the provider and the service-account roles'
trust as "(known after apply)" and the handlers read the issuer when they get there; a rerun compares them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.eks import manifests
from ansible_collections.hatrading.aws.plugins.module_utils.eks import model
from ansible_collections.hatrading.aws.plugins.module_utils.eks import read

# IAM needs a thumbprint list for an OIDC provider; for EKS issuers AWS checks the certificate itself and ignores it
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


class Identity:
    """The account and partition, and the ARNs of the tier's roles and OIDC provider (deterministic from the names)."""

    def __init__(self, sts):
        caller = sts.get_caller_identity()
        self.account = caller["Account"]
        self.partition = caller["Arn"].split(":")[1]

    def role_arn(self, name):
        return "arn:%s:iam::%s:role/%s" % (self.partition, self.account, name)

    def provider_arn(self, issuer):
        return "arn:%s:iam::%s:oidc-provider/%s" % (self.partition, self.account, model.issuer_host(issuer)) if issuer else None


def reconcile(clients, params, run, outcome):
    cfg = model.settings_of(params)
    n = names.eks(cfg["stack"])
    outcome.step = "EKS cluster %s" % n["cluster"]
    identity = Identity(clients.sts)
    raw_cluster = clients.eks.describe_cluster(name=n["cluster"])
    have_cluster = model.actual_cluster(raw_cluster)
    if cfg.get("state") == "absent":
        return _absent(clients, cfg, run, outcome, have_cluster)
    view = StackView(clients, cfg["stack"])
    subnets = view.subnet_per_az("app")
    if not subnets:
        raise model.EksError("stack %s has no app subnets: deploy the network tier first" % cfg["stack"])
    key_arn = _key_arn(cfg, view)
    want, have = _wanted_and_found(clients, cfg, identity, have_cluster, subnets, key_arn)
    outcome.plan.extend(model.plan_present(want, have))
    for change in outcome.plan.of(kind="cluster") + outcome.plan.of(kind="nodegroup"):
        fixed = model.fixed_changes(change.after, change.before or {}, model.CLUSTER_FIXED if change.kind == "cluster" else model.NODEGROUP_FIXED)
        outcome.warnings += ["%s %s: %s cannot change in place (kept as it is)" % (change.kind, change.name, field) for field in fixed]
    applier = EksApplier(clients, cfg, identity, have_cluster)
    outcome.plan.apply(applier.handlers(), applier.finishers(), check_mode=run.check_mode)
    outcome.result["eks"] = _result(cfg, identity, applier, subnets, key_arn, view)


def _key_arn(cfg, view):
    if cfg.get("kms_key_arn"):
        return cfg["kms_key_arn"]
    key = view.stack_kms_key()
    if not key:
        raise model.EksError(
            "kms_key_arn: not given, and the stack's key %s does not exist (deploy the database tier, or give a key)" % names.eks(cfg["stack"])["kms_alias"]
        )
    return key["Arn"]


def _wanted_and_found(clients, cfg, identity, have_cluster, subnets, key_arn):
    n = names.eks(cfg["stack"])
    issuer = have_cluster["issuer"] if have_cluster else None
    want = {
        "roles": model.desired_roles(cfg, identity.account, identity.provider_arn(issuer), issuer),
        "log_group": model.desired_log_group(cfg),
        "cluster": {n["cluster"]: model.desired_cluster(cfg, subnets.values(), key_arn, identity.role_arn(n["cluster_role"]))},
        "oidc_provider": {model.issuer_host(issuer) if issuer else "issuer of %s" % n["cluster"]: {"url": issuer or model.NEW}},
        "nodegroups": model.desired_nodegroups(cfg, subnets),
        "addons": model.desired_addons(cfg),
        "access_entries": model.desired_access_entries(cfg),
    }
    have = {
        "roles": read.read_roles(clients.iam, list(want["roles"])),
        "log_group": read.read_log_group(clients.logs, n["log_group"]),
        "cluster": {n["cluster"]: have_cluster} if have_cluster else {},
        "oidc_provider": read.read_oidc_provider(clients.iam, issuer),
        "nodegroups": {},
        "addons": {},
        "access_entries": {},
    }
    if have_cluster:
        have["nodegroups"] = read.read_nodegroups(clients.eks, n["cluster"])
        have["addons"] = read.read_addons(clients.eks, n["cluster"], list(want["addons"]))
        have["access_entries"] = read.read_access_entries(clients.eks, n["cluster"], list(want["access_entries"]))
    return want, have


def _result(cfg, identity, applier, subnets, key_arn, view):
    n = names.eks(cfg["stack"])
    cluster = applier.cluster or {}
    role_arns = dict((tier, identity.role_arn(n["service_account_role"](tier))) for tier in APP_TIERS)
    return {
        "cluster": n["cluster"],
        "endpoint": cluster.get("endpoint"),
        "issuer": applier.issuer(required=False),
        "availability_zones": sorted(subnets),
        "nodegroups": [n["nodegroup"](az) for az in sorted(subnets)],
        "kms_key_arn": key_arn,
        "service_account_roles": role_arns,
        "manifests": manifests.manifests(cfg, images(cfg, identity), role_arns, view.subnet_ids("public")),
    }


def images(cfg, identity):
    """Each app's image: given, else the pipeline's ECR repository with ``image_tag``."""
    host = "%s.dkr.ecr.%s.amazonaws.com" % (identity.account, cfg["region"])
    repositories = names.eks(cfg["stack"])["repositories"]
    tag = cfg.get("image_tag", "latest")
    return dict((tier, cfg.get("%s_image" % tier) or "%s/%s:%s" % (host, repositories[tier], tag)) for tier in APP_TIERS)


def _absent(clients, cfg, run, outcome, have_cluster):
    """Node groups, then the cluster (its add-ons and access entries go with it), the OIDC provider and the roles.

    The control plane's log group is kept unless ``delete_log_group``: it holds the audit trail.
    """
    n = names.eks(cfg["stack"])
    changes = []
    if have_cluster:
        changes += [Change(DELETE, "nodegroup", name, before=have) for name, have in sorted(read.read_nodegroups(clients.eks, n["cluster"]).items())]
        changes.append(Change(DELETE, "cluster", n["cluster"], before=have_cluster))
        changes += [Change(DELETE, "oidc_provider", host, before=have) for host, have in read.read_oidc_provider(clients.iam, have_cluster["issuer"]).items()]
    role_names = [n["service_account_role"](tier) for tier in APP_TIERS] + [n["node_role"], n["cluster_role"]]
    changes += [Change(DELETE, "role", name, before=have) for name, have in read.read_roles(clients.iam, role_names).items()]
    log_group = read.read_log_group(clients.logs, n["log_group"])
    if cfg.get("delete_log_group"):
        changes += [Change(DELETE, "log_group", name, before=have) for name, have in log_group.items()]
    outcome.plan.extend(changes)
    applier = EksApplier(clients, cfg, None, have_cluster)
    outcome.plan.apply(applier.handlers(), applier.finishers(), check_mode=run.check_mode)
    outcome.result["eks"] = {"cluster": n["cluster"], "kept": ["log_group %s" % name for name in log_group if not cfg.get("delete_log_group")]}


class EksApplier(Applier):
    """One handler per (kind, action); waits run once after a run of node groups or add-ons."""

    def __init__(self, clients, cfg, identity, have_cluster):
        self.eks, self.iam, self.logs = clients.eks, clients.iam, clients.logs
        self.cfg, self.identity = cfg, identity
        self.n = names.eks(cfg["stack"])
        self.cluster_name = self.n["cluster"]
        self.cluster = have_cluster
        self.timeout = int(cfg.get("wait_timeout", 1800))

    def issuer(self, required=True):
        """The cluster's OIDC issuer, read again once the cluster exists."""
        if self.cluster and self.cluster.get("issuer"):
            return self.cluster["issuer"]
        raw = self.eks.describe_cluster(name=self.cluster_name) if required else None
        self.cluster = model.actual_cluster(raw) or self.cluster
        if raw:
            self.cluster["endpoint"] = raw.get("endpoint")
        return (self.cluster or {}).get("issuer")

    def finishers(self):
        return {
            ("nodegroup", "create"): lambda run: self._wait_each("nodegroup_active", run),
            ("nodegroup", "delete"): lambda run: self._wait_each("nodegroup_deleted", run),
            ("addon", "create"): lambda run: [self.eks.wait("addon_active", self.timeout, 15, clusterName=self.cluster_name, addonName=c.name) for c in run],
        }

    def _wait_each(self, waiter, run):
        for change in run:
            self.eks.wait(waiter, self.timeout, 15, clusterName=self.cluster_name, nodegroupName=change.name)

    # -- IAM roles
    def _trust(self, change):
        if change.after["trust"] != model.NEW:
            return change.after["trust"]
        issuer = self.issuer()  # a service account's role, planned before the cluster existed
        roles = model.desired_roles(self.cfg, self.identity.account, self.identity.provider_arn(issuer), issuer)
        return roles[change.name]["trust"]

    def create_role(self, change):
        if change.after["trust"] == model.NEW:
            return  # made after the OIDC provider, by create_oidc_provider
        self._make_role(change.name, change.after, change.after["trust"])

    def _make_role(self, name, after, trust_doc):
        description = "hatrading %s eks" % self.cfg["stack"]
        self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_doc, Tags=tag_list(after["tags"]), Description=description)
        for arn in after["managed"]:
            self.iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        if after["inline"]:
            self.iam.put_role_policy(RoleName=name, PolicyName=self.n["policy"], PolicyDocument=after["inline"])

    def update_role(self, change):
        if "trust" in change.fields:
            self.iam.update_assume_role_policy(RoleName=change.name, PolicyDocument=self._trust(change))
        if "managed" in change.fields:
            for arn in sorted(set(change.after["managed"]) - set(change.before["managed"])):
                self.iam.attach_role_policy(RoleName=change.name, PolicyArn=arn)
            for arn in sorted(set(change.before["managed"]) - set(change.after["managed"])):
                self.iam.detach_role_policy(RoleName=change.name, PolicyArn=arn)
        if "inline" in change.fields:
            self.iam.put_role_policy(RoleName=change.name, PolicyName=self.n["policy"], PolicyDocument=change.after["inline"])
        if "tags" in change.fields:
            self.iam.tag_role(RoleName=change.name, Tags=tag_list(missing_tags(change.after["tags"], change.before["tags"])))

    def delete_role(self, change):
        for arn in change.before["managed"]:
            self.iam.detach_role_policy(RoleName=change.name, PolicyArn=arn)
        if change.before["inline"]:
            self.iam.delete_role_policy(RoleName=change.name, PolicyName=self.n["policy"])
        self.iam.delete_role(RoleName=change.name)

    # -- the control plane's log group (EKS writes to it; made first so it has a retention and tags)
    def create_log_group(self, change):
        self.logs.create_log_group(logGroupName=change.name, tags=change.after["tags"])
        self.logs.put_retention_policy(logGroupName=change.name, retentionInDays=change.after["retention"])

    def update_log_group(self, change):
        if "retention" in change.fields:
            self.logs.put_retention_policy(logGroupName=change.name, retentionInDays=change.after["retention"])
        if "tags" in change.fields:
            arn = "arn:%s:logs:%s:%s:log-group:%s" % (self.identity.partition, self.cfg["region"], self.identity.account, change.name)
            self.logs.tag_resource(resourceArn=arn, tags=missing_tags(change.after["tags"], change.before["tags"]))

    def delete_log_group(self, change):
        self.logs.delete_log_group(logGroupName=change.name)

    # -- the cluster
    def create_cluster(self, change):
        after = change.after
        self.eks.create_cluster(
            name=change.name,
            version=after["version"],
            roleArn=after["role_arn"],
            resourcesVpcConfig=self._vpc_config(after, subnets=True),
            logging=self._logging(after["logging"]),
            encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": after["kms_key_arn"]}}],
            accessConfig={"authenticationMode": "API"},
            tags=after["tags"],
        )
        self._wait_active()

    def _wait_active(self):
        self.eks.wait("cluster_active", self.timeout, 15, name=self.cluster_name)
        self.cluster = None
        self.issuer()

    @staticmethod
    def _vpc_config(after, subnets=False):
        config = {"endpointPrivateAccess": after["endpoint_private_access"], "endpointPublicAccess": after["endpoint_public_access"]}
        if after["endpoint_public_access"]:
            config["publicAccessCidrs"] = after["public_access_cidrs"]
        if subnets:
            config["subnetIds"] = after["subnets"]
        return config

    @staticmethod
    def _logging(enabled):
        off = [kind for kind in model.LOG_TYPES if kind not in enabled]
        return {"clusterLogging": [setup for setup in ({"types": enabled, "enabled": True}, {"types": off, "enabled": False}) if setup["types"]]}

    def update_cluster(self, change):
        # EKS takes one kind of update at a time: each waits for the cluster to be active again
        if "version" in change.fields:
            self.eks.update_cluster_version(name=change.name, version=change.after["version"])
            self._wait_active()
        if "logging" in change.fields:
            self.eks.update_cluster_config(name=change.name, logging=self._logging(change.after["logging"]))
            self._wait_active()
        if set(change.fields) & set(["endpoint_private_access", "endpoint_public_access", "public_access_cidrs"]):
            self.eks.update_cluster_config(name=change.name, resourcesVpcConfig=self._vpc_config(change.after))
            self._wait_active()
        if "tags" in change.fields:
            self.eks.tag_resource(resourceArn=change.before["arn"], tags=missing_tags(change.after["tags"], change.before["tags"]))

    def delete_cluster(self, change):
        self.eks.delete_cluster(name=change.name)
        self.eks.wait("cluster_deleted", self.timeout, 15, name=change.name)

    # -- the OIDC provider, then the service accounts' roles that trust it
    def create_oidc_provider(self, change):
        issuer = self.issuer()
        tags = stack_tags(self.cfg["stack"], model.TIER, self.cluster_name, self.cfg.get("tags"))
        self.iam.create_open_id_connect_provider(Url=issuer, ClientIDList=[model.OIDC_AUDIENCE], ThumbprintList=[EKS_OIDC_THUMBPRINT], Tags=tag_list(tags))
        roles = model.desired_roles(self.cfg, self.identity.account, self.identity.provider_arn(issuer), issuer)
        for tier in APP_TIERS:
            name = self.n["service_account_role"](tier)
            if self.iam.get_role(RoleName=name, missing=None) is None:
                self._make_role(name, roles[name], roles[name]["trust"])

    def delete_oidc_provider(self, change):
        self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=change.before["arn"])

    # -- node groups, one per AZ
    def create_nodegroup(self, change):
        after = change.after
        self.eks.create_nodegroup(
            clusterName=self.cluster_name,
            nodegroupName=change.name,
            scalingConfig={"minSize": after["min_size"], "maxSize": after["max_size"], "desiredSize": after["desired_size"]},
            subnets=after["subnets"],
            instanceTypes=after["instance_types"],
            amiType=after["ami_type"],
            capacityType=after["capacity_type"],
            nodeRole=self.identity.role_arn(self.n["node_role"]),
            labels=after["labels"],
            updateConfig={"maxUnavailable": 1},
            tags=after["tags"],
        )

    def update_nodegroup(self, change):
        after, before = change.after, change.before
        params = {}
        if set(change.fields) & set(["min_size", "max_size", "desired_size"]):
            desired = min(max(before.get("desired_size") or after["min_size"], after["min_size"]), after["max_size"])
            params["scalingConfig"] = {"minSize": after["min_size"], "maxSize": after["max_size"], "desiredSize": desired}
        if "labels" in change.fields:
            params["labels"] = {
                "addOrUpdateLabels": missing_tags(after["labels"], before["labels"]),
                "removeLabels": sorted(set(before["labels"]) - set(after["labels"])),
            }
        if params:
            self.eks.update_nodegroup_config(clusterName=self.cluster_name, nodegroupName=change.name, **params)
        if "tags" in change.fields:
            self.eks.tag_resource(resourceArn=before["arn"], tags=missing_tags(after["tags"], before["tags"]))

    def delete_nodegroup(self, change):
        self.eks.delete_nodegroup(clusterName=self.cluster_name, nodegroupName=change.name)

    # -- core add-ons (moto has no add-on API: tests/unit/eks covers these calls with Stubber)
    def create_addon(self, change):
        self.eks.create_addon(clusterName=self.cluster_name, addonName=change.name, resolveConflicts="OVERWRITE", tags=change.after["tags"])

    def update_addon(self, change):
        arn = self.eks.describe_addon(clusterName=self.cluster_name, addonName=change.name)["addonArn"]
        self.eks.tag_resource(resourceArn=arn, tags=missing_tags(change.after["tags"], change.before["tags"]))

    # -- access entries (moto has none either: Stubber)
    def create_access_entry(self, change):
        self.eks.create_access_entry(clusterName=self.cluster_name, principalArn=change.name, type="STANDARD", tags=change.after["tags"])
        self._associate(change.name, change.after["policies"], {})

    def update_access_entry(self, change):
        if "policies" in change.fields:
            self._associate(change.name, change.after["policies"], change.before["policies"])
        if "tags" in change.fields:
            arn = self.eks.describe_access_entry(clusterName=self.cluster_name, principalArn=change.name)["accessEntryArn"]
            self.eks.tag_resource(resourceArn=arn, tags=missing_tags(change.after["tags"], change.before["tags"]))

    def _associate(self, principal, wanted, found):
        for arn, scope in sorted(wanted.items()):
            if found.get(arn) != scope:
                self.eks.associate_access_policy(clusterName=self.cluster_name, principalArn=principal, policyArn=arn, accessScope=scope)
        for arn in sorted(set(found) - set(wanted)):
            self.eks.disassociate_access_policy(clusterName=self.cluster_name, principalArn=principal, policyArn=arn)
