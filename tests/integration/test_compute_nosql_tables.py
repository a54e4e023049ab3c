"""The compute role hands the nosql tier's tables to the back-end when nosql_enabled: environment and instance role, against moto."""

import base64
import json
from urllib.parse import unquote

import yaml
from test_compute import PLAYBOOK, build_network, small_compute_vars


def user_data_env(ec2, stack, tier):
    template = ec2.describe_launch_templates(LaunchTemplateNames=["%s-%s" % (stack, tier)])["LaunchTemplates"][0]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"])["LaunchTemplateVersions"][0]
    files = yaml.safe_load(base64.b64decode(data["LaunchTemplateData"]["UserData"]))["write_files"]
    text = {f["path"]: f["content"] for f in files}["/etc/hatrading/%s.env" % tier]
    return dict(line.split("=", 1) for line in text.splitlines())


def test_nosql_enabled_gives_the_backend_its_tables(fresh_moto, ansible, tmp_path):
    stack = "it-compute-tables"
    playbook = tmp_path / "compute.yml"
    playbook.write_text(PLAYBOOK)
    extra = small_compute_vars(stack, nosql_enabled=True, nosql_session_ttl_attribute="valid_until")
    build_network(ansible, stack, "10.43.0.0/16")
    built = ansible.playbook(playbook, extra)
    assert built["rc"] == 0, built["stderr"][-3000:]
    ec2, iam = fresh_moto.client("ec2"), fresh_moto.client("iam")
    backend = user_data_env(ec2, stack, "backend")
    assert {k: backend[k] for k in ("MARKET_TABLE", "SESSIONS_TABLE", "SESSIONS_TTL_ATTRIBUTE", "AWS_REGION")} == {
        "MARKET_TABLE": "%s-market" % stack,
        "SESSIONS_TABLE": "%s-sessions" % stack,
        "SESSIONS_TTL_ATTRIBUTE": "valid_until",
        "AWS_REGION": "us-east-1",
    }
    assert "MARKET_TABLE" not in user_data_env(ec2, stack, "frontend")
    policy = iam.get_role_policy(RoleName="%s-backend-instance" % stack, PolicyName="least-privilege")["PolicyDocument"]
    policy = json.loads(unquote(policy)) if isinstance(policy, str) else policy
    tables = next(s for s in policy["Statement"] if s["Sid"] == "NoSqlTables")
    assert tables["Resource"] == ["arn:aws:dynamodb:us-east-1:*:table/%s-market" % stack, "arn:aws:dynamodb:us-east-1:*:table/%s-sessions" % stack]
    front = iam.get_role_policy(RoleName="%s-frontend-instance" % stack, PolicyName="least-privilege")["PolicyDocument"]
    assert "NoSqlTables" not in json.dumps(front)
    # the same settings again: no new template version, no mutating call
    fresh_moto.forget_calls()
    again = ansible.playbook(playbook, extra)
    assert again["rc"] == 0 and again["stats"]["localhost"]["changed"] == 0
    assert fresh_moto.mutating_calls() == []
    # nosql off again (demo.yml): the back-end's template loses the tables
    off = ansible.playbook(playbook, dict(extra, nosql_enabled=False))
    assert off["rc"] == 0, off["stderr"][-3000:]
    assert "MARKET_TABLE" not in user_data_env(ec2, stack, "backend")
