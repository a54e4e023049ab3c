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

from ansible_collections.hatrading.aws.plugins.module_utils.core.settings import TIER_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import run_tier
from ansible_collections.hatrading.aws.plugins.module_utils.database import credentials

ARGUMENT_SPEC = dict(
    TIER_SPEC,
    secret_name=dict(type="str", no_log=False),
    username=dict(type="str", default="dbadmin"),
    database_name=dict(type="str", default="trading"),
    engine=dict(type="str", default="postgres"),
    port=dict(type="int", default=5432),
    password_length=dict(type="int", default=32, no_log=False),
    kms_key_id=dict(type="str"),
    recovery_window_days=dict(type="int", default=7),
)


def main():
    run_tier("credential", ARGUMENT_SPEC, credentials.validate_params, credentials.reconcile)


if __name__ == "__main__":
    main()
