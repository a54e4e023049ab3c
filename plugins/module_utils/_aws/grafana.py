# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon Managed Grafana: the AWS API (workspaces, service accounts, tokens) and the workspace's own Grafana HTTP API.

Dashboards and data sources are not AWS API calls: they go to ``https://<workspace endpoint>/api/...`` with a
short-lived service account token. :class:`GrafanaHttp` is that one client, kept here beside the AWS calls
so that no tier opens a connection of its own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.six.moves.urllib.error import HTTPError

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import waiter
from ansible_collections.hatrading.aws.plugins.module_utils.core.errors import TierError


class Grafana(Service):
    NAME = "grafana"
    NOT_FOUND = ("ResourceNotFoundException",)
    # botocore has no Grafana waiter: the workspace is ACTIVE in 5-10 minutes
    WAITERS = {
        "workspace_active": waiter("DescribeWorkspace", "workspace.status", success=("ACTIVE",), failure=("FAILED", "CREATION_FAILED"), delay=15, attempts=60),
        "workspace_deleted": waiter("DescribeWorkspace", gone="ResourceNotFoundException", delay=15, attempts=60),
    }
    describe_workspace = api("describe_workspace", "workspace", missing=None)


class GrafanaHttp:
    """The workspace's Grafana HTTP API with one bearer token: JSON in, JSON out, bounded timeouts."""

    def __init__(self, base_url, token, timeout=30, validate_certs=True):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.validate_certs = validate_certs

    def request(self, method, path, body=None, ok=(200,)):
        """(status, answer); a status not in ``ok`` fails naming the call."""
        headers = {"Authorization": "Bearer %s" % self.token, "Content-Type": "application/json", "Accept": "application/json"}
        data = json.dumps(body) if body is not None else None
        # imported here: ansible's urls (with its TLS stack) costs every module of the collection about 25 ms at
        # start-up, and only the observability tier talks HTTP to Grafana (AnsiballZ still packs it)
        from ansible.module_utils.urls import open_url  # noqa: PLC0415 (the reason above)

        try:
            answer = open_url(self.base_url + path, data=data, headers=headers, method=method, timeout=self.timeout, validate_certs=self.validate_certs)
            status, text = answer.getcode(), answer.read()
        except HTTPError as error:
            status, text = error.code, error.read()
        if status not in ok:
            raise TierError("Grafana %s %s answered %s: %s" % (method, path, status, (text or b"")[:300].decode("utf-8", "replace")))
        return status, json.loads(text) if text else {}
