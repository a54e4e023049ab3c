"""The CDN tier's pure model: names, validation, normalised comparison, plans, files and invalidations."""

import copy
import json

import pytest

from ansible_collections.hatrading.aws.plugins.module_utils.cdn import model
from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.validators import check

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
ARN = "arn:aws:cloudfront::123456789012:distribution/E1"
DOMAIN = "hatrading-prod-cdn-us-east-1.s3.us-east-1.amazonaws.com"


def cfg(**extra):
    return dict({"stack": "prod", "region": "us-east-1"}, **extra)


def test_names_derive_from_the_stack_and_region():
    names = stack_names.cdn("prod", "eu-west-1")
    assert names["bucket"] == "hatrading-prod-cdn-eu-west-1"
    assert names["load_balancer"] == "prod-alb-pub"
    assert stack_names.cdn("prod", "eu-west-1", "my-assets")["bucket"] == "my-assets"


@pytest.mark.parametrize(
    "settings, variable",
    [
        (cfg(bucket_name="UPPER"), "cdn_bucket_name"),
        (cfg(bucket_name="ab"), "cdn_bucket_name"),
        (cfg(bucket_name="xn--assets"), "cdn_bucket_name"),
        (cfg(bucket_name="assets-s3alias"), "cdn_bucket_name"),
        (cfg(bucket_name="with.dots.here"), "cdn_bucket_name"),
        (cfg(encryption="sse-kms"), "cdn_kms_key_arn"),
        (cfg(encryption="sse-s3", kms_key_arn=KEY), "cdn_kms_key_arn"),
        (cfg(certificate_arn=CERT.replace("us-east-1", "eu-west-1")), "cdn_certificate_arn"),
        (cfg(certificate_arn="arn:aws:iam::123456789012:server-certificate/x"), "cdn_certificate_arn"),
        (cfg(aliases=["www.example.com"]), "cdn_aliases"),
        (cfg(aliases=["WWW.example.com"], certificate_arn=CERT), "cdn_aliases"),
        (cfg(aliases=["a.example.com", "a.example.com"], certificate_arn=CERT), "cdn_aliases"),
        (cfg(price_class="PriceClass_300"), "cdn_price_class"),
        (cfg(api_origin=True, api_path_pattern="api/*"), "cdn_api_path_pattern"),
        (cfg(api_origin=True, api_path_pattern="/*"), "cdn_api_path_pattern"),
        (cfg(api_origin=True, api_origin_protocol="match-viewer"), "cdn_api_origin_protocol"),
        (cfg(default_root_object="/index.html"), "cdn_default_root_object"),
        (cfg(tags={"hatrading:tier": "x"}), "cdn_tags"),
        (cfg(stack="Prod"), "cdn_stack"),
        (cfg(upload_dir="/nonexistent/dir"), "cdn_upload_dir"),
        (cfg(state="absent"), "cdn_confirm_delete"),
        (cfg(state="absent", confirm_delete="prod", empty_bucket=True), "cdn_empty_bucket"),
    ],
)
def test_validation_names_the_variable(settings, variable):
    errors = model.validate_cdn(settings, "cdn_")
    assert errors and all(error.startswith("cdn_") for error in errors)
    assert any(error.startswith(variable) for error in errors), errors


def test_sound_settings_pass_and_the_validator_is_registered(tmp_path):
    good = cfg(
        aliases=["www.example.com", "*.example.com"],
        certificate_arn=CERT,
        encryption="sse-kms",
        kms_key_arn=KEY,
        api_origin=True,
        upload_dir=str(tmp_path),
    )
    assert model.validate_cdn(good, "cdn_") == []
    assert check("cdn", good, "cdn_") == (None, [])
    message, errors = check("cdn", cfg(bucket_name="Bad"), "cdn_")
    assert "Invalid cdn settings" in message and len(errors) == 1
    assert model.validate_cdn(cfg(state="absent", confirm_delete="prod", delete_bucket=True, empty_bucket=True)) == []


