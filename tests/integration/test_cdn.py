"""hatrading.aws.stack_cdn against moto: check mode, create, rerun, one change, uploads, teardown, bad input.

moto 5.2.5 gaps (docs/cdn.md; the AWS-shaped answers are covered in tests/unit/cdn/test_cdn_calls.py with Stubber):
- GetDistributionConfig drops OriginAccessControlId and S3OriginConfig from the origins, so the OAC
  link is asserted here through the module's own answer and in the Stubber tests;
- ETag/IfMatch are not checked (any value passes), distributions are deployed at once;
- moto serves plain HTTP and treats a policy condition it cannot evaluate as met, so the
  TLS-only statement (Deny s3:* when aws:SecureTransport is false) refuses every object call
  made through it; on AWS boto3 speaks HTTPS and the statement does not apply. `over_tls`
  makes moto's policy evaluation skip that one statement, for the tests that touch objects.
"""

import json
import os

import pytest
from moto.iam import access_control

STACK = "cdnt"
BUCKET = "hatrading-cdnt-cdn-us-east-1"
EU_CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"
STATIC = os.path.join(os.path.dirname(__file__), "..", "..", "apps", "frontend", "static")


def cdn(ansible, check=False, diff=False, **args):
    return ansible.module("hatrading.aws.stack_cdn", dict({"stack": STACK, "region": "us-east-1"}, **args), check=check, diff=diff)


def operations(calls):
    return [call["operation"] for call in calls]


def distributions(moto):
    return moto.client("cloudfront").list_distributions()["DistributionList"].get("Items") or []


@pytest.fixture
def over_tls(monkeypatch):
    original = access_control.IAMPolicyStatement.is_action_permitted

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        if self._statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}:
            return access_control.PermissionResult.NEUTRAL  # the request came over TLS
        return original(self, action, resource, principal, incoming_condition_values)

    monkeypatch.setattr(access_control.IAMPolicyStatement, "is_action_permitted", is_action_permitted)


@pytest.fixture
def built(fresh_moto, ansible):
    result = cdn(ansible)
    assert result["rc"] == 0 and result["changed"], result
    fresh_moto.forget_calls()
    return result


def test_check_mode_plans_and_creates_nothing(fresh_moto, ansible):
    result = cdn(ansible, check=True, diff=True)
    assert result["rc"] == 0 and result["changed"], result
    assert [(step["action"], step["kind"]) for step in result["plan"]] == [
        ("create", "bucket"),
        ("create", "origin_access_control"),
        ("create", "distribution"),
        ("create", "bucket_policy"),
    ]
    assert "distribution/%s-cdn" % STACK in result["diff"]["after"]
    assert fresh_moto.mutating_calls() == []
    assert moto_buckets(fresh_moto) == [] and distributions(fresh_moto) == []


def moto_buckets(moto):
    return [bucket["Name"] for bucket in moto.client("s3").list_buckets()["Buckets"]]


