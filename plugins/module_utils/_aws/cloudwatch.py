# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import api


class CloudWatch(Service):
    NAME = "cloudwatch"
    NOT_FOUND = (
        "ResourceNotFound",
        "ResourceNotFoundException",
        "DashboardNotFoundError",
    )

    describe_alarms = api("describe_alarms", "MetricAlarms", pages=True)
    dashboard_body = api("get_dashboard", "DashboardBody", missing=None)
    _alarm_tags = api("list_tags_for_resource", "Tags", missing=[])

    def tags_of(self, arn):
        """{key: value} of one alarm (DescribeAlarms does not return tags); {} when it is gone."""
        return dict((tag["Key"], tag.get("Value", "")) for tag in self._alarm_tags(ResourceARN=arn) or [])

    def delete_alarms_named(self, names):
        """DeleteAlarms, 100 names per call (the API's limit)."""
        names = list(names)
        for start in range(0, len(names), 100):
            self.delete_alarms(AlarmNames=names[start : start + 100])
