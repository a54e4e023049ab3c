# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CDN tier's writes (:class:`CdnApplier`) and its reconcile: read, plan, apply, report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import uuid

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import create_or_adopt
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import error_code
from ansible_collections.hatrading.aws.plugins.module_utils.cdn import model
from ansible_collections.hatrading.aws.plugins.module_utils.cdn import read
from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list

BUCKET_WAIT = 60  # seconds for a new bucket to answer HeadBucket


class CdnApplier(Applier):
    def __init__(self, clients, params, names, have, spec):
        self.s3 = clients.s3
        self.cf = clients.cloudfront
        self.params = params
        self.names = names
        self.region = params["region"]
        self.have = have
        self.spec = spec
        self.oac_id = (have.get("origin_access_control") or {}).get("id")
        self.distribution = have.get("distribution_raw")
        self.uploaded = []
        self.invalidation_id = None
        self.warnings = []

    # -- bucket
    def create_bucket(self, change):
        params = dict(Bucket=self.names["bucket"], ObjectOwnership="BucketOwnerEnforced")
        if self.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self.s3.create_bucket(**params)
        self.s3.wait("bucket_exists", BUCKET_WAIT, delay=2, Bucket=self.names["bucket"])
        self._configure_bucket(change.after, {"tags": {}}, ["public_access_block", "encryption", "versioning", "tags"])

    def update_bucket(self, change):
        self._configure_bucket(change.after, change.before, change.fields)

    def _configure_bucket(self, want, have, fields):
        bucket = self.names["bucket"]
        if "public_access_block" in fields:
            self.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=want["public_access_block"])
        if "ownership" in fields:
            self.s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": want["ownership"]}]})
        if "encryption" in fields:
            default = {"SSEAlgorithm": want["encryption"]["algorithm"]}
            if want["encryption"]["kms_key"]:
                default["KMSMasterKeyID"] = want["encryption"]["kms_key"]
            rule = {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": want["encryption"]["bucket_key"]}
            self.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
        if "versioning" in fields:
            self.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": want["versioning"]})
        if "tags" in fields:  # PutBucketTagging replaces the set: keep the tags found that we do not manage
            tags = dict(have.get("tags") or {})
            tags.update(want["tags"])
            self.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(tags)})

    def delete_bucket(self, change):
        bucket = self.names["bucket"]
        # listed again here, whatever the plan counted: an upload since then would make DeleteBucket fail half-way
        errors = self.s3.delete_versions(bucket, self.s3.object_versions(bucket))
        if errors:
            first = errors[0]
            raise model.CdnPlanError(
                "bucket %s: %d objects could not be deleted (%s: %s, %s); the bucket is kept"
                % (bucket, len(errors), first.get("Key"), first.get("Code"), first.get("Message"))
            )
        self.s3.delete_bucket(Bucket=bucket)

    # -- bucket policy (needs the distribution's ARN)
    def create_bucket_policy(self, change):
        policy = model.with_foreign_statements(model.bucket_policy(self.names["bucket"], self.distribution["summary"]["ARN"]), change.before)
        self.s3.put_bucket_policy(Bucket=self.names["bucket"], Policy=json.dumps(policy))

    update_bucket_policy = create_bucket_policy

    # -- origin access control
    def _oac_config(self, want):
        return {
            "Name": self.names["origin_access_control"],
            "Description": want["description"],
            "SigningProtocol": want["signing_protocol"],
            "SigningBehavior": want["signing_behavior"],
            "OriginAccessControlOriginType": want["origin_type"],
        }

    def create_origin_access_control(self, change):
        answer = self.cf.create_origin_access_control(OriginAccessControlConfig=self._oac_config(change.after))
        self.oac_id = answer["OriginAccessControl"]["Id"]

    def update_origin_access_control(self, change):
        etag = self.cf.origin_access_control_etag(change.ref["id"])
        self.cf.update_origin_access_control(Id=change.ref["id"], IfMatch=etag, OriginAccessControlConfig=self._oac_config(change.after))

    def delete_origin_access_control(self, change):
        etag = self.cf.origin_access_control_etag(change.ref["id"])
        if etag:
            self.cf.delete_origin_access_control(Id=change.ref["id"], IfMatch=etag)

    # -- distribution
    def create_distribution(self, change):
        spec = model.resolve(self.spec, self.oac_id)
        config = model.distribution_config(spec, caller_reference=str(uuid.uuid4()))
        tags = {"Items": tag_list(change.after["tags"])}
        answer = create_or_adopt(self.cf.create_distribution_with_tags, DistributionConfigWithTags={"DistributionConfig": config, "Tags": tags})
        if answer is None:  # the same CallerReference sent again after a lost answer: the first call made it
            self.distribution = read.read_distribution(self.cf, self.params["stack"], self.names["comment"])
            if self.distribution is None:
                raise model.CdnPlanError("CloudFront answered DistributionAlreadyExists, and no distribution of stack %s was found" % self.params["stack"])
            label = "CloudFront distribution %s" % self.distribution["summary"]["Id"]
            self.warnings.append("%s already existed when this run created it (a create whose answer was lost, retried): adopted" % label)
        else:
            self.distribution = {"summary": answer["Distribution"], "etag": answer["ETag"], "config": config}
        self._wait_if_asked()

    def update_distribution(self, change):
        arn = self.distribution["summary"]["ARN"]
        if set(change.fields) - set(["tags"]):
            spec = model.resolve(self.spec, self.oac_id)
            config = model.distribution_config(spec, base=self.distribution["config"])
            answer = self.cf.update_distribution(Id=self.distribution["summary"]["Id"], IfMatch=self.distribution["etag"], DistributionConfig=config)
            self.distribution.update(summary=dict(self.distribution["summary"], Status=answer["Distribution"]["Status"]), etag=answer["ETag"])
        missing = missing_tags(change.after["tags"], change.before.get("tags", {}))
        if missing:
            self.cf.tag_resource(Resource=arn, Tags={"Items": tag_list(missing)})
        self._wait_if_asked()

    def _wait_deployed(self, distribution_id):
        self.cf.wait("distribution_deployed", self.params["wait_timeout"], delay=30, Id=distribution_id)

    def _wait_if_asked(self):
        if self.params["wait"]:
            self._wait_deployed(self.distribution["summary"]["Id"])

    def delete_distribution(self, change):
        distribution_id = change.ref["id"]
        config, etag = self.cf.distribution_config(distribution_id)
        if config is None:
            return
        if config.get("Enabled"):
            etag = self.cf.update_distribution(Id=distribution_id, IfMatch=etag, DistributionConfig=model.disabled_config(config))["ETag"]
        current, etag = self.cf.distribution(distribution_id)
        if current is not None and current.get("Status") != "Deployed":  # CloudFront deletes only a deployed, disabled distribution
            self._wait_deployed(distribution_id)
            current, etag = self.cf.distribution(distribution_id)
        if current is not None:
            self.cf.delete_distribution(Id=distribution_id, IfMatch=etag)

    # -- static files
    def create_object(self, change):
        source = change.ref
        with open(source["path"], "rb") as handle:
            body = handle.read()
        self.s3.put_object(
            Bucket=self.names["bucket"],
            Key=change.name,
            Body=body,
            ContentType=source["content_type"],
            ContentMD5=base64.b64encode(bytes(bytearray.fromhex(source["md5"]))).decode("ascii"),
            Metadata={"md5": source["md5"]},
        )
        self.uploaded.append(change.name)

    update_object = create_object

    def invalidate(self, root_object):
        if not self.uploaded or not self.distribution or not self.params["invalidate"]:
            return
        paths = model.invalidation_paths(self.uploaded, root_object)
        batch = {"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": str(uuid.uuid4())}
        answer = self.cf.create_invalidation(DistributionId=self.distribution["summary"]["Id"], InvalidationBatch=batch)
        self.invalidation_id = answer["Invalidation"]["Id"]


