# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.doc_fragments.connection import with_connection

# The stack a module that works on a whole stack (audit, report, rolling update) is given, with the AWS connection options.
STACK_NAME = r"""
options:
  stack:
    description: Name of the stack.
    type: str
    required: true
"""


class ModuleDocFragment(object):
    # built when loaded, as amazon.aws's boto3 fragment does: a class-level DOCUMENTATION must be a plain string
    def __init__(self):
        self.DOCUMENTATION = with_connection(STACK_NAME)
