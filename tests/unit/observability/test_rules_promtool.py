"""The role's rule files pass Prometheus's own check (`promtool check rules`: the PromQL parses, each rule is sound).

promtool comes with Debian's `prometheus` package (tools/system-packages.sh installs it for CI); the test fails
without it rather than skip, so a CI run without it is noticed.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

RULES = sorted((Path(__file__).resolve().parents[3] / "roles" / "observability" / "files" / "rules").glob("*.yml"))


def promtool():
    found = shutil.which("promtool")
    assert found, "promtool not found: install Debian's prometheus package (tools/system-packages.sh)"
    return found


@pytest.mark.parametrize("rule_file", RULES, ids=lambda path: path.name)
def test_promtool_accepts_the_rule_file(rule_file):
    checked = subprocess.run([promtool(), "check", "rules", str(rule_file)], capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_promtool_refuses_a_broken_expression(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("groups:\n  - name: g\n    rules:\n      - record: job:x\n        expr: sum(rate(x[1m])\n")
    checked = subprocess.run([promtool(), "check", "rules", str(broken)], capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode != 0 and "FAILED" in checked.stdout + checked.stderr


def test_there_are_rule_files():
    assert [path.name for path in RULES] == ["trading.yml"]