def test_content_types():
    assert model.content_type("index.html") == "text/html; charset=utf-8"
    assert model.content_type("a/b/app.JS") == "text/javascript; charset=utf-8"
    assert model.content_type("fonts/x.woff2") == "font/woff2"
    assert model.content_type("LICENSE") == "application/octet-stream"


def test_bucket_policy_denies_plain_http_and_lets_only_this_distribution_read():
    policy = model.bucket_policy("b1", ARN)
    deny, allow = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "s3:*" and deny["Resource"] == ["arn:aws:s3:::b1", "arn:aws:s3:::b1/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": ARN}}


def test_policies_compare_in_canonical_form():
    policy = model.bucket_policy("b1", ARN)
    reordered = copy.deepcopy(policy)
    reordered["Statement"].reverse()
    reordered["Statement"][0]["Action"] = ["s3:GetObject"]  # AWS may answer one-element lists either way
    assert model.canonical_policy(json.dumps(reordered)) == model.canonical_policy(policy)
    assert model.canonical_policy(model.bucket_policy("b1", ARN + "X")) != model.canonical_policy(policy)


def raw_bucket(**over):
    raw = {
        "exists": True,
        "public_access_block": {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
        "ownership": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]},
        "versioning": "Enabled",
        "tags": {"hatrading:stack": "prod", "hatrading:tier": "cdn", "Name": "b1", "team": "web"},
    }
    raw.update(over)
    return raw


def test_bucket_comparison():
    want = model.desired_bucket(cfg(), "b1")
    assert model.compare_bucket(want, model.actual_bucket(raw_bucket())) == []
    drifted = model.actual_bucket(raw_bucket(public_access_block=None, versioning="Suspended", ownership=None, encryption=None, tags={}))
    assert model.compare_bucket(want, drifted) == ["encryption", "ownership", "public_access_block", "tags", "versioning"]
    kms = model.desired_bucket(cfg(encryption="sse-kms", kms_key_arn=KEY), "b1")
    assert kms["encryption"] == {"algorithm": "aws:kms", "kms_key": KEY, "bucket_key": True}
    assert model.compare_bucket(kms, model.actual_bucket(raw_bucket())) == ["encryption"]
    assert model.actual_bucket({"exists": False}) is None


def spec(**extra):
    return model.desired_distribution(cfg(**extra), DOMAIN, "OAC1", "alb-1.us-east-1.elb.amazonaws.com")


def aws_config(wanted):
    """What GetDistributionConfig answers on AWS for a config we sent: extra defaults included."""
    config = model.distribution_config(wanted, caller_reference="ref-1")
    config["Logging"] = {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""}
    config["ViewerCertificate"].setdefault("MinimumProtocolVersion", "TLSv1")
    config["ViewerCertificate"]["CertificateSource"] = "cloudfront"
    config["DefaultCacheBehavior"]["TrustedSigners"] = {"Enabled": False, "Quantity": 0}
    for origin in config["Origins"]["Items"]:
        origin.setdefault("S3OriginConfig", {"OriginAccessIdentity": ""})
    return config


@pytest.mark.parametrize("extra", [{}, {"api_origin": True}, {"aliases": ["b.example.com", "a.example.com"], "certificate_arn": CERT}])
def test_a_distribution_built_from_the_spec_compares_equal(extra):
    wanted = spec(**extra)
    assert model.compare_distribution(wanted, model.normalize_distribution(aws_config(wanted))) == []


