#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_preflight
short_description: Before the first change, check the endpoint, the account and region, and what the region offers
version_added: 0.3.0
description:
  - Reads, with short timeouts, who the credentials are (STS GetCallerIdentity) and the region's AZs, so that a wrong
    endpoint, profile or region fails within seconds, naming the stack and the endpoint, before any change.
  - With O(settings), also checks that the region has what they name, the AZs (C(network_availability_zones)), the
    instance types (C(compute_*_instance_type)), the database engine version (C(database_engine_version)) and the
    DB instance class RDS offers for it (C(database_instance_class), C(db.serverless) under Serverless v2), so that
    none of them is found missing after the network and the database exist.
  - Read only. C(site.yml) runs it first, and again after every tier's variables are checked.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  stack:
    description: Name of the stack, for the messages.
    type: str
    required: true
  settings:
    description: "The tiers' checked settings, C({tier: settings without the role prefix}); leave out to probe only."
    type: dict
    default: {}
  probe:
    description:
      - Read who the credentials are and the region's AZs (two reads). C(site.yml) probes on a whole run and leaves it to
        a run limited by C(--tags), which checks only what its tiers name.
    type: bool
    default: true
  read_cache:
    description:
      - The answers of the run's earlier reads (V({}) to start). Given, the module returns its own answers added in its result's
        C(read_cache), for the tier modules of the run (C(site.yml) hands them on). The caller's identity and the instance
        types are then not read a second time.
    type: dict
extends_documentation_fragment:
  - hatrading.aws.connection
notes:
  - Supports check mode; it never changes anything.
"""

EXAMPLES = r"""
- name: Which account and region, and is the endpoint AWS at all?
  hatrading.aws.stack_preflight:
    stack: demo
  register: preflight
"""

RETURN = r"""
account:
  description: The account the credentials belong to.
  returned: when O(probe=true)
  type: str
  sample: "123456789012"
caller_arn:
  description: Who the credentials are.
  returned: when O(probe=true)
  type: str
region:
  description: The region the run targets, as the connection settings resolve it (module_defaults, AWS_REGION, the profile).
  returned: success
  type: str
  sample: us-east-1
availability_zones:
  description: The region's AZs.
  returned: when O(probe=true) or the settings name AZs
  type: list
  elements: str
endpoint:
  description: The endpoint URL the run uses, when one is set (AWS_ENDPOINT_URL or endpoint_url).
  returned: success
  type: str
"""

import os

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core import preflight
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import READ_CACHE
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import READ_CACHE_OPTION
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import aws_errors
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import start_read_cache

ARGUMENT_SPEC = dict(
    stack=dict(type="str", required=True), settings=dict(type="dict", default={}), probe=dict(type="bool", default=True), read_cache=READ_CACHE_OPTION
)


def main():
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    stack = module.params["stack"]
    endpoint = module.params.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL")
    start_read_cache(module)
    try:
        facts, problems = preflight.read_region(
            Clients(module, config=preflight.PROBE_CONFIG), module.region, module.params["settings"], module.params["probe"]
        )
    except aws_errors() + (KeyError, ValueError) as error:
        message = preflight.unreachable(error, stack, endpoint)
        if message:
            module.fail_json(msg=message)
        module.fail_json_aws(error, msg="stack %s: the first read from %s failed" % (stack, endpoint or "AWS"))
    facts["endpoint"] = endpoint
    if problems:
        module.fail_json(msg="Invalid settings for region %s:\n- %s" % (module.region, "\n- ".join(problems)), errors=problems, **facts)
    if module.params["read_cache"] is not None:
        facts["read_cache"] = READ_CACHE.handed_on()
    module.exit_json(changed=False, **facts)


if __name__ == "__main__":
    main()
