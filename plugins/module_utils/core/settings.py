# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tier's settings, declared once: the role's ``meta/argument_specs.yml`` says every variable and its type.

The validate step (action plugin ``stack_validate``) reads the variables that spec names, converts
them to the declared types (before ansible-core 2.19 ``"{{ x | int }}"`` arrives as a string), strips
the role prefix and hands the result to the tier's cross-field checks. So no role lists its
variables a second time, and a variable with a tier's prefix that no spec knows (a typo) fails,
with the closest known name. Plain functions: no AWS call.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

# The options every tier module takes, as the stack doc fragment documents them (run_tier adds read_cache).
TIER_SPEC = dict(
    stack=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    tags=dict(type="dict", default={}),
)
DOC_KEYS = ("description", "short_description", "version_added", "author", "notes", "seealso")
DERIVED_FROM = re.compile(r"^\{\{\s*(hatrading_[a-z0-9_]+)\b")


def spec_options(options):
    """A role spec's options as a module argument spec (documentation keys dropped)."""
    clean = {}
    for name, documented in (options or {}).items():
        option = dict((key, value) for key, value in documented.items() if key not in DOC_KEYS)
        if "options" in option:
            option["options"] = spec_options(option["options"])
        clean[name] = option
    return clean


def convert(options, values):
    """(values converted to their declared types, errors each starting with the variable it is about)."""
    checked = ArgumentSpecValidator(options).validate(dict(values))
    return checked.validated_parameters, [_with_value(_named_first(message, options), options, values) for message in checked.error_messages]


def _with_value(message, options, values):
    """ansible-core before 2.19 leaves the value out of a conversion error: say what the user gave (never a secret)."""
    name = message.split(":", 1)[0]
    if name not in values or (options.get(name) or {}).get("no_log") or str(values[name]) in message:
        return message
    return "%s (got %r)" % (message, values[name])


def _named_first(message, names):
    """``name: message`` where ansible-core's message names the variable somewhere inside ("value of x must be one of...")."""
    found = sorted((name for name in names if re.search(r"\b%s\b" % re.escape(name), message)), key=len, reverse=True)
    return "%s: %s" % (found[0], message) if found and not message.startswith(found[0] + ":") else message


def unknown(names, known, prefixes):
    """Messages for the variables among ``names`` that start with one of ``prefixes`` and are not ``known``."""
    errors = []
    for name in sorted(names):
        if not name.startswith(tuple(prefixes)) or name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        hint = "; did you mean %s?" % close[0] if close else "; no role of hatrading.aws reads it"
        errors.append("%s: unknown variable%s" % (name, hint))
    return errors


def user_names(raw_values):
    """{role variable: the stack variable the user sets} for role variables that default to one (network_stack -> hatrading_stack)."""
    found = {}
    for name, raw in raw_values.items():
        match = DERIVED_FROM.match(raw) if isinstance(raw, str) else None
        if match:
            found[name] = match.group(1)
    return found


def settings_of(values, prefix, secret_names=()):
    """The tier's settings keyed without the prefix; a secret is passed only as whether it is set."""
    settings = {}
    for name, value in values.items():
        key = name[len(prefix) :] if name.startswith(prefix) else name
        settings[key] = ("<given>" if value else "") if name in secret_names else value
    return settings


def options_set(params):
    """A module's options that are set: an unset one (None) is left out, so the tier's default applies where it is read."""
    return dict((key, value) for key, value in params.items() if value is not None)


def regional_options(params, default_region):
    """:func:`options_set` with the region: the one given, else ``default_region``."""
    options = options_set(params)
    options["region"] = params.get("region") or default_region
    return options


CHECKED_FACT = "__hatrading_settings_%s"  # where each tier's validate step leaves its checked settings


def checked_fact(tier, settings):
    """The fact a tier's validate step sets, so later steps of the play (checks across tiers, cost) read the same settings."""
    return {CHECKED_FACT % tier: settings}


def checked_tiers(facts, tiers):
    """{tier: settings} of the tiers among ``tiers`` whose validate step has run in this play."""
    return dict((tier, facts[CHECKED_FACT % tier]) for tier in tiers if CHECKED_FACT % tier in facts)
