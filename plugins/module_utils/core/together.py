# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads of different AWS services at once.

A tier's no-op run is mostly reads, one after another, each waiting for AWS's answer (30-100 ms, more for
some describes). Reads of different services do not depend on each other, so a tier hands them here as
branches, one service a branch, and waits for AWS once a wave instead of once a call.

One service a branch: a boto3 client is thread safe, but two branches on one client would interleave its
calls (and a botocore Stubber answers one client's calls in the order they come). Clients are made one at a
time (``Clients`` holds a lock: a boto3 session is not thread safe).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

MAX_BRANCHES = 8  # a tier has at most about this many services; AWS's per-service rate limits stay the same


def read_together(branches):
    """``{name: function of no argument}`` -> ``{name: its result}``, the functions run at the same time.

    The first branch to fail (in the order given) raises its error once every branch has ended.
    """
    if len(branches) < 2:
        return dict((name, branch()) for name, branch in branches.items())
    with ThreadPoolExecutor(max_workers=min(MAX_BRANCHES, len(branches))) as pool:
        futures = [(name, pool.submit(branch)) for name, branch in branches.items()]
    return dict((name, future.result()) for name, future in futures)
