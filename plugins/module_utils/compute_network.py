# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack's network as the compute tier sees it: subnets by layer, security groups by name.

Found by the stack tags (never by IDs passed between roles) with two reads per run,
however many load balancers, templates and groups ask.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils import ec2
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_LAYER
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict

NETWORK_TIER = "network"


class NetworkView:
    """Lazy: the first question about subnets (or security groups) reads them all, the rest are answered from memory."""

    def __init__(self, ec2_client, stack):
        self.client = ec2_client
        self.stack = stack
        self.subnet_records = None
        self.group_records = None

    def _subnets(self):
        if self.subnet_records is None:
            self.subnet_records = ec2.describe_subnets(self.client, stack_filters(self.stack, NETWORK_TIER))
        return self.subnet_records

    def _groups(self):
        if self.group_records is None:
            self.group_records = ec2.describe_security_groups(self.client, stack_filters(self.stack, NETWORK_TIER))
        return self.group_records

    def subnets(self, layer):
        """Sorted IDs of the stack's subnets of one layer (public, app, data)."""
        return sorted(s["SubnetId"] for s in self._subnets() if tag_dict(s.get("Tags")).get(TAG_LAYER) == layer)

    def vpc_id(self, layer):
        found = [s["VpcId"] for s in self._subnets() if tag_dict(s.get("Tags")).get(TAG_LAYER) == layer]
        return found[0] if found else None

    def security_group(self, name):
        """The ID of the stack's security group tagged Name=``name``, or None."""
        found = [g["GroupId"] for g in self._groups() if tag_dict(g.get("Tags")).get("Name") == name]
        return found[0] if found else None
