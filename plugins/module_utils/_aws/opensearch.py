# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenSearch Service: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import waiter


class OpenSearch(Service):
    NAME = "opensearch"
    NOT_FOUND = ("ResourceNotFoundException",)

    # None when the domain is gone: a read of a domain that may not exist yet
    describe_domain = api("describe_domain", "DomainStatus", missing=None)
    list_tags = api("list_tags", "TagList", missing=[])

    # botocore has no OpenSearch waiters: a domain is ready when it is no longer processing a change
    # (a create, a blue/green update), and gone when DescribeDomain answers "not found"
    WAITERS = {
        "domain_ready": waiter(
            "DescribeDomain", "DomainStatus.Processing", success=(False,), failure=(True,), failure_path="DomainStatus.Deleted", delay=30, attempts=120
        ),
        "domain_deleted": waiter("DescribeDomain", gone="ResourceNotFoundException", delay=30, attempts=120),
    }
