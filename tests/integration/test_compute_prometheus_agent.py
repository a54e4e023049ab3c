"""The compute role gives the back-end the Prometheus agent when the observability tier's agent collector is on, against moto."""

import base64
import json
from urllib.parse import unquote

import yaml
from test_compute import PLAYBOOK, build_network, small_compute_vars

AGENT = "/usr/local/bin/hatrading-prometheus-agent"


def user_data_files(ec2, stack, tier):
    template = ec2.describe_launch_templates(LaunchTemplateNames=["%s-%s" % (stack, tier)])["LaunchTemplates"][0]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"])["LaunchTemplateVersions"][0]
    return {f["path"]: f["content"] for f in yaml.safe_load(base64.b64decode(data["LaunchTemplateData"]["UserData"]))["write_files"]}


def policy_sids(iam, stack, tier):
    policy = iam.get_role_policy(RoleName="%s-%s-instance" % (stack, tier), PolicyName="least-privilege")["PolicyDocument"]
    policy = json.loads(unquote(policy)) if isinstance(policy, str) else policy
    return dict((statement["Sid"], statement) for statement in policy["Statement"])


def test_the_observability_agent_collector_gives_the_back_end_its_agent(fresh_moto, ansible, tmp_path):
    stack = "it-compute-agent"
    playbook = tmp_path / "compute.yml"
    playbook.write_text(PLAYBOOK)
    extra = small_compute_vars(stack, observability_enabled=True)  # observability_collector defaults to agent
    build_network(ansible, stack, "10.44.0.0/16")
    built = ansible.playbook(playbook, extra)
    assert built["rc"] == 0, built["stderr"][-3000:]
    ec2, iam = fresh_moto.client("ec2"), fresh_moto.client("iam")
    backend = user_data_files(ec2, stack, "backend")
    assert "--name /hatrading/%s/observability/scrape-config --with-decryption" % stack in backend[AGENT]
    assert "quay.io/prometheus/prometheus:v2.53.5" in backend[AGENT]
    assert AGENT not in user_data_files(ec2, stack, "frontend")
    sids = policy_sids(iam, stack, "backend")
    assert sids["PrometheusAgentConfig"]["Resource"] == "arn:aws:ssm:us-east-1:*:parameter/hatrading/%s/observability/scrape-config" % stack
    assert sids["PrometheusRemoteWrite"]["Condition"] == {"StringEquals": {"aws:ResourceTag/hatrading:stack": stack}}
    assert not [sid for sid in policy_sids(iam, stack, "frontend") if sid.startswith("Prometheus")]
    # the same settings again: no new template version, no mutating call
    fresh_moto.forget_calls()
    again = ansible.playbook(playbook, extra)
    assert again["rc"] == 0 and again["stats"]["localhost"]["changed"] == 0
    assert fresh_moto.mutating_calls() == []
    # a managed scraper (or observability off) needs no agent: the back-end's template and role lose it
    off = ansible.playbook(playbook, dict(extra, observability_collector="managed_scraper"))
    assert off["rc"] == 0, off["stderr"][-3000:]
    assert AGENT not in user_data_files(ec2, stack, "backend")
    assert not [sid for sid in policy_sids(iam, stack, "backend") if sid.startswith("Prometheus")]
