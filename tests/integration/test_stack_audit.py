"""hatrading.aws.stack_audit against moto: a stack built with weak HA settings is caught, read calls only."""

MODULE = "hatrading.aws.stack_audit"
IMAGE = "127.0.0.1:5001/hatrading/backend:1.0.0"


def test_audit_finds_what_one_failure_would_break(fresh_moto, ansible, tmp_path):
    stack = "it-audit"
    # a network with a single NAT, and a back-end of one instance
    network = ansible.module("hatrading.aws.stack_network", {"stack": stack, "vpc_cidr": "10.46.0.0/16", "nat_mode": "single", "resilience": "cost"})
    assert network["rc"] == 0, network
    tier = {
        "tier": "backend",
        "load_balancer": {"port": 8081},
        "launch_template": {"image": IMAGE, "port": 8081},
        "auto_scaling_group": {"min_size": 1, "desired_capacity": 1, "max_size": 2, "instance_refresh": False},
    }
    built = ansible.module("hatrading.aws.stack_compute", {"stack": stack, "tiers": [tier]})
    assert built["rc"] == 0, built

    fresh_moto.forget_calls()
    result = ansible.module(MODULE, {"stack": stack})
    assert fresh_moto.mutating_calls() == []
    assert result["rc"] != 0 and result["passed"] is False
    assert "failed its HA audit (fail_on=fail)" in result["msg"]
    found = {(f["check"], f["resource"]): f for f in result["findings"]}
    assert found[("network.nat_per_az", "NAT gateways")]["status"] == "warn"
    assert found[("network.egress_stays_in_az", "app route tables")]["status"] == "warn"
    assert found[("compute.group_min_size", "it-audit-backend")]["status"] == "fail"
    assert found[("compute.group_spans_azs", "it-audit-backend")]["status"] == "pass"
    assert found[("compute.load_balancer_spans_azs", "it-audit-alb-int")]["status"] == "pass"
    assert found[("compute.healthy_targets", "it-audit-tg-be")]["status"] == "warn"
    assert found[("database.present", stack)]["status"] == "skip"
    assert result["summary"]["fail"] == 1 and result["report"][-1].startswith("Audit: ")

    # fail_on=never reports the same findings and passes; a stack that does not exist has only skips
    report = ansible.module(MODULE, {"stack": stack, "fail_on": "never", "tiers": ["compute"]})
    assert report["rc"] == 0 and report["changed"] is False and report["passed"] is True
    assert {f["tier"] for f in report["findings"]} == {"compute"}
    nothing = ansible.module(MODULE, {"stack": "it-audit-none", "fail_on": "warn"})
    assert nothing["rc"] == 0 and {f["status"] for f in nothing["findings"]} == {"skip"}


def test_bad_settings_fail_before_any_call(moto, ansible):
    moto.forget_calls()
    result = ansible.module(MODULE, {"stack": "Bad_Stack", "min_azs": 0})
    assert result["rc"] != 0
    assert any(e.startswith("stack:") for e in result["errors"]) and any(e.startswith("min_azs:") for e in result["errors"])
    assert moto.calls() == []
