"""Deploys stopped part-way (issue 15, section 6): the next run adopts what the stopped one made, and a module
that receives SIGTERM stops between AWS calls and reports what it did."""

from test_database import STACK
from test_database import credentials
from test_database import database
from test_database import network  # noqa: F401  (fixture)

ALIAS = "alias/%s-database" % STACK


def stack_keys(moto):
    kms = moto.client("kms")
    keys = [kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"] for key in kms.list_keys()["Keys"]]
    return [key for key in keys if key["KeyManager"] == "CUSTOMER"]


def test_a_key_left_without_its_alias_is_adopted_not_made_again(network, moto, ansible):  # noqa: F811
    assert credentials(ansible)["rc"] == 0
    # what a run killed between CreateKey and CreateAlias leaves: the key, tagged at creation, and no alias
    tags = {"hatrading:stack": STACK, "hatrading:tier": "database", "Name": ALIAS}
    orphan = moto.client("kms").create_key(
        Description="hatrading %s database storage, snapshots and logs" % STACK, Tags=[{"TagKey": k, "TagValue": v} for k, v in tags.items()]
    )["KeyMetadata"]

    created = database(ansible)
    assert created["rc"] == 0, created
    assert [key["Arn"] for key in stack_keys(moto)] == [orphan["Arn"]]  # one key: the orphan, now named
    assert moto.client("kms").describe_key(KeyId=ALIAS)["KeyMetadata"]["Arn"] == orphan["Arn"] == created["kms_key_arn"]
    assert moto.client("kms").get_key_rotation_status(KeyId=orphan["KeyId"])["KeyRotationEnabled"] is True
    assert any(orphan["Arn"] in warning and "adopted" in warning for warning in created.get("warnings", [])), created.get("warnings")
    assert moto.client("rds").describe_db_instances()["DBInstances"][0]["KmsKeyId"] == orphan["Arn"]

    moto.forget_calls()
    rerun = database(ansible)
    assert rerun["rc"] == 0 and rerun["changed"] is False, rerun
    assert moto.mutating_calls() == []
    assert not any(call["service"] == "tagging" or "GetResources" in call["operation"] for call in moto.calls())  # alias found: no search


def test_a_first_deploy_makes_one_tagged_key(network, moto, ansible):  # noqa: F811
    assert credentials(ansible)["rc"] == 0
    created = database(ansible)
    assert created["rc"] == 0, created
    (key,) = stack_keys(moto)
    tags = {t["TagKey"]: t["TagValue"] for t in moto.client("kms").list_resource_tags(KeyId=key["KeyId"])["Tags"]}
    assert tags["hatrading:stack"] == STACK and tags["Name"] == ALIAS
    assert not any("adopted" in warning for warning in created.get("warnings", []))
