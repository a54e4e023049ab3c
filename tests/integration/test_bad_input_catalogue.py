"""The bad-input catalogue: each bad variable fails `site.yml` (or `teardown.yml`) the way a user runs it, before any
mutating AWS call (counted by the moto server's call recorder), with a message naming the variable the user set.

One line a case: the variables set on top of playbooks/vars/demo.yml, and the variable the message must name.
The whole run is the user's path (`ansible-playbook playbooks/site.yml -e @playbooks/vars/demo.yml -e ...`); the
validate play fails before the deploy play starts, so a case costs one playbook start (about 2-4 s).
"""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = "@" + str(REPO / "playbooks" / "vars" / "demo.yml")
SITE = REPO / "playbooks" / "site.yml"
TEARDOWN = REPO / "playbooks" / "teardown.yml"

# (variables set, the variable the message names); the tier order follows site.yml's validate play
SITE_CASES = [
    # the stack: names, region, profile, tags
    ({"hatrading_stack": "Bad_Name!"}, "hatrading_stack"),
    ({"hatrading_stack": "x"}, "hatrading_stack"),
    ({"hatrading_stack": "a-stack-name-far-too-long-for-aws"}, "hatrading_stack"),
    ({"hatrading_region": "us-east-9"}, "hatrading_region"),
    ({"hatrading_region": "not a region"}, "hatrading_region"),
    ({"hatrading_resilience": "gold"}, "hatrading_resilience"),
    ({"hatrading_resiliance": "cost"}, "hatrading_resiliance"),
    ({"hatrading_tags": {"hatrading:stack": "other"}}, "hatrading_tags"),
    ({"hatrading_tags": {"aws:owner": "me"}}, "hatrading_tags"),
    ({"hatrading_budget_monthly": 100}, "hatrading_budget_monthly"),
    # network: CIDRs, AZs, choices, ranges, ports
    ({"network_vpc_cidr": "10.0.0.0/33"}, "network_vpc_cidr"),
    ({"network_vpc_cidr": "10.20.0.1/16"}, "network_vpc_cidr"),
    ({"network_vpc_cidr": "10.0.0.0/8"}, "network_vpc_cidr"),
    ({"network_vpc_cidr": "300.1.0.0/16"}, "network_vpc_cidr"),
    ({"network_az_count": "abc"}, "network_az_count"),
    ({"network_az_count": 1}, "network_az_count"),
    ({"network_az_count": 7}, "network_az_count"),
    ({"network_availability_zones": ["us-east-1z", "us-east-1a"]}, "network_availability_zones"),
    ({"network_availability_zones": ["us-east-1a", "us-east-1a"]}, "network_availability_zones"),
    ({"network_availability_zones": ["eu-west-1a", "eu-west-1b"]}, "network_availability_zones"),
    ({"network_nat_mode": "double"}, "network_nat_mode"),
    ({"network_nat_mode": "single"}, "network_nat_mode"),
    ({"network_subnet_newbits": 20}, "network_subnet_newbits"),
    ({"network_alb_ingress_cidrs": ["everywhere"]}, "network_alb_ingress_cidrs"),
    ({"network_alb_listener_ports": [80, 70000]}, "network_alb_listener_ports"),
    ({"network_frontend_port": 0}, "network_frontend_port"),
    ({"network_backend_port": 8080}, "network_backend_port"),
    ({"network_database_port": 3306}, "network_database_port"),
    ({"network_flow_log_retention_days": 8}, "network_flow_log_retention_days"),
    ({"network_flow_log_traffic_type": "SOME"}, "network_flow_log_traffic_type"),
    ({"network_flow_logs": "maybe"}, "network_flow_logs"),
    ({"network_vpc_cidrr": "10.30.0.0/16"}, "network_vpc_cidrr"),
    # database: choices, versions, classes, windows, ARNs, names, ha
    ({"database_flavor": "oracle"}, "database_flavor"),
    ({"database_engine": "dynamo"}, "database_engine"),
    ({"database_engine_version": "16.99"}, "database_engine_version"),
    ({"database_instance_class": "t3.medium"}, "database_instance_class"),
    ({"database_instance_class": "db.x9.large"}, "database_instance_class"),
    ({"database_engine": "aurora", "database_instance_class": "db.t3.micro"}, "database_instance_class"),
    ({"database_allocated_storage": 5}, "database_allocated_storage"),
    ({"database_allocated_storage": "lots"}, "database_allocated_storage"),
    ({"database_storage_type": "ssd"}, "database_storage_type"),
    ({"database_backup_retention_days": 40}, "database_backup_retention_days"),
    ({"database_backup_retention_days": 0}, "database_backup_retention_days"),
    ({"database_backup_window": "25:00-26:00"}, "database_backup_window"),
    ({"database_backup_window": "03:00-03:10"}, "database_backup_window"),
    ({"database_maintenance_window": "sunday 05:00"}, "database_maintenance_window"),
    ({"database_maintenance_window": "sun:05:00-sun:05:10"}, "database_maintenance_window"),
    ({"database_backup_window": "05:00-06:00", "database_maintenance_window": "sun:05:30-sun:06:30"}, "database_maintenance_window"),
    ({"database_multi_az": False}, "database_multi_az"),
    ({"database_port": 3306}, "database_port"),
    ({"database_port": 80000}, "database_port"),
    ({"database_name": "1trading"}, "database_name"),
    ({"database_master_username": "rdsadmin"}, "database_master_username"),
    ({"database_master_password": "hunter2hunter2"}, "database_master_password"),
    ({"database_monitoring_interval": 7}, "database_monitoring_interval"),
    ({"database_monitoring_interval": 60, "database_monitoring_role_arn": "role/monitoring"}, "database_monitoring_role_arn"),
    ({"database_performance_insights": True, "database_performance_insights_retention_days": 8}, "database_performance_insights_retention_days"),
    ({"database_log_exports": ["everything"]}, "database_log_exports"),
    ({"database_engine": "aurora", "database_aurora_readers": 0}, "database_aurora_readers"),
    ({"database_enigne_version": "16.4"}, "database_enigne_version"),
    # compute: images, instance types, sizes, ports, ARNs, health checks, ha
    ({"compute_frontend_image": ""}, "compute_frontend_image"),
    ({"compute_backend_image": "not an image!"}, "compute_backend_image"),
    ({"compute_frontend_instance_type": "x9.large"}, "compute_frontend_instance_type"),
    ({"compute_backend_instance_type": "m5"}, "compute_backend_instance_type"),
    ({"compute_frontend_min_size": 3, "compute_frontend_max_size": 2}, "compute_frontend_max_size"),
    ({"compute_frontend_desired_capacity": 9}, "compute_frontend_desired_capacity"),
    ({"compute_backend_min_size": 0, "compute_backend_desired_capacity": 0}, "compute_backend_min_size"),
    ({"compute_frontend_min_size": 1, "compute_frontend_desired_capacity": 1}, "compute_frontend_min_size"),
    ({"compute_backend_min_size": "two"}, "compute_backend_min_size"),
    ({"compute_backend_min_sise": 1}, "compute_backend_min_sise"),
    ({"compute_frontend_port": 9090}, "compute_frontend_port"),
    ({"compute_listener_port": 0}, "compute_listener_port"),
    ({"compute_certificate_arn": "my-certificate"}, "compute_certificate_arn"),
    ({"compute_registry_auth": "secret"}, "compute_registry_secret_arn"),
    ({"compute_registry_auth": "basic"}, "compute_registry_auth"),
    ({"compute_frontend_health_path": "health"}, "compute_frontend_health_path"),
    ({"compute_health_check_interval": 10, "compute_health_check_timeout": 20}, "compute_health_check_timeout"),
    ({"compute_metadata_hop_limit": 5}, "compute_metadata_hop_limit"),
    ({"compute_spot_share": 150}, "compute_spot_share"),
    ({"compute_root_volume_size": 1}, "compute_root_volume_size"),
    ({"compute_frontend_subnet_layer": "private"}, "compute_frontend_subnet_layer"),
    ({"compute_codedeploy_bucket": "Bad_Bucket"}, "compute_codedeploy_bucket"),
    # cdn
    ({"cdn_price_class": "PriceClass_300"}, "cdn_price_class"),
    ({"cdn_encryption": "sse-kms"}, "cdn_kms_key_arn"),
    ({"cdn_kms_key_arn": "alias/mine", "cdn_encryption": "sse-kms"}, "cdn_kms_key_arn"),
    ({"cdn_aliases": ["www.example.com"]}, "cdn_certificate_arn"),
    ({"cdn_bucket_name": "Not_A_Bucket"}, "cdn_bucket_name"),
    ({"cdn_api_origin": True, "cdn_api_path_pattern": "api"}, "cdn_api_path_pattern"),
    ({"cdn_price_clas": "PriceClass_All"}, "cdn_price_clas"),
    # monitoring
    ({"monitoring_subscriptions": [{"protocol": "pigeon", "endpoint": "x"}]}, "monitoring_subscriptions"),
    ({"monitoring_subscriptions": [{"protocol": "email", "endpoint": "not-an-address"}]}, "monitoring_subscriptions"),
    ({"monitoring_period": 45}, "monitoring_period"),
    ({"monitoring_evaluation_periods": 2, "monitoring_datapoints_to_alarm": 3}, "monitoring_datapoints_to_alarm"),
    ({"monitoring_log_retention_days": 8}, "monitoring_log_retention_days"),
    ({"monitoring_kms_key": "my key"}, "monitoring_kms_key"),
    ({"monitoring_tier_thresholds": {"database": {"latency_p99_seconds": 1}}}, "monitoring_tier_thresholds"),
    ({"monitoring_cpu_percent": 150}, "monitoring_cpu_percent"),
    # pipeline
    ({"pipeline_registry": "quay"}, "pipeline_registry"),
    ({"pipeline_registry": "dockerhub"}, "pipeline_dockerhub_secret_arn"),
    ({"pipeline_source": "codestar"}, "pipeline_codestar_connection_arn"),
    ({"pipeline_deployment_config": "all-at-once"}, "pipeline_deployment_config"),
    ({"pipeline_build_timeout": 1000}, "pipeline_build_timeout"),
    ({"pipeline_untagged_expire_days": 0}, "pipeline_untagged_expire_days"),
    ({"pipeline_branch": "bad branch name"}, "pipeline_branch"),
    ({"pipeline_kms_key_arn": "not-an-arn"}, "pipeline_kms_key_arn"),
    ({"pipeline_compute_type": "HUGE"}, "pipeline_compute_type"),
    ({"pipeline_brnach": "main"}, "pipeline_brnach"),
]

