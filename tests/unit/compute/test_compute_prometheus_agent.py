"""The back-end's Prometheus agent in the launch template (prometheus_agent): user data, instance role, checks."""

import re
import shlex
import shutil
import subprocess

import pytest
import yaml
from ansible_collections.hatrading.aws.plugins.module_utils.compute import model, template
from ansible_collections.hatrading.aws.plugins.module_utils.observability import model as observability

IDS = {"security_group": "sg-1", "instance_profile": "demo-backend-instance"}
PARAMETER = "/hatrading/demo/observability/scrape-config"
SCRIPT = "/usr/local/bin/hatrading-prometheus-agent"
UNITS = (
    "/etc/systemd/system/hatrading-prometheus-agent.service",
    "/etc/systemd/system/hatrading-prometheus-agent-refresh.service",
    "/etc/systemd/system/hatrading-prometheus-agent-refresh.timer",
)


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
        "environment": {},
        "instance_type": "t3.micro",
        "tags": {"Name": "demo-backend"},
        "instance_tags": {"Name": "demo-backend"},
    }
    base.update(overrides)
    return base


def files_of(user_data):
    return dict((f["path"], f) for f in yaml.safe_load(user_data)["write_files"])


def docker_run_words(script):
    """The words of the script's `docker run` (its continuation lines joined)."""
    joined = script.replace("\\\n", " ")
    line = next(line for line in joined.splitlines() if "docker run" in line)
    return shlex.split(line)


# ---------------------------------------------------------------- user data


def test_the_agent_is_in_the_back_end_user_data_only_when_asked():
    plain = template.render_user_data(spec())
    assert "prometheus" not in plain.lower()
    assert template.render_user_data(spec(prometheus_agent=False)) == plain  # no new template version for stacks without it
    with_agent = template.render_user_data(spec(prometheus_agent=True))
    files = files_of(with_agent)
    assert set(UNITS) | {SCRIPT} <= set(files)
    assert files[SCRIPT]["permissions"] == "0755"
    document = yaml.safe_load(with_agent)
    assert document["runcmd"][-2:] == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "hatrading-prometheus-agent.service", "hatrading-prometheus-agent-refresh.timer"],
    ]
    assert document["runcmd"].index(["/usr/local/bin/hatrading-backend"]) < document["runcmd"].index(["systemctl", "daemon-reload"])
    assert with_agent.splitlines()[1] == "# hatrading demo backend: Docker, the CloudWatch agent, the tier's container, the Prometheus agent"


def test_the_front_end_gets_nothing_new():
    frontend = spec(tier="frontend", port=8080, image="127.0.0.1:5001/hatrading/frontend:1.0.0", log_group="/hatrading/demo/frontend")
    assert template.render_user_data(dict(frontend, prometheus_agent=True)) == template.render_user_data(frontend)
    assert template.instance_policy(dict(frontend, prometheus_agent=True)) == template.instance_policy(frontend)


def test_the_agent_user_data_is_deterministic_and_makes_no_new_version_on_a_rerun():
    assert template.render_user_data(spec(prometheus_agent=True)) == template.render_user_data(spec(prometheus_agent=True))
    want, data = template.desired_launch_template(spec(prometheus_agent=True), IDS)
    record = {"LaunchTemplateId": "lt-1", "LatestVersionNumber": 3, "DefaultVersionNumber": 3, "Tags": [{"Key": "Name", "Value": "demo-backend"}]}
    have = template.actual_launch_template(record, {"LaunchTemplateData": data, "VersionDescription": template.FINGERPRINT_PREFIX + want["fingerprint"]})
    assert template.plan_launch_template("demo-backend", want, have) == []
    without, _data = template.desired_launch_template(spec(), IDS)
    [change] = template.plan_launch_template("demo-backend", without, have)
    assert change.kind == "launch_template_version" and change.fields == ["user_data_sha256"]


def test_the_script_fetches_the_observability_configuration_and_runs_prometheus_in_agent_mode():
    script = template.prometheus_agent_script(spec(prometheus_agent=True))
    assert "aws ssm get-parameter --region us-east-1 --name %s --with-decryption --query Parameter.Value --output text" % PARAMETER in script
    assert "X-aws-ec2-metadata-token-ttl-seconds" in script  # IMDSv2: the launch template requires tokens
    words = docker_run_words(script)
    assert words[:3] == ["exec", "docker", "run"]
    assert words[words.index("--network") + 1] == "host"  # scrapes 127.0.0.1; SigV4 reaches IMDSv2 within hop limit 1
    image = words.index(model.PROMETHEUS_AGENT_IMAGE)
    assert words[image + 1 :] == [
        "--config.file=/etc/prometheus-agent/agent.yml",
        "--enable-feature=agent,expand-external-labels",
        "--storage.agent.path=/prometheus",
        "--web.listen-address=127.0.0.1:9090",
    ]
    assert words[words.index("--volume") + 1] == "/etc/hatrading/prometheus-agent:/etc/prometheus-agent:ro"
    assert "awslogs-group=/hatrading/demo/backend/container" in words


def test_every_label_the_configuration_expands_is_set_from_the_instance_metadata():
    config = observability.scrape_config({"stack": "demo", "scrape_port": 8081}, "us-east-1", "https://aps/ws/")
    expanded = set(re.findall(r"\$\{(\w+)\}", yaml.safe_dump(config)))
    script = template.prometheus_agent_script(spec(prometheus_agent=True))
    words = docker_run_words(script)
    handed = set(words[index + 1].split("=", 1)[0] for index, word in enumerate(words) if word == "--env")
    assert expanded == handed == {"HATRADING_INSTANCE_ID", "HATRADING_AVAILABILITY_ZONE"}
    assert "HATRADING_INSTANCE_ID=$(curl" in script and "latest/meta-data/instance-id" in script
    assert "HATRADING_AVAILABILITY_ZONE=$(curl" in script and "latest/meta-data/placement/availability-zone" in script


