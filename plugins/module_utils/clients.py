# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TRANSITIONAL: the raw-client cache of the code not yet moved onto _aws/clients.py (removed when every tier is moved).

Every ``module.client()`` call opens a new botocore session and loads the service model
again (a few hundred milliseconds for EC2); a module that reconciles several resources
asks this cache instead.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

DEFAULT_RETRY = AWSRetry.jittered_backoff(retries=8)


class ClientCache:
    """``clients("ec2")``: the module's client for a service, made once, with that service's retry decorator."""

    def __init__(self, module, retries=None):
        self.module = module
        self.retries = retries or {}
        self.made = {}

    def __call__(self, service):
        if service not in self.made:
            self.made[service] = self.module.client(service, retry_decorator=self.retries.get(service, DEFAULT_RETRY))
        return self.made[service]
