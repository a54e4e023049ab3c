#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_validate
short_description: Check one tier's stack variables together, before any AWS call
version_added: 0.1.0
description:
  - Runs the cross-field checks of a tier (overlapping CIDRs, AZ counts against the resilience level, port clashes,
    reserved tag keys, ...) that a role's C(meta/argument_specs.yml) cannot express.
  - Makes no AWS call and changes nothing; fails with every problem found, each naming the variable and the fix.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  tier:
    description:
      - The tier whose settings are checked (a tier of the registry, C(plugins/module_utils/core/registry.py)); V(stack)
        checks the tiers against each other (the ports one tier opens and
        the next listens on, at least two instances of each app tier under C(hatrading_resilience=ha)), from the settings
        the tiers' validate steps checked before it.
    type: str
    required: true
  settings:
    description:
      - The tier's settings, keyed by option name without the role prefix (V(vpc_cidr), not V(network_vpc_cidr)).
      - Inside a role, leave it out; the action plugin then reads every variable the role's C(meta/argument_specs.yml)
        declares, converts it to its declared type, and fails on a variable with the role's prefix (or C(hatrading_))
        that no role knows, naming the closest known one.
    type: dict
  prefix:
    description: Prefix of the variables as the user writes them, used in the messages (V(network_)).
    type: str
    default: ""
notes:
  - Supports check mode; it never changes anything.
  - Runs on the controller as an action plugin, so a check costs no module process.
"""

EXAMPLES = r"""
- name: Check the network variables before touching AWS
  hatrading.aws.stack_validate:
    tier: network
    prefix: network_
    settings:
      stack: "{{ network_stack }}"
      vpc_cidr: "{{ network_vpc_cidr }}"
      az_count: "{{ network_az_count }}"
"""

RETURN = r"""
errors:
  description: The problems found (empty when the settings are sound).
  returned: always
  type: list
  elements: str
  sample: ["network_vpc_cidr: '10.0.0.0/8' ..."]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hatrading.aws.plugins.module_utils.validators import ARGUMENT_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.validators import check


def main():
    # The action plugin of the same name does this on the controller (no module process);
    # the module remains for its documentation and for direct use.
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    message, errors = check(module.params["tier"], module.params["settings"] or {}, module.params["prefix"])
    if message:
        module.fail_json(msg=message, errors=errors)
    module.exit_json(changed=False, errors=[])


if __name__ == "__main__":
    main()
