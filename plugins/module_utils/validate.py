# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TRANSITIONAL: the shared value checks under their old import path, for the tiers not yet moved.

The checks live in core/checks.py; the network's in network/model.py (validate_network).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import LOG_RETENTION_DAYS
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_port
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.core.checks import validate_tags

__all__ = ["LOG_RETENTION_DAYS", "validate_port", "validate_stack_name", "validate_tags"]
