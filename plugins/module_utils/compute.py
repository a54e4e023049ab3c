# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compute tier of one stack as plain data: what is wanted, what exists, the plan between.

No AWS calls here. Two application tiers, ``frontend`` and ``backend``, each get:

* an instance role + inline least-privilege policy + instance profile, and a launch template
  whose user data (:func:`render_user_data`) installs Docker and the CloudWatch agent and
  runs the tier's image (module ``compute_launch_template``);
* an application load balancer, a target group and listeners (module ``compute_load_balancer``);
* an Auto Scaling group over the app subnets with target-tracking policies (module ``compute_autoscaling``).

A launch template version carries the fingerprint of the data it was made from in its
description, so a rerun with the same inputs finds the fingerprint and makes no new version.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import re

try:
    from shlex import quote as shell_quote
    from urllib.parse import unquote
except ImportError:  # pragma: no cover - Python 2
    from pipes import quote as shell_quote
    from urllib import unquote

from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_port
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_tags

TIER = "compute"
APP_TIERS = ("frontend", "backend")
FINGERPRINT_PREFIX = "hatrading:sha256:"
DEFAULT_AMI = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
CPU_METRIC = "ASGAverageCPUUtilization"
REQUESTS_METRIC = "ALBRequestCountPerTarget"
AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
# family+generation[+attributes].size: t3.micro, m7g.large, c6in.2xlarge, u-6tb1.metal, mac2-m2.metal
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|metal|[0-9]*xlarge|metal-[0-9]+xl)$")
CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:(acm|iam):[a-z0-9-]*:\d{12}:(certificate/[A-Za-z0-9-]+|server-certificate/[\w+=,.@/-]+)$")
SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$")
IMAGE_REF = re.compile(r"^(?P<repo>[a-z0-9][a-z0-9._/:-]*?)(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(@sha256:[0-9a-f]{64})?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
REGISTRY_AUTH = ("auto", "ecr", "secret", "none")
SUBNET_LAYERS = ("app", "public")
WARM_POOL_STATES = ("Stopped", "Running", "Hibernated")
METRICS_GRANULARITY = "1Minute"  # the only granularity Auto Scaling offers
GROUP_METRICS = tuple(
    sorted(
        (
            "GroupDesiredCapacity",
            "GroupInServiceInstances",
            "GroupMaxSize",
            "GroupMinSize",
            "GroupPendingInstances",
            "GroupStandbyInstances",
            "GroupTerminatingInstances",
            "GroupTotalInstances",
        )
    )
)


class ComputeError(Exception):
    """A step of the compute tier cannot go on; the message is for the user."""


class ComputePlanError(ComputeError):
    """The wanted resource cannot be reached from the one that exists without losing something."""


# ---------------------------------------------------------------- names


def names(stack, tier):
    """Every name the compute tier uses for ``tier``: other roles and the bench rely on them.

    ALB and target-group names are limited to 32 characters: a 24-character stack name
    leaves room for 8 more.
    """
    short = {"frontend": "fe", "backend": "be"}[tier]
    return {
        "launch_template": "%s-%s" % (stack, tier),
        "role": "%s-%s-instance" % (stack, tier),
        "instance_profile": "%s-%s-instance" % (stack, tier),
        "policy": "least-privilege",
        "auto_scaling_group": "%s-%s" % (stack, tier),
        "load_balancer": "%s-alb-%s" % (stack, "pub" if tier == "frontend" else "int"),
        "target_group": "%s-tg-%s" % (stack, short),
        "log_group": "/hatrading/%s/%s" % (stack, tier),
        "cpu_policy": "%s-%s-cpu" % (stack, tier),
        "requests_policy": "%s-%s-requests" % (stack, tier),
    }


def tier_tags(stack, tier, name, extra=None):
    return stack_tags(stack, TIER, name, extra, component=tier)


# ---------------------------------------------------------------- validation


def image_parts(image):
    """(registry host, repository, tag) of an image reference; host ``docker.io`` when none is given."""
    match = IMAGE_REF.match(image or "")
    if not match:
        return None
    repo = match.group("repo")
    first = repo.split("/", 1)[0]
    if "/" in repo and ("." in first or ":" in first or first == "localhost"):
        host, path = repo.split("/", 1)
    else:
        host, path = "docker.io", repo
    return host, path, match.group("tag")


def registry_auth_for(image, auth):
    """The registry login to use: ``ecr`` for an ECR host when ``auth`` is ``auto``, else none."""
    if auth != "auto":
        return auth
    parts = image_parts(image)
    return "ecr" if parts and ECR_HOST.match(parts[0]) else "none"


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def validate_tier(settings, name):
    """Problems of one tier's settings; ``name(option)`` is the variable as the user wrote it."""
    errors = []
    image = settings.get("image")
    if "image" in settings:
        parts = image_parts(image) if isinstance(image, str) else None
        if parts is None:
            errors.append("%s: %r is not an image reference (registry/repository:tag)" % (name("image"), image))
        elif not parts[2]:
            errors.append("%s: %r has no tag; pin the image by tag (for example %s:1.0.0) so every instance runs the same code" % (name("image"), image, image))
    instance_type = settings.get("instance_type")
    if "instance_type" in settings and not (isinstance(instance_type, str) and INSTANCE_TYPE.match(instance_type)):
        errors.append("%s: %r is not an instance type of the form family+generation.size (t3.micro, m7g.large)" % (name("instance_type"), instance_type))
    for option in ("spot_instance_types",):
        for value in settings.get(option) or []:
            if not (isinstance(value, str) and INSTANCE_TYPE.match(value)):
                errors.append("%s: %r is not an instance type of the form family+generation.size" % (name(option), value))
    sizes = [settings.get(option) for option in ("min_size", "desired_capacity", "max_size")]
    if any(option in settings for option in ("min_size", "desired_capacity", "max_size")):
        bad = [option for option, value in zip(("min_size", "desired_capacity", "max_size"), sizes) if value is not None and (not _is_int(value) or value < 0)]
        for option in bad:
            errors.append("%s: %r is not a whole number of instances (0 or more)" % (name(option), settings.get(option)))
        if not bad:
            low, want, high = sizes
            if low is not None and high is not None and low > high:
                errors.append("%s: %d is above %s %d; the group could never satisfy both" % (name("min_size"), low, name("max_size"), high))
            if want is not None and low is not None and want < low:
                errors.append("%s: %d is below %s %d; use a value between min and max" % (name("desired_capacity"), want, name("min_size"), low))
            if want is not None and high is not None and want > high:
                errors.append("%s: %d is above %s %d; use a value between min and max" % (name("desired_capacity"), want, name("max_size"), high))
    path = settings.get("health_path")
    if "health_path" in settings and not (isinstance(path, str) and path.startswith("/") and " " not in path and len(path) <= 1024):
        errors.append("%s: %r must be a URL path starting with a slash (for example /health)" % (name("health_path"), path))
    spot = settings.get("spot_share")
    if "spot_share" in settings and spot is not None and (not _is_int(spot) or not 0 <= spot <= 100):
        errors.append("%s: %r is outside 0-100; give the percentage of instances above the base capacity that run on spot" % (name("spot_share"), spot))
    certificate = settings.get("certificate_arn")
    if certificate and not (isinstance(certificate, str) and CERTIFICATE_ARN.match(certificate)):
        errors.append("%s: %r is not an ACM or IAM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)" % (name("certificate_arn"), certificate))
    hop = settings.get("metadata_hop_limit")
    if "metadata_hop_limit" in settings and hop not in (1, 2):
        errors.append("%s: %r; use 1 (host only) or 2 (only when a container must reach the instance metadata)" % (name("metadata_hop_limit"), hop))
    for option in ("port", "listener_port", "https_port"):
        if settings.get(option) is not None:
            errors += validate_port(settings[option], name(option))
    auth = settings.get("registry_auth")
    if auth is not None and auth not in REGISTRY_AUTH:
        errors.append("%s: %r; use one of %s" % (name("registry_auth"), auth, ", ".join(REGISTRY_AUTH)))
    secret = settings.get("registry_secret_arn")
    if auth == "secret" and not (isinstance(secret, str) and SECRET_ARN.match(secret)):
        errors.append("%s: %r is not a Secrets Manager secret ARN; registry_auth=secret needs one" % (name("registry_secret_arn"), secret))
    bucket = settings.get("codedeploy_bucket")
    if bucket and not (isinstance(bucket, str) and S3_BUCKET.match(bucket) and ".." not in bucket):
        errors.append("%s: %r is not an S3 bucket name (the pipeline tier's artifact bucket)" % (name("codedeploy_bucket"), bucket))
    for key in settings.get("environment") or {}:
        if not ENV_NAME.match(str(key)):
            errors.append("%s: %r is not an environment variable name" % (name("environment"), key))
    layer = settings.get("subnet_layer")
    if layer is not None and layer not in SUBNET_LAYERS:
        errors.append("%s: %r; use app (private, behind the ALB) or public (the seed's placement)" % (name("subnet_layer"), layer))
    for option, low, high in (
        ("healthy_threshold", 2, 10),
        ("unhealthy_threshold", 2, 10),
        ("health_check_interval", 5, 300),
        ("health_check_timeout", 2, 120),
        ("deregistration_delay", 0, 3600),
        ("health_check_grace_period", 0, 7200),
        ("root_volume_size", 8, 16384),
        ("cpu_target", 1, 100),
        ("requests_per_target", 0, 1000000),
        ("refresh_min_healthy_percentage", 0, 100),
    ):
        value = settings.get(option)
        if value is not None and (not _is_int(value) or not low <= value <= high):
            errors.append("%s: %r is outside %d-%d" % (name(option), value, low, high))
    errors += _validate_warm_pool(settings, name)
    timeout, interval = settings.get("health_check_timeout"), settings.get("health_check_interval")
    if _is_int(timeout) and _is_int(interval) and timeout >= interval:
        errors.append("%s: %d must be shorter than %s %d" % (name("health_check_timeout"), timeout, name("health_check_interval"), interval))
    return errors


def _validate_warm_pool(settings, name):
    pool = settings.get("warm_pool")
    if not pool or (isinstance(pool, dict) and all(value is None for value in pool.values())):
        return []
    if not isinstance(pool, dict):
        return ["%s: %r is not a mapping (min_size, max_prepared_capacity, pool_state, reuse_on_scale_in)" % (name("warm_pool"), pool)]
    errors = []
    unknown = sorted(set(pool) - set(("min_size", "max_prepared_capacity", "pool_state", "reuse_on_scale_in")))
    if unknown:
        errors.append("%s: unknown keys %s; use min_size, max_prepared_capacity, pool_state, reuse_on_scale_in" % (name("warm_pool"), ", ".join(unknown)))
    low, high = pool.get("min_size") or 0, pool.get("max_prepared_capacity")
    if not _is_int(low) or low < 0:
        errors.append("%s.min_size: %r is not a whole number of instances (0 or more)" % (name("warm_pool"), low))
    if high is not None and (not _is_int(high) or high < -1):
        errors.append("%s.max_prepared_capacity: %r; give a number of instances, or -1 for the group's max_size" % (name("warm_pool"), high))
    elif _is_int(high) and high >= 0 and _is_int(low) and low > high:
        errors.append("%s.min_size: %d is above max_prepared_capacity %d" % (name("warm_pool"), low, high))
    if (pool.get("pool_state") or "Stopped") not in WARM_POOL_STATES:
        errors.append("%s.pool_state: %r; use one of %s" % (name("warm_pool"), pool.get("pool_state"), ", ".join(WARM_POOL_STATES)))
    if settings.get("spot_share"):
        errors.append("%s: a warm pool cannot serve a group with spot instances (%s > 0); AWS refuses the pair" % (name("warm_pool"), name("spot_share")))
    return errors


# Options of the compute role that belong to one tier, and those shared by both.
TIER_OPTIONS = ("image", "instance_type", "min_size", "desired_capacity", "max_size", "health_path", "port", "environment", "warm_pool")
SHARED_OPTIONS = (
    "spot_share",
    "spot_instance_types",
    "certificate_arn",
    "metadata_hop_limit",
    "registry_auth",
    "registry_secret_arn",
    "codedeploy_bucket",
    "healthy_threshold",
    "unhealthy_threshold",
    "health_check_interval",
    "health_check_timeout",
    "deregistration_delay",
    "health_check_grace_period",
    "root_volume_size",
    "cpu_target",
    "requests_per_target",
    "refresh_min_healthy_percentage",
    "listener_port",
    "https_port",
)


NUMERIC = re.compile(r"^-?[0-9]+$")
NUMERIC_OPTIONS = ("size", "capacity", "port", "threshold", "interval", "timeout", "delay", "period", "share", "target", "percentage", "hop_limit")


def _as_numbers(settings):
    """Whole numbers given as strings (``-e compute_backend_min_size=3``) count as numbers, as the role's argument spec says."""
    return dict(
        (key, int(value) if isinstance(value, str) and NUMERIC.match(value) and key.endswith(NUMERIC_OPTIONS) else value) for key, value in settings.items()
    )


def validate_compute(settings, prefix=""):
    """Check the compute role's settings (flat, ``<tier>_<option>`` per tier); returns the problems found."""
    settings = _as_numbers(settings)
    errors = validate_stack_name(settings.get("stack"), prefix + "stack") if "stack" in settings else []
    errors += validate_tags(settings.get("tags"), prefix + "tags")
    shared = dict((option, settings[option]) for option in SHARED_OPTIONS if option in settings)
    errors += validate_tier(shared, lambda option: prefix + option)
    if "frontend_subnet_layer" in settings:
        errors += validate_tier({"subnet_layer": settings["frontend_subnet_layer"]}, lambda option: prefix + "frontend_" + option)
    if "internal_alb_port" in settings:
        errors += validate_port(settings["internal_alb_port"], prefix + "internal_alb_port")
    for tier in APP_TIERS:
        own = dict((option, settings[tier + "_" + option]) for option in TIER_OPTIONS if tier + "_" + option in settings)
        errors += validate_tier(own, lambda option, tier=tier: "%s%s_%s" % (prefix, tier, option))
    for tier in APP_TIERS:
        pool, spot = settings.get(tier + "_warm_pool"), settings.get("spot_share")
        if isinstance(pool, dict) and any(value is not None for value in pool.values()) and _is_int(spot) and spot > 0:
            refused = "a warm pool cannot serve a group with spot instances (%sspot_share > 0); AWS refuses the pair" % prefix
            errors.append("%s%s_warm_pool: %s" % (prefix, tier, refused))
    ports = [settings.get(tier + "_port") for tier in APP_TIERS]
    if None not in ports and ports[0] == ports[1]:
        errors.append("%sbackend_port: equals %sfrontend_port; give each tier its own" % (prefix, prefix))
    return errors


# ---------------------------------------------------------------- user data


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
        ecr = ECR_HOST.match(host)
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
    host, _path, _tag = image_parts(spec["image"])
    auth = registry_auth_for(spec["image"], spec.get("registry_auth", "auto"))
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


def env_file(spec):
    environment = dict(spec.get("environment") or {})
    environment.setdefault("PORT", str(spec["port"]))
    return "".join("%s=%s\n" % (key, str(value).replace("\n", " ")) for key, value in sorted(environment.items()))


def _literal(text, indent, parent):
    """A YAML literal block of ``text`` (ending with one newline), ``indent`` spaces in, under a key ``parent`` spaces in."""
    pad = " " * indent
    return "|%d\n" % (indent - parent) + "".join((pad + line if line else "") + "\n" for line in text[:-1].split("\n"))


def render_user_data(spec):
    """cloud-init user data (``#cloud-config``) for one tier, readable in the console and deterministic.

    ``spec``: stack, tier, region, image, port, health_path, log_group, registry_auth,
    registry_secret_arn, registry_username, environment, codedeploy_bucket (adds the CodeDeploy agent).
    Same spec, same bytes.
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
    if spec.get("codedeploy_bucket"):
        # the pipeline tier deploys new images in place through CodeDeploy: its agent, from the region's own bucket
        packages.append("ruby")
        installer = "https://aws-codedeploy-%s.s3.%s.amazonaws.com/latest/install" % (spec["region"], spec["region"])
        commands.append(
            ["bash", "-c", "curl -fsSL -o /tmp/codedeploy-install %s && chmod +x /tmp/codedeploy-install && /tmp/codedeploy-install auto" % installer]
        )
    lines = [
        "#cloud-config",
        "# hatrading %s %s: Docker, the CloudWatch agent, the tier's container" % (spec["stack"], spec["tier"]),
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
    auth = registry_auth_for(spec["image"], spec.get("registry_auth", "auto"))
    if auth == "ecr":
        host, path, _tag = image_parts(spec["image"])
        ecr = ECR_HOST.match(host)
        repository = "arn:aws:ecr:%s:%s:repository/%s" % (ecr.group("region"), ecr.group("account"), path) if ecr else "*"
        statements.append({"Sid": "RegistryToken", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"})
        pull = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        statements.append({"Sid": "RegistryPull", "Effect": "Allow", "Action": pull, "Resource": repository})
    elif auth == "secret":
        secret = spec["registry_secret_arn"]
        statements.append({"Sid": "RegistryCredentials", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": secret})
    return {"Version": "2012-10-17", "Statement": statements}


def canonical_json(document):
    """Policy documents compare by content, not by key order or URL encoding."""
    if isinstance(document, str):
        text = document if document.lstrip().startswith("{") else unquote(document)
        document = json.loads(text)
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------- launch template


def launch_template_data(spec, ids):
    """The LaunchTemplateData for one tier; ``ids`` gives the security_group ID and the instance_profile name."""
    data = {
        "ImageId": spec.get("image_id") or DEFAULT_AMI,
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


# ---------------------------------------------------------------- load balancer, target group, listeners


def desired_target_group(spec, vpc_id):
    return {
        "protocol": "HTTP",
        "port": int(spec["port"]),
        "vpc_id": vpc_id,
        "health_path": spec["health_path"],
        "health_interval": int(spec.get("health_check_interval") or 10),
        "health_timeout": int(spec.get("health_check_timeout") or 5),
        "healthy_threshold": int(spec.get("healthy_threshold") or 3),
        "unhealthy_threshold": int(spec.get("unhealthy_threshold") or 2),
        "matcher": spec.get("health_matcher") or "200",
        "deregistration_delay": int(spec["deregistration_delay"] if spec.get("deregistration_delay") is not None else 30),
        "tags": spec["tags"],
    }


def actual_target_group(group, attributes, tags):
    if not group:
        return None
    attrs = dict((a["Key"], a["Value"]) for a in attributes or [])
    return {
        "protocol": group.get("Protocol"),
        "port": group.get("Port"),
        "vpc_id": group.get("VpcId"),
        "health_path": group.get("HealthCheckPath"),
        "health_interval": group.get("HealthCheckIntervalSeconds"),
        "health_timeout": group.get("HealthCheckTimeoutSeconds"),
        "healthy_threshold": group.get("HealthyThresholdCount"),
        "unhealthy_threshold": group.get("UnhealthyThresholdCount"),
        "matcher": (group.get("Matcher") or {}).get("HttpCode"),
        "deregistration_delay": int(attrs["deregistration_delay.timeout_seconds"]) if "deregistration_delay.timeout_seconds" in attrs else None,
        "tags": tags,
        "arn": group["TargetGroupArn"],
        "load_balancers": group.get("LoadBalancerArns") or [],
    }


def desired_load_balancer(spec, subnet_ids, security_group_id):
    return {
        "scheme": "internet-facing" if spec["tier"] == "frontend" else "internal",
        "subnets": sorted(subnet_ids),
        "security_groups": [security_group_id],
        "drop_invalid_header_fields": "true",
        "idle_timeout": str(int(spec.get("idle_timeout") or 60)),
        "tags": spec["tags"],
    }


def actual_load_balancer(lb, attributes, tags):
    if not lb:
        return None
    attrs = dict((a["Key"], a["Value"]) for a in attributes or [])
    return {
        "scheme": lb.get("Scheme"),
        "subnets": sorted(z["SubnetId"] for z in lb.get("AvailabilityZones") or []),
        "security_groups": sorted(lb.get("SecurityGroups") or []),
        "drop_invalid_header_fields": attrs.get("routing.http.drop_invalid_header_fields.enabled"),
        "idle_timeout": attrs.get("idle_timeout.timeout_seconds"),
        "tags": tags,
        "arn": lb["LoadBalancerArn"],
        "dns_name": lb.get("DNSName"),
        "vpc_id": lb.get("VpcId"),
    }


def desired_listeners(spec, target_group_name):
    """{port: listener}: HTTP forwarding; with a certificate, HTTPS forwarding and HTTP redirected to it."""
    forward = ["forward", target_group_name]
    http_port = int(spec["listener_port"])
    if spec.get("certificate_arn"):
        https_port = int(spec.get("https_port") or 443)
        return {
            http_port: {"protocol": "HTTP", "certificate": None, "ssl_policy": None, "action": ["redirect", "HTTPS", str(https_port)]},
            https_port: {
                "protocol": "HTTPS",
                "certificate": spec["certificate_arn"],
                "ssl_policy": spec.get("ssl_policy") or DEFAULT_SSL_POLICY,
                "action": forward,
            },
        }
    return {http_port: {"protocol": "HTTP", "certificate": None, "ssl_policy": None, "action": forward}}


def _action(action, group_names):
    if action.get("Type") == "forward":
        arn = action.get("TargetGroupArn") or next(iter((action.get("ForwardConfig") or {}).get("TargetGroups") or [{}])).get("TargetGroupArn")
        return ["forward", group_names.get(arn, arn)]
    if action.get("Type") == "redirect":
        config = action.get("RedirectConfig") or {}
        return ["redirect", config.get("Protocol"), str(config.get("Port"))]
    return [action.get("Type")]


def actual_listeners(listeners, group_names):
    have = {}
    for listener in listeners or []:
        actions = sorted(listener.get("DefaultActions") or [], key=lambda a: a.get("Order", 0))
        certificates = [c["CertificateArn"] for c in listener.get("Certificates") or [] if c.get("CertificateArn")]
        https = listener.get("Protocol") == "HTTPS"
        have[listener["Port"]] = {
            "protocol": listener.get("Protocol"),
            "certificate": certificates[0] if certificates else None,
            "ssl_policy": listener.get("SslPolicy") if https else None,
            "action": _action(actions[0], group_names) if actions else [],
            "arn": listener["ListenerArn"],
        }
    return have


LB_FIELDS = ("subnets", "security_groups", "drop_invalid_header_fields", "idle_timeout")
TG_FIELDS = ("health_path", "health_interval", "health_timeout", "healthy_threshold", "unhealthy_threshold", "matcher", "deregistration_delay")
LISTENER_FIELDS = ("protocol", "certificate", "ssl_policy", "action")


def _fixed(kind, name, want, have, fields):
    for field in fields:
        if want.get(field) != have.get(field):
            raise ComputePlanError(
                "%s %s has %s %s but %s is wanted; it cannot change in place. Delete it (compute_state=absent) and run again"
                % (kind, name, field, have.get(field), want.get(field))
            )


def _update(kind, name, want, have, fields):
    changed = [f for f in fields if want.get(f) != have.get(f)]
    if missing_tags(want.get("tags") or {}, have.get("tags") or {}):
        changed.append("tags")
    if not changed:
        return []
    before = dict((f, have.get(f)) for f in changed)
    after = dict((f, want.get(f)) for f in changed)
    return [Change(UPDATE, kind, name, before=before, after=after, fields=changed, ref=have)]


def plan_load_balancer(n, want_lb, have_lb, want_tg, have_tg, want_listeners, have_listeners):
    """Target group first (listeners forward to it), then the ALB, then its listeners. Targets are never touched."""
    changes = []
    tg_name, lb_name = n["target_group"], n["load_balancer"]
    if have_tg is None:
        changes.append(Change(CREATE, "target_group", tg_name, after=want_tg))
    else:
        _fixed("target_group", tg_name, want_tg, have_tg, ("protocol", "port", "vpc_id"))
        changes += _update("target_group", tg_name, want_tg, have_tg, TG_FIELDS)
    if have_lb is None:
        changes.append(Change(CREATE, "load_balancer", lb_name, after=want_lb))
        have_listeners = {}
    else:
        _fixed("load_balancer", lb_name, want_lb, have_lb, ("scheme",))
        changes += _update("load_balancer", lb_name, want_lb, have_lb, LB_FIELDS)
    for port, want in sorted(want_listeners.items()):
        have = have_listeners.get(port)
        label = "%s:%d" % (lb_name, port)
        if have is None:
            changes.append(Change(CREATE, "listener", label, after=dict(want, port=port)))
        else:
            fields = [f for f in LISTENER_FIELDS if want.get(f) != have.get(f)]
            if fields:
                changes.append(Change(UPDATE, "listener", label, before=have, after=dict(want, port=port), fields=fields, ref=have))
    for port, have in sorted(have_listeners.items()):
        if port not in want_listeners:
            changes.append(Change(DELETE, "listener", "%s:%d" % (lb_name, port), before=have, ref=have))
    return changes


def plan_load_balancer_teardown(n, have_lb, have_tg):
    changes = []
    if have_lb is not None:
        changes.append(Change(DELETE, "load_balancer", n["load_balancer"], before=have_lb, ref=have_lb))
    if have_tg is not None:
        changes.append(Change(DELETE, "target_group", n["target_group"], before=have_tg, ref=have_tg))
    return changes


def resource_label(load_balancer_arn, target_group_arn):
    """The ALBRequestCountPerTarget label: app/<lb>/<id>/targetgroup/<tg>/<id>."""
    return "%s/%s" % (load_balancer_arn.split(":loadbalancer/", 1)[1], target_group_arn.split(":", 5)[5])


# ---------------------------------------------------------------- Auto Scaling group and policies


def instances_distribution(spot_share, base=1):
    """Mixed instances for cost: ``base`` on-demand instances, then ``spot_share`` percent spot above them."""
    return {
        "OnDemandBaseCapacity": base,
        "OnDemandPercentageAboveBaseCapacity": 100 - int(spot_share),
        "SpotAllocationStrategy": "price-capacity-optimized",
    }


def desired_group(spec, template, subnet_ids, target_group_names):
    """The group as compared; ``template`` is {name, id, version}. Desired capacity counts only at creation."""
    spot = int(spec.get("spot_share") or 0)
    want = {
        "launch_template": template["name"],
        "launch_template_version": str(template["version"]),
        "min_size": int(spec["min_size"]),
        "max_size": int(spec["max_size"]),
        "desired_capacity": int(spec["desired_capacity"]),
        "subnets": sorted(subnet_ids),
        "health_check_type": "ELB",
        "health_check_grace_period": int(spec.get("health_check_grace_period") or 120),
        "target_groups": sorted(target_group_names),
        "instance_types": sorted(set([spec["instance_type"]] + list(spec.get("spot_instance_types") or []))) if spot else None,
        "instances_distribution": instances_distribution(spot) if spot else None,
        # the group metrics each minute: the monitoring tier's dashboard charts GroupInServiceInstances
        "metrics": list(GROUP_METRICS),
        "tags": spec["tags"],
    }
    return want


def actual_group(group, group_names):
    """describe_auto_scaling_groups' record -> the desired shape; ``group_names`` maps target group ARNs to names."""
    if not group:
        return None
    mixed = group.get("MixedInstancesPolicy")
    if mixed:
        spec = mixed["LaunchTemplate"]["LaunchTemplateSpecification"]
        types = sorted(o["InstanceType"] for o in mixed["LaunchTemplate"].get("Overrides") or [] if o.get("InstanceType"))
        dist = mixed.get("InstancesDistribution") or {}
        distribution = dict((k, dist.get(k)) for k in ("OnDemandBaseCapacity", "OnDemandPercentageAboveBaseCapacity", "SpotAllocationStrategy"))
    else:
        spec = group.get("LaunchTemplate") or {}
        types, distribution = None, None
    return {
        "launch_template": spec.get("LaunchTemplateName"),
        "launch_template_version": str(spec.get("Version")),
        "min_size": group["MinSize"],
        "max_size": group["MaxSize"],
        "desired_capacity": group["DesiredCapacity"],
        "subnets": sorted(s for s in (group.get("VPCZoneIdentifier") or "").split(",") if s),
        "health_check_type": group.get("HealthCheckType"),
        "health_check_grace_period": group.get("HealthCheckGracePeriod"),
        "target_groups": sorted(group_names.get(arn, arn) for arn in group.get("TargetGroupARNs") or []),
        "instance_types": types,
        "instances_distribution": distribution,
        "tags": dict((t["Key"], t.get("Value", "")) for t in group.get("Tags") or []),
        "instances": len(group.get("Instances") or []),
        "status": group.get("Status"),
        # ours among the enabled ones: metrics someone else enabled are left alone
        "metrics": sorted(set(m["Metric"] for m in group.get("EnabledMetrics") or []) & set(GROUP_METRICS)),
    }


GROUP_FIELDS = (
    "launch_template",
    "launch_template_version",
    "min_size",
    "max_size",
    "subnets",
    "health_check_type",
    "health_check_grace_period",
    "instance_types",
    "instances_distribution",
    "metrics",
)


def plan_group(name, want, have):
    """Create, or update what differs. Desired capacity belongs to the scaling policies once the group runs:
    it is changed only when it falls outside the new min..max. Target groups are only ever attached."""
    if have is None:
        return [Change(CREATE, "auto_scaling_group", name, after=want)]
    fields = [f for f in GROUP_FIELDS if want.get(f) != have.get(f)]
    if not have["min_size"] <= have["desired_capacity"] <= have["max_size"] or not want["min_size"] <= have["desired_capacity"] <= want["max_size"]:
        fields.append("desired_capacity")
    missing_groups = sorted(set(want["target_groups"]) - set(have["target_groups"]))
    if missing_groups:
        fields.append("target_groups")
    if missing_tags(want["tags"], have["tags"]):
        fields.append("tags")
    if not fields:
        return []
    after = dict((f, want.get(f)) for f in fields)
    if "desired_capacity" in fields:
        after["desired_capacity"] = min(max(have["desired_capacity"], want["min_size"]), want["max_size"])
    if "target_groups" in fields:
        after["target_groups"] = missing_groups
    before = dict((f, have.get(f)) for f in fields)
    return [Change(UPDATE, "auto_scaling_group", name, before=before, after=after, fields=sorted(fields), ref=have)]


def desired_warm_pool(pool):
    """The warm pool as compared; None (no pool) for an empty mapping. ``max_prepared_capacity`` None or -1 means the group's max_size."""
    if not pool or all(value is None for value in pool.values()):
        return None
    high = pool.get("max_prepared_capacity")
    return {
        "min_size": int(pool.get("min_size") or 0),
        "max_prepared_capacity": -1 if high is None else int(high),
        "pool_state": pool.get("pool_state") or "Stopped",
        "reuse_on_scale_in": bool(pool.get("reuse_on_scale_in")),
    }


def actual_warm_pool(group):
    """The warm pool from describe_auto_scaling_groups' record (no extra read), or None."""
    config = (group or {}).get("WarmPoolConfiguration")
    if not config:
        return None
    return {
        "min_size": int(config.get("MinSize") or 0),
        "max_prepared_capacity": -1 if config.get("MaxGroupPreparedCapacity") is None else int(config["MaxGroupPreparedCapacity"]),
        "pool_state": config.get("PoolState") or "Stopped",
        "reuse_on_scale_in": bool((config.get("InstanceReusePolicy") or {}).get("ReuseOnScaleIn")),
    }


def plan_warm_pool(group_name, want, have):
    """Put the pool when it is missing or differs; delete it only when none is wanted and one exists."""
    if want == have:
        return []
    if want is None:
        return [Change(DELETE, "warm_pool", group_name, before=have, ref=group_name)]
    if have is None:
        return [Change(CREATE, "warm_pool", group_name, after=want, ref=group_name)]
    fields = sorted(f for f in want if want[f] != have.get(f))
    return [Change(UPDATE, "warm_pool", group_name, before=have, after=want, fields=fields, ref=group_name)]


def desired_policies(spec, n, label):
    """Target tracking on CPU, and on ALB requests per target when ``requests_per_target`` is set."""
    warmup = int(spec.get("instance_warmup") or spec.get("health_check_grace_period") or 120)
    want = {n["cpu_policy"]: {"metric": CPU_METRIC, "label": None, "target": float(spec.get("cpu_target") or 50), "warmup": warmup}}
    if spec.get("requests_per_target"):
        want[n["requests_policy"]] = {"metric": REQUESTS_METRIC, "label": label, "target": float(spec["requests_per_target"]), "warmup": warmup}
    return want


def actual_policies(policies):
    have = {}
    for policy in policies or []:
        config = policy.get("TargetTrackingConfiguration") or {}
        metric = config.get("PredefinedMetricSpecification") or {}
        have[policy["PolicyName"]] = {
            "metric": metric.get("PredefinedMetricType"),
            "label": metric.get("ResourceLabel"),
            "target": float(config["TargetValue"]) if "TargetValue" in config else None,
            "warmup": policy.get("EstimatedInstanceWarmup"),
        }
    return have


def plan_policies(group_name, want, have, prefix):
    """Put the wanted policies that differ; delete only policies of ours (named ``prefix``...) no longer wanted."""
    changes = []
    for name, spec in want.items():
        if have.get(name) != spec:
            action = CREATE if name not in have else UPDATE
            fields = None if action == CREATE else [f for f in spec if spec[f] != have[name].get(f)]
            changes.append(Change(action, "scaling_policy", name, before=have.get(name), after=spec, fields=fields, ref=group_name))
    for name in sorted(have):
        if name not in want and name.startswith(prefix):
            changes.append(Change(DELETE, "scaling_policy", name, before=have[name], ref=group_name))
    return changes


def refresh_preferences(spec):
    """How a new template version reaches running instances: rolling, keeping capacity, skipping matching ones."""
    return {
        "MinHealthyPercentage": int(spec.get("refresh_min_healthy_percentage") if spec.get("refresh_min_healthy_percentage") is not None else 90),
        "InstanceWarmup": int(spec.get("instance_warmup") or spec.get("health_check_grace_period") or 120),
        "SkipMatching": True,
        "AutoRollback": False,
    }
