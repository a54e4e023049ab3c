"""The agent's configuration (the SSM parameter's text) passes Prometheus's own check, as the instances get it.

promtool comes with Debian's `prometheus` package (tools/system-packages.sh installs it for CI); as in
test_rules_promtool.py, the test fails without it rather than skip. promtool does not expand environment variables
(only the server does, with --enable-feature=expand-external-labels): the configuration is checked once as written,
with the `${...}` left in the external labels, and once expanded as an instance's boot script would expand it.
"""

import re
import shutil
import subprocess

import yaml

from ansible_collections.hatrading.aws.plugins.module_utils.observability import model

ENDPOINT = "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/"


def promtool():
    found = shutil.which("promtool")
    assert found, "promtool not found: install Debian's prometheus package (tools/system-packages.sh)"
    return found


def agent_config_text():
    cfg = {"stack": "prod", "collector": "agent", "scrape_port": 8081, "scrape_interval": 30}
    return model.config_text(model.scrape_config(cfg, "us-east-1", ENDPOINT))


def check(path):
    return subprocess.run([promtool(), "check", "config", str(path)], capture_output=True, text=True, timeout=60, check=False)


def test_promtool_accepts_the_agent_configuration_as_written(tmp_path):
    path = tmp_path / "agent.yml"
    path.write_text(agent_config_text())
    checked = check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_promtool_accepts_it_with_the_labels_expanded(tmp_path):
    environment = {"HATRADING_INSTANCE_ID": "i-0123456789abcdef0", "HATRADING_AVAILABILITY_ZONE": "us-east-1a"}
    text = re.sub(r"\$\{(\w+)\}", lambda match: environment[match.group(1)], agent_config_text())
    path = tmp_path / "agent.yml"
    path.write_text(text)
    checked = check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    labels = yaml.safe_load(text)["global"]["external_labels"]
    assert labels == {"stack": "prod", "instance_id": "i-0123456789abcdef0", "az": "us-east-1a"}


def test_promtool_refuses_a_remote_write_without_a_url(tmp_path):
    config = yaml.safe_load(agent_config_text())
    del config["remote_write"][0]["url"]
    path = tmp_path / "agent.yml"
    path.write_text(yaml.safe_dump(config))
    checked = check(path)
    assert checked.returncode != 0 and "FAILED" in checked.stdout + checked.stderr
