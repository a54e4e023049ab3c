"""The compute tier's pure model: validation, user data, and the plans for templates, ALBs and groups."""

import base64
import json
import shlex
from urllib.parse import quote

import pytest
import yaml
from ansible_collections.hatrading.aws.plugins.module_utils.compute import balancer, group, model, template
from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE, DELETE, UPDATE

GOOD = {
    "stack": "demo",
    "frontend_image": "127.0.0.1:5001/hatrading/frontend:1.0.0",
    "backend_image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/backend:1.0.0",
    "frontend_instance_type": "t3.micro",
    "backend_instance_type": "m7g.large",
    "frontend_min_size": 2,
    "frontend_desired_capacity": 2,
    "frontend_max_size": 4,
    "backend_min_size": 1,
    "backend_desired_capacity": 3,
    "backend_max_size": 6,
    "frontend_health_path": "/health",
    "backend_health_path": "/api/health",
    "frontend_port": 8080,
    "backend_port": 8081,
    "spot_share": 30,
    "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666",
    "metadata_hop_limit": 1,
    "health_check_interval": 10,
    "health_check_timeout": 5,
}


def spec(**overrides):
    base = {
        "stack": "demo",
        "tier": "backend",
        "region": "us-east-1",
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/backend:1.0.0",
        "port": 8081,
        "health_path": "/health",
        "log_group": "/hatrading/demo/backend",
        "registry_auth": "auto",
        "environment": {"LOG_LEVEL": "info"},
        "instance_type": "t3.micro",
        "tags": {"Name": "demo-backend"},
        "instance_tags": {"Name": "demo-backend"},
    }
    base.update(overrides)
    return base


# ---------------------------------------------------------------- validation


def test_good_settings_pass():
    assert model.validate_compute(GOOD, "compute_") == []


@pytest.mark.parametrize(
    "overrides, variable",
    [
        ({"frontend_min_size": 5}, "compute_frontend_min_size"),  # min > max
        ({"backend_desired_capacity": 9}, "compute_backend_desired_capacity"),  # desired > max
        ({"backend_desired_capacity": 0}, "compute_backend_desired_capacity"),  # desired < min
        ({"frontend_health_path": "health"}, "compute_frontend_health_path"),
        ({"backend_image": "hatrading/backend"}, "compute_backend_image"),
        ({"frontend_image": "127.0.0.1:5001/hatrading/frontend"}, "compute_frontend_image"),
        ({"spot_share": 101}, "compute_spot_share"),
        ({"spot_share": -1}, "compute_spot_share"),
        ({"certificate_arn": "arn:aws:acm:us-east-1:123:cert/x"}, "compute_certificate_arn"),
        ({"frontend_instance_type": "micro"}, "compute_frontend_instance_type"),
        ({"backend_instance_type": "t3-micro"}, "compute_backend_instance_type"),
        ({"metadata_hop_limit": 3}, "compute_metadata_hop_limit"),
        ({"backend_port": 8080}, "compute_backend_port"),
        ({"health_check_timeout": 10}, "compute_health_check_timeout"),
        ({"stack": "Demo_Stack"}, "compute_stack"),
        ({"frontend_environment": {"BAD-NAME": "x"}}, "compute_frontend_environment"),
        ({"registry_auth": "secret"}, "compute_registry_secret_arn"),
        ({"frontend_subnet_layer": "data"}, "compute_frontend_subnet_layer"),
    ],
)
def test_bad_settings_name_the_variable(overrides, variable):
    errors = model.validate_compute(dict(GOOD, **overrides), "compute_")
    assert errors, overrides
    assert any(error.startswith(variable + ":") for error in errors), errors


@pytest.mark.parametrize("instance_type", ["t3.micro", "m7g.large", "c6in.2xlarge", "u-6tb1.metal", "r5.24xlarge", "t4g.nano", "mac2-m2.metal"])
def test_instance_type_forms_accepted(instance_type):
    assert model.validate_tier({"instance_type": instance_type}, lambda o: o) == []


