# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One app tier's instance role, least-privilege policy, instance profile and launch template: model, read, apply.

The launch template's user data (:func:`render_user_data`) installs Docker and the CloudWatch
agent and runs the tier's image; with ``prometheus_agent``, the back-end also runs the Prometheus agent that
remote-writes its ``/metrics`` to the observability tier's workspace. A version carries the fingerprint of the data it was made from
in its description, so a rerun with the same inputs finds the fingerprint and makes no new version.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import uuid

try:
    from shlex import quote as shell_quote
except ImportError:  # pragma: no cover - Python 2
    from pipes import quote as shell_quote

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import create_or_adopt
from ansible_collections.hatrading.aws.plugins.module_utils.compute import model
from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.nosql_access import nosql_environment
from ansible_collections.hatrading.aws.plugins.module_utils.core.nosql_access import nosql_statements
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import canonical_json
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_IMAGE
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_specifications

FINGERPRINT_PREFIX = "hatrading:sha256:"
AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
PENDING = "(created by this run)"
PROMETHEUS_AGENT = "hatrading-prometheus-agent"  # its script, systemd units and container
PROMETHEUS_AGENT_CONFIG = "/etc/hatrading/prometheus-agent/agent.yml"
# What the agent's external labels expand (observability/model.py AGENT_LABEL_ENVIRONMENT names the same variables;
# a unit test holds them equal), from the instance metadata.
PROMETHEUS_AGENT_LABELS = (("HATRADING_INSTANCE_ID", "instance-id"), ("HATRADING_AVAILABILITY_ZONE", "placement/availability-zone"))

# ---------------------------------------------------------------- model: user data


def agent_config(stack, tier, log_group):
    """The CloudWatch agent's configuration: memory and disk metrics per group, host logs to CloudWatch Logs."""
    return {
        "agent": {"metrics_collection_interval": 60, "run_as_user": "cwagent"},
        "metrics": {
            "namespace": "hatrading/%s" % stack,
            "append_dimensions": {"AutoScalingGroupName": "${aws:AutoScalingGroupName}", "InstanceId": "${aws:InstanceId}"},
            "aggregation_dimensions": [["AutoScalingGroupName"]],
            "metrics_collected": {
                "mem": {"measurement": ["mem_used_percent"]},
                "disk": {"measurement": ["used_percent"], "resources": ["/"]},
            },
        },
        "logs": {
            "logs_collected": {
                "files": {
                    "collect_list": [
                        {"file_path": "/var/log/cloud-init-output.log", "log_group_name": log_group + "/host", "log_stream_name": "{instance_id}/cloud-init"},
                        {"file_path": "/var/log/messages", "log_group_name": log_group + "/host", "log_stream_name": "{instance_id}/messages"},
                    ]
                }
            }
        },
    }


def _login_lines(spec, host, auth):
    region = shell_quote(spec["region"])
    if auth == "ecr":
        ecr = model.ECR_HOST.match(host)
        login_region = shell_quote(ecr.group("region")) if ecr else region
        return ["aws ecr get-login-password --region %s | docker login --username AWS --password-stdin %s" % (login_region, shell_quote(host))]
    if auth == "secret":
        return [
            "aws secretsmanager get-secret-value --region %s --secret-id %s --query SecretString --output text \\"
            % (region, shell_quote(spec["registry_secret_arn"])),
            "  | docker login --username %s --password-stdin %s" % (shell_quote(spec.get("registry_username") or "AWS"), shell_quote(host)),
        ]
    return ["# %s needs no login" % host]


def run_script(spec):
    """The shell script that logs in, pulls the tier's image by tag and (re)starts its container."""
    host, _path, _tag = model.image_parts(spec["image"])
    auth = model.registry_auth_for(spec["image"], spec.get("registry_auth", "auto"))
    port = int(spec["port"])
    name = spec["tier"]
    health = "curl -fsS http://127.0.0.1:%d%s || exit 1" % (port, spec["health_path"])
    lines = [
        "#!/bin/bash",
        "# hatrading %s %s: log in to the registry, pull the image by tag, run it" % (spec["stack"], name),
        "set -euo pipefail",
    ]
    lines += _login_lines(spec, host, auth)
    lines += [
        "docker pull %s" % shell_quote(spec["image"]),
        "docker rm --force %s 2>/dev/null || true" % name,
        "docker run --detach --name %s --restart unless-stopped \\" % name,
        "  --publish %d:%d --env-file /etc/hatrading/%s.env \\" % (port, port, name),
        "  --health-cmd %s --health-interval 10s --health-timeout 5s --health-retries 3 --health-start-period 30s \\" % shell_quote(health),
        "  --log-driver awslogs --log-opt awslogs-region=%s --log-opt awslogs-group=%s --log-opt awslogs-create-group=true \\"
        % (shell_quote(spec["region"]), shell_quote(spec["log_group"] + "/container")),
        "  %s" % shell_quote(spec["image"]),
        "",
    ]
    return "\n".join(lines)


