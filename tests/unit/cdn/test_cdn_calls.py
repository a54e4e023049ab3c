"""stack_cdn's applier against botocore Stubber: the requests moto cannot show.

moto 5.2.5 accepts any IfMatch, keeps one ETag for ever, drops OriginAccessControlId from the
origins it reports and deploys at once. These tests check the exact requests instead (Stubber
validates every request and answer against the real CloudFront and S3 service models):
ETag/IfMatch chaining on update and teardown, the waiter only when needed, the OAC link in the
origin, the upload's Content-Type, Content-MD5 and metadata, and reading an SSE-KMS object's MD5.
"""

import boto3
import pytest
from botocore.stub import ANY
from botocore.stub import Stubber

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.cdn import apply
from ansible_collections.hatrading.aws.plugins.module_utils.cdn import model
from ansible_collections.hatrading.aws.plugins.module_utils.cdn import read
from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change

ARN = "arn:aws:cloudfront::123456789012:distribution/E1"
NAMES = names.cdn("prod", "us-east-1")
DOMAIN = NAMES["bucket"] + ".s3.us-east-1.amazonaws.com"


def module_params(**params):
    return dict({"stack": "prod", "wait": False, "wait_timeout": 60, "invalidate": True, "region": "us-east-1", "delete_bucket": False}, **params)


@pytest.fixture
def aws():
    made, stubbers = {}, {}
    for service in ("s3", "cloudfront"):
        made[service] = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        stubbers[service] = Stubber(made[service])
        stubbers[service].activate()
    yield Clients(make=made.get), stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def applier(clients, have=None, spec=None, **params):
    return apply.CdnApplier(clients, module_params(**params), NAMES, have or {}, spec)


def summary(status="Deployed"):
    return {
        "Id": "E1",
        "ARN": ARN,
        "Status": status,
        "LastModifiedTime": "2026-01-01T00:00:00Z",
        "DomainName": "d1.cloudfront.net",
        "InProgressInvalidationBatches": 0,
        "ActiveTrustedSigners": {"Enabled": False, "Quantity": 0},
        "DistributionConfig": config(),
    }


def config(enabled=True, oac="OAC1"):
    wanted = model.desired_distribution({"stack": "prod", "region": "us-east-1"}, DOMAIN, oac)
    result = model.distribution_config(wanted, caller_reference="ref-1")
    result["Enabled"] = enabled
    return result


def test_update_sends_the_etag_it_read_and_links_the_oac(aws):
    clients, stubs = aws
    wanted = model.desired_distribution({"stack": "prod", "region": "us-east-1", "price_class": "PriceClass_All"}, DOMAIN, "OAC1")
    have = {"origin_access_control": {"id": "OAC1"}, "distribution_raw": {"summary": summary(), "config": config(), "etag": "ETAG-READ"}}
    sent = model.distribution_config(wanted, base=config())
    stubs["cloudfront"].add_response(
        "update_distribution", {"Distribution": summary("InProgress"), "ETag": "ETAG-2"}, {"Id": "E1", "IfMatch": "ETAG-READ", "DistributionConfig": sent}
    )
    doer = applier(clients, have, wanted)
    doer.update_distribution(Change(UPDATE, "distribution", "prod-cdn", before={"tags": {}}, after={"tags": {}}, fields=["price_class"]))
    (origin,) = sent["Origins"]["Items"]
    assert origin["OriginAccessControlId"] == "OAC1" and origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert doer.distribution["etag"] == "ETAG-2"


def test_a_tags_only_update_tags_and_never_updates_the_config(aws):
    clients, stubs = aws
    have = {"distribution_raw": {"summary": summary(), "config": config(), "etag": "E"}}
    stubs["cloudfront"].add_response("tag_resource", {}, {"Resource": ARN, "Tags": {"Items": [{"Key": "Name", "Value": "prod-cdn"}]}})
    change = Change(UPDATE, "distribution", "prod-cdn", before={"tags": {"Name": "old"}}, after={"tags": {"Name": "prod-cdn"}}, fields=["tags"])
    applier(clients, have, None).update_distribution(change)


def test_create_waits_only_when_asked(aws):
    clients, stubs = aws
    wanted = model.desired_distribution({"stack": "prod", "region": "us-east-1"}, DOMAIN, None)
    created = {"Distribution": summary("InProgress"), "ETag": "E0", "Location": "https://x"}
    for wait in (False, True):
        stubs["cloudfront"].add_response("create_distribution_with_tags", created, {"DistributionConfigWithTags": ANY})
        if wait:  # one poll: the waiter's first answer is already Deployed, so no sleep
            stubs["cloudfront"].add_response("get_distribution", {"Distribution": summary("Deployed"), "ETag": "E0"}, {"Id": "E1"})
        doer = applier(clients, {}, wanted, wait=wait)
        doer.oac_id = "OAC7"
        doer.create_distribution(Change(CREATE, "distribution", "prod-cdn", after={"tags": {"Name": "prod-cdn"}}))
        (origin,) = doer.distribution["config"]["Origins"]["Items"]
        assert origin["OriginAccessControlId"] == "OAC7"
        stubs["cloudfront"].assert_no_pending_responses()


