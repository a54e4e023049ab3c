# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CDN tier as plain data: settings, validation, wanted and found state, and the plan between them.

A private S3 bucket holds the front-end's static files; a CloudFront distribution serves them
through an Origin Access Control (sigv4, always signing), and can send ``/api/*`` to the stack's
public ALB. Nothing here calls AWS: read.py reads, this file decides, apply.py applies.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core.buckets import private_bucket
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import KMS_ARN
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import TierChecks
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_bucket
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import options_set
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_STACK
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_TIER
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags

TIER = "cdn"
# AWS managed policies: their IDs are fixed and published (CloudFront developer guide,
# "Use managed cache policies" / "Use managed origin request policies").
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# everything the viewer sent but Host: CloudFront then asks the ALB by the ALB's own name, which its certificate covers
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# Managed response headers policy "SecurityHeadersPolicy": HSTS, X-Content-Type-Options, X-Frame-Options,
# Referrer-Policy, X-XSS-Protection on every response of the static content.
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
ENCRYPTIONS = ("sse-s3", "sse-kms")
API_PROTOCOLS = ("http-only", "https-only")
S3_ORIGIN = "s3-assets"
API_ORIGIN = "api-alb"
NEW = "(known after apply)"
READ_METHODS = ["GET", "HEAD"]
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
MIN_TLS = "TLSv1.2_2021"
# Above this many changed files one "/*" invalidation is cheaper than one path each.
MAX_INVALIDATION_PATHS = 15

ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")
ACM_ANY_REGION = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/")
HOSTNAME = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/vnd.microsoft.icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".pdf": "application/pdf",
}


class CdnPlanError(TierError):
    """A wanted state the tier refuses to reach (a non-empty bucket to delete, a missing ALB)."""


def content_type(path):
    """The Content-Type of a static file by its extension; unknown ones are binary."""
    dot = path.rfind(".")
    return CONTENT_TYPES.get(path[dot:].lower() if dot >= 0 else "", "application/octet-stream")


# ---------------------------------------------------------------- validation


def settings_of(params):
    """The tier's settings: the module's options that are set (the others take their defaults here), and the region."""
    cfg = options_set(params)
    cfg["region"] = params.get("region")
    return cfg


def _validate_bucket(settings, v):
    return validate_stack_bucket(settings, v, lambda stack, region: stack_names.cdn(stack, region or "us-east-1")["bucket"])


def _validate_emptying(settings, v):
    if settings.get("empty_bucket") and not settings.get("delete_bucket"):
        return ["%s: only means something with %s=true (the bucket is kept otherwise)" % (v("empty_bucket"), v("delete_bucket"))]
    return []


def _validate_distribution(settings, v):
    """The bucket's encryption, the certificate and aliases, the price class, the API origin, the upload."""
    errors = []
    encryption = settings.get("encryption", "sse-s3")
    if encryption not in ENCRYPTIONS:
        errors.append("%s: %r is not an encryption; use sse-s3 or sse-kms" % (v("encryption"), encryption))
    kms = settings.get("kms_key_arn") or ""
    if encryption == "sse-kms" and not KMS_ARN.match(kms):
        errors.append("%s: sse-kms needs the ARN of a KMS key or alias (arn:aws:kms:<region>:<account>:key/<id>), got %r" % (v("kms_key_arn"), kms))
    if encryption == "sse-s3" and kms:
        errors.append("%s: a KMS key is only used with %s=sse-kms" % (v("kms_key_arn"), v("encryption")))
    certificate = settings.get("certificate_arn") or ""
    if certificate and not ACM_ARN.match(certificate):
        where = ACM_ANY_REGION.match(certificate)
        reason = "CloudFront only takes ACM certificates from us-east-1, this one is in %s" % where.group(1) if where else "not an ACM certificate ARN"
        errors.append("%s: %s (arn:aws:acm:us-east-1:<account>:certificate/<uuid>)" % (v("certificate_arn"), reason))
    aliases = settings.get("aliases") or []
    for alias in aliases:
        if not isinstance(alias, str) or not HOSTNAME.match(alias):
            errors.append("%s: %r is not a host name (lower case, like www.example.com or *.example.com)" % (v("aliases"), alias))
    if len(set(aliases)) != len(aliases):
        errors.append("%s: lists a name twice" % v("aliases"))
    if aliases and not certificate:
        errors.append("%s: aliases need %s, a us-east-1 ACM certificate covering them" % (v("aliases"), v("certificate_arn")))
    if settings.get("price_class", "PriceClass_100") not in PRICE_CLASSES:
        errors.append("%s: %r is not a price class; use one of %s" % (v("price_class"), settings.get("price_class"), ", ".join(PRICE_CLASSES)))
    if settings.get("api_origin"):
        path = settings.get("api_path_pattern", "/api/*")
        if not isinstance(path, str) or not path.startswith("/") or len(path) > 255 or path in ("/*", "*"):
            errors.append("%s: %r must start with / and not be the catch-all (the default behavior serves the bucket)" % (v("api_path_pattern"), path))
        if settings.get("api_origin_protocol", "http-only") not in API_PROTOCOLS:
            errors.append("%s: %r is not an origin protocol; use http-only or https-only" % (v("api_origin_protocol"), settings.get("api_origin_protocol")))
    upload_dir = settings.get("upload_dir")
    if upload_dir and not os.path.isdir(upload_dir):
        errors.append("%s: %s is not a directory" % (v("upload_dir"), upload_dir))
    root = settings.get("default_root_object", "index.html")
    if not isinstance(root, str) or not root or root.startswith("/"):
        errors.append("%s: %r must be an object name such as index.html, without a leading /" % (v("default_root_object"), root))
    return errors


CHECKS = TierChecks(
    "the CDN",
    kept=lambda v: "the bucket is kept unless %s=true" % v("delete_bucket"),
    common=(_validate_bucket,),
    build=(_validate_distribution,),
    teardown=(_validate_emptying,),
    settings_of=settings_of,
)
validate_cdn = CHECKS.settings  # the validate play's check (``prefix``: cdn_)


def validate_params(params):
    """The module's check, before any AWS call; the region defaults to us-east-1 (CloudFront's own)."""
    if not params.get("region"):
        params["region"] = "us-east-1"
    return CHECKS.params(params)


# ---------------------------------------------------------------- bucket


def desired_bucket(cfg, name):
    kms_key = cfg["kms_key_arn"] if cfg.get("encryption", "sse-s3") == "sse-kms" else None
    return private_bucket(kms_key, stack_tags(cfg["stack"], TIER, name, cfg.get("tags")))


def actual_bucket(raw):
    """The bucket as found (raw: the answers of the seven bucket reads), or None when it does not exist."""
    if not raw or not raw.get("exists"):
        return None
    rules = (raw.get("encryption") or {}).get("Rules") or [{}]
    default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
    ownership_rules = (raw.get("ownership") or {}).get("Rules") or [{}]
    return {
        "public_access_block": dict((key, bool(value)) for key, value in (raw.get("public_access_block") or {}).items()),
        "ownership": ownership_rules[0].get("ObjectOwnership"),
        "encryption": {
            "algorithm": default.get("SSEAlgorithm"),
            "kms_key": default.get("KMSMasterKeyID") or None,
            "bucket_key": bool(rules[0].get("BucketKeyEnabled")),
        },
        "versioning": raw.get("versioning") or "Disabled",
        "tags": dict(raw.get("tags") or {}),
    }


def compare_bucket(want, have):
    fields = [name for name in ("public_access_block", "ownership", "encryption", "versioning") if want[name] != have.get(name)]
    if any(have["tags"].get(key) != value for key, value in want["tags"].items()):
        fields.append("tags")
    return sorted(fields)


def bucket_policy(bucket, distribution_arn):
    """TLS only for everyone; s3:GetObject for CloudFront, only on behalf of this distribution."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::%s" % bucket, "arn:aws:s3:::%s/*" % bucket],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "AllowCloudFrontOriginAccessControl",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::%s/*" % bucket,
                "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
            },
        ],
    }


def with_foreign_statements(ours, found):
    """Our statements plus every statement of the policy found that is not ours (by Sid): log delivery,
    replication or audit grants someone else added stay, and do not make every rerun an update."""
    if isinstance(found, str):
        try:
            found = json.loads(found)
        except ValueError:
            found = None
    mine = set(s.get("Sid") for s in ours["Statement"])
    foreign = [s for s in (found or {}).get("Statement") or [] if not s.get("Sid") or s.get("Sid") not in mine]
    return dict(ours, Statement=list(ours["Statement"]) + foreign)


def canonical_policy(policy):
    """A policy in a comparable form: parsed, one-element lists as scalars, statements by Sid."""
    if policy is None:
        return None
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return {"unparsable": policy}

    def scalar(value):
        if isinstance(value, list):
            value = sorted(scalar(item) for item in value) if all(not isinstance(item, (dict, list)) for item in value) else [scalar(item) for item in value]
            return value[0] if len(value) == 1 else value
        if isinstance(value, dict):
            return dict((key, scalar(item)) for key, item in value.items())
        return value

    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return {"Version": policy.get("Version"), "Statement": sorted((scalar(s) for s in statements), key=lambda s: str(s.get("Sid")))}


# ---------------------------------------------------------------- origin access control


def desired_oac(stack):
    return {
        "description": "hatrading %s: CloudFront signs every request to the assets bucket" % stack,
        "signing_protocol": "sigv4",
        "signing_behavior": "always",
        "origin_type": "s3",
    }


def actual_oac(item):
    if not item:
        return None
    return {
        "id": item.get("Id"),
        "description": item.get("Description") or "",
        "signing_protocol": item.get("SigningProtocol"),
        "signing_behavior": item.get("SigningBehavior"),
        "origin_type": item.get("OriginAccessControlOriginType"),
    }


def compare_oac(want, have):
    return sorted(name for name in ("signing_protocol", "signing_behavior", "origin_type") if want[name] != have.get(name))


# ---------------------------------------------------------------- distribution


def desired_distribution(cfg, bucket_domain, oac_id, alb_domain=None):
    """The managed part of the distribution, in the comparable form of :func:`normalize_distribution`."""
    stack = cfg["stack"]
    certificate = cfg.get("certificate_arn")
    if certificate:
        viewer = {"acm_certificate_arn": certificate, "ssl_support_method": "sni-only", "minimum_protocol_version": MIN_TLS}
    else:
        viewer = {"cloudfront_default_certificate": True}
    origins = {S3_ORIGIN: {"domain": bucket_domain, "path": "", "oac": oac_id or NEW, "custom": None}}
    behaviors = []
    if cfg.get("api_origin"):
        origins[API_ORIGIN] = {
            "domain": alb_domain or NEW,
            "path": "",
            "oac": "",
            "custom": {"http_port": 80, "https_port": 443, "protocol": cfg.get("api_origin_protocol", "http-only"), "ssl_protocols": ["TLSv1.2"]},
        }
        behaviors.append(_behavior(cfg.get("api_path_pattern", "/api/*"), API_ORIGIN, CACHING_DISABLED, ALL_VIEWER_EXCEPT_HOST, ALL_METHODS))
    return {
        "comment": stack_names.cdn(stack, cfg.get("region") or "us-east-1")["comment"],
        "enabled": True,
        "aliases": sorted(cfg.get("aliases") or []),
        "default_root_object": cfg.get("default_root_object", "index.html"),
        "price_class": cfg.get("price_class", "PriceClass_100"),
        "http_version": "http2and3",
        "ipv6": True,
        "viewer_certificate": viewer,
        "origins": origins,
        "default_behavior": _behavior("*", S3_ORIGIN, CACHING_OPTIMIZED, None, READ_METHODS, SECURITY_HEADERS if cfg.get("security_headers", True) else None),
        "behaviors": behaviors,
    }


def _behavior(path, origin, cache_policy, origin_request_policy, methods, response_headers_policy=None):
    return {
        "path": path,
        "origin": origin,
        "viewer_protocol": "redirect-to-https",
        "compress": True,
        "cache_policy": cache_policy,
        "origin_request_policy": origin_request_policy,
        "response_headers_policy": response_headers_policy,
        "methods": sorted(methods),
        "cached_methods": sorted(READ_METHODS),
    }


def _items(container):
    return list((container or {}).get("Items") or [])


def _normalize_behavior(raw, path="*"):
    methods = raw.get("AllowedMethods") or {}
    return {
        "path": raw.get("PathPattern", path),
        "origin": raw.get("TargetOriginId"),
        "viewer_protocol": raw.get("ViewerProtocolPolicy"),
        "compress": bool(raw.get("Compress")),
        "cache_policy": raw.get("CachePolicyId") or None,
        "origin_request_policy": raw.get("OriginRequestPolicyId") or None,
        "response_headers_policy": raw.get("ResponseHeadersPolicyId") or None,
        "methods": sorted(_items(methods)),
        "cached_methods": sorted(_items(methods.get("CachedMethods"))),
    }


def _normalize_origin(raw):
    origin = {"domain": raw.get("DomainName"), "path": raw.get("OriginPath") or "", "custom": None}
    # AWS always reports OriginAccessControlId ("" when none); an answer without the key
    # (moto 5.2.5 drops it) does not say, so the field is not compared then.
    if "OriginAccessControlId" in raw:
        origin["oac"] = raw.get("OriginAccessControlId") or ""
    custom = raw.get("CustomOriginConfig")
    if custom:
        origin["custom"] = {
            "http_port": custom.get("HTTPPort"),
            "https_port": custom.get("HTTPSPort"),
            "protocol": custom.get("OriginProtocolPolicy"),
            "ssl_protocols": sorted(_items(custom.get("OriginSslProtocols"))),
        }
    return origin


def normalize_distribution(config):
    """A DistributionConfig (GetDistributionConfig's answer) in the comparable form of the managed fields."""
    viewer = config.get("ViewerCertificate") or {}
    if viewer.get("ACMCertificateArn"):
        certificate = {
            "acm_certificate_arn": viewer["ACMCertificateArn"],
            "ssl_support_method": viewer.get("SSLSupportMethod"),
            "minimum_protocol_version": viewer.get("MinimumProtocolVersion"),
        }
    else:  # the default certificate: AWS fixes its TLS floor, nothing else to compare
        certificate = {"cloudfront_default_certificate": bool(viewer.get("CloudFrontDefaultCertificate", True))}
    return {
        "comment": config.get("Comment", ""),
        "enabled": bool(config.get("Enabled")),
        "aliases": sorted(_items(config.get("Aliases"))),
        "default_root_object": config.get("DefaultRootObject") or "",
        "price_class": config.get("PriceClass"),
        "http_version": config.get("HttpVersion"),
        "ipv6": bool(config.get("IsIPV6Enabled")),
        "viewer_certificate": certificate,
        "origins": dict((item["Id"], _normalize_origin(item)) for item in _items(config.get("Origins"))),
        "default_behavior": _normalize_behavior(config.get("DefaultCacheBehavior") or {}),
        "behaviors": [_normalize_behavior(item) for item in _items(config.get("CacheBehaviors"))],
    }


def compare_distribution(want, have):
    fields = []
    for name, value in want.items():
        if name == "tags":
            if any(have.get("tags", {}).get(key) != tag for key, tag in value.items()):
                fields.append("tags")
        elif name == "origins":
            found = have.get("origins", {})
            if set(value) != set(found) or any(_origin_differs(value[key], found[key]) for key in value):
                fields.append("origins")
        elif value != have.get(name):
            fields.append(name)
    return sorted(fields)


def _origin_differs(want, have):
    return any(want[key] != have[key] for key in want if key in have or key != "oac")


def _api_behavior(spec):
    return {
        "PathPattern": spec["path"],
        "TargetOriginId": spec["origin"],
        "ViewerProtocolPolicy": spec["viewer_protocol"],
        "Compress": spec["compress"],
        "CachePolicyId": spec["cache_policy"],
        "AllowedMethods": {
            "Quantity": len(spec["methods"]),
            "Items": list(spec["methods"]),
            "CachedMethods": {"Quantity": len(spec["cached_methods"]), "Items": list(spec["cached_methods"])},
        },
        "SmoothStreaming": False,
        "FieldLevelEncryptionId": "",
        "LambdaFunctionAssociations": {"Quantity": 0},
        "FunctionAssociations": {"Quantity": 0},
    }


def _origin_config(origin_id, spec):
    origin = {
        "Id": origin_id,
        "DomainName": spec["domain"],
        "OriginPath": spec["path"],
        "CustomHeaders": {"Quantity": 0},
        "ConnectionAttempts": 3,
        "ConnectionTimeout": 10,
        "OriginShield": {"Enabled": False},
        "OriginAccessControlId": spec["oac"],
    }
    if spec["custom"]:
        custom = spec["custom"]
        origin["CustomOriginConfig"] = {
            "HTTPPort": custom["http_port"],
            "HTTPSPort": custom["https_port"],
            "OriginProtocolPolicy": custom["protocol"],
            "OriginSslProtocols": {"Quantity": len(custom["ssl_protocols"]), "Items": list(custom["ssl_protocols"])},
            "OriginReadTimeout": 30,
            "OriginKeepaliveTimeout": 5,
        }
    else:
        origin["S3OriginConfig"] = {"OriginAccessIdentity": ""}  # empty: OAC signs, not the legacy OAI
    return origin


def distribution_config(spec, base=None, caller_reference=None):
    """The DistributionConfig for Create/UpdateDistribution: ``base`` (the current config) with the
    managed fields of ``spec`` laid over it, so settings this tier does not manage are kept."""
    config = dict(base or {})
    if caller_reference:
        config["CallerReference"] = caller_reference
    viewer = spec["viewer_certificate"]
    if viewer.get("acm_certificate_arn"):
        certificate = {
            "CloudFrontDefaultCertificate": False,
            "ACMCertificateArn": viewer["acm_certificate_arn"],
            "SSLSupportMethod": viewer["ssl_support_method"],
            "MinimumProtocolVersion": viewer["minimum_protocol_version"],
        }
    else:
        certificate = {"CloudFrontDefaultCertificate": True}
    default = _api_behavior(spec["default_behavior"])
    del default["PathPattern"]
    if spec["default_behavior"].get("response_headers_policy"):
        default["ResponseHeadersPolicyId"] = spec["default_behavior"]["response_headers_policy"]
    behaviors = []
    for behavior in spec["behaviors"]:
        item = _api_behavior(behavior)
        if behavior["origin_request_policy"]:
            item["OriginRequestPolicyId"] = behavior["origin_request_policy"]
        behaviors.append(item)
    config.update(
        Comment=spec["comment"],
        Enabled=spec["enabled"],
        Aliases={"Quantity": len(spec["aliases"]), "Items": list(spec["aliases"])} if spec["aliases"] else {"Quantity": 0},
        DefaultRootObject=spec["default_root_object"],
        PriceClass=spec["price_class"],
        HttpVersion=spec["http_version"],
        IsIPV6Enabled=spec["ipv6"],
        ViewerCertificate=certificate,
        Origins={"Quantity": len(spec["origins"]), "Items": [_origin_config(key, value) for key, value in spec["origins"].items()]},
        DefaultCacheBehavior=default,
        CacheBehaviors={"Quantity": len(behaviors), "Items": behaviors} if behaviors else {"Quantity": 0},
    )
    return config


def disabled_config(config):
    config = dict(config)
    config["Enabled"] = False
    return config


def resolve(spec, oac_id=None, alb_domain=None):
    """The spec with the values only known after apply filled in."""
    origins = {}
    for key, found in spec["origins"].items():
        origin = dict(found)
        if origin.get("oac") == NEW and oac_id:
            origin["oac"] = oac_id
        if origin.get("domain") == NEW and alb_domain:
            origin["domain"] = alb_domain
        origins[key] = origin
    resolved = dict(spec)
    resolved["origins"] = origins
    return resolved


# ---------------------------------------------------------------- static files


def plan_objects(local, remote):
    """Changes that upload the local files whose content differs from the bucket's.

    ``local``: key -> {"md5", "size", "content_type", "path"}; ``remote``: key -> {"etag", "md5"}
    where ``md5`` is the one kept in the object's metadata (an SSE-KMS ETag is not the MD5).
    Files only in the bucket are left alone: versioning keeps them, and old pages may still link them.
    """
    changes = []
    for key in sorted(local):
        want = local[key]
        have = remote.get(key)
        after = {"md5": want["md5"], "size": want["size"], "content_type": want["content_type"]}
        if have is None:
            changes.append(Change(CREATE, "object", key, after=after, ref=want))
        elif want["md5"] not in (have.get("etag"), have.get("md5")) or (have.get("content_type") not in (None, want["content_type"])):
            before = {"md5": have.get("md5") or have.get("etag"), "content_type": have.get("content_type")}
            changes.append(Change(UPDATE, "object", key, before=before, after=after, fields=["content"], ref=want))
    return changes


def invalidation_paths(keys, root_object="index.html"):
    """The paths to invalidate for the changed object keys; "/*" when there are many."""
    paths = sorted(set("/" + key for key in keys))
    if root_object in keys:
        paths.insert(0, "/")
    if len(paths) > MAX_INVALIDATION_PATHS:
        return ["/*"]
    return paths


# ---------------------------------------------------------------- plans


def plan_cdn(want, have):
    """Bucket, origin access control, distribution, bucket policy: in the order they depend on each other."""
    plan = Plan()
    for kind, compare in (("bucket", compare_bucket), ("origin_access_control", compare_oac), ("distribution", compare_distribution)):
        name, wanted = want[kind]
        found = have.get(kind)
        if found is None:
            plan.extend([Change(CREATE, kind, name, after=wanted)])
            continue
        fields = compare(wanted, found)
        if fields:
            plan.extend([Change(UPDATE, kind, name, before=found, after=wanted, fields=fields, ref=found)])
    name, policy = want["bucket_policy"]
    found = have.get("bucket_policy")
    policy = with_foreign_statements(policy, found)
    if found is None:
        plan.extend([Change(CREATE, "bucket_policy", name, after=policy)])
    elif canonical_policy(policy) != canonical_policy(found):
        plan.extend([Change(UPDATE, "bucket_policy", name, before=found, after=policy, fields=["statements"])])
    return plan


def plan_teardown(names_, have, delete_bucket=False, empty_bucket=False):
    """Distribution (disabled, then deleted), origin access control, and the bucket only when asked."""
    plan = Plan()
    if have.get("distribution") is not None:
        plan.extend([Change(DELETE, "distribution", names_["distribution"], before=have["distribution"], ref=have["distribution"])])
    oac = have.get("origin_access_control")
    if oac is not None:
        plan.extend([Change(DELETE, "origin_access_control", names_["origin_access_control"], before=oac, ref=oac)])
    if delete_bucket and have.get("bucket") is not None:
        count = have.get("bucket_objects", 0)
        if count and not empty_bucket:
            raise CdnPlanError(
                "cdn_delete_bucket: bucket %s holds %d object version(s); it is kept. Set cdn_empty_bucket=true to delete them with it "
                "(nothing else was deleted)" % (names_["bucket"], count)
            )
        plan.extend([Change(DELETE, "bucket", names_["bucket"], before=have["bucket"], ref={"objects": count})])
    return plan


def belongs(tags, stack):
    return tags.get(TAG_STACK) == stack and tags.get(TAG_TIER) == TIER