def prometheus_agent_wanted(spec):
    """Only the back-end has ``/metrics``: the front-end never runs the agent."""
    return bool(spec.get("prometheus_agent")) and spec["tier"] == "backend"


def prometheus_agent_image(spec):
    return spec.get("prometheus_agent_image") or model.PROMETHEUS_AGENT_IMAGE


def prometheus_agent_script(spec):
    """The script systemd runs: fetch the observability tier's configuration, run Prometheus in agent mode in the
    foreground; ``refresh`` (a timer) fetches again and reloads a changed configuration (SIGHUP)."""
    image = prometheus_agent_image(spec)
    parameter = names.observability(spec["stack"])["scrape_parameter"]
    metadata = "http://169.254.169.254/latest"
    lines = [
        "#!/bin/bash",
        "# hatrading %s %s: the Prometheus agent, its configuration from SSM, its series labelled with this instance" % (spec["stack"], spec["tier"]),
        "set -euo pipefail",
        "config=%s" % PROMETHEUS_AGENT_CONFIG,
        'install -d -m 0755 "$(dirname "$config")"',
        "fetch() {",
        "  # the observability tier writes the parameter after the compute tier's first run: until then this fails and systemd retries",
        '  aws ssm get-parameter --region %s --name %s --with-decryption --query Parameter.Value --output text >"$config.new"'
        % (shell_quote(spec["region"]), shell_quote(parameter)),
        "}",
        'if [ "${1:-run}" = refresh ]; then',
        "  fetch",
        '  if cmp -s "$config.new" "$config"; then rm -f "$config.new"; exit 0; fi',
        '  mv "$config.new" "$config"',
        "  exec docker kill --signal HUP %s" % PROMETHEUS_AGENT,
        "fi",
        "fetch",
        'mv "$config.new" "$config"',
        'token=$(curl -fsS -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" %s/api/token)' % metadata,
    ]
    lines += [
        '%s=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" %s/meta-data/%s)' % (variable, metadata, path) for variable, path in PROMETHEUS_AGENT_LABELS
    ]
    if model.registry_auth_for(image, "auto") == "ecr":  # a copy mirrored to ECR (no route to quay.io from the app subnets)
        lines += _login_lines(spec, model.image_parts(image)[0], "ecr")
    lines += [
        "docker pull %s" % shell_quote(image),
        "docker rm --force %s 2>/dev/null || true" % PROMETHEUS_AGENT,
        "# the host's network: it scrapes 127.0.0.1, and its SigV4 signing reaches IMDSv2 within the hop limit of 1",
        "exec docker run --rm --name %s --network host \\" % PROMETHEUS_AGENT,
        "  %s \\" % " ".join('--env %s="$%s"' % (variable, variable) for variable, _path in PROMETHEUS_AGENT_LABELS),
        "  --volume %s:/etc/prometheus-agent:ro \\" % PROMETHEUS_AGENT_CONFIG.rsplit("/", 1)[0],
        "  --log-driver awslogs --log-opt awslogs-region=%s --log-opt awslogs-group=%s --log-opt awslogs-create-group=true \\"
        % (shell_quote(spec["region"]), shell_quote(spec["log_group"] + "/container")),
        "  %s --config.file=/etc/prometheus-agent/%s \\" % (shell_quote(image), PROMETHEUS_AGENT_CONFIG.rsplit("/", 1)[1]),
        "  --enable-feature=agent,expand-external-labels --storage.agent.path=/prometheus --web.listen-address=127.0.0.1:9090",
        "",
    ]
    return "\n".join(lines)


