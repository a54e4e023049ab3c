# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan/diff/apply machinery every hatrading.aws reconciler shares.

A reconciler reads what exists, builds what is wanted, and asks :func:`diff_resources`
for the changes between the two. The resulting :class:`Plan` is what check mode
returns, what diff mode renders, and what :meth:`Plan.apply` carries out, in order,
through one handler per (kind, action). Planning is pure: no AWS call, no Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

try:
    from urllib.parse import unquote
except ImportError:  # Python 2
    from urllib import unquote

CREATE = "create"
UPDATE = "update"
DELETE = "delete"
_SYMBOLS = {CREATE: "+", UPDATE: "~", DELETE: "-"}


class Change:
    """One step of a plan: create, update or delete one resource of one kind.

    ``before`` and ``after`` are plain, comparable descriptions of the resource (no IDs
    that change between runs); ``fields`` names what an update changes; ``ref`` carries
    what the handler needs to act (an ID, the current record).
    """

    def __init__(self, action, kind, name, before=None, after=None, fields=None, ref=None):
        self.action = action
        self.kind = kind
        self.name = name
        self.before = before
        self.after = after
        self.fields = sorted(fields or [])
        self.ref = ref

    def as_dict(self):
        step = {"action": self.action, "kind": self.kind, "name": self.name}
        if self.fields:
            step["fields"] = self.fields
        return step

    def __str__(self):
        text = "%s %s %s" % (_SYMBOLS[self.action], self.kind, self.name)
        return text + (" (%s)" % ", ".join(self.fields) if self.fields else "")

    def __repr__(self):
        return "Change(%s)" % self


class Plan:
    """An ordered list of changes; empty means the resources already match."""

    def __init__(self, changes=None):
        self.changes = list(changes or [])

    def extend(self, changes):
        self.changes.extend(changes)
        return self

    @property
    def changed(self):
        return bool(self.changes)

    def of(self, kind=None, action=None):
        return [c for c in self.changes if (kind is None or c.kind == kind) and (action is None or c.action == action)]

    def summary(self):
        counts = {CREATE: 0, UPDATE: 0, DELETE: 0}
        for change in self.changes:
            counts[change.action] += 1
        return counts

    def as_list(self):
        return [change.as_dict() for change in self.changes]

    def render(self):
        """Lines a reviewer reads before approving, like a terraform plan."""
        lines = [str(change) for change in self.changes]
        counts = self.summary()
        lines.append("Plan: %(create)d to create, %(update)d to update, %(delete)d to delete." % counts)
        return lines

    def diff(self):
        """Ansible diff-mode payload: the changed resources before and after, keyed kind/name."""
        before, after = {}, {}
        for change in self.changes:
            key = "%s/%s" % (change.kind, change.name)
            if change.before is not None:
                before[key] = change.before
            if change.after is not None:
                after[key] = change.after
        return {"before": before, "after": after}

    def apply(self, handlers, finishers=None, check_mode=False):
        """Carry out the changes in order; handlers maps (kind, action) to fn(change).

        ``finishers`` maps (kind, action) to fn(changes), called once after the last change
        of a run of that kind and action: one waiter for all NAT gateways, not one each.
        In check mode nothing is called: the plan itself is the answer.
        """
        if check_mode:
            return self.changed
        finishers = finishers or {}
        for index, change in enumerate(self.changes):
            key = (change.kind, change.action)
            if key not in handlers:
                raise KeyError("no handler for %s %s" % (change.action, change.kind))
            handlers[key](change)
            following = self.changes[index + 1] if index + 1 < len(self.changes) else None
            if key in finishers and (following is None or (following.kind, following.action) != key):
                run = []
                for earlier in reversed(self.changes[: index + 1]):
                    if (earlier.kind, earlier.action) != key:
                        break
                    run.insert(0, earlier)
                finishers[key](run)
        return self.changed


class Applier:
    """Base of the objects that carry out a plan against AWS.

    A method named ``<action>_<kind>`` (``create_subnet``, ``delete_nat_gateway``) handles that step;
    ``finishers`` returns what runs once after a run of one (kind, action), such as a single waiter.
    """

    def handlers(self):
        found = {}
        for name in dir(self):
            action, _sep, kind = name.partition("_")
            if action in (CREATE, UPDATE, DELETE) and kind and callable(getattr(self, name)):
                found[(kind, action)] = getattr(self, name)
        return found

    def finishers(self):
        return {}


def diff_fields(desired, actual, fields=None):
    """Names of the fields whose desired value differs from the actual one.

    A desired value of None means "leave it alone" and never counts as a difference.
    """
    names = fields if fields is not None else desired.keys()
    return sorted(name for name in names if desired.get(name) is not None and desired.get(name) != actual.get(name))


def diff_resources(kind, desired, actual, compare=diff_fields, delete_extra=True):
    """Changes that turn ``actual`` into ``desired``, both dicts of name -> description.

    Creates and updates follow the order of ``desired``; deletes follow ``actual``.
    ``compare(desired, actual)`` returns the names of the differing fields.
    """
    changes = []
    for name, want in desired.items():
        have = actual.get(name)
        if have is None:
            changes.append(Change(CREATE, kind, name, after=want))
            continue
        fields = compare(want, have)
        if fields:
            changes.append(Change(UPDATE, kind, name, before=have, after=want, fields=fields))
    if delete_extra:
        changes.extend(Change(DELETE, kind, name, before=have) for name, have in actual.items() if name not in desired)
    return changes


def canonical_json(document):
    """Policy documents compare by content, not by key order or URL encoding."""
    if isinstance(document, str):
        text = document if document.lstrip().startswith("{") else unquote(document)
        document = json.loads(text)
    return json.dumps(document, sort_keys=True, separators=(",", ":"))
