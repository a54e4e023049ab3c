# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the three steps of the compute tier share, as plain data: settings, their checks, tags.

No AWS call and no Ansible here. Each step's own model (desired state, actual state, plan) is in
its file (balancer.py, template.py, group.py); this module checks the settings of all three:
:func:`validate_tier` for one tier's options, :func:`validate_compute` for the role's flat
variables, :func:`validate_params` / :func:`step_params` for the modules' options.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import CERTIFICATE_ARN
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import SECRET_ARN
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_arn
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_bucket_name
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_port
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError
from ansible_collections.hatrading.aws.plugins.module_utils.core.nosql_access import validate_ttl_attribute
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import APP_TIERS
from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags

TIER = "compute"
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
# family+generation[+attributes].size: t3.micro, m7g.large, c6in.2xlarge, u-6tb1.metal, mac2-m2.metal
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|metal|[0-9]*xlarge|metal-[0-9]+xl)$")
IMAGE_REF = re.compile(r"^(?P<repo>[a-z0-9][a-z0-9._/:-]*?)(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(@sha256:[0-9a-f]{64})?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
REGISTRY_AUTH = ("auto", "ecr", "secret", "none")
SUBNET_LAYERS = ("app", "public")
WARM_POOL_STATES = ("Stopped", "Running", "Hibernated")
# the options every compute module takes, set once for a whole stack_compute run
COMMON_SPEC = TIER_SPEC


class ComputeError(TierError):
    """A step of the compute tier cannot go on; the message is for the user."""


class ComputePlanError(ComputeError):
    """The wanted resource cannot be reached from the one that exists without losing something."""


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
    errors = _validate_image_and_types(settings, name) + _validate_sizes(settings, name)
    path = settings.get("health_path")
    if "health_path" in settings and not (isinstance(path, str) and path.startswith("/") and " " not in path and len(path) <= 1024):
        errors.append("%s: %r must be a URL path starting with a slash (for example /health)" % (name("health_path"), path))
    spot = settings.get("spot_share")
    if "spot_share" in settings and spot is not None and (not _is_int(spot) or not 0 <= spot <= 100):
        errors.append("%s: %r is outside 0-100; give the percentage of instances above the base capacity that run on spot" % (name("spot_share"), spot))
    if settings.get("certificate_arn"):
        what = "an ACM or IAM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"
        errors += validate_arn(settings["certificate_arn"], CERTIFICATE_ARN, name("certificate_arn"), what)
    hop = settings.get("metadata_hop_limit")
    if "metadata_hop_limit" in settings and hop not in (1, 2):
        errors.append("%s: %r; use 1 (host only) or 2 (only when a container must reach the instance metadata)" % (name("metadata_hop_limit"), hop))
    for option in ("port", "listener_port", "https_port"):
        if settings.get(option) is not None:
            errors += validate_port(settings[option], name(option))
    errors += _validate_registry(settings, name)
    if settings.get("codedeploy_bucket"):
        errors += validate_bucket_name(settings["codedeploy_bucket"], name("codedeploy_bucket"), dots=True)
    for key in settings.get("environment") or {}:
        if not ENV_NAME.match(str(key)):
            errors.append("%s: %r is not an environment variable name" % (name("environment"), key))
    agent_image = settings.get("prometheus_agent_image")
    if agent_image:
        parts = image_parts(agent_image) if isinstance(agent_image, str) else None
        if parts is None or not parts[2]:
            errors.append(
                "%s: %r is not an image reference with a tag (for example %s)" % (name("prometheus_agent_image"), agent_image, PROMETHEUS_AGENT_IMAGE)
            )
    errors += validate_ttl_attribute(settings.get("nosql_session_ttl_attribute"), name("nosql_session_ttl_attribute"))
    layer = settings.get("subnet_layer")
    if layer is not None and layer not in SUBNET_LAYERS:
        errors.append("%s: %r; use app (private, behind the ALB) or public (the seed's placement)" % (name("subnet_layer"), layer))
    errors += _validate_ranges(settings, name) + _validate_warm_pool(settings, name)
    timeout, interval = settings.get("health_check_timeout"), settings.get("health_check_interval")
    if _is_int(timeout) and _is_int(interval) and timeout >= interval:
        errors.append("%s: %d must be shorter than %s %d" % (name("health_check_timeout"), timeout, name("health_check_interval"), interval))
    return errors


def _validate_image_and_types(settings, name):
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
    for value in settings.get("spot_instance_types") or []:
        if not (isinstance(value, str) and INSTANCE_TYPE.match(value)):
            errors.append("%s: %r is not an instance type of the form family+generation.size" % (name("spot_instance_types"), value))
    return errors


def _validate_sizes(settings, name):
    options = ("min_size", "desired_capacity", "max_size")
    if not any(option in settings for option in options):
        return []
    sizes = [settings.get(option) for option in options]
    bad = [option for option, value in zip(options, sizes) if value is not None and (not _is_int(value) or value < 0)]
    errors = ["%s: %r is not a whole number of instances (0 or more)" % (name(option), settings.get(option)) for option in bad]
    if bad:
        return errors
    low, want, high = sizes
    if low is not None and high is not None and low > high:
        errors.append("%s: %d is above %s %d; the group could never satisfy both" % (name("min_size"), low, name("max_size"), high))
    if want is not None and low is not None and want < low:
        errors.append("%s: %d is below %s %d; use a value between min and max" % (name("desired_capacity"), want, name("min_size"), low))
    if want is not None and high is not None and want > high:
        errors.append("%s: %d is above %s %d; use a value between min and max" % (name("desired_capacity"), want, name("max_size"), high))
    return errors


def _validate_registry(settings, name):
    auth = settings.get("registry_auth")
    if auth is not None and auth not in REGISTRY_AUTH:
        return ["%s: %r; use one of %s" % (name("registry_auth"), auth, ", ".join(REGISTRY_AUTH))]
    if auth == "secret":
        what = "a Secrets Manager secret ARN; registry_auth=secret needs one"
        return validate_arn(settings.get("registry_secret_arn"), SECRET_ARN, name("registry_secret_arn"), what)
    return []


RANGES = (
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
)


def _validate_ranges(settings, name):
    errors = []
    for option, low, high in RANGES:
        value = settings.get(option)
        if value is not None and (not _is_int(value) or not low <= value <= high):
            errors.append("%s: %r is outside %d-%d" % (name(option), value, low, high))
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
TIER_OPTIONS = (
    "image",
    "instance_type",
    "min_size",
    "desired_capacity",
    "max_size",
    "health_path",
    "port",
    "environment",
    "warm_pool",
    "nosql_tables",
    "nosql_session_ttl_attribute",
    "prometheus_agent",
    "prometheus_agent_image",
)
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
    if settings.get("state") == "absent":  # a teardown needs the stack, not images or sizes
        return errors
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


# ---------------------------------------------------------------- the modules' options

# The back-end's Prometheus agent (prometheus_agent): Prometheus's own image, pinned; users may mirror it to ECR.
PROMETHEUS_AGENT_IMAGE = "quay.io/prometheus/prometheus:v2.53.5"
DEFAULT_AMI = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
# Each step's options besides COMMON_SPEC: the one-tier module's argument spec, and what
# stack_compute takes under tiers[].<step>.
BALANCER_OPTIONS = dict(
    tier=dict(type="str", required=True, choices=list(APP_TIERS)),
    port=dict(type="int"),
    health_path=dict(type="str", default="/health"),
    health_matcher=dict(type="str", default="200"),
    health_check_interval=dict(type="int", default=10),
    health_check_timeout=dict(type="int", default=5),
    healthy_threshold=dict(type="int", default=3),
    unhealthy_threshold=dict(type="int", default=2),
    deregistration_delay=dict(type="int", default=30),
    listener_port=dict(type="int", default=80),
    certificate_arn=dict(type="str"),
    https_port=dict(type="int", default=443),
    ssl_policy=dict(type="str", default=DEFAULT_SSL_POLICY),
    idle_timeout=dict(type="int", default=60),
    wait_timeout=dict(type="int", default=600),
)
TEMPLATE_OPTIONS = dict(
    tier=dict(type="str", required=True, choices=list(APP_TIERS)),
    image=dict(type="str"),
    port=dict(type="int"),
    health_path=dict(type="str", default="/health"),
    instance_type=dict(type="str", default="t3.micro"),
    image_id=dict(type="str", default=DEFAULT_AMI),
    metadata_hop_limit=dict(type="int", choices=[1, 2], default=1),
    root_volume_size=dict(type="int", default=20),
    public_ip=dict(type="bool", default=False),
    registry_auth=dict(type="str", choices=list(REGISTRY_AUTH), default="auto"),
    registry_username=dict(type="str"),
    registry_secret_arn=dict(type="str", no_log=False),  # an ARN, not the secret
    environment=dict(type="dict", default={}),
    key_name=dict(type="str", no_log=False),
    codedeploy_bucket=dict(type="str"),
    nosql_tables=dict(type="bool", default=False),
    nosql_session_ttl_attribute=dict(type="str", default="expires_at"),
    prometheus_agent=dict(type="bool", default=False),
    prometheus_agent_image=dict(type="str", default=PROMETHEUS_AGENT_IMAGE),
)
GROUP_OPTIONS = dict(
    tier=dict(type="str", required=True, choices=list(APP_TIERS)),
    min_size=dict(type="int"),
    max_size=dict(type="int"),
    desired_capacity=dict(type="int"),
    subnet_layer=dict(type="str", choices=list(SUBNET_LAYERS), default="app"),
    health_check_grace_period=dict(type="int", default=120),
    instance_warmup=dict(type="int"),
    cpu_target=dict(type="int", default=50),
    requests_per_target=dict(type="int", default=1000),
    spot_share=dict(type="int", default=0),
    spot_instance_types=dict(type="list", elements="str", default=[]),
    instance_type=dict(type="str", default="t3.micro"),
    instance_refresh=dict(type="bool", default=True),
    refresh_min_healthy_percentage=dict(type="int", default=90),
    warm_pool=dict(
        type="dict",
        # no defaults here: an empty mapping means no warm pool (group.desired_warm_pool fills them in)
        options=dict(
            min_size=dict(type="int"),
            max_prepared_capacity=dict(type="int"),
            pool_state=dict(type="str", choices=list(WARM_POOL_STATES)),
            reuse_on_scale_in=dict(type="bool"),
        ),
    ),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=600),
)
# tiers[].<step> -> (options, required_if, what the step reconciles); the order is a deploy's
STEPS = {
    "load_balancer": (BALANCER_OPTIONS, [("state", "present", ["port"])], "load balancer"),
    "launch_template": (TEMPLATE_OPTIONS, [("state", "present", ["image", "port"])], "launch template"),
    "auto_scaling_group": (GROUP_OPTIONS, [("state", "present", ["min_size", "max_size", "desired_capacity"])], "Auto Scaling group"),
}
TEARDOWN_ORDER = ("auto_scaling_group", "load_balancer", "launch_template")


