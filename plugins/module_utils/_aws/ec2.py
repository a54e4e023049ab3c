# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2: what the collection asks of it beyond a plain retried call (see base.py: any other operation is one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import RETRIES
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import SERVER_ERRORS
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import THROTTLING
from ansible_collections.hatrading.aws.plugins.module_utils._aws.base import Service


class EC2(Service):
    NAME = "ec2"
    # right after a create, EC2 may not yet know the new ID everywhere (eventual consistency)
    RETRY_CODES = (
        "InvalidVpcID.NotFound",
        "InvalidSubnetID.NotFound",
        "InvalidInternetGatewayID.NotFound",
        "InvalidNatGatewayID.NotFound",
        "InvalidRouteTableID.NotFound",
        "InvalidNetworkAclID.NotFound",
        "InvalidGroup.NotFound",
        "InvalidAllocationID.NotFound",
        "InvalidLaunchTemplateId.NotFound",
        "InvalidIamInstanceProfile.NotFound",
    )
    NOT_FOUND = RETRY_CODES[:-1] + (
        "InvalidAssociationID.NotFound",
        "InvalidPermission.NotFound",
        "InvalidLaunchTemplateName.NotFoundException",
        "InvalidLaunchTemplateId.Malformed",
        "InvalidFlowLogId.NotFound",
        "InvalidInstanceID.NotFound",
    )

    def create_flow_logs_when_role_ready(self, **params):
        """create_flow_logs that also retries InvalidParameter: EC2 may not yet accept a just-made delivery role."""
        retry = self.RETRY_CLASS.jittered_backoff(retries=RETRIES, catch_extra_error_codes=list(THROTTLING + SERVER_ERRORS) + ["InvalidParameter"])
        return retry(self.client.create_flow_logs)(**params)