def api_origin_domain(clients, params, run, outcome):
    """The public ALB's DNS name; in check mode a missing ALB is a warning (the compute tier would build it)."""
    domain = read.alb_domain(StackView(clients, params["stack"]))
    if domain:
        return domain
    message = (
        "api_origin: the stack's public ALB %s does not exist; deploy the compute tier first or set api_origin=false"
        % (stack_names.cdn(params["stack"], run.region)["load_balancer"])
    )
    if not run.check_mode:
        raise model.CdnPlanError(message)
    outcome.warnings.append(message + " (check mode: planned against the ALB the compute tier would build)")
    return None


def ensure_present(clients, params, run, outcome, names, have):
    cfg = model.settings_of(params)
    bucket_domain = "%s.s3.%s.amazonaws.com" % (names["bucket"], params["region"])
    alb_domain = api_origin_domain(clients, params, run, outcome) if params["api_origin"] else None
    oac = have.get("origin_access_control")
    spec = model.desired_distribution(cfg, bucket_domain, oac and oac["id"], alb_domain)
    spec_with_tags = dict(spec, tags=stack_tags(cfg["stack"], model.TIER, names["distribution"], cfg.get("tags")))
    distribution = have.get("distribution_raw")
    want = {
        "bucket": (names["bucket"], model.desired_bucket(cfg, names["bucket"])),
        "origin_access_control": (names["origin_access_control"], model.desired_oac(cfg["stack"])),
        "distribution": (names["distribution"], spec_with_tags),
        "bucket_policy": (names["bucket"], model.bucket_policy(names["bucket"], distribution["summary"]["ARN"] if distribution else model.NEW)),
    }
    plan = outcome.plan = model.plan_cdn(want, have)
    if params.get("upload_dir"):
        local = read.local_files(params["upload_dir"])
        remote = read.remote_files(clients.s3, names["bucket"], local) if have.get("bucket") else {}
        objects = model.plan_objects(local, remote)
        # Before the bucket policy: the files are in place when CloudFront is first allowed to read them.
        policy = [change for change in plan.changes if change.kind == "bucket_policy"]
        plan.changes = [change for change in plan.changes if change.kind != "bucket_policy"] + objects + policy
    applier = CdnApplier(clients, params, names, have, spec)
    plan.apply(applier.handlers(), check_mode=run.check_mode)
    outcome.warnings.extend(applier.warnings)
    if not run.check_mode:
        applier.invalidate(params["default_root_object"])
    return applier