def argument_spec(step):
    """The argument spec of the one-tier module of ``step``."""
    return dict(COMMON_SPEC, **STEPS[step][0])


def required_if(step):
    return STEPS[step][1]


def step_settings(step, params):
    """A step's own options from its (checked) parameters: every option of its spec but ``tier``."""
    return dict((key, params.get(key)) for key in STEPS[step][0] if key != "tier")


def validate_step(step, params):
    """Errors in the settings of one tier's step (no AWS call); options named as the module names them."""
    if params["state"] != "present":
        return []
    return validate_tier(step_settings(step, params), lambda option: option)


def _one_tier(step):
    def validate_params(params):
        return validate_stack_name(params["stack"]) + validate_tags(params["tags"], "tags") + validate_step(step, params)

    return validate_params


# validate_params of the one-tier modules compute_load_balancer, compute_launch_template, compute_autoscaling
validate_balancer_params = _one_tier("load_balancer")
validate_template_params = _one_tier("launch_template")
validate_group_params = _one_tier("auto_scaling_group")


def validate_params(params):
    """Errors in stack_compute's options, each naming the option as ``tiers[N].<step>.<option>``."""
    return validate_stack_name(params["stack"]) + validate_tags(params["tags"], "tags") + step_params(params)[1]


def step_params(params):
    """Each tier's options of each step, checked as the one-tier module checks them; returns ({(tier, step): params}, errors).

    Errors name the option as the user wrote it: ``tiers[1].auto_scaling_group.min_size: ...``.
    """
    steps, errors = {}, []
    tiers = [entry["tier"] for entry in params["tiers"]]
    for tier in sorted(set(t for t in tiers if tiers.count(t) > 1)):
        errors.append("tiers: %s is listed more than once" % tier)
    for index, entry in enumerate(params["tiers"]):
        for step in STEPS:
            where = "tiers[%d].%s" % (index, step)
            checked, found = _check_step(step, where, entry, params)
            errors += found
            if checked is not None:
                steps[(entry["tier"], step)] = checked
        for name, source in sorted((entry.get("load_balancer_urls") or {}).items()):
            if not ENV_NAME.match(str(name)):
                errors.append("tiers[%d].load_balancer_urls: %r is not an environment variable name" % (index, name))
            if source not in tiers:
                errors.append("tiers[%d].load_balancer_urls.%s: tier %r is not in tiers" % (index, name, source))
    return steps, errors


def _check_step(step, where, entry, params):
    """(the step's parameters with defaults, or None; errors) of one tiers[] entry."""
    options = STEPS[step][0]
    given = entry.get(step) or {}
    reserved = sorted(set(given) & set(list(COMMON_SPEC) + ["tier"]))
    if reserved:
        return None, ["%s: %s are set once for the whole run, not per tier" % (where, ", ".join(reserved))]
    unknown = sorted(set(given) - set(options))
    if unknown:
        known = ", ".join(sorted(set(options) - set(["tier"])))
        return None, ["%s: unknown option %s; use %s" % (where, ", ".join(unknown), known)]
    validator = ArgumentSpecValidator(argument_spec(step), required_if=required_if(step))
    checked = validator.validate(dict(given, stack=params["stack"], state=params["state"], tags=params["tags"], tier=entry["tier"]))
    if checked.error_messages:
        return None, ["%s: %s" % (where, message) for message in checked.error_messages]
    found = validate_step(step, checked.validated_parameters)
    return checked.validated_parameters, ["%s.%s" % (where, message) for message in found]
