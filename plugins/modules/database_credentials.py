#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: database_credentials
short_description: Keep the master credentials of a stack's database in a Secrets Manager secret, generated, never shown
version_added: 0.1.0
description:
  - Creates the secret O(secret_name) holding the database's master credentials as JSON (C(engine), C(username),
    C(password), C(dbname), C(port)), with a password generated here from the system's secure random source.
  - The password never appears in the module's arguments or results; the result gives the secret's ARN, which is what
    the back-end is handed. M(hatrading.aws.database_instance) reads the value itself when it creates the database.
  - An existing secret is never overwritten (its password is the database's); only missing tags are added. A secret
    scheduled for deletion is restored.
  - O(state=absent) schedules the secret for deletion after O(recovery_window_days).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  secret_name:
    description: Name of the secret. Defaults to C(<stack>/database/master).
    type: str
  username:
    description: Master user name stored in the secret (set when the secret is created).
    type: str
    default: dbadmin
  database_name:
    description: Database name stored in the secret.
    type: str
    default: trading
  engine:
    description: Engine stored in the secret (C(postgres), C(mysql), C(aurora-postgresql), C(aurora-mysql)).
    type: str
    default: postgres
  port:
    description: Port stored in the secret.
    type: int
    default: 5432
  password_length:
    description: Length of the generated password.
    type: int
    default: 32
  kms_key_id:
    description: KMS key encrypting the secret. Defaults to the account's C(aws/secretsmanager) key.
    type: str
  recovery_window_days:
    description: With O(state=absent), days the secret can still be restored.
    type: int
    default: 7
extends_documentation_fragment:
  - hatrading.aws.stack
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Generate the master credentials of stack "prod"
  hatrading.aws.database_credentials:
    stack: prod
  register: credentials

- name: Hand the back-end the secret's ARN, not the password
  ansible.builtin.set_fact:
    backend_database_secret_arn: "{{ credentials.secret.arn }}"
"""

RETURN = r"""
secret:
  description: The secret (never its value). Empty after O(state=absent) and in check mode before it exists.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the secret.
      type: str
      sample: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/database/master-AbCdEf
    name:
      description: Name of the secret.
      type: str
      sample: prod/database/master
plan:
  description: The changes made, or in check mode the changes that would be made.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "create", "kind": "secret", "name": "prod/database/master"}]
plan_text:
  description: The plan as lines a reviewer reads.
  returned: always
  type: list
  elements: str
  sample: ["+ secret prod/database/master", "Plan: 1 to create, 0 to update, 0 to delete."]
"""

import json
import secrets as random_source
import string

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils import database as model
from ansible_collections.hatrading.aws.plugins.module_utils import secrets
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_tags

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


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", default={}),
        secret_name=dict(type="str", no_log=False),
        username=dict(type="str", default="dbadmin"),
        database_name=dict(type="str", default="trading"),
        engine=dict(type="str", default="postgres"),
        port=dict(type="int", default=5432),
        password_length=dict(type="int", default=32, no_log=False),
        kms_key_id=dict(type="str"),
        recovery_window_days=dict(type="int", default=7),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    stack = params["stack"]
    name = params["secret_name"] or model.names(stack)["secret"]
    errors = validate_stack_name(stack) + validate_tags(params["tags"], "tags")
    if not 16 <= params["password_length"] <= 128:
        errors.append("password_length: %d is out of range; use 16 to 128" % params["password_length"])
    if not 7 <= params["recovery_window_days"] <= 30:
        errors.append("recovery_window_days: %d is out of range; use 7 to 30" % params["recovery_window_days"])
    if errors:
        module.fail_json(msg="Invalid credential settings: " + "; ".join(errors), errors=errors)

    client = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff(retries=8))
    want_tags = stack_tags(stack, model.TIER, name, params["tags"])
    present = params["state"] == "present"
    try:
        found = secrets.describe_secret(client, name)
        plan = plan_secret(name, want_tags, found, present)
        arn = found.get("ARN") if found else None
        if plan.changed and not module.check_mode:
            change = plan.changes[0]
            if change.action == CREATE:
                password = generate_password(params["password_length"])
                module.no_log_values.add(password)
                value = json.dumps(
                    {
                        "engine": params["engine"],
                        "username": params["username"],
                        "password": password,
                        "dbname": params["database_name"],
                        "port": params["port"],
                    }
                )
                create = dict(Name=name, Description="Master credentials of the %s database" % stack, SecretString=value, Tags=tag_list(want_tags))
                if params["kms_key_id"]:
                    create["KmsKeyId"] = params["kms_key_id"]
                arn = client.create_secret(aws_retry=True, **create)["ARN"]
            elif change.action == UPDATE:
                if "restore" in change.fields:
                    client.restore_secret(SecretId=name, aws_retry=True)
                missing = missing_tags(want_tags, change.before["tags"])
                if missing:
                    client.tag_resource(SecretId=name, Tags=tag_list(missing), aws_retry=True)
            else:
                client.delete_secret(SecretId=name, RecoveryWindowInDays=params["recovery_window_days"], aws_retry=True)
                arn = None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the database credentials of stack %s" % stack)

    result = dict(changed=plan.changed, plan=plan.as_list(), plan_text=plan.render(), secret={"arn": arn, "name": name} if arn and present else {})
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
