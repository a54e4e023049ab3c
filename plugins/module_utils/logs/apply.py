# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logs tier's writes (:class:`LogsApplier`) and its reconcile: read, plan, apply, report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import secrets

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.buckets import BLOCK_ALL_PUBLIC_ACCESS
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_specifications
from ansible_collections.hatrading.aws.plugins.module_utils.logs import model
from ansible_collections.hatrading.aws.plugins.module_utils.logs import read

HTTPS = 443
# the domain sections UpdateDomainConfig takes, and the fields of the tier's description each carries
SECTIONS = {
    "ClusterConfig": ("instance_type", "instance_count", "zone_awareness", "az_count", "dedicated_master", "master_type", "master_count"),
    "EBSOptions": ("volume_size",),
    "VPCOptions": ("subnets", "security_groups"),
    "EncryptionAtRestOptions": ("kms_key",),
    "NodeToNodeEncryptionOptions": ("node_to_node",),
    "DomainEndpointOptions": ("enforce_https", "tls_policy"),
    "AdvancedSecurityOptions": ("fine_grained", "internal_users", "master_user_arn"),
    "AccessPolicies": ("access_policy",),
    "SnapshotOptions": ("snapshot_hour",),
}


def new_password():
    """A master password OpenSearch accepts: 32 random URL-safe characters plus one of each class it asks for."""
    return secrets.token_urlsafe(24) + "Aa1!"


def domain_sections(spec, password=None, user=None):
    """The CreateDomain/UpdateDomainConfig parameters of a domain description."""
    cluster = {"InstanceType": spec["instance_type"], "InstanceCount": spec["instance_count"], "ZoneAwarenessEnabled": spec["zone_awareness"]}
    cluster["DedicatedMasterEnabled"] = spec["dedicated_master"]
    if spec["zone_awareness"]:
        cluster["ZoneAwarenessConfig"] = {"AvailabilityZoneCount": spec["az_count"]}
    if spec["dedicated_master"]:
        cluster.update(DedicatedMasterType=spec["master_type"], DedicatedMasterCount=spec["master_count"])
    security = {"Enabled": True, "InternalUserDatabaseEnabled": spec["internal_users"]}
    if spec["master_user_arn"]:
        security["MasterUserOptions"] = {"MasterUserARN": spec["master_user_arn"]}
    elif password:
        security["MasterUserOptions"] = {"MasterUserName": user, "MasterUserPassword": password}
    return {
        "ClusterConfig": cluster,
        "EBSOptions": {"EBSEnabled": True, "VolumeType": "gp3", "VolumeSize": spec["volume_size"]},
        "VPCOptions": {"SubnetIds": spec["subnets"], "SecurityGroupIds": spec["security_groups"]},
        "EncryptionAtRestOptions": {"Enabled": True, "KmsKeyId": spec["kms_key"]},
        "NodeToNodeEncryptionOptions": {"Enabled": spec["node_to_node"]},
        "DomainEndpointOptions": {"EnforceHTTPS": spec["enforce_https"], "TLSSecurityPolicy": spec["tls_policy"]},
        "AdvancedSecurityOptions": security,
        "AccessPolicies": spec["access_policy"],
        "SnapshotOptions": {"AutomatedSnapshotStartHour": spec["snapshot_hour"]},
    }


def destination(spec, update=False):
    """The stream's OpenSearch destination: failed documents only to S3 (GZIP), the rest to the domain's daily index."""
    config = {
        "RoleARN": spec["role_arn"],
        "DomainARN": spec["domain_arn"],
        "IndexName": spec["index"],
        "IndexRotationPeriod": spec["rotation"],
        "BufferingHints": {"IntervalInSeconds": spec["buffer_seconds"], "SizeInMBs": spec["buffer_mb"]},
        "RetryOptions": {"DurationInSeconds": spec["retry_seconds"]},
    }
    s3 = {"RoleARN": spec["role_arn"], "BucketARN": spec["bucket_arn"], "CompressionFormat": "GZIP"}
    if update:
        config["S3Update"] = s3
        return config
    config.update(S3BackupMode="FailedDocumentsOnly", S3Configuration=s3)
    config["VpcConfiguration"] = {"SubnetIds": spec["subnets"], "RoleARN": spec["role_arn"], "SecurityGroupIds": spec["security_groups"]}
    return config


