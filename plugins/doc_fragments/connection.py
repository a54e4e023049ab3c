# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

from ansible_collections.amazon.aws.plugins.doc_fragments.boto3 import ModuleDocFragment as Boto3Fragment
from ansible_collections.amazon.aws.plugins.doc_fragments.common import ModuleDocFragment as CommonFragment
from ansible_collections.amazon.aws.plugins.doc_fragments.region import ModuleDocFragment as RegionFragment


def with_connection(own):
    """``own`` (fragment YAML) plus amazon.aws's module options (credentials, endpoint, region) and boto3 requirements.

    A fragment cannot extend another: this is the one place that lists the amazon.aws fragments every module of
    the collection documents, so a module names one fragment instead of four.
    """
    merged = yaml.safe_load(own) or {}
    merged.setdefault("options", {})
    for part in (CommonFragment.MODULES, RegionFragment.MODULES, Boto3Fragment().MODULES):
        found = yaml.safe_load(part)
        merged["options"].update(found.get("options") or {})
        for key in ("notes", "requirements"):
            if found.get(key):
                merged[key] = merged.get(key, []) + found[key]
    return yaml.safe_dump(merged, default_flow_style=False, sort_keys=False)


class ModuleDocFragment(object):
    # The AWS connection options every module of the collection takes (it runs on AnsibleAWSModule).
    # built when loaded, as amazon.aws's boto3 fragment does: a class-level DOCUMENTATION must be a plain string
    def __init__(self):
        self.DOCUMENTATION = with_connection("{}")
