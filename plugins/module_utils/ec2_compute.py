# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 reads of the compute tier (launch templates, instance type offerings), one wrapper per API call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRY = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["InvalidLaunchTemplateId.NotFound"])
NOT_FOUND_CODES = ["InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateId.Malformed"]


@RETRY
def describe_launch_template(client, name):
    """The launch template called ``name``, or None."""
    try:
        found = client.describe_launch_templates(LaunchTemplateNames=[name]).get("LaunchTemplates", [])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in NOT_FOUND_CODES:
            return None
        raise
    return found[0] if found else None


@RETRY
def describe_latest_version(client, template_id):
    versions = client.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["$Latest"]).get("LaunchTemplateVersions", [])
    return versions[0] if versions else None


@RETRY
def describe_instances(client, instance_ids):
    """The EC2 records of ``instance_ids`` (with their tags), in one paginated call."""
    pages = client.get_paginator("describe_instances").paginate(InstanceIds=sorted(instance_ids))
    return [instance for page in pages for reservation in page.get("Reservations", []) for instance in reservation.get("Instances", [])]


@RETRY
def offered_instance_types(client, instance_types):
    """Which of ``instance_types`` the region offers."""
    answer = (
        client.get_paginator("describe_instance_type_offerings")
        .paginate(LocationType="region", Filters=[{"Name": "instance-type", "Values": sorted(set(instance_types))}])
        .build_full_result()
    )
    return sorted(set(o["InstanceType"] for o in answer.get("InstanceTypeOfferings", [])))


def ignore_not_found(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in NOT_FOUND_CODES:
            return None
        raise