def test_every_managed_field_is_compared():
    wanted = spec(api_origin=True)
    found = model.normalize_distribution(aws_config(wanted))
    assert model.compare_distribution(spec(api_origin=True, price_class="PriceClass_All"), found) == ["price_class"]
    assert model.compare_distribution(spec(api_origin=True, api_origin_protocol="https-only"), found) == ["origins"]
    assert model.compare_distribution(spec(), found) == ["behaviors", "origins"]
    assert model.compare_distribution(spec(api_origin=True, default_root_object="home.html"), found) == ["default_root_object"]
    disabled = dict(found, enabled=False)
    assert model.compare_distribution(wanted, disabled) == ["enabled"]
    other_oac = copy.deepcopy(found)
    other_oac["origins"][model.S3_ORIGIN]["oac"] = ""  # AWS reports "" when the OAC was removed
    assert model.compare_distribution(wanted, other_oac) == ["origins"]
    unreported = copy.deepcopy(found)
    del unreported["origins"][model.S3_ORIGIN]["oac"]  # moto 5.2.5 leaves the key out: not compared
    assert model.compare_distribution(wanted, unreported) == []
    assert model.compare_distribution(spec(api_origin=True, security_headers=False), found) == ["default_behavior"]
    tagged = dict(wanted, tags={"Name": "prod-cdn"})
    assert model.compare_distribution(tagged, dict(found, tags={})) == ["tags"]


def test_an_update_keeps_what_the_tier_does_not_manage():
    base = aws_config(spec())
    base["WebACLId"] = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1"
    base["Logging"] = {"Enabled": True, "IncludeCookies": False, "Bucket": "logs.s3.amazonaws.com", "Prefix": "cdn/"}
    updated = model.distribution_config(spec(price_class="PriceClass_200"), base=base)
    assert updated["WebACLId"] == base["WebACLId"] and updated["Logging"]["Enabled"] and updated["CallerReference"] == "ref-1"
    assert updated["PriceClass"] == "PriceClass_200"
    (origin,) = updated["Origins"]["Items"]
    assert origin["OriginAccessControlId"] == "OAC1" and origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert model.disabled_config(updated)["Enabled"] is False and updated["Enabled"] is True


def test_api_behavior_shape():
    config = model.distribution_config(spec(api_origin=True, api_path_pattern="/v1/*"), caller_reference="r")
    (behavior,) = config["CacheBehaviors"]["Items"]
    assert behavior["PathPattern"] == "/v1/*" and behavior["CachePolicyId"] == model.CACHING_DISABLED
    assert (
        # managed AllViewerExceptHostHeader
        behavior["OriginRequestPolicyId"] == model.ALL_VIEWER_EXCEPT_HOST == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
        and behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    )
    assert "OriginRequestPolicyId" not in config["DefaultCacheBehavior"]
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == model.CACHING_OPTIMIZED
    assert "ForwardedValues" not in config["DefaultCacheBehavior"]  # a cache policy and legacy settings exclude each other


def test_resolve_fills_what_is_known_after_apply():
    wanted = model.desired_distribution(cfg(api_origin=True), DOMAIN, None, None)
    assert wanted["origins"][model.S3_ORIGIN]["oac"] == model.NEW
    resolved = model.resolve(wanted, "OAC9", "alb.example")
    assert resolved["origins"][model.S3_ORIGIN]["oac"] == "OAC9" and resolved["origins"][model.API_ORIGIN]["domain"] == "alb.example"
    assert wanted["origins"][model.S3_ORIGIN]["oac"] == model.NEW  # the plan's copy is untouched


def test_plan_orders_creates_and_skips_what_matches():
    want = {
        "bucket": ("b1", model.desired_bucket(cfg(), "b1")),
        "origin_access_control": ("prod-cdn-oac", model.desired_oac("prod")),
        "distribution": ("prod-cdn", spec()),
        "bucket_policy": ("b1", model.bucket_policy("b1", model.NEW)),
    }
    plan = model.plan_cdn(want, {})
    assert [(c.action, c.kind) for c in plan.changes] == [
        ("create", "bucket"),
        ("create", "origin_access_control"),
        ("create", "distribution"),
        ("create", "bucket_policy"),
    ]
    have = {
        "bucket": model.actual_bucket(raw_bucket(tags={"hatrading:stack": "prod", "hatrading:tier": "cdn", "Name": "b1"})),
        "origin_access_control": {"id": "OAC1", "description": "x", "signing_protocol": "sigv4", "signing_behavior": "always", "origin_type": "s3"},
        "distribution": model.normalize_distribution(aws_config(spec())),
        "bucket_policy": json.dumps(model.bucket_policy("b1", ARN)),
    }
    want["bucket_policy"] = ("b1", model.bucket_policy("b1", ARN))
    assert model.plan_cdn(want, have).changes == []
    have["origin_access_control"]["signing_behavior"] = "no-override"
    (change,) = model.plan_cdn(want, have).changes
    assert str(change) == "~ origin_access_control prod-cdn-oac (signing_behavior)"