def test_systemd_keeps_the_agent_running_and_a_timer_reloads_a_changed_configuration():
    files = files_of(template.render_user_data(spec(prometheus_agent=True)))
    service = files[UNITS[0]]["content"]
    assert "ExecStart=%s\n" % SCRIPT in service and "Restart=always\n" in service and "RestartSec=30\n" in service
    assert "StartLimitIntervalSec=0\n" in service  # a first deploy waits for the parameter as long as it takes
    assert "Requires=docker.service\n" in service
    assert "ExecStart=%s refresh\n" % SCRIPT in files[UNITS[1]]["content"]
    assert "OnUnitActiveSec=5min\n" in files[UNITS[2]]["content"]
    script = files[SCRIPT]["content"]
    assert "exec docker kill --signal HUP hatrading-prometheus-agent" in script


def test_the_agent_script_is_valid_bash():
    script = template.prometheus_agent_script(
        spec(prometheus_agent=True, prometheus_agent_image="123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/prometheus:v2.53.5")
    )
    checked = subprocess.run([shutil.which("bash"), "-n"], input=script, capture_output=True, text=True, timeout=30, check=False)
    assert checked.returncode == 0, checked.stderr


def test_an_agent_image_mirrored_to_ecr_is_logged_in_to():
    mirror = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/mirror/prometheus:v2.53.5"
    script = template.prometheus_agent_script(spec(prometheus_agent=True, prometheus_agent_image=mirror))
    assert "aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin 210987654321.dkr.ecr.eu-west-1.amazonaws.com" in script
    assert "docker pull %s" % mirror in script
    assert "docker login" not in template.prometheus_agent_script(spec(prometheus_agent=True))  # quay.io is public


# ---------------------------------------------------------------- IAM


def test_the_instance_role_reads_exactly_its_parameter_and_writes_only_to_the_stack_workspaces():
    by_sid = dict((s["Sid"], s) for s in template.instance_policy(spec(prometheus_agent=True))["Statement"])
    assert by_sid["PrometheusAgentConfig"] == {
        "Sid": "PrometheusAgentConfig",
        "Effect": "Allow",
        "Action": ["ssm:GetParameter"],
        "Resource": "arn:aws:ssm:us-east-1:*:parameter" + PARAMETER,
    }
    assert by_sid["PrometheusRemoteWrite"] == {
        "Sid": "PrometheusRemoteWrite",
        "Effect": "Allow",
        "Action": ["aps:RemoteWrite"],
        "Resource": "arn:aws:aps:us-east-1:*:workspace/*",
        "Condition": {"StringEquals": {"aws:ResourceTag/hatrading:stack": "demo"}},
    }
    assert by_sid["RegistryPull"]["Resource"] == "arn:aws:ecr:us-east-1:123456789012:repository/hatrading/backend"  # quay.io needs none
    without = template.instance_policy(spec())
    assert not [s for s in without["Statement"] if s["Sid"].startswith("Prometheus")]
    assert template.instance_policy(spec(prometheus_agent=False)) == without


def test_a_mirrored_agent_image_adds_its_repository_to_the_pull_statement():
    mirror = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/prometheus:v2.53.5"
    statements = template.instance_policy(spec(prometheus_agent=True, prometheus_agent_image=mirror))["Statement"]
    pulls = [s for s in statements if s["Sid"] == "RegistryPull"]
    assert [s["Resource"] for s in pulls] == [
        ["arn:aws:ecr:us-east-1:123456789012:repository/hatrading/backend", "arn:aws:ecr:us-east-1:123456789012:repository/mirror/prometheus"]
    ]
    local = spec(image="127.0.0.1:5001/hatrading/backend:1.0.0", prometheus_agent=True, prometheus_agent_image=mirror)
    by_sid = dict((s["Sid"], s) for s in template.instance_policy(local)["Statement"])
    assert by_sid["RegistryPull"]["Resource"] == "arn:aws:ecr:us-east-1:123456789012:repository/mirror/prometheus"
    assert by_sid["RegistryToken"]["Action"] == ["ecr:GetAuthorizationToken"]


# ---------------------------------------------------------------- checks and options


@pytest.mark.parametrize("image", ["quay.io/prometheus/prometheus", "not an image", 42])
def test_an_agent_image_without_a_tag_is_refused_naming_the_variable(image):
    errors = model.validate_compute({"stack": "demo", "backend_prometheus_agent": True, "backend_prometheus_agent_image": image}, "compute_")
    assert len(errors) == 1 and errors[0].startswith("compute_backend_prometheus_agent_image: %r is not an image reference with a tag" % (image,))


def test_the_module_options_default_to_off_and_the_pinned_image():
    assert model.TEMPLATE_OPTIONS["prometheus_agent"] == {"type": "bool", "default": False}
    assert model.TEMPLATE_OPTIONS["prometheus_agent_image"]["default"] == "quay.io/prometheus/prometheus:v2.53.5"
    assert model.validate_compute({"stack": "demo", "backend_prometheus_agent_image": model.PROMETHEUS_AGENT_IMAGE}, "compute_") == []
