# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run hatrading.aws.stack_wait as a loop of short looks, printing a progress line after each.

Ansible shows a task's output only when the task ends; a 20-minute wait would be silent. Here the
controller runs the module for at most ``poll_window`` seconds at a time and prints, between the
runs, what is still not ready: ``waiting for demo-database (creating, 4:10 of about 15-20 min)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.hatrading.aws.plugins.module_utils.core import waits

display = Display()


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        names = args.get("names") or {}
        timeout = int(args.get("timeout", 3600))
        began = time.time()
        started = {}
        for key, value in (args.get("started") or {}).items():
            try:
                started[key] = float(value)
            except (TypeError, ValueError):
                pass  # an unknown start counts from the wait's start
        ready_after = {}
        window = 0  # the first look reads once, so the first progress line comes at once
        while True:
            look = dict(args, poll_window=window)
            window = int(args.get("poll_window", 30))
            answer = self._execute_module(module_name="hatrading.aws.stack_wait", module_args=look, task_vars=task_vars)
            if answer.get("failed"):
                answer.setdefault("waited", round(time.time() - began, 1))
                return dict(result, **answer)
            entries, now = answer["resources"], time.time()
            for entry in entries:
                name = names.get(entry["id"], entry["id"])
                since = started.get(entry["id"], started.get(name, began))
                if entry["ready"]:
                    ready_after.setdefault(entry["id"], round(now - since, 1))
                    entry["ready_after"] = ready_after[entry["id"]]
                elif not self._task.check_mode:
                    display.display(waits.progress_line(name, entry, now - since))
            result.update(changed=False, resources=entries, ready=answer["ready"], waited=round(now - began, 1))
            if answer["ready"] or self._task.check_mode:
                return result
            stuck = waits.broken(entries)
            if stuck:
                named = ", ".join("%s (%s)" % (names.get(entry["id"], entry["id"]), entry["state"]) for entry in stuck)
                return dict(result, failed=True, msg="gave up waiting: %s will not become ready by waiting" % named)
            if now - began >= timeout:
                pending = ", ".join("%s (%s)" % (names.get(entry["id"], entry["id"]), entry["state"]) for entry in entries if not entry["ready"])
                return dict(result, failed=True, msg="still not ready after %d s: %s" % (timeout, pending))
