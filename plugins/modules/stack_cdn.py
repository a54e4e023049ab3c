#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_cdn
short_description: Reconcile the CDN of a stack (private S3 assets bucket, Origin Access Control, CloudFront distribution)
version_added: 0.1.0
description:
  - Reads the stack's assets bucket, its Origin Access Control and its CloudFront distribution (found by its comment
    C(hatrading <stack> cdn) and the tags C(hatrading:stack) and C(hatrading:tier=cdn)), compares them with the wanted
    ones and applies only the difference. A rerun that finds everything in place makes only read calls.
  - The bucket is private, all four Block Public Access settings on, object ownership C(BucketOwnerEnforced) (no ACLs),
    default encryption (SSE-S3, or SSE-KMS with O(kms_key_arn)), versioning on, and a bucket policy that denies any
    request not made over TLS and lets only the CloudFront service read objects, on behalf of this distribution only
    (condition on C(AWS:SourceArn)).
  - The distribution reaches the bucket through an Origin Access Control (sigv4, always signing; not the legacy origin
    access identity), redirects HTTP viewers to HTTPS, serves O(default_root_object), compresses, and caches with the
    managed C(CachingOptimized) policy, and adds the managed C(SecurityHeadersPolicy) response headers.
    With O(api_origin=true), O(api_path_pattern) goes to the stack's public ALB C(<stack>-alb-pub) with caching
    disabled (managed C(CachingDisabled)) and every viewer header, cookie and query string forwarded (managed C(AllViewer)).
  - The distribution is compared with C(GetDistributionConfig) field by field in a normalised form; an update lays the
    managed fields over the current configuration (settings this module does not manage, such as logging or a WAF,
    are kept) and is sent with the C(ETag) as C(IfMatch).
  - With O(upload_dir), the files under it are uploaded with their Content-Type when their MD5 differs from the
    object's, and the changed paths are invalidated (C(/*) beyond 15 paths).
  - O(state=absent) refuses unless O(confirm_delete) equals O(stack); it disables the distribution, waits until it is
    deployed, deletes it and the Origin Access Control. The bucket is kept unless O(delete_bucket=true); a bucket
    holding any object version is refused unless O(empty_bucket=true) too.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  bucket_name:
    description: Name of the assets bucket. Defaults to C(hatrading-<stack>-cdn-<region>).
    type: str
  encryption:
    description: Default encryption of the bucket, V(sse-s3) (AES256) or V(sse-kms) with O(kms_key_arn).
    type: str
    choices: [sse-s3, sse-kms]
    default: sse-s3
  kms_key_arn:
    description:
      - ARN of the KMS key (or alias) for V(sse-kms). Its key policy must let C(cloudfront.amazonaws.com) use
        C(kms:Decrypt) for this distribution, or CloudFront cannot read the objects.
    type: str
  aliases:
    description: Alternate domain names of the distribution; they need O(certificate_arn).
    type: list
    elements: str
    default: []
  certificate_arn:
    description: ARN of an ACM certificate in us-east-1 covering O(aliases). Without it the C(*.cloudfront.net) certificate is used.
    type: str
  price_class:
    description: Which edge locations serve the distribution.
    type: str
    choices: [PriceClass_100, PriceClass_200, PriceClass_All]
    default: PriceClass_100
  security_headers:
    description:
      - Add the managed response headers policy C(SecurityHeadersPolicy) (HSTS, X-Content-Type-Options, X-Frame-Options,
        Referrer-Policy, X-XSS-Protection) to the responses of the static content.
    type: bool
    default: true
  default_root_object:
    description: Object served for C(/).
    type: str
    default: index.html
  api_origin:
    description: Send O(api_path_pattern) to the stack's public ALB C(<stack>-alb-pub), uncached. The ALB must exist (compute tier).
    type: bool
    default: false
  api_path_pattern:
    description: Path pattern of the behavior that goes to the ALB.
    type: str
    default: /api/*
  api_origin_protocol:
    description: How CloudFront reaches the ALB; V(https-only) needs an HTTPS listener with a certificate for the ALB's name.
    type: str
    choices: [http-only, https-only]
    default: http-only
  upload_dir:
    description: Local directory whose files are uploaded to the bucket (keys relative to it); unset uploads nothing.
    type: path
  invalidate:
    description: Invalidate the paths of the files uploaded by this run.
    type: bool
    default: true
  wait:
    description:
      - Wait until the distribution is deployed after a create or an update.
      - A teardown always waits, since CloudFront deletes only a deployed, disabled distribution.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the distribution to be deployed.
    type: int
    default: 1800
  confirm_delete:
    description: Must equal O(stack) for O(state=absent) to delete anything.
    type: str
  delete_bucket:
    description: With O(state=absent), delete the bucket too. It is kept by default, so no file is lost.
    type: bool
    default: false
  empty_bucket:
    description: With O(delete_bucket=true), delete every object version first; without it a non-empty bucket is refused.
    type: bool
    default: false
extends_documentation_fragment:
  - hatrading.aws.stack
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Bucket and distribution of stack "prod", /api/* to its public ALB, the front-end's files uploaded
  hatrading.aws.stack_cdn:
    stack: prod
    api_origin: true
    upload_dir: "{{ playbook_dir }}/../apps/frontend/static"

- name: A custom domain and SSE-KMS
  hatrading.aws.stack_cdn:
    stack: prod
    aliases: [www.example.com]
    certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f
    encryption: sse-kms
    kms_key_arn: arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f

- name: Delete the distribution and its Origin Access Control, keep the bucket
  hatrading.aws.stack_cdn:
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
  sample:
    - {"action": "create", "kind": "bucket", "name": "hatrading-prod-cdn-us-east-1"}
    - {"action": "update", "kind": "distribution", "name": "prod-cdn", "fields": ["price_class"]}
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["+ bucket hatrading-prod-cdn-us-east-1", "Plan: 1 to create, 0 to update, 0 to delete."]
cdn:
  description: What the tier built (in check mode, as found).
  returned: always
  type: dict
  contains:
    bucket:
      description: Name of the assets bucket.
      type: str
      sample: hatrading-prod-cdn-us-east-1
    bucket_kept:
      description: With O(state=absent), whether the bucket was left in place.
      type: bool
      sample: true
    origin_access_control_id:
      description: ID of the Origin Access Control.
      type: str
      sample: E2QWRUHAPOMQZL
    distribution_id:
      description: ID of the distribution.
      type: str
      sample: E1A2B3C4D5E6F7
    distribution_arn:
      description: ARN of the distribution.
      type: str
      sample: arn:aws:cloudfront::123456789012:distribution/E1A2B3C4D5E6F7
    domain_name:
      description: The distribution's C(*.cloudfront.net) name.
      type: str
      sample: d111111abcdef8.cloudfront.net
    status:
      description: The distribution's status (V(InProgress) or V(Deployed)).
      type: str
      sample: Deployed
    uploaded:
      description: Keys uploaded by this run.
      type: list
      elements: str
      sample: [index.html]
    invalidation_id:
      description: ID of the invalidation this run created, if any.
      type: str
      sample: I2J0I21PCUYOIK
"""

import base64
import hashlib
import json
import os
import uuid

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils import cdn as model
from ansible_collections.hatrading.aws.plugins.module_utils import cloudfront
from ansible_collections.hatrading.aws.plugins.module_utils import elbv2
from ansible_collections.hatrading.aws.plugins.module_utils import s3
from ansible_collections.hatrading.aws.plugins.module_utils.clients import ClientCache
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.waiters import wait

SETTINGS = (
    "stack",
    "state",
    "tags",
    "bucket_name",
    "encryption",
    "kms_key_arn",
    "aliases",
    "certificate_arn",
    "price_class",
    "default_root_object",
    "security_headers",
    "api_origin",
    "api_path_pattern",
    "api_origin_protocol",
    "upload_dir",
    "confirm_delete",
    "delete_bucket",
    "empty_bucket",
)
RETRY = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["NoSuchBucket", "OperationAborted"])


def read_distribution(client, stack, comment):
    """The stack's distribution: the summary with our comment whose tags say it is ours, with its config and ETag."""
    for summary in cloudfront.list_distributions(client):
        if summary.get("Comment") != comment:
            continue
        tags = cloudfront.list_tags(client, summary["ARN"])
        if not model.belongs(tags, stack):
            continue
        config, etag = cloudfront.get_distribution_config(client, summary["Id"])
        if config is None:
            continue
        return {"summary": summary, "tags": tags, "config": config, "etag": etag}
    return None


def read_oac(client, name):
    for item in cloudfront.list_origin_access_controls(client):
        if item.get("Name") == name:
            return item
    return None


def local_files(root):
    """key -> {"md5", "size", "content_type", "path"} for every file under ``root`` (hidden ones skipped)."""
    found = {}
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(directory, name)
            key = os.path.relpath(path, root).replace(os.sep, "/")
            digest = hashlib.md5()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            found[key] = {"md5": digest.hexdigest(), "size": os.path.getsize(path), "content_type": model.content_type(key), "path": path}
    return found


def remote_files(client, bucket, local):
    """The bucket's objects for the local keys; an object whose ETag is not the local MD5 is read once more
    for the MD5 kept in its metadata (an SSE-KMS object's ETag is not its MD5)."""
    listed = s3.list_objects(client, bucket)
    remote = {}
    for key, item in listed.items():
        remote[key] = {"etag": item["etag"]}
        if key in local and local[key]["md5"] != item["etag"]:
            head = s3.head_object(client, bucket, key) or {}
            remote[key].update(md5=(head.get("Metadata") or {}).get("md5"), content_type=head.get("ContentType"))
    return remote


class CdnApplier(Applier):
    def __init__(self, module, clients, cfg, names, have, spec):
        self.module = module
        self.s3 = clients("s3")
        self.cf = clients("cloudfront")
        self.cfg = cfg
        self.names = names
        self.region = module.params["region"]
        self.have = have
        self.spec = spec
        self.oac_id = (have.get("origin_access_control") or {}).get("id")
        self.distribution = have.get("distribution_raw")
        self.uploaded = []
        self.invalidation_id = None

    # -- bucket
    def create_bucket(self, change):
        params = dict(Bucket=self.names["bucket"], ObjectOwnership="BucketOwnerEnforced")
        if self.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self.s3.create_bucket(aws_retry=True, **params)
        self.s3.get_waiter("bucket_exists").wait(Bucket=self.names["bucket"], WaiterConfig={"Delay": 2, "MaxAttempts": 30})
        self._configure_bucket(change.after, {"tags": {}}, ["public_access_block", "encryption", "versioning", "tags"])

    def update_bucket(self, change):
        self._configure_bucket(change.after, change.before, change.fields)

    def _configure_bucket(self, want, have, fields):
        bucket = self.names["bucket"]
        if "public_access_block" in fields:
            self.s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=want["public_access_block"], aws_retry=True)
        if "ownership" in fields:
            self.s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": want["ownership"]}]}, aws_retry=True)
        if "encryption" in fields:
            default = {"SSEAlgorithm": want["encryption"]["algorithm"]}
            if want["encryption"]["kms_key"]:
                default["KMSMasterKeyID"] = want["encryption"]["kms_key"]
            rule = {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": want["encryption"]["bucket_key"]}
            self.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]}, aws_retry=True)
        if "versioning" in fields:
            self.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": want["versioning"]}, aws_retry=True)
        if "tags" in fields:  # PutBucketTagging replaces the set: keep the tags found that we do not manage
            tags = dict(have.get("tags") or {})
            tags.update(want["tags"])
            self.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(tags)}, aws_retry=True)

    def delete_bucket(self, change):
        bucket = self.names["bucket"]
        # listed again here, whatever the plan counted: an upload since then would make DeleteBucket fail half-way
        versions = s3.list_object_versions(self.s3, bucket)
        for start in range(0, len(versions), 1000):
            answer = self.s3.delete_objects(Bucket=bucket, Delete={"Objects": versions[start : start + 1000], "Quiet": True}, aws_retry=True)
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise model.CdnPlanError(
                    "bucket %s: %d objects could not be deleted (%s: %s, %s); the bucket is kept"
                    % (bucket, len(answer["Errors"]), first.get("Key"), first.get("Code"), first.get("Message"))
                )
        self.s3.delete_bucket(Bucket=bucket, aws_retry=True)

    # -- bucket policy (needs the distribution's ARN)
    def create_bucket_policy(self, change):
        policy = model.with_foreign_statements(model.bucket_policy(self.names["bucket"], self.distribution["summary"]["ARN"]), change.before)
        self.s3.put_bucket_policy(Bucket=self.names["bucket"], Policy=json.dumps(policy), aws_retry=True)

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
        answer = self.cf.create_origin_access_control(OriginAccessControlConfig=self._oac_config(change.after), aws_retry=True)
        self.oac_id = answer["OriginAccessControl"]["Id"]

    def update_origin_access_control(self, change):
        etag = cloudfront.get_origin_access_control_etag(self.cf, change.ref["id"])
        self.cf.update_origin_access_control(Id=change.ref["id"], IfMatch=etag, OriginAccessControlConfig=self._oac_config(change.after), aws_retry=True)

    def delete_origin_access_control(self, change):
        etag = cloudfront.get_origin_access_control_etag(self.cf, change.ref["id"])
        if etag:
            cloudfront.ignore_not_found(self.cf.delete_origin_access_control, Id=change.ref["id"], IfMatch=etag, aws_retry=True)

    # -- distribution
    def create_distribution(self, change):
        spec = model.resolve(self.spec, self.oac_id)
        config = model.distribution_config(spec, caller_reference=str(uuid.uuid4()))
        tags = {"Items": tag_list(change.after["tags"])}
        answer = self.cf.create_distribution_with_tags(DistributionConfigWithTags={"DistributionConfig": config, "Tags": tags}, aws_retry=True)
        self.distribution = {"summary": answer["Distribution"], "etag": answer["ETag"], "config": config}
        self._wait_if_asked()

    def update_distribution(self, change):
        arn = self.distribution["summary"]["ARN"]
        if set(change.fields) - set(["tags"]):
            spec = model.resolve(self.spec, self.oac_id)
            config = model.distribution_config(spec, base=self.distribution["config"])
            answer = self.cf.update_distribution(
                Id=self.distribution["summary"]["Id"], IfMatch=self.distribution["etag"], DistributionConfig=config, aws_retry=True
            )
            self.distribution.update(summary=dict(self.distribution["summary"], Status=answer["Distribution"]["Status"]), etag=answer["ETag"])
        missing = missing_tags(change.after["tags"], change.before.get("tags", {}))
        if missing:
            self.cf.tag_resource(Resource=arn, Tags={"Items": tag_list(missing)}, aws_retry=True)
        self._wait_if_asked()

    def _wait_if_asked(self):
        if self.module.params["wait"]:
            wait(self.cf, "distribution_deployed", self.module.params["wait_timeout"], delay=30, Id=self.distribution["summary"]["Id"])

    def delete_distribution(self, change):
        distribution_id = change.ref["id"]
        config, etag = cloudfront.get_distribution_config(self.cf, distribution_id)
        if config is None:
            return
        if config.get("Enabled"):
            etag = self.cf.update_distribution(Id=distribution_id, IfMatch=etag, DistributionConfig=model.disabled_config(config), aws_retry=True)["ETag"]
        current, etag = cloudfront.get_distribution(self.cf, distribution_id)
        if current is not None and current.get("Status") != "Deployed":  # CloudFront deletes only a deployed, disabled distribution
            wait(self.cf, "distribution_deployed", self.module.params["wait_timeout"], delay=30, Id=distribution_id)
            current, etag = cloudfront.get_distribution(self.cf, distribution_id)
        if current is not None:
            cloudfront.ignore_not_found(self.cf.delete_distribution, Id=distribution_id, IfMatch=etag, aws_retry=True)

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
            aws_retry=True,
        )
        self.uploaded.append(change.name)

    update_object = create_object

    def invalidate(self, root_object):
        if not self.uploaded or not self.distribution or not self.module.params["invalidate"]:
            return
        paths = model.invalidation_paths(self.uploaded, root_object)
        batch = {"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": str(uuid.uuid4())}
        answer = self.cf.create_invalidation(DistributionId=self.distribution["summary"]["Id"], InvalidationBatch=batch, aws_retry=True)
        self.invalidation_id = answer["Invalidation"]["Id"]


def settings_of(params):
    cfg = dict((key, params.get(key)) for key in SETTINGS if params.get(key) is not None)
    cfg["region"] = params.get("region")
    return cfg


def read_state(module, clients, cfg, names):
    """What exists: bucket (seven reads), origin access control (one), distribution (three)."""
    raw_bucket = s3.read_bucket(clients("s3"), names["bucket"])
    distribution = read_distribution(clients("cloudfront"), cfg["stack"], names["comment"])
    have = {
        "bucket": model.actual_bucket(raw_bucket),
        "bucket_policy": raw_bucket.get("policy"),
        "origin_access_control": model.actual_oac(read_oac(clients("cloudfront"), names["origin_access_control"])),
        "distribution_raw": distribution,
        "distribution": None,
    }
    if distribution:
        have["distribution"] = model.normalize_distribution(distribution["config"])
        have["distribution"]["tags"] = distribution["tags"]
        have["distribution"]["id"] = distribution["summary"]["Id"]
    return have


def find_alb(module, clients, names):
    found = elbv2.describe_load_balancers(clients("elbv2"), [names["load_balancer"]])
    if found:
        return found[0]["DNSName"]
    message = "api_origin: the stack's public ALB %s does not exist; deploy the compute tier first or set api_origin=false" % names["load_balancer"]
    if module.check_mode:
        module.warn(message + " (check mode: planned against the ALB the compute tier would build)")
        return None
    module.fail_json(msg=message)


def ensure_present(module, clients, cfg, names, have):
    params = module.params
    bucket_domain = "%s.s3.%s.amazonaws.com" % (names["bucket"], params["region"])
    alb_domain = find_alb(module, clients, names) if params["api_origin"] else None
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
    plan = model.plan_cdn(want, have)
    objects = []
    if params.get("upload_dir"):
        local = local_files(params["upload_dir"])
        remote = remote_files(clients("s3"), names["bucket"], local) if have.get("bucket") else {}
        objects = model.plan_objects(local, remote)
        # Before the bucket policy: the files are in place when CloudFront is first allowed to read them.
        policy = [change for change in plan.changes if change.kind == "bucket_policy"]
        plan.changes = [change for change in plan.changes if change.kind != "bucket_policy"] + objects + policy
    applier = CdnApplier(module, clients, cfg, names, have, spec)
    plan.apply(applier.handlers(), check_mode=module.check_mode)
    if not module.check_mode:
        applier.invalidate(params["default_root_object"])
    return plan, applier


def ensure_absent(module, clients, cfg, names, have):
    params = module.params
    if params["delete_bucket"] and have.get("bucket") is not None:
        have["bucket_objects"] = len(s3.list_object_versions(clients("s3"), names["bucket"]))
    if have.get("distribution") is not None:
        have["distribution"] = dict(have["distribution"], id=have["distribution_raw"]["summary"]["Id"])
    plan = model.plan_teardown(names, have, params["delete_bucket"], params["empty_bucket"])
    applier = CdnApplier(module, clients, cfg, names, have, None)
    plan.apply(applier.handlers(), check_mode=module.check_mode)
    return plan, applier


def summary(names, applier, state, check_mode):
    result = {"bucket": names["bucket"], "uploaded": list(applier.uploaded), "invalidation_id": applier.invalidation_id}
    if state == "absent":
        result["bucket_kept"] = not (applier.module.params["delete_bucket"] and applier.have.get("bucket") is not None)
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


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", default={}),
        bucket_name=dict(type="str"),
        encryption=dict(type="str", choices=list(model.ENCRYPTIONS), default="sse-s3"),
        kms_key_arn=dict(type="str", no_log=False),  # an ARN, not a secret
        aliases=dict(type="list", elements="str", default=[]),
        certificate_arn=dict(type="str"),
        price_class=dict(type="str", choices=list(model.PRICE_CLASSES), default="PriceClass_100"),
        default_root_object=dict(type="str", default="index.html"),
        security_headers=dict(type="bool", default=True),
        api_origin=dict(type="bool", default=False),
        api_path_pattern=dict(type="str", default="/api/*"),
        api_origin_protocol=dict(type="str", choices=list(model.API_PROTOCOLS), default="http-only"),
        upload_dir=dict(type="path"),
        invalidate=dict(type="bool", default=True),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=1800),
        confirm_delete=dict(type="str"),
        delete_bucket=dict(type="bool", default=False),
        empty_bucket=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if not params.get("region"):
        params["region"] = "us-east-1"
    cfg = settings_of(params)
    errors = model.validate_cdn(cfg)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid cdn settings: " + "; ".join(errors), errors=errors)
    names = model.names(params["stack"], params["region"], params.get("bucket_name"))

    # an OAC stays "in use" for a while after its distribution is deleted
    retries = {"s3": RETRY, "cloudfront": AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["OriginAccessControlInUse"])}
    clients = ClientCache(module, retries)
    try:
        have = read_state(module, clients, cfg, names)
        if params["state"] == "present":
            plan, applier = ensure_present(module, clients, cfg, names, have)
        else:
            plan, applier = ensure_absent(module, clients, cfg, names, have)
    except model.CdnPlanError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, botocore.exceptions.WaiterError) as error:
        if isinstance(error, botocore.exceptions.ClientError) and s3.code(error) in ("403", "AccessDenied") and "HeadBucket" in str(error):
            module.fail_json(msg="bucket_name: bucket %s exists but this account cannot use it (S3 names are global: choose another)" % names["bucket"])
        module.fail_json_aws(error, msg="Failed to reconcile the CDN of stack %s" % params["stack"])

    result = dict(changed=plan.changed, plan=plan.as_list(), plan_text=plan.render(), cdn=summary(names, applier, params["state"], module.check_mode))
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
