# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The value checks every tier shares: one rule each for stack names, tags, ports, CIDRs, buckets, ARNs.

Each ``validate_*`` returns a list of messages naming the variable (``name``) and the fix; an
empty list means the value is sound. Plain functions: no AWS call, no Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

try:
    from botocore.session import get_session
except ImportError:
    get_session = None  # no botocore: the region's form is still checked

from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import RESERVED_TAG_PREFIXES
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import STACK_NAME_PATTERN

LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
# S3's rule; dots are allowed by S3 but break TLS to the bucket's virtual host (CloudFront, CodeDeploy), so each use says.
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")
KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/[0-9a-f-]{36}|key/mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+)$")
SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$")
ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")
CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:(acm|iam):[a-z0-9-]*:\d{12}:(certificate/[A-Za-z0-9-]+|server-certificate/[\w+=,.@/-]+)$")


def ipv4_network(value):
    """The IPv4 network ``value`` names in CIDR form (host bits zero), or None."""
    try:
        return ipaddress.IPv4Network(value, strict=True)
    except (ValueError, TypeError):
        return None


REGION_FORM = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")


_KNOWN_REGIONS = []  # read once per process: botocore's endpoint data is a large file


def known_regions():
    """Every region of every partition botocore knows (its endpoint data, no call); empty without botocore."""
    if get_session is None:
        return set()
    if not _KNOWN_REGIONS:
        session = get_session()
        _KNOWN_REGIONS.append(set(region for partition in session.get_available_partitions() for region in session.get_available_regions("ec2", partition)))
    return _KNOWN_REGIONS[0]


def validate_region(region, name="region"):
    """A region AWS has: its form first, then botocore's list (a region newer than the installed botocore needs a newer botocore)."""
    if region in (None, ""):
        return []
    if not isinstance(region, str) or not REGION_FORM.match(region):
        return ["%s: %r is not an AWS region name (for example us-east-1 or eu-west-3)" % (name, region)]
    known = known_regions()
    if known and region not in known:
        examples = ", ".join(sorted(known)[:6])
        return ["%s: %s is not an AWS region botocore knows (a new region needs a newer botocore); for example %s" % (name, region, examples)]
    return []


def validate_stack_name(stack, name="stack"):
    if not isinstance(stack, str) or not STACK_NAME_PATTERN.match(stack):
        return ["%s: %r is not a valid stack name; use 3-24 lower-case letters, digits and dashes, starting with a letter" % (name, stack)]
    return []


def validate_tags(tags, name):
    errors = []
    for key, value in (tags or {}).items():
        if str(key).startswith(RESERVED_TAG_PREFIXES):
            errors.append("%s: tag key %r is reserved (hatrading: and aws: tags are set by the collection)" % (name, key))
        if len(str(key)) > 128 or len(str(value)) > 256:
            errors.append("%s: tag %r is too long (keys up to 128 characters, values up to 256)" % (name, key))
    return errors


def validate_port(value, name):
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        return ["%s: %r is not a TCP port; use 1-65535" % (name, value)]
    return []


def validate_cidr(value, name):
    if ipv4_network(value) is None:
        return ["%s: %r is not an IPv4 network in CIDR form" % (name, value)]
    return []


def validate_log_retention(days, name):
    if days is not None and days not in LOG_RETENTION_DAYS:
        return ["%s: %r is not a CloudWatch Logs retention; use one of %s" % (name, days, ", ".join(map(str, LOG_RETENTION_DAYS)))]
    return []


def validate_bucket_name(name, variable, dots=False):
    """S3's naming rule; ``dots=False`` for buckets reached by TLS on their virtual host."""
    allowed = "letters, digits, dots and dashes" if dots else "letters, digits and dashes"
    if not isinstance(name, str) or not BUCKET_NAME.match(name) or (not dots and "." in name) or ".." in name or ipv4_network(name + "/32"):
        return ["%s: %r is not a valid S3 bucket name; use 3-63 lower-case %s, starting and ending with a letter or digit" % (variable, name, allowed)]
    if name.startswith(BUCKET_RESERVED_PREFIXES) or name.endswith(BUCKET_RESERVED_SUFFIXES):
        reserved = ", ".join(BUCKET_RESERVED_PREFIXES + BUCKET_RESERVED_SUFFIXES)
        return ["%s: %r uses a prefix or suffix S3 reserves (%s)" % (variable, name, reserved)]
    return []


def validate_arn(value, pattern, name, what):
    if not isinstance(value, str) or not pattern.match(value):
        return ["%s: %r is not %s" % (name, value, what)]
    return []


def validate_stack_settings(settings, prefix=""):
    """The settings every tier has: its stack name and its tags (``prefix``: the role's variable prefix)."""
    return validate_stack_name(settings.get("stack"), prefix + "stack") + validate_tags(settings.get("tags"), prefix + "tags")


def validate_delete_confirmed(settings, name, what, note=""):
    """A teardown needs ``name`` (the confirm_delete variable) set to the stack's name: the guard against deleting the wrong stack."""
    stack = settings.get("stack")
    if settings.get("confirm_delete") == stack:
        return []
    return ["%s: deleting %s of stack %s needs %s=%s%s" % (name, what, stack, name, stack, " (%s)" % note if note else "")]


def validate_wait_timeout(settings, v):
    """``wait_timeout``: how long a tier waits for AWS, in whole seconds (0: not at all)."""
    timeout = settings.get("wait_timeout", 600)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 0:
        return ["%s: %r is not a number of seconds; use 0 or more" % (v("wait_timeout"), timeout)]
    return []


def validate_stack_bucket(settings, v, derive):
    """The tier's bucket: ``bucket_name`` as given, else ``derive(stack, region)`` (once the stack's name and tags pass); no dots."""
    given = settings.get("bucket_name")
    bucket = given or (derive(settings.get("stack"), settings.get("region")) if not validate_stack_settings(settings) else None)
    if not bucket:
        return []
    return validate_bucket_name(bucket, v("bucket_name") if given else v("bucket_name (derived from the stack and region)"))


class TierChecks:
    """A tier's check of its settings, in the shape every tier shares, so each tier writes only its own checks.

    First the stack's name and tags, then ``common`` (for a build and a teardown alike); a build runs ``build``;
    a teardown (``state: absent``) needs ``confirm_delete`` set to the stack's name (what it deletes: ``deleted``;
    ``kept(v)``: what it keeps unless told) and runs ``teardown``. Each check is ``check(settings, v)`` and
    returns messages; ``v(option)`` is the variable's name as the user wrote it (the role's prefix first).
    ``settings_of(params)``: the module's options as the tier's settings (by default, as they are).
    """

    def __init__(self, deleted, kept=None, build=(), teardown=(), common=(), settings_of=dict):
        self.settings_of = settings_of
        self.deleted, self.kept = deleted, kept
        self.build, self.teardown, self.common = build, teardown, common

    def params(self, params):
        """The module's check, before any AWS call."""
        return self.settings(self.settings_of(params))

    def settings(self, settings, prefix=""):
        """The problems found in the tier's settings, each naming the variable (``prefix``: the role's, e.g. ``nosql_``)."""

        def v(option):
            return prefix + option

        errors = validate_stack_settings(settings, prefix) + _run_checks(self.common, settings, v)
        if settings.get("state", "present") != "absent":
            return errors + _run_checks(self.build, settings, v)
        errors += validate_delete_confirmed(settings, v("confirm_delete"), self.deleted, self.kept(v) if self.kept else "")
        return errors + _run_checks(self.teardown, settings, v)


def _run_checks(checks, settings, v):
    errors = []
    for check in checks:
        errors += check(settings, v)
    return errors
