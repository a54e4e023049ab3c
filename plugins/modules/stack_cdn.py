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

from ansible_collections.hatrading.aws.plugins.module_utils.cdn import apply
from ansible_collections.hatrading.aws.plugins.module_utils.cdn import model
from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier

ARGUMENT_SPEC = dict(
    TIER_SPEC,
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


def main():
    run_tier("cdn", ARGUMENT_SPEC, model.validate_params, apply.reconcile)


if __name__ == "__main__":
    main()