def test_numbers_given_as_strings_count_as_numbers():
    assert model.validate_compute(dict(GOOD, frontend_min_size="2", spot_share="30", frontend_port="8080"), "compute_") == []
    errors = model.validate_compute(dict(GOOD, spot_share="150"), "compute_")
    assert errors == ["compute_spot_share: 150 is outside 0-100; give the percentage of instances above the base capacity that run on spot"]


def test_module_names_are_the_options():
    errors = model.validate_tier({"min_size": 3, "desired_capacity": 2, "max_size": 1}, lambda o: o)
    assert any(e.startswith("min_size:") for e in errors)


@pytest.mark.parametrize(
    "image, parts",
    [
        ("nginx:1.27", ("docker.io", "nginx", "1.27")),
        ("hatrading/backend:1.0.0", ("docker.io", "hatrading/backend", "1.0.0")),
        ("127.0.0.1:5001/hatrading/backend:1.0.0", ("127.0.0.1:5001", "hatrading/backend", "1.0.0")),
        ("localhost/x:y", ("localhost", "x", "y")),
        ("127.0.0.1:5001/hatrading/backend", ("127.0.0.1:5001", "hatrading/backend", None)),
    ],
)
def test_image_parts(image, parts):
    assert model.image_parts(image) == parts


# ---------------------------------------------------------------- user data


def test_user_data_is_cloud_config_that_installs_and_runs():
    text = template.render_user_data(spec())
    assert text.startswith("#cloud-config\n")
    doc = yaml.safe_load(text)
    assert set(doc["packages"]) == {"docker", "amazon-cloudwatch-agent"}
    files = {f["path"]: f for f in doc["write_files"]}
    agent = json.loads(files[template.AGENT_CONFIG_PATH]["content"])
    assert agent["metrics"]["namespace"] == "hatrading/demo"
    assert agent["logs"]["logs_collected"]["files"]["collect_list"][0]["log_group_name"] == "/hatrading/demo/backend/host"
    assert files["/etc/hatrading/backend.env"]["permissions"] == "0600"
    assert files["/etc/hatrading/backend.env"]["content"] == "LOG_LEVEL=info\nPORT=8081\n"
    script = files["/usr/local/bin/hatrading-backend"]["content"]
    assert script == template.run_script(spec())
    assert doc["runcmd"][-1] == ["/usr/local/bin/hatrading-backend"]
    assert ["systemctl", "enable", "--now", "docker"] in doc["runcmd"]


def test_run_script_pulls_by_tag_with_restart_health_and_logs():
    script = template.run_script(spec())
    assert "aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com" in script
    assert "docker pull 123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/backend:1.0.0" in script
    assert "--restart unless-stopped" in script
    assert "--health-cmd 'curl -fsS http://127.0.0.1:8081/health || exit 1'" in script
    assert "--log-driver awslogs" in script and "awslogs-group=/hatrading/demo/backend/container" in script
    assert "--publish 8081:8081" in script


def test_run_script_registry_logins():
    local = template.run_script(spec(image="127.0.0.1:5001/hatrading/backend:1.0.0"))
    assert "docker login" not in local and "needs no login" in local
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry-AbCdEf"
    hub = template.run_script(spec(image="hatrading/backend:1.0.0", registry_auth="secret", registry_secret_arn=secret, registry_username="bot"))
    assert "get-secret-value --region us-east-1 --secret-id %s" % secret in hub
    assert "docker login --username bot --password-stdin docker.io" in hub


def test_user_data_quotes_hostile_values():
    path = "/h';rm -rf /;'"
    script = template.run_script(spec(image="127.0.0.1:5001/x:1", health_path=path))
    run = " ".join(line.rstrip("\\") for line in script.splitlines() if line.startswith(("docker run", "  ")))
    words = shlex.split(run)
    assert words[words.index("--health-cmd") + 1] == "curl -fsS http://127.0.0.1:8081%s || exit 1" % path


def test_user_data_is_deterministic_and_changes_with_input():
    assert template.render_user_data(spec()) == template.render_user_data(spec())
    assert template.render_user_data(spec()) != template.render_user_data(spec(image=spec()["image"].replace("1.0.0", "1.0.1")))


