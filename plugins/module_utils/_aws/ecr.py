# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECR: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service


class ECR(Service):
    NAME = "ecr"
    NOT_FOUND = (
        "RepositoryNotFoundException",
        "LifecyclePolicyNotFoundException",
        "ResourceNotFoundException",
    )

    def repositories_named(self, names):
        """{name: repository} of the named repositories that exist: the API refuses a whole batch when one
        name is missing, so a refused batch is asked again name by name."""
        found = self.describe_repositories(repositoryNames=list(names), missing=[]) if names else []
        if not found and len(names) > 1:
            found = [repo for name in names for repo in self.describe_repositories(repositoryNames=[name], missing=[])]
        return dict((repo["repositoryName"], repo) for repo in found)