def test_teardown_disables_waits_then_deletes_with_the_latest_etag(aws):
    clients, stubs = aws
    cf = stubs["cloudfront"]
    cf.add_response("get_distribution_config", {"DistributionConfig": config(), "ETag": "E1-A"}, {"Id": "E1"})
    cf.add_response(
        "update_distribution",
        {"Distribution": summary("InProgress"), "ETag": "E1-B"},
        {"Id": "E1", "IfMatch": "E1-A", "DistributionConfig": config(enabled=False)},
    )
    cf.add_response("get_distribution", {"Distribution": summary("InProgress"), "ETag": "E1-B"}, {"Id": "E1"})
    cf.add_response("get_distribution", {"Distribution": summary("Deployed"), "ETag": "E1-B"}, {"Id": "E1"})  # the waiter's first poll
    cf.add_response("get_distribution", {"Distribution": summary("Deployed"), "ETag": "E1-C"}, {"Id": "E1"})
    cf.add_response("delete_distribution", {}, {"Id": "E1", "IfMatch": "E1-C"})
    applier(clients).delete_distribution(Change(DELETE, "distribution", "prod-cdn", ref={"id": "E1"}))


def test_teardown_of_a_disabled_deployed_distribution_deletes_at_once(aws):
    clients, stubs = aws
    cf = stubs["cloudfront"]
    cf.add_response("get_distribution_config", {"DistributionConfig": config(enabled=False), "ETag": "E1-A"}, {"Id": "E1"})
    cf.add_response("get_distribution", {"Distribution": summary("Deployed"), "ETag": "E1-A"}, {"Id": "E1"})
    cf.add_response("delete_distribution", {}, {"Id": "E1", "IfMatch": "E1-A"})
    applier(clients).delete_distribution(Change(DELETE, "distribution", "prod-cdn", ref={"id": "E1"}))


def test_oac_delete_and_update_use_its_etag(aws):
    clients, stubs = aws
    cf = stubs["cloudfront"]
    oac = {
        "Id": "OAC1",
        "OriginAccessControlConfig": {"Name": "prod-cdn-oac", "SigningProtocol": "sigv4", "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"},
    }
    cf.add_response("get_origin_access_control", {"OriginAccessControl": oac, "ETag": "O-1"}, {"Id": "OAC1"})
    cf.add_response(
        "update_origin_access_control", {"OriginAccessControl": oac, "ETag": "O-2"}, {"Id": "OAC1", "IfMatch": "O-1", "OriginAccessControlConfig": ANY}
    )
    cf.add_response("get_origin_access_control", {"OriginAccessControl": oac, "ETag": "O-2"}, {"Id": "OAC1"})
    cf.add_response("delete_origin_access_control", {}, {"Id": "OAC1", "IfMatch": "O-2"})
    doer = applier(clients)
    doer.update_origin_access_control(Change(UPDATE, "origin_access_control", "prod-cdn-oac", after=model.desired_oac("prod"), ref={"id": "OAC1"}))
    doer.delete_origin_access_control(Change(DELETE, "origin_access_control", "prod-cdn-oac", ref={"id": "OAC1"}))


def test_upload_sends_type_md5_and_metadata_then_invalidates(aws, tmp_path):
    clients, stubs = aws
    page = tmp_path / "index.html"
    page.write_bytes(b"<html>hi</html>\n")
    local = read.local_files(str(tmp_path))
    md5 = local["index.html"]["md5"]
    stubs["s3"].add_response(
        "put_object",
        {"ETag": '"%s"' % md5},
        {
            "Bucket": NAMES["bucket"],
            "Key": "index.html",
            "Body": b"<html>hi</html>\n",
            "ContentType": "text/html; charset=utf-8",
            "ContentMD5": ANY,
            "Metadata": {"md5": md5},
        },
    )
    stubs["cloudfront"].add_response(
        "create_invalidation",
        {
            "Location": "https://x",
            "Invalidation": {
                "Id": "I1",
                "Status": "InProgress",
                "CreateTime": "2026-01-01T00:00:00Z",
                "InvalidationBatch": {"Paths": {"Quantity": 2, "Items": ["/", "/index.html"]}, "CallerReference": "r"},
            },
        },
        {"DistributionId": "E1", "InvalidationBatch": {"Paths": {"Quantity": 2, "Items": ["/", "/index.html"]}, "CallerReference": ANY}},
    )
    doer = applier(clients, {"distribution_raw": {"summary": summary(), "config": config(), "etag": "E"}}, None)
    (change,) = model.plan_objects(local, {})
    doer.create_object(change)
    doer.invalidate("index.html")
    assert doer.uploaded == ["index.html"] and doer.invalidation_id == "I1"