TEARDOWN_CASES = [
    ({"hatrading_stack": "", "hatrading_confirm_teardown": ""}, "hatrading_stack"),
    ({"hatrading_stack": "Demo", "hatrading_confirm_teardown": "Demo"}, "hatrading_stack"),
    ({"hatrading_confirm_teardown": "prod"}, "hatrading_confirm_teardown"),
    ({}, "hatrading_confirm_teardown"),
]


def failure_message(out):
    """The message of the task that failed, and its result (the json callback's record)."""
    for play in out.get("plays", []):
        for task in play["tasks"]:
            for result in task["hosts"].values():
                if result.get("failed"):
                    return result.get("msg", ""), result
    return "", None


def derived_names(variable):
    """The tier variables a hatrading_* variable is copied into (network_stack for hatrading_stack): never to be named."""
    if not variable.startswith("hatrading_"):
        return []
    suffix = variable[len("hatrading_") :]
    return [tier + "_" + suffix for tier in ("network", "database", "compute", "cdn", "monitoring", "pipeline")]


def assert_fails_naming(out, calls, variable, case):
    assert out["rc"] != 0, case
    mutating = [call["service"] + " " + call["operation"] for call in calls if call["kind"] == "mutating"]
    assert mutating == [], "%s: mutating calls before the failure: %s" % (case, mutating)
    message, result = failure_message(out)
    assert result is not None, "%s: no task failed (rc=%d)\n%s" % (case, out["rc"], out["stderr"][-2000:])
    # the variable as a word (not a prefix of a longer name), in the message the user reads first
    assert re.search(r"(?<![\w])%s(?![\w])" % re.escape(variable), message), "%s: %r does not name %s" % (case, message[:600], variable)
    for derived in derived_names(variable):
        assert not re.search(r"(?<![\w])%s(?![\w])" % re.escape(derived), message), "%s: %r names %s, not %s" % (case, message[:600], derived, variable)


def case_id(case):
    return ",".join("%s=%s" % item for item in case[0].items())[:70] or "nothing"


@pytest.mark.parametrize("extra, variable", SITE_CASES, ids=[case_id(case) for case in SITE_CASES])
def test_site_refuses_bad_input_before_any_change(fresh_moto, ansible, extra, variable):
    out = ansible.playbook(SITE, extra_args=["-e", DEMO], extra_vars=extra)
    assert_fails_naming(out, fresh_moto.calls(), variable, extra)


@pytest.mark.parametrize("extra, variable", TEARDOWN_CASES, ids=[case_id(case) for case in TEARDOWN_CASES])
def test_teardown_refuses_bad_input_before_any_change(fresh_moto, ansible, extra, variable):
    out = ansible.playbook(TEARDOWN, extra_args=["-e", DEMO], extra_vars=extra)
    assert_fails_naming(out, fresh_moto.calls(), variable, extra)


def test_the_catalogue_covers_sixty_cases_and_every_tier():
    cases = SITE_CASES + TEARDOWN_CASES
    assert len(cases) >= 60
    named = {variable.split("_", 1)[0] for _setting, variable in cases}
    assert named >= {"hatrading", "network", "database", "compute", "cdn", "monitoring", "pipeline"}
