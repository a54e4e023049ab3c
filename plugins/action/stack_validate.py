# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run hatrading.aws.stack_validate on the controller: pure checks need no module process.

Inside a role (``include_role: tasks_from: validate``) the settings come from the role's own
``meta/argument_specs.yml``: every variable it declares is read, templated and converted to its
type, so a role never lists its variables twice and every ansible-core the collection supports
hands the checks the same types. Outside a role, ``settings`` is used as given.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import yaml

from ansible_collections.hatrading.aws.plugins.module_utils.core import settings as declared
from ansible_collections.hatrading.aws.plugins.module_utils.core.registry import NAMES
from ansible_collections.hatrading.aws.plugins.module_utils.validators import ARGUMENT_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.validators import check
from ansible_collections.hatrading.aws.plugins.module_utils.validators import failure_message
from ansible_collections.hatrading.aws.plugins.plugin_utils.controller_action import ControllerAction

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_KNOWN_STACK_VARIABLES = {}


def _read_yaml(path):
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


def known_stack_variables(collection_root):
    """Every hatrading_* variable a role default or a playbook of the collection reads."""
    if collection_root not in _KNOWN_STACK_VARIABLES:
        found = set()
        for folder in ("roles", "playbooks"):
            for top, _dirs, files in os.walk(os.path.join(collection_root, folder)):
                for name in files:
                    if name.endswith((".yml", ".yaml")):
                        with open(os.path.join(top, name)) as handle:
                            found.update(re.findall(r"\bhatrading_[a-z0-9_]+", handle.read()))
        _KNOWN_STACK_VARIABLES[collection_root] = found
    return _KNOWN_STACK_VARIABLES[collection_root]


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def checked(self, args, task_vars, result):
        role_path = self._spec_role_path(args["tier"])
        unknown, type_errors = [], []
        if args.get("settings") is None and args["tier"] == "stack":
            settings = self._checked_tiers(task_vars)
        elif args.get("settings") is None and role_path is not None:
            settings, unknown, type_errors = self._declared_settings(role_path, args["prefix"], task_vars)
        else:
            settings = self._given_settings(args["tier"], args["prefix"], args.get("settings") or {})
            # settings listed by a role's task: typos and the user's names still come from its spec, when it has one
            # (a user's own role or an ansible-test target may have none)
            if role_path is not None:
                unknown = self._scan_role(role_path, args["prefix"], task_vars)[2]
        # a value of the wrong type would only confuse the checks across fields: they wait for the right types
        errors = unknown + (type_errors or check(args["tier"], settings, args["prefix"])[1])
        errors = [self._renamed(error) for error in errors]
        # later steps of the play (the cost estimate) read each tier's checked settings from here
        result.update(changed=False, errors=errors)
        if errors:  # no facts then: the failure shows the problems, not the settings
            result.update(failed=True, msg=failure_message(args["tier"], errors))
        elif args["tier"] != "stack":
            result["ansible_facts"] = declared.checked_fact(args["tier"], settings)
        return result

    def _spec_role_path(self, tier):
        """The role whose meta/argument_specs.yml declares the settings: the task's own role, or the tier's role of the
        collection when the task runs in hatrading.aws.settings_check (a tier role's dependency); None outside a role
        with a spec (a user's own role or an ansible-test target may have none)."""
        role = getattr(self._task, "_role", None)
        if role is None:
            return None
        tier_role = os.path.join(COLLECTION_ROOT, "roles", tier)
        # settings_check's own spec declares only settings_check_tier: the settings are the tier role's
        paths = (tier_role,) if os.path.basename(role._role_path) == "settings_check" else (role._role_path, tier_role)
        for path in paths:
            if os.path.exists(os.path.join(path, "meta", "argument_specs.yml")):
                return path
        return None

    def _scan_role(self, role_path, prefix, task_vars):
        """(the role's options, those set, messages for unknown variables); remembers which variables the user set."""
        options = declared.spec_options(_read_yaml(os.path.join(role_path, "meta", "argument_specs.yml"))["argument_specs"]["main"]["options"])
        names = [name for name in options if name in task_vars]
        self._renames = declared.user_names(dict((name, task_vars[name]) for name in names))
        # <prefix>outputs is the fact the role itself sets after a deploy: a later validate in the same run must accept it
        known = set(options) | {prefix + "outputs"} | known_stack_variables(os.path.dirname(os.path.dirname(role_path)))
        return options, names, declared.unknown(task_vars, known, [prefix, "hatrading_"])

    def _declared_settings(self, role_path, prefix, task_vars):
        options, names, unknown = self._scan_role(role_path, prefix, task_vars)
        values = dict((name, self._templar.template(task_vars[name])) for name in names)
        converted, type_errors = declared.convert(options, values)
        secrets = [name for name, option in options.items() if option.get("no_log")]
        return declared.settings_of(converted, prefix, secrets), unknown, type_errors

    @staticmethod
    def _given_settings(tier, prefix, settings):
        """Given settings converted to the types the tier's role spec declares (prefix + key).

        Before ansible-core 2.19, ``"{{ x | int }}"`` in ``settings`` arrives as the string '20'.
        A value that does not convert is left as given, for the cross-field check to report.
        """
        path = os.path.join(COLLECTION_ROOT, "roles", tier, "meta", "argument_specs.yml")
        if not os.path.exists(path):
            return settings
        options = declared.spec_options(((_read_yaml(path).get("argument_specs") or {}).get("main") or {}).get("options"))
        converted = dict(settings)
        for key, value in settings.items():
            option = options.get(prefix + key)
            if not option or option.get("type", "raw") == "raw" or value is None:
                continue
            typed = dict((name, option[name]) for name in ("type", "elements", "options") if name in option)
            values, type_errors = declared.convert({key: typed}, {key: value})
            if not type_errors:
                converted[key] = values[key]
        return converted

    @staticmethod
    def _checked_tiers(task_vars):
        """What each tier's validate step left in the facts, for the checks across tiers."""
        facts = task_vars.get("ansible_facts") or {}
        settings = declared.checked_tiers(facts, NAMES)
        settings["profile"] = task_vars.get("hatrading_resilience", "ha")
        return settings

    def _renamed(self, message):
        """Name the variable the user set (hatrading_stack), not the role's copy of it (network_stack)."""
        for name, user_name in getattr(self, "_renames", {}).items():
            message = re.sub(r"\b%s\b" % re.escape(name), user_name, message)
        return message
