# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the compute tier reads: the network through one StackView per run, and each step's own resources.

Each step reads what it manages in its own file (``balancer.read``, ``template.read``,
``group.read``); this module hands them the run's shared view of the network (subnets and
security groups read once, however many steps ask) and checks the instance types of every
tier in one call.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.compute import template
from ansible_collections.hatrading.aws.plugins.module_utils.core.stack_view import StackView

check_instance_types = template.check_instance_types


def stack_view(clients, stack):
    """The run's view of the stack's network (and of anything else another tier owns)."""
    return StackView(clients, stack)
