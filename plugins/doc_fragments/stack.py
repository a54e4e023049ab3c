# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.doc_fragments.connection import with_connection

# Options every stack reconciler shares, with the AWS connection options (see connection.py).
TIER_OPTIONS = r"""
options:
  stack:
    description:
      - Name of the stack. Every resource is tagged C(hatrading:stack=<stack>) and found again by that tag.
      - 3 to 24 lower-case letters, digits and dashes, starting with a letter.
    type: str
    required: true
  state:
    description:
      - V(present) reconciles the resources with the options; V(absent) deletes them.
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - Extra tags for every resource. Keys starting with C(hatrading:) or C(aws:) are reserved.
      - Tags found on a resource that are not listed here are left alone.
    type: dict
    default: {}
  read_cache:
    description:
      - The answers of the run's earlier reads, as an earlier module of the run returned them in its result's C(read_cache).
        A read asked again with the same parameters is answered from here instead of AWS.
      - C(site.yml) hands them from tier to tier; a module given none reads everything itself.
      - The first change the module makes stops the cache (what was read before may be stale), and the C(read_cache) it returns is then empty.
    type: dict
notes:
  - Check mode returns the plan (RV(plan), RV(plan_text)) and changes nothing; diff mode shows each changed resource before and after.
  - The AWS endpoint comes from O(endpoint_url) or, when unset, from boto3's own C(AWS_ENDPOINT_URL).
"""


class ModuleDocFragment(object):
    # built when loaded, as amazon.aws's boto3 fragment does: a class-level DOCUMENTATION must be a plain string
    def __init__(self):
        self.DOCUMENTATION = with_connection(TIER_OPTIONS)
