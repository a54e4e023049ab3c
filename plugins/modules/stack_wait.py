#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_wait
short_description: Wait for long creates started earlier (databases, NAT gateways, CloudFront), showing progress
version_added: 0.9.0
description:
  - The tiers start their long creates without waiting (C(database_wait=false), C(network_wait=false)); this waits
    for them where a later step needs them, so the creates run while the rest of the stack is built.
  - Runs on the controller (an action plugin) as a loop of short looks, each a module run of at most O(poll_window)
    seconds, and prints a line per look for what is still not ready, for example
    C(waiting for demo-database (creating, 4:10 of about 15-20 min)).
  - Fails at once on a resource that is gone or in a state a create never leaves (C(failed), C(incompatible-network)),
    and after O(timeout) seconds.
  - Read only. In check mode nothing was created, so it looks once and does not wait.
author:
  - hatrading.aws maintainers (@hatrading)
options:
  db_instances:
    description: RDS DB instance identifiers to wait for until C(available).
    type: list
    elements: str
    default: []
  db_clusters:
    description: Aurora DB cluster identifiers to wait for until C(available).
    type: list
    elements: str
    default: []
  nat_gateways:
    description: NAT gateway IDs to wait for until C(available).
    type: list
    elements: str
    default: []
  distributions:
    description: CloudFront distribution IDs to wait for until C(Deployed).
    type: list
    elements: str
    default: []
  names:
    description: "A name to show for an identifier in the progress lines, C({id: name})."
    type: dict
    default: {}
  started:
    description:
      - "When each create was started (seconds since the epoch, C({id or name: seconds})), so the progress shows the
        time since the create began, not since the wait began. Missing ones count from the wait's start."
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for all of them, in all.
    type: int
    default: 3600
  poll_window:
    description: Seconds one look may wait (a module run); a progress line is printed after each.
    type: int
    default: 30
  delay:
    description: Seconds between two reads within a look (botocore's waiter for each kind polls at this pace).
    type: int
    default: 5
extends_documentation_fragment:
  - hatrading.aws.connection
notes:
  - Supports check mode; it never changes anything.
"""

EXAMPLES = r"""
- name: Wait for the database the database tier started
  hatrading.aws.stack_wait:
    db_instances: [demo-database]
    names: {demo-database: demo-database}
    started: {demo-database: "{{ database_started }}"}
"""

RETURN = r"""
resources:
  description: Each resource as last seen.
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "db_instance", "id": "demo-database", "state": "available", "ready": true, "typical": [15, 20],
            "endpoint": "demo-database.abc.us-east-1.rds.amazonaws.com", "ready_after": 912.4}]
waited:
  description: Seconds this task waited.
  returned: always
  type: float
ready:
  description: Whether every resource is ready.
  returned: always
  type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.hatrading.aws.plugins.module_utils._aws.clients import Clients
from ansible_collections.hatrading.aws.plugins.module_utils.core import waits
from ansible_collections.hatrading.aws.plugins.module_utils.core.runner import aws_errors

ARGUMENT_SPEC = dict(
    db_instances=dict(type="list", elements="str", default=[]),
    db_clusters=dict(type="list", elements="str", default=[]),
    nat_gateways=dict(type="list", elements="str", default=[]),
    distributions=dict(type="list", elements="str", default=[]),
    names=dict(type="dict", default={}),
    started=dict(type="dict", default={}),
    timeout=dict(type="int", default=3600),
    poll_window=dict(type="int", default=30),
    delay=dict(type="int", default=5),
)


def main():
    """One look: read until all are ready, one is broken, or poll_window has passed (the action plugin loops)."""
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    wanted = dict((kind, params[kind]) for kind in waits.KINDS)
    clients = Clients(module)
    window = 0 if module.check_mode else max(0, params["poll_window"])
    try:
        entries = waits.wait_one_look(clients, wanted, window, max(1, params["delay"]))
        done = all(entry["ready"] for entry in entries)
    except aws_errors() as error:
        module.fail_json_aws(error, msg="Failed to read the creates to wait for")
    module.exit_json(changed=False, resources=entries, ready=done)


if __name__ == "__main__":
    main()
