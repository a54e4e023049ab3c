"""The execution environment, run the way AWX runs a job: ansible-runner with the image as the EE.

tools/ee-build.sh builds hatrading/ee:<version> in the lab's engine FROM the Debian base (cached);
the "project sync" installs collections/requirements.yml's own entry (this repository) into the
job's requirements_collections, as AWX does; ansible-runner then runs site.yml in a container of the
image (process isolation, docker as the runtime, the host's network so moto on loopback answers):
first in check mode (the plan: nothing created), then the full deploy.
"""

import json
import os
import shutil
import subprocess
import time

import pytest
import yaml
from pathlib import Path
from plane import engine  # lab/ is on sys.path (tests/conftest.py)

REPO = Path(__file__).resolve().parents[2]

VERSION = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
IMAGE = "hatrading/ee:%s" % VERSION
RUNNER = REPO / ".venv" / "bin" / "ansible-runner"


@pytest.fixture(scope="module")
def ee_image():
    started_engine = engine.start_engine()
    began = time.monotonic()
    env = dict(os.environ, LAB_DIR=str(engine.LAB))
    proc = subprocess.run([str(REPO / "tools" / "ee-build.sh")], check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    print("\n%s (%.1f s)" % (proc.stdout.strip().splitlines()[-1], time.monotonic() - began))
    yield IMAGE
    if started_engine:
        engine.stop_engine()


def private_data_dir(tmp_path, endpoint):
    """A job's private data dir as AWX lays it: the project, the synced collections, the environment."""
    pdd = tmp_path / "job"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        source = REPO / name
        if source.is_file() and not name.startswith(("lab/", "apps/", "bench/", "tests/")):
            (pdd / "project" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, pdd / "project" / name)
    # Project sync: only the entries the image does not carry (type dir: this repository itself).
    requirements = yaml.safe_load((REPO / "collections" / "requirements.yml").read_text())["collections"]
    local = [entry for entry in requirements if entry.get("type") == "dir"]
    assert local, "collections/requirements.yml must install this repository itself"
    (pdd / "sync.yml").write_text(yaml.safe_dump({"collections": local}))
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "ansible-galaxy"), "collection", "install", "--force", "--no-deps", "-r", str(pdd / "sync.yml"),
         "-p", str(pdd / "requirements_collections")],
        cwd=pdd / "project", env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(pdd / "requirements_collections")), check=True, capture_output=True,
    )  # fmt: skip
    (pdd / "sync.yml").unlink()
    (pdd / "env").mkdir()
    envvars = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        # What AWX sets: the job's synced collections first, then the image's.
        "ANSIBLE_COLLECTIONS_PATH": "/runner/requirements_collections:/usr/share/ansible/collections",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    return pdd


def run_job(pdd, image, *cmdline):
    argv = [str(RUNNER), "run", str(pdd), "-p", "playbooks/site.yml", "--container-image", image, "--process-isolation",
            "--process-isolation-executable", "docker", "--container-option=--network=host",
            "--cmdline", " ".join(("-e", "@playbooks/vars/demo.yml") + cmdline), "-j"]  # fmt: skip
    began = time.monotonic()
    proc = subprocess.run(argv, check=False, env=dict(os.environ, DOCKER_HOST=engine.DOCKER_HOST), capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - began
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    stats = [event["event_data"] for event in events if event.get("event") == "playbook_on_stats"]
    text = "".join(event.get("stdout", "") + "\n" for event in events)
    assert proc.returncode == 0 and stats, "rc=%d\n%s\n%s" % (proc.returncode, text[-4000:], proc.stderr[-2000:])
    return stats[-1], text, seconds


def test_site_check_then_deploy_inside_the_ee_via_ansible_runner(ee_image, fresh_moto, tmp_path):
    pdd = private_data_dir(tmp_path, fresh_moto.url)

    stats, text, check_seconds = run_job(pdd, ee_image, "--check")
    assert stats["failures"] == {} and stats["dark"] == {}
    assert "Plan:" in text and "to create" in text
    assert fresh_moto.mutating_calls() == []  # the plan changed nothing
    assert "ansible [core" not in text  # a job's output, not a shell's

    stats, text, deploy_seconds = run_job(pdd, ee_image)
    assert stats["failures"] == {} and stats["dark"] == {}
    assert stats["changed"].get("localhost", 0) > 0
    groups = fresh_moto.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert sorted(group["AutoScalingGroupName"] for group in groups) == ["demo-backend", "demo-frontend"]
    assert fresh_moto.client("rds").describe_db_instances()["DBInstances"][0]["MultiAZ"] is True
    print("\nin the EE via ansible-runner: site.yml --check %.1f s, deploy %.1f s" % (check_seconds, deploy_seconds))
