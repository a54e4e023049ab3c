"""The user's connection settings are honoured (play-level module_defaults, AWS_PROFILE, AWS_REGION, endpoint_url),
and an endpoint that is not AWS fails fast, naming the stack and the endpoint."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROBE = "Probe the endpoint and check that the region has the AZs, instance types and engine version the settings name"
ASK_REGION = "Ask the connection settings for the region, when none is named (short timeouts, read only)"
NO_REGION = {"AWS_REGION": None, "AWS_DEFAULT_REGION": None}


def vars_file(tmp_path, stack):
    """playbooks/vars/demo.yml for another stack and without hatrading_region: the connection settings decide."""
    settings = yaml.safe_load((REPO / "playbooks" / "vars" / "demo.yml").read_text())
    settings.pop("hatrading_region")
    settings.update(hatrading_stack=stack, hatrading_report=False)
    path = tmp_path / "vars.yml"
    path.write_text(yaml.safe_dump(settings))
    return "@%s" % path


def vpcs(moto, region, stack):
    ec2 = boto3.client("ec2", endpoint_url=moto.url, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    return ec2.describe_vpcs(Filters=[{"Name": "tag:hatrading:stack", "Values": [stack]}])["Vpcs"]


def site(ansible, tmp_path, stack, env, extra_vars=None, tags="network"):
    return ansible.playbook(REPO / "playbooks" / "site.yml", extra_vars, extra_args=["-e", vars_file(tmp_path, stack)], tags=tags, env=env)


def test_aws_region_is_honoured(fresh_moto, ansible, tmp_path):
    out = site(ansible, tmp_path, "cs-region", {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"})
    assert out["rc"] == 0, out["stderr"][-2000:]
    assert len(vpcs(fresh_moto, "eu-west-1", "cs-region")) == 1
    assert vpcs(fresh_moto, "us-east-1", "cs-region") == []


def test_aws_profile_is_honoured_and_a_missing_one_is_named(fresh_moto, ansible, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile lab]\nregion = eu-central-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[lab]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = dict(
        NO_REGION, AWS_PROFILE="lab", AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(credentials), AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY=""
    )
    out = site(ansible, tmp_path, "cs-profile", env)
    assert out["rc"] == 0, out["stderr"][-2000:]
    assert len(vpcs(fresh_moto, "eu-central-1", "cs-profile")) == 1
    missing = site(ansible, tmp_path, "cs-profile", dict(env, AWS_PROFILE="nope"))
    probe = missing["tasks"][ASK_REGION]  # no region named: the first read asks the profile
    assert missing["rc"] != 0 and "nope" in probe["msg"] and "could not be found" in probe["msg"]


def test_play_level_module_defaults_are_kept(fresh_moto, ansible, tmp_path):
    """The endpoint comes only from the user's play-level module_defaults: the roles must not drop it."""
    playbook = tmp_path / "play.yml"
    play = {
        "name": "network with the user's own connection settings",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "module_defaults": {"group/hatrading.aws.aws": {"endpoint_url": fresh_moto.url, "region": "ap-southeast-2"}},
        "vars": {"hatrading_stack": "cs-defaults", "hatrading_region": "ap-southeast-2"},
        "roles": [{"role": "hatrading.aws.network"}],
    }
    playbook.write_text(yaml.safe_dump([play]))
    out = ansible.playbook(playbook, env={"AWS_ENDPOINT_URL": None})
    assert out["rc"] == 0, out["stderr"][-2000:]
    assert len(vpcs(fresh_moto, "ap-southeast-2", "cs-defaults")) == 1


@pytest.fixture
def silent_endpoint():
    """A loopback port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield "http://127.0.0.1:%d" % server.getsockname()[1]
    server.close()


@pytest.fixture
def html_endpoint():
    """A loopback web server that answers every request with an HTML page."""

    class Page(BaseHTTPRequestHandler):
        def do_POST(self):
            body = b"<!doctype html><html><body>Welcome to nginx!</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


def test_a_silent_endpoint_fails_fast_naming_stack_and_endpoint(ansible, tmp_path, silent_endpoint):
    started = time.monotonic()
    out = site(ansible, tmp_path, "cs-silent", {"AWS_ENDPOINT_URL": silent_endpoint}, {"hatrading_region": "us-east-1"}, tags=None)
    elapsed = time.monotonic() - started
    probe = out["tasks"][PROBE]
    assert out["rc"] != 0
    assert probe["msg"] == "stack cs-silent: %s did not answer within 10 s (AWS_ENDPOINT_URL or endpoint_url: is it an AWS API?)" % silent_endpoint
    assert elapsed < 90  # two attempts of 10 s, plus Ansible's own start (185 s of silence before)


def test_an_endpoint_answering_html_is_named(ansible, tmp_path, html_endpoint):
    out = site(ansible, tmp_path, "cs-html", {"AWS_ENDPOINT_URL": html_endpoint}, {"hatrading_region": "us-east-1"}, tags=None)
    probe = out["tasks"][PROBE]
    assert out["rc"] != 0
    assert probe["msg"].startswith("stack cs-html: %s answered something that is not an AWS API answer" % html_endpoint)