def test_create_builds_a_private_bucket_behind_an_oac(built, moto):
    s3, cf = moto.client("s3"), moto.client("cloudfront")
    info = built["cdn"]
    assert info["bucket"] == BUCKET
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    assert s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    tags = {tag["Key"]: tag["Value"] for tag in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]}
    assert tags == {"hatrading:stack": STACK, "hatrading:tier": "cdn", "Name": BUCKET}

    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allow = statements["AllowCloudFrontOriginAccessControl"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": info["distribution_arn"]}}

    oacs = cf.list_origin_access_controls()["OriginAccessControlList"]["Items"]
    assert [(o["Name"], o["SigningProtocol"], o["SigningBehavior"], o["OriginAccessControlOriginType"]) for o in oacs] == [
        ("%s-cdn-oac" % STACK, "sigv4", "always", "s3")
    ]
    assert info["origin_access_control_id"] == oacs[0]["Id"]

    config = cf.get_distribution_config(Id=info["distribution_id"])["DistributionConfig"]
    assert config["Enabled"] and config["DefaultRootObject"] == "index.html" and config["PriceClass"] == "PriceClass_100"
    assert [origin["DomainName"] for origin in config["Origins"]["Items"]] == ["%s.s3.us-east-1.amazonaws.com" % BUCKET]
    default = config["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https" and default["Compress"]
    assert default["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"  # managed CachingOptimized
    assert default["ResponseHeadersPolicyId"] == "67f7725c-6f97-4210-82d7-5512b31e9d03"  # managed SecurityHeadersPolicy
    assert config["CacheBehaviors"]["Quantity"] == 0
    dist_tags = {t["Key"]: t["Value"] for t in cf.list_tags_for_resource(Resource=info["distribution_arn"])["Tags"]["Items"]}
    assert dist_tags == {"hatrading:stack": STACK, "hatrading:tier": "cdn", "Name": "%s-cdn" % STACK}


def test_rerun_changes_nothing_and_only_reads(built, moto, ansible):
    result = cdn(ansible)
    assert result["rc"] == 0 and not result["changed"], result
    assert moto.mutating_calls() == []
    assert result["cdn"]["distribution_id"] == built["cdn"]["distribution_id"]


def test_one_change_is_one_update_distribution(built, moto, ansible):
    planned = cdn(ansible, check=True, diff=True, price_class="PriceClass_All")
    assert planned["plan_text"][0] == "~ distribution %s-cdn (price_class)" % STACK
    assert planned["diff"]["after"]["distribution/%s-cdn" % STACK]["price_class"] == "PriceClass_All"
    assert moto.mutating_calls() == []

    result = cdn(ansible, price_class="PriceClass_All")
    assert result["rc"] == 0 and result["changed"], result
    mutating = moto.mutating_calls()
    assert operations(mutating) == ["PUT /2020-05-31/distribution/%s/config" % built["cdn"]["distribution_id"]]
    config = moto.client("cloudfront").get_distribution_config(Id=built["cdn"]["distribution_id"])["DistributionConfig"]
    assert config["PriceClass"] == "PriceClass_All" and config["DefaultRootObject"] == "index.html"

    moto.forget_calls()
    assert not cdn(ansible, price_class="PriceClass_All")["changed"]
    assert moto.mutating_calls() == []


def test_absent_needs_confirmation_and_keeps_the_bucket(built, moto, ansible):
    refused = cdn(ansible, state="absent")
    assert refused["rc"] != 0 and "confirm_delete" in refused["msg"]
    assert moto.calls() == []

    result = cdn(ansible, state="absent", confirm_delete=STACK)
    assert result["rc"] == 0 and result["changed"], result
    assert [(s["action"], s["kind"]) for s in result["plan"]] == [("delete", "distribution"), ("delete", "origin_access_control")]
    assert result["cdn"]["bucket_kept"]
    assert distributions(moto) == []
    assert not moto.client("cloudfront").list_origin_access_controls()["OriginAccessControlList"].get("Items")
    assert BUCKET in moto_buckets(moto)  # nothing lost
    assert moto.client("s3").get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"

    moto.forget_calls()
    again = cdn(ansible, state="absent", confirm_delete=STACK)
    assert again["rc"] == 0 and not again["changed"] and moto.mutating_calls() == []


def test_a_non_empty_bucket_is_deleted_only_when_emptying_is_asked(built, moto, ansible, over_tls):
    moto.client("s3").put_object(Bucket=BUCKET, Key="keep.txt", Body=b"v1")
    moto.client("s3").put_object(Bucket=BUCKET, Key="keep.txt", Body=b"v2")
    moto.forget_calls()
    refused = cdn(ansible, state="absent", confirm_delete=STACK, delete_bucket=True)
    assert refused["rc"] != 0 and "cdn_empty_bucket" in refused["msg"] and "2 object version" in refused["msg"]
    assert moto.mutating_calls() == []  # refused before anything was deleted
    assert len(distributions(moto)) == 1

    result = cdn(ansible, state="absent", confirm_delete=STACK, delete_bucket=True, empty_bucket=True)
    assert result["rc"] == 0 and not result["cdn"]["bucket_kept"], result
    assert BUCKET not in moto_buckets(moto) and distributions(moto) == []


@pytest.mark.parametrize(
    "args, variable",
    [
        ({"bucket_name": "Bad_Bucket"}, "bucket_name"),
        ({"certificate_arn": EU_CERTIFICATE, "aliases": ["www.example.com"]}, "certificate_arn"),
        ({"aliases": ["www.example.com"]}, "aliases"),
        ({"encryption": "sse-kms"}, "kms_key_arn"),
        ({"stack": "Bad Stack"}, "stack"),
        ({"upload_dir": "/nonexistent/static"}, "upload_dir"),
    ],
)
def test_bad_input_fails_before_any_call(fresh_moto, ansible, args, variable):
    result = cdn(ansible, **args)
    assert result["rc"] != 0 and variable + ":" in result["msg"], result
    assert fresh_moto.calls() == []


def make_alb(moto, stack=STACK):
    ec2, elb = moto.client("ec2"), moto.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.%d.0/24" % i, AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"] for i, az in enumerate("ab")
    ]
    return elb.create_load_balancer(Name="%s-alb-pub" % stack, Subnets=subnets, Scheme="internet-facing", Type="application")["LoadBalancers"][0]["DNSName"]


def test_api_behavior_goes_to_the_public_alb_uncached(fresh_moto, ansible):
    missing = cdn(ansible, api_origin=True)
    assert missing["rc"] != 0 and "api_origin" in missing["msg"] and "%s-alb-pub" % STACK in missing["msg"]
    assert fresh_moto.mutating_calls() == []
    planned = cdn(ansible, check=True, api_origin=True)  # a first --check of the whole stack: compute not built yet
    assert planned["rc"] == 0 and any("%s-alb-pub" % STACK in warning for warning in planned.get("warnings", [])), planned
    assert fresh_moto.mutating_calls() == []

    dns = make_alb(fresh_moto)
    result = cdn(ansible, api_origin=True)
    assert result["rc"] == 0 and result["changed"], result
    config = fresh_moto.client("cloudfront").get_distribution_config(Id=result["cdn"]["distribution_id"])["DistributionConfig"]
    origins = {origin["Id"]: origin for origin in config["Origins"]["Items"]}
    assert origins["api-alb"]["DomainName"] == dns
    assert origins["api-alb"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "http-only"
    (api,) = config["CacheBehaviors"]["Items"]
    assert api["PathPattern"] == "/api/*" and api["TargetOriginId"] == "api-alb"
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # managed CachingDisabled
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # managed AllViewerExceptHostHeader
    assert set(api["AllowedMethods"]["Items"]) == {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}

    fresh_moto.forget_calls()
    assert not cdn(ansible, api_origin=True)["changed"]
    assert fresh_moto.mutating_calls() == []
    switched = cdn(ansible, api_origin=True, api_origin_protocol="https-only")
    assert switched["plan_text"][0] == "~ distribution %s-cdn (origins)" % STACK


def test_uploads_only_what_changed_and_invalidates_it(fresh_moto, ansible, over_tls, tmp_path):
    site = tmp_path / "site"
    (site / "assets").mkdir(parents=True)
    with open(os.path.join(STATIC, "index.html"), "rb") as page:
        (site / "index.html").write_bytes(page.read())
    (site / "assets" / "app.js").write_text("console.log('v1');\n")
    (site / "assets" / "app.css").write_text("body { color: black; }\n")
    (site / ".hidden").write_text("not uploaded\n")

    first = cdn(ansible, upload_dir=str(site))
    assert first["rc"] == 0, first
    assert first["cdn"]["uploaded"] == ["assets/app.css", "assets/app.js", "index.html"]
    s3 = fresh_moto.client("s3")
    assert s3.head_object(Bucket=BUCKET, Key="index.html")["ContentType"] == "text/html; charset=utf-8"
    assert s3.head_object(Bucket=BUCKET, Key="assets/app.js")["ContentType"] == "text/javascript; charset=utf-8"
    assert s3.head_object(Bucket=BUCKET, Key="assets/app.css")["ContentType"] == "text/css; charset=utf-8"
    assert "Contents" in s3.list_objects_v2(Bucket=BUCKET) and len(s3.list_objects_v2(Bucket=BUCKET)["Contents"]) == 3
    invalidations = fresh_moto.client("cloudfront").list_invalidations(DistributionId=first["cdn"]["distribution_id"])["InvalidationList"]
    assert invalidations["Quantity"] == 1

    fresh_moto.forget_calls()
    again = cdn(ansible, upload_dir=str(site))
    assert not again["changed"] and again["cdn"]["uploaded"] == [] and fresh_moto.mutating_calls() == []

    (site / "assets" / "app.js").write_text("console.log('v2');\n")
    changed = cdn(ansible, upload_dir=str(site))
    assert changed["plan_text"][0] == "~ object assets/app.js (content)"
    invalidate = "POST /2020-05-31/distribution/%s/invalidation" % first["cdn"]["distribution_id"]
    assert operations(fresh_moto.mutating_calls()) == ["PUT /%s/assets/app.js" % BUCKET, invalidate]
    invalidation = fresh_moto.client("cloudfront").get_invalidation(DistributionId=first["cdn"]["distribution_id"], Id=changed["cdn"]["invalidation_id"])
    assert invalidation["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/assets/app.js"]


def test_sse_kms_and_a_drifted_bucket_are_reconciled(built, moto, ansible):
    key = moto.client("kms").create_key()["KeyMetadata"]["Arn"]
    s3 = moto.client("s3")
    s3.delete_public_access_block(Bucket=BUCKET)  # drift: someone opened the bucket
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "team", "Value": "web"}]})
    moto.forget_calls()
    result = cdn(ansible, encryption="sse-kms", kms_key_arn=key)
    assert result["plan_text"][0] == "~ bucket %s (encryption, public_access_block, tags)" % BUCKET, result
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key} and rule["BucketKeyEnabled"]
    assert all(s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    tags = {tag["Key"]: tag["Value"] for tag in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]}
    assert tags["team"] == "web" and tags["hatrading:tier"] == "cdn"  # tags we do not manage are kept
    moto.forget_calls()
    assert not cdn(ansible, encryption="sse-kms", kms_key_arn=key)["changed"]
    assert moto.mutating_calls() == []


def test_the_playbook_checks_cdn_variables_before_any_call(fresh_moto, ansible):
    result = ansible.playbook(
        "playbooks/site.yml",
        {"cdn_certificate_arn": EU_CERTIFICATE, "cdn_aliases": ["www.example.com"]},
        tags="cdn",
        extra_args=("-e", "@playbooks/vars/demo.yml"),
    )
    assert result["rc"] != 0
    failed = result["tasks"]["hatrading.aws.cdn : Check the cdn variables against each other (no AWS call)"]
    assert "cdn_certificate_arn: CloudFront only takes ACM certificates from us-east-1" in failed["msg"]
    assert fresh_moto.calls() == []
