# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded waits on botocore waiters: attempts follow from a timeout, never a sleep loop."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def wait(client, waiter_name, timeout, delay=5, **params):
    """Wait up to ``timeout`` seconds (at least one attempt) for ``waiter_name``."""
    attempts = max(1, int(timeout) // delay)
    client.get_waiter(waiter_name).wait(WaiterConfig={"Delay": delay, "MaxAttempts": attempts}, **params)
