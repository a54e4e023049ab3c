"""Shared fixtures: a moto server on a free loopback port, and Ansible run as users run it."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "lab"))
sys.path.insert(0, str(REPO / ".venv" / "collections"))  # ansible_collections.hatrading.aws, via the link `make install` makes

import moto_server  # noqa: E402  (lab/moto_server.py)

REGION = "us-east-1"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


class Moto:
    """A running moto server: its endpoint, its record of API calls, boto3 clients for it."""

    def __init__(self, url):
        self.url = url

    def client(self, service):
        return boto3.client(service, endpoint_url=self.url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")

    def calls(self):
        with urllib.request.urlopen(self.url + moto_server.CALLS_PATH) as answer:
            return json.load(answer)["calls"]

    def mutating_calls(self):
        return [call for call in self.calls() if call["kind"] == "mutating"]

    def forget_calls(self):
        urllib.request.urlopen(urllib.request.Request(self.url + moto_server.CALLS_PATH, method="DELETE")).close()

    def reset(self):
        """Empty every moto backend (a fresh AWS account) and the call record."""
        urllib.request.urlopen(urllib.request.Request(self.url + "/moto-api/reset", method="POST")).close()
        self.forget_calls()

    def env(self):
        return dict(AWS_ENV, AWS_ENDPOINT_URL=self.url)


@pytest.fixture(scope="session")
def moto():
    server, url = moto_server.start_in_thread()
    yield Moto(url)
    server.shutdown()


@pytest.fixture
def fresh_moto(moto):
    moto.reset()
    return moto


class AnsibleRunner:
    """Runs ansible / ansible-playbook against moto and returns parsed JSON results."""

    def __init__(self, moto, report_dir=None):
        self.moto = moto
        # site.yml ends by writing reports/<stack>.html; each test session (each xdist worker) writes its own
        self.report_dir = report_dir

    def env(self, extra=None):
        env = dict(os.environ)
        env.update(self.moto.env())
        env.update(
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
            ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            ANSIBLE_NOCOLOR="1",
            # The ansible of the venv running the tests: .venv, or .venv-compat for `make compat`.
            PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        )
        env.update(extra or {})
        return dict((key, value) for key, value in env.items() if value is not None)  # None: leave that variable out

    def _run(self, argv, env=None):
        proc = subprocess.run(argv, cwd=REPO, env=self.env(env), capture_output=True, text=True, timeout=600, check=False)
        try:
            output = json.loads(proc.stdout[proc.stdout.index("{") :])
        except ValueError:
            message = "no JSON from %s (rc=%d)\nstdout:\n%s\nstderr:\n%s" % (argv, proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:])
            raise AssertionError(message) from None
        output["rc"] = proc.returncode
        output["stderr"] = proc.stderr
        return output

    def module(self, name, args, check=False, diff=False, env=None):
        """One module run (`ansible localhost -m`); returns the module's result dict."""
        argv = ["ansible", "localhost", "-m", name] + (["-a", json.dumps(args)] if args else [])
        argv += ["--check"] if check else []
        argv += ["--diff"] if diff else []
        output = self._run(argv, env)
        result = output["plays"][0]["tasks"][0]["hosts"]["localhost"]
        result["rc"], result["stderr"] = output["rc"], output["stderr"]
        return result

    def playbook(self, playbook, extra_vars=None, check=False, diff=False, tags=None, env=None, extra_args=()):
        """One playbook run; returns the json callback's document plus `rc` and `tasks` (results by task name)."""
        given = dict({"hatrading_report_dir": str(self.report_dir)} if self.report_dir else {}, **(extra_vars or {}))
        argv = ["ansible-playbook", str(playbook), *extra_args, "-e", json.dumps(given)]
        argv += ["--check"] if check else []
        argv += ["--diff"] if diff else []
        argv += ["--tags", tags] if tags else []
        output = self._run(argv, env)
        output["tasks"] = {}
        for play in output.get("plays", []):
            for task in play["tasks"]:
                for host_result in task["hosts"].values():
                    output["tasks"][task["task"]["name"]] = host_result
        return output


@pytest.fixture(scope="session")
def ansible(moto, tmp_path_factory):
    return AnsibleRunner(moto, report_dir=tmp_path_factory.mktemp("reports"))