def test_an_sse_kms_object_is_compared_by_its_metadata_md5(aws, tmp_path):
    clients, stubs = aws
    (tmp_path / "app.js").write_text("x()\n")
    local = read.local_files(str(tmp_path))
    md5 = local["app.js"]["md5"]
    stubs["s3"].add_response(
        "list_objects_v2", {"Contents": [{"Key": "app.js", "ETag": '"not-an-md5"', "Size": 4}], "IsTruncated": False}, {"Bucket": NAMES["bucket"]}
    )
    stubs["s3"].add_response(
        "head_object",
        {"ETag": '"not-an-md5"', "Metadata": {"md5": md5}, "ContentType": "text/javascript; charset=utf-8"},
        {"Bucket": NAMES["bucket"], "Key": "app.js"},
    )
    remote = read.remote_files(clients.s3, NAMES["bucket"], local)
    assert model.plan_objects(local, remote) == []


def test_a_bucket_of_another_account_is_reported_not_created(aws):
    clients, stubs = aws
    stubs["s3"].add_client_error("head_bucket", service_error_code="403", http_status_code=403, expected_params={"Bucket": "taken"})
    with pytest.raises(Exception) as raised:
        clients.s3.bucket_settings("taken")
    assert "403" in str(raised.value)


def test_a_bucket_of_another_account_fails_with_the_bucket_name_message(aws):
    clients, stubs = aws
    stubs["s3"].add_client_error("head_bucket", service_error_code="403", http_status_code=403, expected_params={"Bucket": "taken"})
    with pytest.raises(model.CdnPlanError) as raised:
        apply.read_have(clients, {"stack": "prod"}, dict(NAMES, bucket="taken"))
    assert str(raised.value) == "bucket_name: bucket taken exists but this account cannot use it (S3 names are global: choose another)"


def listed(distribution_id):
    """A ListDistributions summary (another shape than GetDistribution's)."""
    conf = config()
    fields = ("Aliases", "Origins", "DefaultCacheBehavior", "CacheBehaviors", "Comment", "PriceClass", "Enabled", "ViewerCertificate", "HttpVersion")
    item = dict((key, conf[key]) for key in fields)
    item.update(
        Id=distribution_id,
        ARN=ARN,
        Status="Deployed",
        LastModifiedTime="2026-01-01T00:00:00Z",
        DomainName="d1.cloudfront.net",
        CustomErrorResponses={"Quantity": 0},
        Restrictions={"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        WebACLId="",
        IsIPV6Enabled=True,
        Staging=False,
    )
    return item


def test_distributions_and_oacs_are_read_from_every_page(aws):
    """Both lists nest their items (DistributionList.Items): every page's items are joined."""
    clients, stubs = aws
    cf = stubs["cloudfront"]
    page = {"Marker": "", "MaxItems": 1, "Quantity": 1}
    cf.add_response("list_distributions", {"DistributionList": dict(page, IsTruncated=True, NextMarker="m", Items=[listed("E1")])}, {})
    cf.add_response("list_distributions", {"DistributionList": dict(page, Marker="m", IsTruncated=False, Items=[listed("E2")])}, {"Marker": "m"})
    oac = {
        "Id": "OAC1",
        "Description": "",
        "Name": "prod-cdn-oac",
        "SigningProtocol": "sigv4",
        "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3",
    }
    cf.add_response(
        "list_origin_access_controls", {"OriginAccessControlList": {"Marker": "", "MaxItems": 1, "IsTruncated": False, "Quantity": 1, "Items": [oac]}}, {}
    )
    assert [d["Id"] for d in clients.cloudfront.distributions()] == ["E1", "E2"]
    assert read.read_oac(clients.cloudfront, "prod-cdn-oac")["Id"] == "OAC1"


def test_emptying_the_bucket_deletes_versions_and_markers_and_stops_at_an_error(aws):
    clients, stubs = aws
    s3 = stubs["s3"]
    s3.add_response(
        "list_object_versions",
        {"Versions": [{"Key": "a", "VersionId": "1"}], "DeleteMarkers": [{"Key": "b", "VersionId": "2"}], "IsTruncated": False},
        {"Bucket": "assets"},
    )
    versions = clients.s3.object_versions("assets")
    assert versions == [{"Key": "a", "VersionId": "1"}, {"Key": "b", "VersionId": "2"}]
    refused = {"Errors": [{"Key": "a", "VersionId": "1", "Code": "AccessDenied", "Message": "no"}]}
    s3.add_response("delete_objects", refused, {"Bucket": "assets", "Delete": {"Objects": versions, "Quiet": True}})
    assert clients.s3.delete_versions("assets", versions) == refused["Errors"]
