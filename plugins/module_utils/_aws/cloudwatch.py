# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch: every call the collection makes, reads and writes, one line each (see base.py)."""

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

    delete_alarms = api("delete_alarms", missing=None)
    delete_dashboards = api("delete_dashboards", missing=None)
    describe_alarms = api("describe_alarms", "MetricAlarms", pages=True)
    get_dashboard = api("get_dashboard")
    list_dashboards = api("list_dashboards", "DashboardEntries", pages=True)
    list_tags_for_resource = api("list_tags_for_resource")
    put_dashboard = api("put_dashboard")
    put_metric_alarm = api("put_metric_alarm")
    tag_resource = api("tag_resource")
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
