# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``hatrading.aws.timeline`` filter: the lines of the timeline site.yml prints at its end."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.hatrading.aws.plugins.module_utils.core.waits import timeline_lines

DOCUMENTATION = r"""
name: timeline
short_description: The lines of a deploy's timeline (each tier, each long create, its wait)
version_added: 0.9.0
description:
  - Turns the marks C(site.yml) notes before each step (C({name, at}), seconds since the epoch) and its long creates
    (C({name, started, result}), C(result) a registered M(hatrading.aws.stack_wait)) into lines, times in m:ss
    from the first mark.
positional: creates
options:
  _input:
    description: The marks, in order.
    type: list
    elements: dict
    required: true
  creates:
    description: The long creates.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Show the timeline
  ansible.builtin.debug:
    msg: "{{ marks | hatrading.aws.timeline(creates) }}"
"""

RETURN = r"""
_value:
  description: The lines.
  type: list
  elements: str
"""


def timeline(marks, creates=None):
    return timeline_lines(list(marks or []), list(creates or []), time.time())


class FilterModule(object):
    def filters(self):
        return {"timeline": timeline}