def test_teardown_keeps_the_bucket_and_refuses_a_non_empty_one():
    names = stack_names.cdn("prod", "us-east-1")
    have = {"bucket": {"x": 1}, "origin_access_control": {"id": "O"}, "distribution": {"id": "D"}, "bucket_objects": 3}
    plan = model.plan_teardown(names, have)
    assert [(c.action, c.kind) for c in plan.changes] == [("delete", "distribution"), ("delete", "origin_access_control")]
    with pytest.raises(model.CdnPlanError, match="3 object version"):
        model.plan_teardown(names, have, delete_bucket=True)
    plan = model.plan_teardown(names, have, delete_bucket=True, empty_bucket=True)
    assert plan.changes[-1].kind == "bucket" and plan.changes[-1].ref == {"objects": 3}
    assert model.plan_teardown(names, {}).changes == []


def test_objects_upload_only_changed_content():
    local = {
        "index.html": {"md5": "a" * 32, "size": 10, "content_type": "text/html; charset=utf-8", "path": "/x/index.html"},
        "app.js": {"md5": "b" * 32, "size": 5, "content_type": "text/javascript; charset=utf-8", "path": "/x/app.js"},
        "new.css": {"md5": "c" * 32, "size": 5, "content_type": "text/css; charset=utf-8", "path": "/x/new.css"},
    }
    remote = {
        "index.html": {"etag": "a" * 32},
        "app.js": {"etag": "kms-etag", "md5": "b" * 32, "content_type": "text/javascript; charset=utf-8"},  # SSE-KMS: metadata MD5
        "old.png": {"etag": "d" * 32},
    }
    assert [str(c) for c in model.plan_objects(local, remote)] == ["+ object new.css"]
    remote["index.html"] = {"etag": "e" * 32, "md5": None, "content_type": "text/html; charset=utf-8"}
    assert [str(c) for c in model.plan_objects(local, remote)] == ["~ object index.html (content)", "+ object new.css"]


def test_invalidation_paths():
    assert model.invalidation_paths(["app.js"]) == ["/app.js"]
    assert model.invalidation_paths(["index.html", "app.js"]) == ["/", "/app.js", "/index.html"]
    assert model.invalidation_paths(["f%d.js" % i for i in range(20)]) == ["/*"]


def test_someone_elses_bucket_policy_statements_are_kept_and_do_not_make_reruns_update():
    ours = model.bucket_policy("b1", ARN)
    logs = {"Sid": "AllowLogDelivery", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "x"}
    found = dict(ours, Statement=ours["Statement"] + [logs])
    merged = model.with_foreign_statements(ours, json.dumps(found))
    assert [s["Sid"] for s in merged["Statement"]] == ["DenyInsecureTransport", "AllowCloudFrontOriginAccessControl", "AllowLogDelivery"]
    assert model.canonical_policy(merged) == model.canonical_policy(found)  # a rerun: nothing to do
    stale = copy.deepcopy(found)
    stale["Statement"][1]["Condition"]["StringEquals"]["AWS:SourceArn"] = ARN + "-old"
    again = model.with_foreign_statements(ours, stale)
    assert again["Statement"][1]["Condition"]["StringEquals"]["AWS:SourceArn"] == ARN and again["Statement"][2] == logs  # ours fixed, theirs kept
    assert model.with_foreign_statements(ours, None) == ours
