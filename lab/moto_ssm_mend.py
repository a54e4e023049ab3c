"""SSM DescribeInstanceInformation, which moto 5.2 lacks, so the inventory's SSM ping groups can run against the lab.

moto answers the call with HTTP 500 (not implemented). The lab's answer: every EC2 instance of the account and
region is a managed instance whose agent's ping status follows the instance state, as AWS reports it for
instances with the agent and an instance profile: running -> Online, stopping/stopped -> ConnectionLost,
shutting-down/terminated -> Inactive; a pending instance has not registered yet and is not listed. Filters
``InstanceIds`` and ``PingStatus`` and MaxResults/NextToken paging (5-50 a page) are honoured.

Installed by lab/moto_server.py; nothing in plugins/ knows about it.
"""

from moto.core.responses import ActionResult
from moto.ec2.models import ec2_backends
from moto.ssm.exceptions import ValidationException
from moto.ssm.responses import SimpleSystemManagerResponse

PING_BY_STATE = {
    "running": "Online",
    "stopping": "ConnectionLost",
    "stopped": "ConnectionLost",
    "shutting-down": "Inactive",
    "terminated": "Inactive",
}


def describe_instance_information(self):
    backend = ec2_backends[self.current_account][self.region]
    filters = {item["Key"]: set(item["Values"]) for item in self._get_param("Filters") or []}
    for item in self._get_param("InstanceInformationFilterList") or []:
        filters[item["key"]] = set(item["valueSet"])
    size = int(self._get_param("MaxResults") or 50)
    if not 5 <= size <= 50:
        raise ValidationException("MaxResults must be between 5 and 50")
    found = []
    for instance in sorted(backend.all_instances(), key=lambda each: each.id):
        status = PING_BY_STATE.get(instance.state)
        if status is None:
            continue
        if "InstanceIds" in filters and instance.id not in filters["InstanceIds"]:
            continue
        if "PingStatus" in filters and status not in filters["PingStatus"]:
            continue
        found.append(
            {
                "InstanceId": instance.id,
                "PingStatus": status,
                "AgentVersion": "3.3.0.0",
                "IsLatestVersion": True,
                "PlatformType": "Linux",
                "PlatformName": "Amazon Linux",
                "ResourceType": "EC2Instance",
                "IPAddress": instance.private_ip,
            }
        )
    start = int(self._get_param("NextToken") or 0)
    answer = {"InstanceInformationList": found[start : start + size]}
    if start + size < len(found):
        answer["NextToken"] = str(start + size)
    return ActionResult(answer)


def install_ssm_mend():
    """Idempotent: add DescribeInstanceInformation to moto's SSM responses."""
    if getattr(SimpleSystemManagerResponse, "lab_ssm_mend", False):
        return
    SimpleSystemManagerResponse.describe_instance_information = describe_instance_information
    SimpleSystemManagerResponse.lab_ssm_mend = True
