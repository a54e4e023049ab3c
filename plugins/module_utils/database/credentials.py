# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database's master credentials in Secrets Manager: hatrading.aws.database_credentials.

A second file in the database package because it is a second module, run before the database
(whose creation reads the password from this secret), with one resource of its own. It is
small, so its parts stay in one file: the pure part (checks, password, plan), then
``reconcile``, which writes only through ``clients.secretsmanager``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import uuid
import secrets as random_source
import string

from ansible_collections.hatrading.aws.plugins.module_utils.core import names
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.database.model import TIER


def validate_params(params):
    errors = validate_stack_name(params["stack"]) + validate_tags(params["tags"], "tags")
    if not 16 <= params["password_length"] <= 128:
        errors.append("password_length: %d is out of range; use 16 to 128" % params["password_length"])
    if not 7 <= params["recovery_window_days"] <= 30:
        errors.append("recovery_window_days: %d is out of range; use 7 to 30" % params["recovery_window_days"])
    return errors


# RDS master passwords: printable ASCII except / @ " and space.
PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!#$%^&*()-_=+[]{}<>:.,?~"


def generate_password(length):
    """A password with at least one lower, upper, digit and symbol, from the secure random source."""
    while True:
        password = "".join(random_source.choice(PASSWORD_ALPHABET) for dummy in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
            and any(not c.isalnum() for c in password)
        ):
            return password


def plan_secret(name, want_tags, found, present):
    """The change for the secret (create, restore/tag, delete) from its describe answer."""
    if present:
        if found is None:
            return Plan([Change(CREATE, "secret", name, after={"tags": want_tags})])
        have_tags = tag_dict(found.get("Tags"))
        fields = (["restore"] if found.get("DeletedDate") else []) + (["tags"] if missing_tags(want_tags, have_tags) else [])
        if fields:
            return Plan([Change(UPDATE, "secret", name, before={"tags": have_tags}, after={"tags": want_tags}, fields=fields, ref=found)])
        return Plan()
    if found is not None and not found.get("DeletedDate"):
        return Plan([Change(DELETE, "secret", name, before={"tags": tag_dict(found.get("Tags"))}, ref=found)])
    return Plan()


def reconcile(clients, params, run, outcome):
    """Read the secret's metadata (never its value), plan, and create, restore, tag or delete it."""
    stack, present = params["stack"], params["state"] == "present"
    name = params["secret_name"] or names.database(stack)["secret"]
    want_tags = stack_tags(stack, TIER, name, params["tags"])
    found = clients.secretsmanager.describe_secret(SecretId=name, missing=None)
    plan = outcome.plan = plan_secret(name, want_tags, found, present)
    arn = found.get("ARN") if found else None
    if plan.changed and not run.check_mode:
        change = plan.changes[0]
        created = _apply(clients.secretsmanager, change, params, want_tags, outcome.mask)
        arn = None if change.action == DELETE else created or arn
    outcome.result["secret"] = {"arn": arn, "name": name} if arn and present else {}


def _apply(secretsmanager, change, params, want_tags, mask):
    """Carry out the one change; the new secret's ARN when it creates one."""
    if change.action == CREATE:
        password = generate_password(params["password_length"])
        mask(password)
        value = json.dumps(
            {"engine": params["engine"], "username": params["username"], "password": password, "dbname": params["database_name"], "port": params["port"]}
        )
        create = dict(Name=change.name, Description="Master credentials of the %s database" % params["stack"], SecretString=value, Tags=tag_list(want_tags))
        create["ClientRequestToken"] = str(uuid.uuid4())  # the same on every retry: a lost answer creates no second version
        if params["kms_key_id"]:
            create["KmsKeyId"] = params["kms_key_id"]
        return secretsmanager.create_secret(**create)["ARN"]
    if change.action == UPDATE:
        if "restore" in change.fields:
            secretsmanager.restore_secret(SecretId=change.name)
        missing = missing_tags(want_tags, change.before["tags"])
        if missing:
            secretsmanager.tag_resource(SecretId=change.name, Tags=tag_list(missing))
        return None
    secretsmanager.delete_secret(SecretId=change.name, RecoveryWindowInDays=params["recovery_window_days"])
    return None