class LogsApplier(Applier):
    """Carries out a logs plan: one method per (kind, action)."""

    def __init__(self, clients, cfg, have, mask=None):
        self.clients = clients
        self.cfg = cfg
        self.n = stack_names.logs(cfg["stack"], cfg["region"])
        self.timeout = cfg.get("wait_timeout", 3600)
        group = have["security_group"].get(self.n["security_group"])
        self.security_group_id = group["id"] if group else None
        self.mask = mask or (lambda value: None)
        self.password = None

    def finishers(self):
        return {("domain", CREATE): self.wait_ready, ("domain", DELETE): self.wait_gone, ("delivery_stream", CREATE): self.wait_stream}

    def wait_ready(self, changes):
        for change in changes:
            if self.timeout:
                self.clients.opensearch.wait("domain_ready", self.timeout, delay=30, DomainName=change.name)

    def wait_gone(self, changes):
        for change in changes:  # its network interfaces hold the security group until it is gone
            if self.timeout:
                self.clients.opensearch.wait("domain_deleted", self.timeout, delay=30, DomainName=change.name)

    def wait_stream(self, changes):
        for change in changes:
            if self.timeout:
                self.clients.firehose.wait("stream_active", min(self.timeout, 600), delay=10, DeliveryStreamName=change.name)

    def _resolved(self, spec):
        """The description with the security group made in this run in place of model.NEW."""
        return dict(spec, security_groups=[self.security_group_id if g == model.NEW else g for g in spec["security_groups"]])

    # -- the master user's password, the network path, the bucket
    def create_secret(self, change):
        self.password = new_password()
        self.mask(self.password)
        string = model.secret_string(change.after["user"], self.password)
        self.clients.secretsmanager.create_secret(
            Name=change.name, SecretString=string, Tags=tag_list(change.after["tags"]), Description="OpenSearch master user"
        )

    def create_security_group(self, change):
        ec2 = self.clients.ec2
        self.security_group_id = ec2.create_security_group(
            GroupName=change.name,
            Description="hatrading %s logs: HTTPS between Firehose and the OpenSearch domain" % self.cfg["stack"],
            VpcId=change.after["vpc"],
            TagSpecifications=tag_specifications("security-group", change.after["tags"]),
        )["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=self.security_group_id,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": HTTPS, "ToPort": HTTPS, "UserIdGroupPairs": [{"GroupId": self.security_group_id}]}],
        )

    def delete_security_group(self, change):
        self.clients.ec2.delete_security_group(GroupId=change.before["id"])

    def create_bucket(self, change):
        s3, bucket = self.clients.s3, change.name
        params = {} if self.cfg["region"] == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": self.cfg["region"]}}
        s3.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced", **params)
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=dict(BLOCK_ALL_PUBLIC_ACCESS))
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": change.after["kms_key"]}, "BucketKeyEnabled": True}
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(change.after["tags"])})

    # -- roles
    def create_role(self, change):
        iam = self.clients.iam
        iam.create_role(RoleName=change.name, AssumeRolePolicyDocument=change.after["trust"], Tags=tag_list(change.after["tags"]))
        iam.put_role_policy(RoleName=change.name, PolicyName=self.n["policy"], PolicyDocument=change.after["inline"])

    def update_role(self, change):
        iam = self.clients.iam
        if "trust" in change.fields:
            iam.update_assume_role_policy(RoleName=change.name, PolicyDocument=change.after["trust"])
        if "inline" in change.fields:
            iam.put_role_policy(RoleName=change.name, PolicyName=self.n["policy"], PolicyDocument=change.after["inline"])
        if "tags" in change.fields:
            iam.tag_role(RoleName=change.name, Tags=tag_list(missing_tags(change.after["tags"], change.before["tags"])))

    def delete_role(self, change):
        if change.before.get("inline"):
            self.clients.iam.delete_role_policy(RoleName=change.name, PolicyName=self.n["policy"])
        self.clients.iam.delete_role(RoleName=change.name)

    # -- the domain
    def _master_password(self):
        if self.password is None and self.cfg.get("master_user_password"):
            self.password = self.cfg["master_user_password"]
        if self.password is None:
            value = self.clients.secretsmanager.get_secret_value(SecretId=self.n["master_secret"])
            self.password = json.loads(value["SecretString"])["password"]
            self.mask(self.password)
        return self.password

    def create_domain(self, change):
        spec = self._resolved(change.after)
        password = None if spec["master_user_arn"] else self._master_password()
        self.clients.opensearch.create_domain(
            DomainName=change.name,
            EngineVersion=spec["engine_version"],
            TagList=tag_list(spec["tags"]),
            **domain_sections(spec, password, self.cfg.get("master_user_name", "admin")),
        )

    def update_domain(self, change):
        spec, fields = self._resolved(change.after), change.fields
        opensearch = self.clients.opensearch
        if "engine_version" in fields:
            opensearch.upgrade_domain(DomainName=change.name, TargetVersion=spec["engine_version"])
        sections = domain_sections(spec)
        changed = dict((section, sections[section]) for section, covered in SECTIONS.items() if set(covered) & set(fields))
        if changed:
            opensearch.update_domain_config(DomainName=change.name, **changed)
        if "tags" in fields:
            opensearch.add_tags(ARN=change.before["arn"], TagList=tag_list(missing_tags(spec["tags"], change.before["tags"])))

    def delete_domain(self, change):
        self.clients.opensearch.delete_domain(DomainName=change.name)

    # -- delivery
    def create_delivery_stream(self, change):
        spec = self._resolved(change.after)
        self.clients.firehose.create_delivery_stream(
            DeliveryStreamName=change.name,
            DeliveryStreamType="DirectPut",
            AmazonopensearchserviceDestinationConfiguration=destination(spec),
            Tags=tag_list(spec["tags"]),
        )

    def update_delivery_stream(self, change):
        firehose, have = self.clients.firehose, change.before
        if set(change.fields) - {"tags"}:
            firehose.update_destination(
                DeliveryStreamName=change.name,
                CurrentDeliveryStreamVersionId=have["version"],
                DestinationId=have["destination_id"],
                AmazonopensearchserviceDestinationUpdate=destination(self._resolved(change.after), update=True),
            )
        if "tags" in change.fields:
            firehose.tag_delivery_stream(DeliveryStreamName=change.name, Tags=tag_list(missing_tags(change.after["tags"], have["tags"])))

    def delete_delivery_stream(self, change):
        self.clients.firehose.delete_delivery_stream(DeliveryStreamName=change.name)

    def create_log_group(self, change):
        self.clients.logs.create_log_group(logGroupName=change.name, tags=change.after["tags"])

    def create_subscription_filter(self, change):
        spec = change.after
        self.clients.logs.put_subscription_filter(
            logGroupName=change.name, filterName=spec["filter"], filterPattern=spec["pattern"], destinationArn=spec["destination"], roleArn=spec["role_arn"]
        )

    update_subscription_filter = create_subscription_filter  # PutSubscriptionFilter replaces a filter of the same name

    def delete_subscription_filter(self, change):
        self.clients.logs.delete_subscription_filter(logGroupName=change.name, filterName=change.before["filter"])


