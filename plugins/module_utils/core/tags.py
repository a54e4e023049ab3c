# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What makes a resource part of a stack: its tags, and how to find it by them.

Every resource carries ``hatrading:stack``, ``hatrading:tier`` and ``Name``; roles find
each other's resources by these tags, never by IDs passed around.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

TAG_STACK = "hatrading:stack"
TAG_TIER = "hatrading:tier"
TAG_NAME = "Name"
TAG_LAYER = "hatrading:layer"
TAG_IMAGE = "hatrading:image"  # on instances: the container image they were launched to run
RESERVED_TAG_PREFIXES = ("hatrading:", "aws:")
STACK_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,22}[a-z0-9]$")


def stack_tags(stack, tier, name, extra=None, **labels):
    """The tags a resource of ``stack``/``tier`` called ``name`` must carry."""
    tags = dict(extra or {})
    tags.update({TAG_STACK: stack, TAG_TIER: tier, TAG_NAME: name})
    tags.update(("hatrading:%s" % key, str(value)) for key, value in labels.items() if value is not None)
    return tags


def stack_filters(stack, tier=None):
    """Server-side EC2 filters selecting one stack (and tier)."""
    filters = [{"Name": "tag:%s" % TAG_STACK, "Values": [stack]}]
    if tier:
        filters.append({"Name": "tag:%s" % TAG_TIER, "Values": [tier]})
    return filters


def tag_dict(tag_list):
    """[{'Key': k, 'Value': v}] -> {k: v}; tolerant of a missing list."""
    return {tag["Key"]: tag.get("Value", "") for tag in tag_list or []}


def tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def tag_specifications(resource_type, tags):
    return [{"ResourceType": resource_type, "Tags": tag_list(tags)}]


def missing_tags(want, have):
    """Tags of ``want`` that ``have`` lacks or holds with another value (others are left alone)."""
    return {key: value for key, value in want.items() if have.get(key) != value}


def belongs_to(tags, stack, tier=None):
    return tags.get(TAG_STACK) == stack and (tier is None or tags.get(TAG_TIER) == tier)
