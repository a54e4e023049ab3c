# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault Injection Service: every call the collection makes, reads and writes, one line each (see base.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class FIS(Service):
    NAME = "fis"
    NOT_FOUND = ("ResourceNotFoundException",)

    create_experiment_template = api("create_experiment_template", "experimentTemplate")
    delete_experiment_template = api("delete_experiment_template", missing=None)
    get_experiment_template = api("get_experiment_template", "experimentTemplate")
    list_experiment_templates = api("list_experiment_templates", "experimentTemplates", pages=True)
    update_experiment_template = api("update_experiment_template", "experimentTemplate")