# ---------------------------------------------------------------- IAM


def test_instance_policy_is_least_privilege_for_ecr():
    policy = template.instance_policy(spec())
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["RegistryPull"]["Resource"] == "arn:aws:ecr:us-east-1:123456789012:repository/hatrading/backend"
    assert "ecr:GetAuthorizationToken" in by_sid["RegistryToken"]["Action"]
    assert by_sid["CloudWatchMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "hatrading/demo"}}
    assert all(not a.endswith("*") for s in policy["Statement"] for a in s["Action"])  # no wildcard actions


def test_instance_policy_without_registry_login_grants_no_registry():
    policy = template.instance_policy(spec(image="127.0.0.1:5001/hatrading/backend:1.0.0"))
    assert not any(s["Sid"].startswith("Registry") for s in policy["Statement"])


def test_policy_compare_ignores_order_and_url_encoding():
    document = template.instance_policy(spec())
    assert template.plan_role_policy("r", document, quote(json.dumps(document))) == []
    changed = json.loads(json.dumps(document))
    changed["Statement"].pop()
    assert template.plan_role_policy("r", document, changed)[0].action == UPDATE
    assert template.plan_role_policy("r", document, None)[0].action == CREATE


def test_role_and_profile_plans():
    assert template.plan_role("r", None, {"a": "b"})[0].action == CREATE
    role = {"AssumeRolePolicyDocument": template.ASSUME_ROLE_POLICY, "Tags": [{"Key": "a", "Value": "b"}]}
    assert template.plan_role("r", role, {"a": "b"}) == []
    assert template.plan_role("r", role, {"a": "c"})[0].fields == ["tags"]
    assert template.plan_instance_profile("p", "r", None)[0].action == CREATE
    assert template.plan_instance_profile("p", "r", {"Roles": [{"RoleName": "r"}]}) == []
    assert template.plan_instance_profile("p", "r", {"Roles": []})[0].action == UPDATE


# ---------------------------------------------------------------- launch template

IDS = {"security_group": "sg-1", "instance_profile": "demo-backend-instance"}


def test_template_data_is_hardened():
    data = template.launch_template_data(spec(), IDS)
    assert data["MetadataOptions"] == {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1}
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    assert data["NetworkInterfaces"][0]["AssociatePublicIpAddress"] is False
    assert data["NetworkInterfaces"][0]["Groups"] == ["sg-1"]
    assert data["IamInstanceProfile"] == {"Name": "demo-backend-instance"}
    assert base64.b64decode(data["UserData"]).decode() == template.render_user_data(spec())


def _found(want_spec, description_from=None):
    """A template as describe would return it, made from ``want_spec``."""
    want, data = template.desired_launch_template(want_spec, IDS)
    record = {"LaunchTemplateId": "lt-1", "LatestVersionNumber": 3, "DefaultVersionNumber": 3, "Tags": [{"Key": "Name", "Value": "demo-backend"}]}
    version = {"LaunchTemplateData": data, "VersionDescription": template.FINGERPRINT_PREFIX + want["fingerprint"]}
    return template.actual_launch_template(record, version)


def test_same_inputs_plan_no_new_version():
    want, _data = template.desired_launch_template(spec(), IDS)
    assert template.plan_launch_template("demo-backend", want, _found(spec())) == []


def test_changed_instance_type_plans_one_new_version_naming_the_field():
    want, _data = template.desired_launch_template(spec(instance_type="t3.small"), IDS)
    changes = template.plan_launch_template("demo-backend", want, _found(spec()))
    assert [(c.action, c.kind, c.fields) for c in changes] == [(UPDATE, "launch_template_version", ["instance_type"])]


def test_changed_image_shows_as_user_data():
    want, _data = template.desired_launch_template(spec(image="127.0.0.1:5001/hatrading/backend:2.0.0"), IDS)
    changes = template.plan_launch_template("demo-backend", want, _found(spec()))
    assert changes[0].fields == ["user_data_sha256"]


def test_version_made_elsewhere_is_replaced():
    have = _found(spec())
    have["fingerprint"] = None  # someone added a version by hand
    want, _data = template.desired_launch_template(spec(), IDS)
    assert template.plan_launch_template("demo-backend", want, have)[0].fields == ["fingerprint"]


def test_new_template_is_created():
    want, _data = template.desired_launch_template(spec(), IDS)
    assert template.plan_launch_template("demo-backend", want, None)[0].action == CREATE


# ---------------------------------------------------------------- load balancer

N = names.compute("demo", "frontend")
LB_SPEC = {"tier": "frontend", "port": 8080, "health_path": "/health", "listener_port": 80, "tags": {"Name": "demo-alb-pub"}}


def _have_tg(**overrides):
    record = {
        "TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/demo-tg-fe/73e2d6bc24d8a067",
        "Protocol": "HTTP",
        "Port": 8080,
        "VpcId": "vpc-1",
        "HealthCheckPath": "/health",
        "HealthCheckIntervalSeconds": 10,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 3,
        "UnhealthyThresholdCount": 2,
        "Matcher": {"HttpCode": "200"},
    }
    record.update(overrides)
    return balancer.actual_target_group(record, [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}], {"Name": "demo-alb-pub"})


