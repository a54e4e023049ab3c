"""Deploys stopped part-way (issue 15, section 6): the next run adopts what the stopped one made, and a module
that receives SIGTERM stops between AWS calls and reports what it did."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
from proxy import FaultPlan  # noqa: E402
from proxy import start_proxy  # noqa: E402
from test_database import STACK
from test_database import credentials
from test_database import database
from test_database import network  # noqa: F401  # pylint: disable=unused-import

ALIAS = "alias/%s-database" % STACK
COLLECTIONS = Path(__file__).resolve().parents[2] / ".venv" / "collections"  # the collection, linked by `make install`


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


def test_a_key_made_twice_by_a_retried_create_key_leaves_one_in_use(network, moto, ansible):  # noqa: F811
    """CreateKey takes no client token: its answer lost after it took effect, botocore's retry makes a second key."""
    assert credentials(ansible)["rc"] == 0
    proxy = start_proxy(moto.url)
    try:
        proxy.configure(FaultPlan(lose={"CreateKey": [1]}))
        created = ansible.module("hatrading.aws.database_instance", {"stack": STACK, "wait_timeout": 60}, env={"AWS_ENDPOINT_URL": proxy.url})
        assert proxy.counts()["injected"] == {"lost": 1}
    finally:
        proxy.stop()
    assert created["rc"] == 0, created.get("msg")
    states = sorted((key["KeyState"], key["Arn"]) for key in stack_keys(moto))
    assert [state for state, _arn in states] == ["Enabled", "PendingDeletion"]  # the twin goes (KMS waits 7 days at least)
    assert states[0][1] == created["kms_key_arn"] == moto.client("kms").describe_key(KeyId=ALIAS)["KeyMetadata"]["Arn"]
    assert any(states[1][1] in warning and "scheduled for deletion" in warning for warning in created.get("warnings", [])), created.get("warnings")

    moto.forget_calls()
    rerun = database(ansible)
    assert rerun["rc"] == 0 and rerun["changed"] is False, rerun
    assert moto.mutating_calls() == []


def test_a_module_that_receives_sigterm_stops_before_its_next_call_and_says_what_it_did(fresh_moto, tmp_path):
    """What a SIGTERM (or Ctrl-C) of ansible-playbook does to the running module: Ansible signals its process group."""
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"stack": "sigterm", "vpc_cidr": "10.20.0.0/16"}}))
    env = dict(os.environ, **fresh_moto.env())
    env["PYTHONPATH"] = os.pathsep.join([str(COLLECTIONS)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    module = subprocess.Popen(
        [sys.executable, "-m", "ansible_collections.hatrading.aws.plugins.modules.stack_network", str(args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while len(fresh_moto.mutating_calls()) < 3:  # part-way: the VPC and a few more made
            assert module.poll() is None and time.monotonic() < deadline, "the module ended before it was signalled"
            time.sleep(0.05)
        module.send_signal(signal.SIGTERM)
        sent = len(fresh_moto.calls())  # every call asked up to now, the one in flight included
        out, err = module.communicate(timeout=120)
    finally:
        if module.poll() is None:
            module.kill()
    calls = fresh_moto.calls()
    assert module.returncode == 1, (module.returncode, err[-2000:])  # it failed by itself, not killed by the signal
    assert len(calls) <= sent + 1, calls[sent:]  # at most the call being prepared when the signal came
    result = json.loads(out[out.index("{") :])
    assert result["failed"] is True
    changes = [call["operation"] for call in calls if call["kind"] == "mutating"]
    assert result["msg"].startswith("stopped by SIGTERM before "), result["msg"]
    assert " and %d changes: " % len(changes) in result["msg"], (result["msg"], changes)
    assert [change.split(" ")[1] for change in result["msg"].split(" changes: ")[1].split(". Run again")[0].split(", ")] == changes
