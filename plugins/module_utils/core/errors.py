# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error a tier raises for the user: its message is the whole answer, no traceback."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class TierError(Exception):
    """A tier cannot go on (a refused change, a missing prerequisite); the message names what and the fix."""
