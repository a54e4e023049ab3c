"""The alert manager configuration the tier sends passes Alertmanager's own check (`amtool check-config`).

AMP's ``sns_configs`` receiver is standard Alertmanager (since v0.23); amtool comes with Debian's
`prometheus-alertmanager` package (tools/system-packages.sh installs it for CI). The test fails without it rather
than skip, so a CI run without it is noticed.
"""

import shutil
import subprocess

import yaml

from ansible_collections.hatrading.aws.plugins.module_utils.observability import model

WORKSPACE_ARN = "arn:aws:aps:us-east-1:123456789012:workspace/ws-1"


def amtool():
    found = shutil.which("amtool")
    assert found, "amtool not found: install Debian's prometheus-alertmanager package (tools/system-packages.sh)"
    return found


def check(tmp_path, config):
    path = tmp_path / "alertmanager.yml"
    path.write_text(model.config_text(config))
    return subprocess.run([amtool(), "check-config", str(path)], capture_output=True, text=True, timeout=60, check=False)


def test_amtool_accepts_the_wanted_configuration(tmp_path):
    cfg = {"stack": "prod", "alert_group_wait": "45s", "alert_group_interval": "10m", "alert_repeat_interval": "12h"}
    definition = model.desired_observability(cfg, "us-east-1", workspace_arn=WORKSPACE_ARN)["alert_manager"]["prod-prometheus"]
    # the text AMP is sent, read back as AMP reads it
    config = model.alert_manager_of(model.alert_manager_text(definition["config"]))
    checked = check(tmp_path, config)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout and "1 receivers" in checked.stdout


def test_amtool_refuses_a_receiver_the_route_does_not_name(tmp_path):
    config = model.alert_manager_config({"stack": "prod"}, "us-east-1", "arn:aws:sns:us-east-1:123456789012:prod-alarms")
    broken = yaml.safe_load(yaml.safe_dump(config))
    broken["route"]["receiver"] = "nobody"
    checked = check(tmp_path, broken)
    assert checked.returncode != 0 and "FAILED" in checked.stdout + checked.stderr