def _have_lb():
    lb = {
        "LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo-alb-pub/50dc6c495c0c9188",
        "Scheme": "internet-facing",
        "AvailabilityZones": [{"SubnetId": "subnet-b"}, {"SubnetId": "subnet-a"}],
        "SecurityGroups": ["sg-alb"],
    }
    attrs = [{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}, {"Key": "idle_timeout.timeout_seconds", "Value": "60"}]
    return balancer.actual_load_balancer(lb, attrs, {"Name": "demo-alb-pub"})


def _plan(spec_, have_lb, have_tg, have_listeners):
    want_tg = balancer.desired_target_group(spec_, "vpc-1")
    want_lb = balancer.desired_load_balancer(spec_, ["subnet-a", "subnet-b"], "sg-alb")
    return balancer.plan_load_balancer(N, want_lb, have_lb, want_tg, have_tg, balancer.desired_listeners(spec_, N["target_group"]), have_listeners)


def _listeners(spec_):
    tg_arn = _have_tg()["arn"]
    found = []
    for port, want in balancer.desired_listeners(spec_, N["target_group"]).items():
        action = (
            {"Type": "forward", "TargetGroupArn": tg_arn}
            if want["action"][0] == "forward"
            else {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": want["action"][2]}}
        )
        listener = {
            "Port": port,
            "Protocol": want["protocol"],
            "ListenerArn": "l-%d" % port,
            "DefaultActions": [action],
            "SslPolicy": want["ssl_policy"] or "ELBSecurityPolicy-2016-08",
        }
        if want["certificate"]:
            listener["Certificates"] = [{"CertificateArn": want["certificate"]}]
        found.append(listener)
    return balancer.actual_listeners(found, {tg_arn: N["target_group"]})


def test_fresh_load_balancer_plan_order():
    changes = _plan(LB_SPEC, None, None, {})
    assert [(c.action, c.kind) for c in changes] == [(CREATE, "target_group"), (CREATE, "load_balancer"), (CREATE, "listener")]
    assert changes[0].after["deregistration_delay"] == 30


def test_matching_load_balancer_plans_nothing():
    assert _plan(LB_SPEC, _have_lb(), _have_tg(), _listeners(LB_SPEC)) == []


def test_health_path_change_updates_target_group_only():
    changes = _plan(dict(LB_SPEC, health_path="/ready"), _have_lb(), _have_tg(), _listeners(LB_SPEC))
    assert [(c.kind, c.fields) for c in changes] == [("target_group", ["health_path"])]


def test_target_group_port_cannot_change_in_place():
    with pytest.raises(model.ComputePlanError, match="port"):
        _plan(dict(LB_SPEC, port=9090), _have_lb(), _have_tg(), _listeners(LB_SPEC))


def test_certificate_adds_https_and_redirects_http():
    cert = GOOD["certificate_arn"]
    https = dict(LB_SPEC, certificate_arn=cert)
    changes = _plan(https, _have_lb(), _have_tg(), _listeners(LB_SPEC))
    assert [(c.action, c.name, c.fields) for c in changes] == [
        (UPDATE, "demo-alb-pub:80", ["action"]),
        (CREATE, "demo-alb-pub:443", []),
    ]
    assert changes[0].after["action"] == ["redirect", "HTTPS", "443"]
    assert _plan(https, _have_lb(), _have_tg(), _listeners(https)) == []


def test_removing_certificate_deletes_https_listener():
    https = dict(LB_SPEC, certificate_arn=GOOD["certificate_arn"])
    changes = _plan(LB_SPEC, _have_lb(), _have_tg(), _listeners(https))
    assert [(c.action, c.name) for c in changes] == [(UPDATE, "demo-alb-pub:80"), (DELETE, "demo-alb-pub:443")]


def test_resource_label():
    label = balancer.resource_label(_have_lb()["arn"], _have_tg()["arn"])
    assert label == "app/demo-alb-pub/50dc6c495c0c9188/targetgroup/demo-tg-fe/73e2d6bc24d8a067"


# ---------------------------------------------------------------- Auto Scaling group

GROUP_SPEC = {"min_size": 2, "desired_capacity": 2, "max_size": 4, "instance_type": "t3.micro", "tags": {"Name": "demo-frontend"}}
TEMPLATE = {"name": "demo-frontend", "version": 3}


def _have_group(**overrides):
    record = {
        "LaunchTemplate": {"LaunchTemplateName": "demo-frontend", "Version": "3"},
        "MinSize": 2,
        "MaxSize": 4,
        "DesiredCapacity": 2,
        "VPCZoneIdentifier": "subnet-b,subnet-a",
        "HealthCheckType": "ELB",
        "HealthCheckGracePeriod": 120,
        "TargetGroupARNs": ["arn:tg"],
        "Tags": [{"Key": "Name", "Value": "demo-frontend"}],
        "Instances": [{}, {}],
        "EnabledMetrics": [{"Metric": metric, "Granularity": "1Minute"} for metric in group.GROUP_METRICS],
    }
    record.update(overrides)
    return group.actual_group(record, {"arn:tg": "demo-tg-fe"})


def _want(**overrides):
    return group.desired_group(dict(GROUP_SPEC, **overrides), TEMPLATE, ["subnet-a", "subnet-b"], ["demo-tg-fe"])


def test_matching_group_plans_nothing():
    assert group.plan_group("demo-frontend", _want(), _have_group()) == []


def test_group_metrics_are_enabled_when_missing_and_others_left_alone():
    [change] = group.plan_group("demo-frontend", _want(), _have_group(EnabledMetrics=[]))
    assert change.fields == ["metrics"] and change.after["metrics"] == list(group.GROUP_METRICS)
    more = [{"Metric": m, "Granularity": "1Minute"} for m in group.GROUP_METRICS + ("GroupInServiceCapacity",)]
    assert group.plan_group("demo-frontend", _want(), _have_group(EnabledMetrics=more)) == []


def test_scaled_out_group_keeps_its_capacity():
    assert group.plan_group("demo-frontend", _want(), _have_group(DesiredCapacity=4)) == []


def test_new_template_version_updates_the_group():
    changes = group.plan_group("demo-frontend", _want(), _have_group(LaunchTemplate={"LaunchTemplateName": "demo-frontend", "Version": "2"}))
    assert changes[0].fields == ["launch_template_version"]


def test_lower_max_clamps_desired_capacity():
    changes = group.plan_group("demo-frontend", _want(max_size=3, desired_capacity=3), _have_group(DesiredCapacity=4))
    assert changes[0].after["desired_capacity"] == 3
    assert changes[0].fields == ["desired_capacity", "max_size"]


def test_target_groups_are_only_attached_never_detached():
    changes = group.plan_group("demo-frontend", _want(), _have_group(TargetGroupARNs=["arn:other"]))
    assert changes[0].fields == ["target_groups"]
    assert changes[0].after["target_groups"] == ["demo-tg-fe"]
    assert group.plan_group("demo-frontend", _want(), _have_group(TargetGroupARNs=["arn:tg", "arn:other"])) == []


def test_spot_share_makes_mixed_instances():
    want = _want(spot_share=40, spot_instance_types=["t3a.micro"])
    assert want["instances_distribution"]["OnDemandPercentageAboveBaseCapacity"] == 60
    assert want["instance_types"] == ["t3.micro", "t3a.micro"]
    assert group.plan_group("demo-frontend", want, _have_group())[0].fields == ["instance_types", "instances_distribution"]


def test_policies_plan():
    n = names.compute("demo", "frontend")
    want = group.desired_policies({"cpu_target": 50, "requests_per_target": 1000, "health_check_grace_period": 120}, n, "app/x/1/targetgroup/y/2")
    assert [c.action for c in group.plan_policies("g", want, {}, "demo-frontend-")] == [CREATE, CREATE]
    found = [
        {
            "PolicyName": name,
            "EstimatedInstanceWarmup": spec_["warmup"],
            "TargetTrackingConfiguration": {
                "PredefinedMetricSpecification": dict(
                    {"PredefinedMetricType": spec_["metric"]}, **({"ResourceLabel": spec_["label"]} if spec_["label"] else {})
                ),
                "TargetValue": spec_["target"],
            },
        }
        for name, spec_ in want.items()
    ] + [{"PolicyName": "someone-elses", "TargetTrackingConfiguration": {}}]
    assert group.plan_policies("g", want, group.actual_policies(found), "demo-frontend-") == []
    cpu_only = group.desired_policies({"cpu_target": 60, "requests_per_target": 0}, n, None)
    changes = group.plan_policies("g", cpu_only, group.actual_policies(found), "demo-frontend-")
    assert [(c.action, c.name) for c in changes] == [(UPDATE, "demo-frontend-cpu"), (DELETE, "demo-frontend-requests")]


def test_refresh_preferences_keep_capacity():
    prefs = group.refresh_preferences({"health_check_grace_period": 90})
    assert prefs == {"MinHealthyPercentage": 90, "InstanceWarmup": 90, "SkipMatching": True, "AutoRollback": False}


def test_names_fit_aws_limits():
    n = names.compute("a" * 24, "frontend")
    assert len(n["load_balancer"]) <= 32 and len(n["target_group"]) <= 32
    assert len(n["role"]) <= 64


# ---------------------------------------------------------------- the nosql tier's tables


def test_nosql_tables_reach_the_environment_and_the_role():
    assert template.nosql_environment(spec()) == {}
    with_tables = spec(nosql_tables=True, nosql_session_ttl_attribute="expires_at")
    doc = yaml.safe_load(template.render_user_data(with_tables))
    env = {f["path"]: f["content"] for f in doc["write_files"]}["/etc/hatrading/backend.env"]
    assert env == "AWS_REGION=us-east-1\nLOG_LEVEL=info\nMARKET_TABLE=demo-market\nPORT=8081\nSESSIONS_TABLE=demo-sessions\nSESSIONS_TTL_ATTRIBUTE=expires_at\n"
    mine = template.env_file(dict(with_tables, environment={"MARKET_TABLE": "other"}))
    assert "MARKET_TABLE=other\n" in mine  # the user's environment wins
    by_sid = {s["Sid"]: s for s in template.instance_policy(with_tables)["Statement"]}
    assert by_sid["NoSqlTables"]["Resource"] == ["arn:aws:dynamodb:us-east-1:*:table/demo-market", "arn:aws:dynamodb:us-east-1:*:table/demo-sessions"]
    assert by_sid["NoSqlTables"]["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert by_sid["NoSqlTableKey"]["Condition"] == {"StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"}}
    assert "NoSqlTables" not in {s["Sid"] for s in template.instance_policy(spec())["Statement"]}


def test_nosql_ttl_attribute_is_checked():
    errors = model.validate_compute(dict(GOOD, backend_nosql_session_ttl_attribute="expires at"), "compute_")
    assert errors == ["compute_backend_nosql_session_ttl_attribute: 'expires at' is not a DynamoDB attribute name (1-255 letters, digits, _ . -)"]
