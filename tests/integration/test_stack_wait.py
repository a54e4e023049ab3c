"""hatrading.aws.stack_wait on the lab's realistic clock: it waits for a create started earlier and says so while waiting.

A moto server of its own runs in-thread with the realistic clock at SCALE (an RDS Multi-AZ create lasts 15-20 s),
so the wait sees ``creating`` (and ``backing-up``) before ``available``. The playbook runs with the default output,
as a person watching sees it: a progress line per look, before the task's own result.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import moto_clock  # lab/moto_clock.py, on sys.path through tests/conftest.py
import moto_server
import pytest

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "tests" / "integration" / "stack_wait" / "wait.yml"
SCALE = 60.0
REGION = "us-east-1"


@pytest.fixture(scope="module")
def clock_url():
    server, url = moto_server.start_in_thread(clock=moto_clock.Clock("realistic", scale=SCALE, seed=13))
    urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST")).close()
    yield url
    server.shutdown()
    moto_clock.install(moto_clock.Clock())  # the other tests' servers share this process: instant again


def aws_env(url):
    return dict(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)


def create_database(url, identifier):
    rds = boto3.client("rds", region_name=REGION, endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing")
    rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="dbadmin",
        MasterUserPassword="not-a-secret-1",
        MultiAZ=True,
    )
    return time.time()


def play(url, extra, result_file):
    env = dict(os.environ, **aws_env(url))
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env["PATH"]
    extra = dict(extra, result_file=str(result_file))
    argv = ["ansible-playbook", str(PLAYBOOK), "-e", json.dumps(extra)]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc, json.loads(result_file.read_text()) if result_file.exists() else None


def test_it_waits_for_the_create_and_shows_progress(clock_url, tmp_path):
    started = create_database(clock_url, "wait-db")
    proc, result = play(clock_url, {"identifier": "wait-db", "started": started}, tmp_path / "result.json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    low = moto_clock.AWS_SECONDS["db_instance_multi_az"][0] / SCALE
    # it waited until the create was done, never less than the clock's shortest draw
    assert result["ready"] is True and result["resources"][0]["state"] == "available"
    assert result["resources"][0]["ready_after"] >= low
    assert result["resources"][0]["endpoint"]
    # a person watching saw what is waited for, its state, the time since the create began and AWS's usual time
    progress = [line for line in proc.stdout.splitlines() if line.startswith("waiting for the test database (")]
    assert progress, proc.stdout[-3000:]
    assert "(creating, 0:" in progress[0] and progress[0].endswith("of about 15-20 min)"), progress


def test_a_database_that_is_gone_fails_at_once(clock_url, tmp_path):
    proc, _result = play(clock_url, {"identifier": "no-such-db", "started": time.time(), "timeout": 60}, tmp_path / "result.json")
    assert proc.returncode != 0
    assert "the test database (missing) will not become ready by waiting" in proc.stdout, proc.stdout[-3000:]