def prometheus_agent_units(script):
    """systemd keeps the agent running (and retries until its configuration exists); a timer looks for a new one."""
    service = (
        "[Unit]\n"
        "Description=hatrading Prometheus agent: this instance's /metrics to Amazon Managed Service for Prometheus\n"
        "After=docker.service network-online.target\n"
        "Requires=docker.service\n"
        "Wants=network-online.target\n"
        "StartLimitIntervalSec=0\n\n"
        "[Service]\n"
        "ExecStart=%s\n"
        "ExecStop=/usr/bin/docker stop %s\n"
        "Restart=always\n"
        "RestartSec=30\n\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n" % (script, PROMETHEUS_AGENT)
    )
    refresh = (
        "[Unit]\nDescription=hatrading Prometheus agent: reload a changed configuration from SSM\n\n[Service]\nType=oneshot\nExecStart=%s refresh\n" % script
    )
    timer = (
        "[Unit]\n"
        "Description=hatrading Prometheus agent: look for a changed configuration every 5 minutes\n\n"
        "[Timer]\n"
        "OnBootSec=5min\n"
        "OnUnitActiveSec=5min\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    unit = "/etc/systemd/system/%s" % PROMETHEUS_AGENT
    return [(unit + ".service", "0644", service), (unit + "-refresh.service", "0644", refresh), (unit + "-refresh.timer", "0644", timer)]


def env_file(spec):
    environment = nosql_environment(spec)
    environment.update(spec.get("environment") or {})  # what the user gives wins
    environment.setdefault("PORT", str(spec["port"]))
    return "".join("%s=%s\n" % (key, str(value).replace("\n", " ")) for key, value in sorted(environment.items()))


def _literal(text, indent, parent):
    """A YAML literal block of ``text`` (ending with one newline), ``indent`` spaces in, under a key ``parent`` spaces in."""
    pad = " " * indent
    return "|%d\n" % (indent - parent) + "".join((pad + line if line else "") + "\n" for line in text[:-1].split("\n"))


def render_user_data(spec):
    """cloud-init user data (``#cloud-config``) for one tier, readable in the console and deterministic.

    ``spec``: stack, tier, region, image, port, health_path, log_group, registry_auth,
    registry_secret_arn, registry_username, environment, codedeploy_bucket (adds the CodeDeploy agent),
    prometheus_agent and prometheus_agent_image (the back-end's Prometheus agent). Same spec, same bytes.
    """
    script = "/usr/local/bin/hatrading-%s" % spec["tier"]
    files = [
        (AGENT_CONFIG_PATH, "0644", json.dumps(agent_config(spec["stack"], spec["tier"], spec["log_group"]), indent=2, sort_keys=True) + "\n"),
        ("/etc/hatrading/%s.env" % spec["tier"], "0600", env_file(spec)),
        (script, "0755", run_script(spec)),
    ]
    commands = [
        ["systemctl", "enable", "--now", "docker"],
        ["/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl", "-a", "fetch-config", "-m", "ec2", "-s", "-c", "file:" + AGENT_CONFIG_PATH],
        [script],
    ]
    packages = ["docker", "amazon-cloudwatch-agent"]
    what = "Docker, the CloudWatch agent, the tier's container"
    if prometheus_agent_wanted(spec):
        # after the tier's script: the lab (lab/plane/instances.py) runs the first `docker run` it finds, the tier's
        agent_script = "/usr/local/bin/%s" % PROMETHEUS_AGENT
        files.append((agent_script, "0755", prometheus_agent_script(spec)))
        files += prometheus_agent_units(agent_script)
        commands += [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", PROMETHEUS_AGENT + ".service", PROMETHEUS_AGENT + "-refresh.timer"]]
        what += ", the Prometheus agent"
    if spec.get("codedeploy_bucket"):
        # the pipeline tier deploys new images in place through CodeDeploy: its agent, from the region's own bucket
        packages.append("ruby")
        installer = "https://aws-codedeploy-%s.s3.%s.amazonaws.com/latest/install" % (spec["region"], spec["region"])
        commands.append(
            ["bash", "-c", "curl -fsSL -o /tmp/codedeploy-install %s && chmod +x /tmp/codedeploy-install && /tmp/codedeploy-install auto" % installer]
        )
    lines = [
        "#cloud-config",
        "# hatrading %s %s: %s" % (spec["stack"], spec["tier"], what),
        "package_update: true",
        "packages:",
    ]
    lines += ["  - %s" % package for package in packages]
    lines.append("write_files:")
    text = "\n".join(lines) + "\n"
    for path, mode, content in files:
        text += "  - path: %s\n    permissions: %s\n    owner: root:root\n    content: %s" % (json.dumps(path), json.dumps(mode), _literal(content, 6, 4))
    text += "runcmd:\n" + "".join("  - %s\n" % json.dumps(command) for command in commands)
    return text


# ---------------------------------------------------------------- IAM


ASSUME_ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
SSM_ACTIONS = [
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
    "ssm:DescribeAssociation",
    "ssm:GetDeployablePatchSnapshotForInstance",
    "ssm:GetDocument",
    "ssm:DescribeDocument",
    "ssm:GetManifest",
    "ssm:ListAssociations",
    "ssm:ListInstanceAssociations",
    "ssm:PutInventory",
    "ssm:PutComplianceItems",
    "ssm:PutConfigurePackageResult",
    "ssm:UpdateAssociationStatus",
    "ssm:UpdateInstanceAssociationStatus",
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]


def instance_policy(spec):
    """The tier's only permissions: pull its own image, ship its metrics and logs, be reachable by SSM."""
    log_group = spec["log_group"]
    statements = [
        {"Sid": "SessionManager", "Effect": "Allow", "Action": sorted(SSM_ACTIONS), "Resource": "*"},
        {
            "Sid": "CloudWatchMetrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricData"],
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "hatrading/%s" % spec["stack"]}},
        },
        {"Sid": "AgentDimensions", "Effect": "Allow", "Action": ["ec2:DescribeTags"], "Resource": "*"},
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": ["arn:aws:logs:*:*:log-group:%s/*" % log_group, "arn:aws:logs:*:*:log-group:%s/*:log-stream:*" % log_group],
        },
    ]
    if spec.get("codedeploy_bucket"):
        statements.append(
            {
                "Sid": "DeploymentRevisions",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": "arn:aws:s3:::%s/*" % spec["codedeploy_bucket"],
            }
        )
        agent = [
            "codedeploy-commands-secure:GetDeploymentSpecification",
            "codedeploy-commands-secure:PollHostCommand",
            "codedeploy-commands-secure:PutHostCommandAcknowledgement",
            "codedeploy-commands-secure:PutHostCommandComplete",
        ]
        statements.append({"Sid": "DeploymentAgent", "Effect": "Allow", "Action": agent, "Resource": "*"})
    if spec.get("nosql_tables"):
        statements += nosql_statements(spec)
    if prometheus_agent_wanted(spec):
        statements += prometheus_agent_statements(spec)
    auth = model.registry_auth_for(spec["image"], spec.get("registry_auth", "auto"))
    repositories = [_ecr_repository(spec["image"])] if auth == "ecr" else []
    if prometheus_agent_wanted(spec) and model.registry_auth_for(prometheus_agent_image(spec), "auto") == "ecr":
        repositories.append(_ecr_repository(prometheus_agent_image(spec)))
    if repositories:
        statements.append({"Sid": "RegistryToken", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"})
        pull = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        resource = repositories[0] if len(set(repositories)) == 1 else sorted(set(repositories))
        statements.append({"Sid": "RegistryPull", "Effect": "Allow", "Action": pull, "Resource": resource})
    if auth == "secret":
        secret = spec["registry_secret_arn"]
        statements.append({"Sid": "RegistryCredentials", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": secret})
    return {"Version": "2012-10-17", "Statement": statements}


def _ecr_repository(image):
    host, path, _tag = model.image_parts(image)
    ecr = model.ECR_HOST.match(host)
    return "arn:aws:ecr:%s:%s:repository/%s" % (ecr.group("region"), ecr.group("account"), path) if ecr else "*"


def prometheus_agent_statements(spec):
    """The agent reads its one configuration parameter and writes to the stack's Prometheus workspace, nothing more."""
    region, stack = spec["region"], spec["stack"]
    parameter = names.observability(stack)["scrape_parameter"]  # starts with a slash: the ARN is parameter/hatrading/...
    return [
        {"Sid": "PrometheusAgentConfig", "Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": "arn:aws:ssm:%s:*:parameter%s" % (region, parameter)},
        # The workspace is made after this tier (core/registry.py order), so its ID is unknown here: any workspace of
        # the region, but only one tagged with this stack (AMP's workspace supports aws:ResourceTag on RemoteWrite).
        {
            "Sid": "PrometheusRemoteWrite",
            "Effect": "Allow",
            "Action": ["aps:RemoteWrite"],
            "Resource": "arn:aws:aps:%s:*:workspace/*" % region,
            "Condition": {"StringEquals": {"aws:ResourceTag/hatrading:stack": stack}},
        },
    ]


# ---------------------------------------------------------------- launch template


def launch_template_data(spec, ids):
    """The LaunchTemplateData for one tier; ``ids`` gives the security_group ID and the instance_profile name."""
    data = {
        "ImageId": spec.get("image_id") or model.DEFAULT_AMI,
        "InstanceType": spec["instance_type"],
        "IamInstanceProfile": {"Name": ids["instance_profile"]},  # by name: no account ID, survives a re-created profile
        "UserData": base64.b64encode(render_user_data(spec).encode("utf-8")).decode("ascii"),
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": int(spec.get("metadata_hop_limit") or 1)},
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {"VolumeSize": int(spec.get("root_volume_size") or 20), "VolumeType": "gp3", "Encrypted": True, "DeleteOnTermination": True},
            }
        ],
        "NetworkInterfaces": [
            {"DeviceIndex": 0, "AssociatePublicIpAddress": bool(spec.get("public_ip")), "Groups": [ids["security_group"]], "DeleteOnTermination": True}
        ],
        "Monitoring": {"Enabled": True},
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in sorted(spec["instance_tags"].items())]},
            {"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in sorted(spec["instance_tags"].items())]},
        ],
    }
    if spec.get("key_name"):
        data["KeyName"] = spec["key_name"]
    return data


def fingerprint(data):
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()[:32]


def _user_data_sha(encoded):
    if not encoded:
        return None
    try:
        return hashlib.sha256(base64.b64decode(encoded)).hexdigest()[:16]
    except (TypeError, ValueError):
        return None


def summarize_template_data(data, description=None):
    """The comparable, reviewable view of one template version (what diff mode shows)."""
    metadata = data.get("MetadataOptions") or {}
    ebs = ((data.get("BlockDeviceMappings") or [{}])[0]).get("Ebs") or {}
    interface = (data.get("NetworkInterfaces") or [{}])[0]
    summary = {
        "image_id": data.get("ImageId"),
        "instance_type": data.get("InstanceType"),
        "instance_profile": (data.get("IamInstanceProfile") or {}).get("Name") or (data.get("IamInstanceProfile") or {}).get("Arn"),
        "user_data_sha256": _user_data_sha(data.get("UserData")),
        "http_tokens": metadata.get("HttpTokens"),
        "hop_limit": metadata.get("HttpPutResponseHopLimit"),
        "ebs_encrypted": ebs.get("Encrypted"),
        "public_ip": interface.get("AssociatePublicIpAddress"),
        "security_groups": sorted(interface.get("Groups") or []),
    }
    if description is not None:
        summary["fingerprint"] = description[len(FINGERPRINT_PREFIX) :] if description.startswith(FINGERPRINT_PREFIX) else None
    return summary


def desired_launch_template(spec, ids):
    data = launch_template_data(spec, ids)
    want = summarize_template_data(data)
    want["fingerprint"] = fingerprint(data)
    want["tags"] = spec["tags"]
    return want, data


def actual_launch_template(template, version):
    """describe_launch_templates + the latest version -> the same shape as the desired one, plus IDs."""
    if not template:
        return None
    have = summarize_template_data((version or {}).get("LaunchTemplateData") or {}, (version or {}).get("VersionDescription") or "")
    have.update(
        id=template["LaunchTemplateId"],
        latest_version=template.get("LatestVersionNumber"),
        default_version=template.get("DefaultVersionNumber"),
        tags=dict((t["Key"], t.get("Value", "")) for t in template.get("Tags") or []),
    )
    return have


TEMPLATE_FIELDS = (
    "image_id",
    "instance_type",
    "instance_profile",
    "user_data_sha256",
    "http_tokens",
    "hop_limit",
    "ebs_encrypted",
    "public_ip",
    "security_groups",
)


def plan_launch_template(name, want, have):
    """Create the template, or add a version when the fingerprint differs; tags alone never make a version."""
    if have is None:
        return [Change(CREATE, "launch_template", name, after=want)]
    changes = []
    if want["fingerprint"] != have.get("fingerprint"):
        fields = [f for f in TEMPLATE_FIELDS if want.get(f) != have.get(f)] or ["fingerprint"]
        before = dict((k, v) for k, v in have.items() if k in TEMPLATE_FIELDS + ("fingerprint",))
        changes.append(Change(UPDATE, "launch_template_version", name, before=before, after=dict((k, want[k]) for k in before), fields=fields, ref=have))
    if missing_tags(want["tags"], have.get("tags") or {}):
        changes.append(Change(UPDATE, "launch_template", name, before={"tags": have.get("tags")}, after={"tags": want["tags"]}, fields=["tags"], ref=have))
    return changes


def plan_role(role_name, role, tags):
    """The instance role: create it, or fix its trust policy and tags. ``role`` is get_role's Role or None."""
    changes = []
    if role is None:
        changes.append(Change(CREATE, "iam_role", role_name, after={"assume_role_policy": ASSUME_ROLE_POLICY, "tags": tags}))
    else:
        have_tags = dict((t["Key"], t.get("Value", "")) for t in role.get("Tags") or [])
        fields = []
        if canonical_json(role.get("AssumeRolePolicyDocument") or {}) != canonical_json(ASSUME_ROLE_POLICY):
            fields.append("assume_role_policy")
        if missing_tags(tags, have_tags):
            fields.append("tags")
        if fields:
            changes.append(Change(UPDATE, "iam_role", role_name, before={"tags": have_tags}, after={"tags": tags}, fields=fields))
    return changes


def plan_role_policy(role_name, want_document, have_document):
    if have_document is not None and canonical_json(have_document) == canonical_json(want_document):
        return []
    action = CREATE if have_document is None else UPDATE
    before = None if have_document is None else json.loads(canonical_json(have_document))
    return [Change(action, "iam_role_policy", role_name, before=before, after=want_document, fields=["document"] if before else None)]


def plan_instance_profile(profile_name, role_name, profile):
    if profile is None:
        return [Change(CREATE, "instance_profile", profile_name, after={"role": role_name})]
    roles = [r["RoleName"] for r in profile.get("Roles") or []]
    if roles != [role_name]:
        return [Change(UPDATE, "instance_profile", profile_name, before={"roles": roles}, after={"role": role_name}, fields=["role"], ref=profile)]
    return []


def plan_present(spec, n, have):
    plan = Plan(plan_role(n["role"], have["role"], spec["tags"]))
    plan.extend(plan_role_policy(n["role"], instance_policy(spec), have["policy"]))
    plan.extend(plan_instance_profile(n["instance_profile"], n["role"], have["profile"]))
    want, _data = desired_launch_template(spec, {"security_group": have["security_group"], "instance_profile": n["instance_profile"]})
    plan.extend(plan_launch_template(n["launch_template"], want, actual_launch_template(have["template"], have["version"])))
    return plan, want


def plan_absent(n, have):
    plan = Plan()
    if have["template"]:
        found = {"id": have["template"]["LaunchTemplateId"]}
        plan.extend([Change(DELETE, "launch_template", n["launch_template"], before=found, ref=found)])
    if have["profile"]:
        roles = [r["RoleName"] for r in have["profile"].get("Roles") or []]
        plan.extend([Change(DELETE, "instance_profile", n["instance_profile"], before={"roles": roles}, ref=have["profile"])])
    if have["role"]:
        plan.extend([Change(DELETE, "iam_role", n["role"], before={"arn": have["role"]["Arn"]})])
    return plan


def tier_spec(params, region):
    """What the model needs to render the template, from the step's options."""
    stack, tier = params["stack"], params["tier"]
    n = names.compute(stack, tier)
    spec = model.step_settings("launch_template", params)
    spec.update(stack=stack, tier=tier, region=region, log_group=n["log_group"])
    spec["tags"] = model.tier_tags(stack, tier, n["launch_template"], params["tags"])
    # instances are named after their group; each says which image it was launched to run (the inventory's image_tag)
    instance_tags = model.tier_tags(stack, tier, n["auto_scaling_group"], params["tags"])
    spec["instance_tags"] = dict(instance_tags, **{TAG_IMAGE: params.get("image") or ""})
    return spec


# ---------------------------------------------------------------- read


def launch_template(clients, name):
    """The launch template called ``name``, or None (EC2 answers an unknown name with an error)."""
    found = clients.ec2.describe_launch_templates(LaunchTemplateNames=[name], missing=[])
    return found[0] if found else None


def read(clients, view, stack, tier, n, with_network):
    """Everything this step manages, in at most five reads (the security group comes from the shared stack view)."""
    found = {}
    if with_network:
        found["security_group"] = view.security_group_id(names.network(stack)["security_group"](tier))
    found["template"] = view.app_resource("launch_template", n["launch_template"])
    found["version"] = None
    if found["template"]:
        versions = clients.ec2.describe_launch_template_versions(LaunchTemplateId=found["template"]["LaunchTemplateId"], Versions=["$Latest"])
        found["version"] = versions[0] if versions else None
    found["role"] = clients.iam.get_role(RoleName=n["role"], missing={}).get("Role")
    found["policy"] = clients.iam.get_role_policy(RoleName=n["role"], PolicyName=n["policy"], missing={}).get("PolicyDocument") if found["role"] else None
    found["profile"] = clients.iam.get_instance_profile(InstanceProfileName=n["instance_profile"], missing={}).get("InstanceProfile")
    return found


def check_instance_types(clients, params_list, region):
    """Errors for instance types the region does not offer, one read for every tier of the run."""
    wanted = sorted(set(p["instance_type"] for p in params_list))
    if not wanted:
        return []
    offers = clients.ec2.describe_instance_type_offerings(LocationType="region", Filters=[{"Name": "instance-type", "Values": wanted}])
    offered = set(o["InstanceType"] for o in offers)
    return [
        "%s instance_type: %s is not offered in region %s; pick one the region offers" % (p["tier"], p["instance_type"], region)
        for p in params_list
        if p["instance_type"] not in offered
    ]


# ---------------------------------------------------------------- apply


class TemplateApplier(Applier):
    def __init__(self, clients, spec, n, have):
        self.ec2 = clients.ec2
        self.iam = clients.iam
        self.spec = spec
        self.n = n
        self.template = have.get("template")
        self.security_group = have.get("security_group")
        self.warnings = []

    def _adopted(self, kind, name):
        self.warnings.append("%s %s already existed when this run created it (a create whose answer was lost, retried): adopted" % (kind, name))

    # -- identity
    def create_iam_role(self, change):
        made = create_or_adopt(
            self.iam.create_role,
            RoleName=change.name,
            AssumeRolePolicyDocument=json.dumps(ASSUME_ROLE_POLICY),
            Description="hatrading %s %s instances" % (self.spec["stack"], self.spec["tier"]),
            Tags=tag_list(self.spec["tags"]),
        )
        if made is None:
            self._adopted("IAM role", change.name)
        self.iam.wait("role_exists", 60, 2, RoleName=change.name)

    def update_iam_role(self, change):
        if "assume_role_policy" in change.fields:
            self.iam.update_assume_role_policy(RoleName=change.name, PolicyDocument=json.dumps(ASSUME_ROLE_POLICY))
        if "tags" in change.fields:
            self.iam.tag_role(RoleName=change.name, Tags=tag_list(missing_tags(change.after["tags"], change.before["tags"])))

    def create_iam_role_policy(self, change):
        self.iam.put_role_policy(RoleName=change.name, PolicyName=self.n["policy"], PolicyDocument=json.dumps(change.after, sort_keys=True))

    def delete_iam_role(self, change):
        for policy in self.iam.list_role_policies(RoleName=change.name):
            self.iam.delete_role_policy(RoleName=change.name, PolicyName=policy)
        self.iam.delete_role(RoleName=change.name)

    update_iam_role_policy = create_iam_role_policy  # put_role_policy creates or replaces

    def create_instance_profile(self, change):
        if create_or_adopt(self.iam.create_instance_profile, InstanceProfileName=change.name, Tags=tag_list(self.spec["tags"])) is None:
            self._adopted("instance profile", change.name)
            roles = [role["RoleName"] for role in self.iam.get_instance_profile(InstanceProfileName=change.name)["InstanceProfile"]["Roles"]]
            if roles:  # a profile holds one role: the lost call's (ours), or another run's, which the next run replaces
                self.iam.wait("instance_profile_exists", 60, 2, InstanceProfileName=change.name)
                return
        self.iam.add_role_to_instance_profile(InstanceProfileName=change.name, RoleName=change.after["role"])
        self.iam.wait("instance_profile_exists", 60, 2, InstanceProfileName=change.name)

    def update_instance_profile(self, change):
        for role in change.before["roles"]:
            self.iam.remove_role_from_instance_profile(InstanceProfileName=change.name, RoleName=role)
        self.iam.add_role_to_instance_profile(InstanceProfileName=change.name, RoleName=change.after["role"])

    def delete_instance_profile(self, change):
        for role in change.ref.get("Roles") or []:
            self.iam.remove_role_from_instance_profile(InstanceProfileName=change.name, RoleName=role["RoleName"])
        self.iam.delete_instance_profile(InstanceProfileName=change.name)

    # -- launch template
    def _data(self):
        return desired_launch_template(self.spec, {"security_group": self.security_group, "instance_profile": self.n["instance_profile"]})

    def create_launch_template(self, change):
        want, data = self._data()
        self.template = self.ec2.create_launch_template(
            LaunchTemplateName=change.name,
            VersionDescription=FINGERPRINT_PREFIX + want["fingerprint"],
            LaunchTemplateData=data,
            TagSpecifications=tag_specifications("launch-template", self.spec["tags"]),
            ClientToken=str(uuid.uuid4()),  # a retry after a lost answer creates nothing more
        )["LaunchTemplate"]

    def update_launch_template_version(self, change):
        want, data = self._data()
        version = self.ec2.create_launch_template_version(
            LaunchTemplateId=change.ref["id"],
            VersionDescription=FINGERPRINT_PREFIX + want["fingerprint"],
            LaunchTemplateData=data,
            ClientToken=str(uuid.uuid4()),
        )["LaunchTemplateVersion"]
        number = version["VersionNumber"]
        self.ec2.modify_launch_template(LaunchTemplateId=change.ref["id"], DefaultVersion=str(number))
        self.template = dict(self.template, LatestVersionNumber=number, DefaultVersionNumber=number)

    def update_launch_template(self, change):
        self.ec2.create_tags(Resources=[change.ref["id"]], Tags=tag_list(missing_tags(change.after["tags"], change.before["tags"] or {})))

    def delete_launch_template(self, change):
        self.ec2.delete_launch_template(LaunchTemplateId=change.ref["id"])
        self.template = None


def reconcile(clients, view, params, run, checked_types=False):
    """Plan and (unless check mode) apply one tier's template and identity; returns (plan, result fields, warnings).

    ``checked_types``: the caller has already asked check_instance_types for this tier.
    Raises ComputeError when the network is missing or the instance type is not offered.
    """
    stack, tier = params["stack"], params["tier"]
    present = params["state"] == "present"
    n = names.compute(stack, tier)
    spec = tier_spec(params, run.region)
    want = {}
    if present and not checked_types:
        errors = check_instance_types(clients, [params], run.region)
        if errors:
            raise model.ComputeError("; ".join(errors))
    have = read(clients, view, stack, tier, n, with_network=present)
    if present:
        if run.check_mode and not have["security_group"]:
            have["security_group"] = PENDING  # the network is planned in the same check run
        if not have["security_group"]:
            group = names.network(stack)["security_group"](tier)
            raise model.ComputeError("security group %s of stack %s not found; build the network first" % (group, stack))
        plan, want = plan_present(spec, n, have)
    else:
        plan = plan_absent(n, have)
    applier = TemplateApplier(clients, spec, n, have)
    plan.apply(applier.handlers(), check_mode=run.check_mode)
    return plan, result(applier.template, want, n, present), applier.warnings


def result(template, want, n, present):
    found = dict(launch_template={})
    if template:
        found["launch_template"] = dict(
            id=template["LaunchTemplateId"],
            name=template["LaunchTemplateName"],
            version=template.get("LatestVersionNumber"),
            default_version=template.get("DefaultVersionNumber"),
            user_data_sha256=want.get("user_data_sha256"),
        )
    if present:
        found["instance_profile"] = n["instance_profile"]
    return found
