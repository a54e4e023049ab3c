# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run hatrading.aws.stack_validate on the controller: pure checks need no module process."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.hatrading.aws.plugins.module_utils.validators import ARGUMENT_SPEC
from ansible_collections.hatrading.aws.plugins.module_utils.validators import check


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        message, errors = check(args["tier"], args["settings"], args["prefix"])
        result.update(changed=False, errors=errors)
        if message:
            result.update(failed=True, msg=message)
        return result
