# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run hatrading.aws.stack_validate on the controller: pure checks need no module process."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.hatrading.aws.plugins.module_utils.validators import ARGUMENT_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.validators import check

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_ROLE_OPTIONS = {}


def role_options(tier):
    """The options of role <tier>'s main entry point (roles/<tier>/meta/argument_specs.yml), {} if none."""
    if tier not in _ROLE_OPTIONS:
        path = os.path.join(COLLECTION_ROOT, "roles", tier, "meta", "argument_specs.yml")
        try:
            with open(path) as spec_file:
                specs = yaml.safe_load(spec_file) or {}
        except (IOError, OSError):
            specs = {}
        _ROLE_OPTIONS[tier] = ((specs.get("argument_specs") or {}).get("main") or {}).get("options") or {}
    return _ROLE_OPTIONS[tier]


def _type_only(option):
    """An option's type, element type and suboptions, without defaults, requirements or choices."""
    spec = dict((key, option[key]) for key in ("type", "elements") if key in option)
    if isinstance(option.get("options"), dict):
        spec["options"] = dict((name, _type_only(sub)) for name, sub in option["options"].items() if "type" in sub)
    return spec


def native_settings(tier, settings, prefix):
    """Settings converted to the types the role's argument spec declares.

    Before ansible-core 2.19, ``"{{ x | int }}"`` in task arguments arrives as the string '20'; converting
    here, by the declared type of each variable (prefix + key), covers every setting of every tier.
    A value that does not convert is left as it is, so the cross-field check reports it.
    """
    options = role_options(tier)
    converted = dict(settings)
    for key, value in settings.items():
        option = options.get(prefix + key)
        if not isinstance(option, dict) or option.get("type", "raw") == "raw" or value is None:
            continue
        result = ArgumentSpecValidator({key: _type_only(option)}).validate({key: value})
        if not result.error_messages:
            converted[key] = result.validated_parameters[key]
    return converted


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        settings = native_settings(args["tier"], args["settings"], args["prefix"])
        message, errors = check(args["tier"], settings, args["prefix"])
        result.update(changed=False, errors=errors)
        if message:
            result.update(failed=True, msg=message)
        return result
