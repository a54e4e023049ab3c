"""compute_rolling_update with a bake and automatic rollback, against moto: a bad release is detected and rolled back by itself.

The loopback order service stands for the front door: it fails every order while an instance of the
bad version is in service. The lab measures the same with real containers (tests/lab/test_rollback.py).
"""

from test_failover_drill import OrderService, deploy, group

MODULE = "hatrading.aws.compute_rolling_update"


def versions(moto, name):
    ids = [i["InstanceId"] for i in group(moto, name)["Instances"]]
    found = moto.client("ec2").describe_instances(InstanceIds=ids)["Reservations"]
    return sorted(dict((t["Key"], t["Value"]) for t in i["Tags"])["aws:ec2launchtemplate:version"] for r in found for i in r["Instances"])


def test_bad_batch_rolled_back_to_the_previous_version(fresh_moto, ansible):
    stack, name = "rb-bad", "rb-bad-backend"
    tier = deploy(ansible, stack, size=2)
    bad = dict(tier, launch_template=dict(tier["launch_template"], environment={"BAD_RELEASE": "1"}))
    assert ansible.module("hatrading.aws.stack_compute", {"stack": stack, "tiers": [bad]})["changed"]
    assert versions(fresh_moto, name) == ["1", "1"] and group(fresh_moto, name)["LaunchTemplate"]["Version"] == "2"

    service = OrderService(lambda: "2" in versions(fresh_moto, name))
    try:
        args = {"stack": stack, "tiers": ["backend"], "poll_interval": 1, "wait_timeout": 60, "bake_time": 20, "order_url": service.url, "order_rate": 10}
        rolled = ansible.module(MODULE, dict(args, max_error_rate=0.1, min_requests=5))
    finally:
        service.close()
    assert rolled["rc"] != 0 and "breached during its bake" in rolled["msg"] and "rolled back to launch template version 1" in rolled["msg"], rolled["msg"]
    back = rolled["tiers"]["backend"]["rollback"]
    assert back["version"] == "1" and back["bad_version"] == "2" and len(back["hosts"]) == 1
    assert back["reason"].startswith("synthetic order flow error rate")
    assert back["first_bad_answer_to_rollback_s"] is not None and back["first_bad_answer_to_rollback_s"] < 20
    assert rolled["requests"]["failed"] > 0
    # every instance on the good version, the group launches it, capacity and max size as before
    now = group(fresh_moto, name)
    assert versions(fresh_moto, name) == ["1", "1"] and now["LaunchTemplate"]["Version"] == "1"
    assert (now["DesiredCapacity"], now["MaxSize"]) == (2, 4)
    assert not now.get("SuspendedProcesses")


def test_a_good_release_bakes_and_rolls(fresh_moto, ansible):
    stack, name = "rb-good", "rb-good-backend"
    tier = deploy(ansible, stack, size=2)
    good = dict(tier, launch_template=dict(tier["launch_template"], image=tier["launch_template"]["image"].replace("1.0.0", "1.1.0")))
    assert ansible.module("hatrading.aws.stack_compute", {"stack": stack, "tiers": [good]})["changed"]
    service = OrderService()
    try:
        args = {"stack": stack, "tiers": ["backend"], "poll_interval": 1, "wait_timeout": 60, "bake_time": 2, "order_url": service.url, "order_rate": 10}
        rolled = ansible.module(MODULE, args)
    finally:
        service.close()
    assert rolled["rc"] == 0 and rolled["changed"], rolled.get("msg")
    assert rolled["requests"]["failed"] == 0 and rolled["requests"]["sent"] > 10
    assert versions(fresh_moto, name) == ["2", "2"]