def ensure_absent(clients, params, run, outcome, names, have):
    if params["delete_bucket"] and have.get("bucket") is not None:
        have["bucket_objects"] = len(clients.s3.object_versions(names["bucket"]))
    if have.get("distribution") is not None:
        have["distribution"] = dict(have["distribution"], id=have["distribution_raw"]["summary"]["Id"])
    plan = outcome.plan = model.plan_teardown(names, have, params["delete_bucket"], params["empty_bucket"])
    applier = CdnApplier(clients, params, names, have, None)
    plan.apply(applier.handlers(), check_mode=run.check_mode)
    return applier


def summary(names, applier, state, check_mode):
    result = {"bucket": names["bucket"], "uploaded": list(applier.uploaded), "invalidation_id": applier.invalidation_id}
    if state == "absent":
        result["bucket_kept"] = not (applier.params["delete_bucket"] and applier.have.get("bucket") is not None)
        if not check_mode:
            return result
    distribution = applier.distribution
    result["origin_access_control_id"] = applier.oac_id
    if distribution:
        result.update(
            distribution_id=distribution["summary"].get("Id"),
            distribution_arn=distribution["summary"].get("ARN"),
            domain_name=distribution["summary"].get("DomainName"),
            status=distribution["summary"].get("Status"),
        )
    return result


def read_have(clients, params, names):
    try:
        return read.read_state(clients, params["stack"], names)
    except ClientError as error:
        if error_code(error) in ("403", "AccessDenied") and "HeadBucket" in str(error):
            raise model.CdnPlanError(
                "bucket_name: bucket %s exists but this account cannot use it (S3 names are global: choose another)" % names["bucket"]
            ) from error
        raise


def reconcile(clients, params, run, outcome):
    names = stack_names.cdn(params["stack"], params["region"], params.get("bucket_name"))
    have = read_have(clients, params, names)
    if params["state"] == "present":
        applier = ensure_present(clients, params, run, outcome, names, have)
    else:
        applier = ensure_absent(clients, params, run, outcome, names, have)
    outcome.result["cdn"] = summary(names, applier, params["state"], run.check_mode)