def _found(clients, cfg, have, check_mode):
    """What the wanted state needs from elsewhere: the stack's key, the data subnets, the VPC (network tier)."""
    notes = []
    kms_arn, asked = read.resolve_kms_key(clients, cfg)
    if not kms_arn:
        if not check_mode:
            if cfg.get("kms_key"):
                raise model.LogsError("kms_key: KMS key %s not found" % asked)
            raise model.LogsError("kms_key: the stack's key %s not found; deploy the database tier first or name a key" % asked)
        kms_arn = asked
        notes.append("KMS key %s not found yet: the domain will use it once it exists (the database tier makes the stack's key)" % asked)
    view = StackView(clients, cfg["stack"])
    subnets = view.subnet_per_az("data")
    if not subnets:
        if not check_mode:
            raise model.LogsError("the network tier's data subnets of stack %s not found; deploy the network tier first" % cfg["stack"])
        notes.append("no data subnets yet: the domain goes into the network tier's data subnets once they exist")
    group = have["security_group"].get(stack_names.logs(cfg["stack"], cfg["region"])["security_group"])
    found = {"kms_key": kms_arn, "subnets": subnets, "vpc_id": view.vpc_id("data"), "security_group": group["id"] if group else model.NEW}
    return found, notes


def reconcile(clients, params, run, outcome):
    cfg = dict(params, region=run.region)
    stack = cfg["stack"]
    outcome.step = "domain and delivery"
    raw = read.read_logs(clients, cfg)
    have = model.actual_logs(stack, run.region, raw)
    notes = []
    if cfg["state"] == "present":
        found, notes = _found(clients, cfg, have, run.check_mode)
        found["log_groups"] = raw["log_groups"]
        outcome.plan = model.plan_logs(model.desired_logs(cfg, found), have)
    else:
        outcome.plan = model.plan_teardown(cfg, have)
    outcome.result["notes"] = notes + model.plan_notes(cfg, have)
    applier = LogsApplier(clients, cfg, have, mask=outcome.mask)
    outcome.plan.apply(applier.handlers(), applier.finishers(), check_mode=run.check_mode)
    outcome.result["logs"] = model.summarize(stack, run.region, have, outcome.plan, run.check_mode)
