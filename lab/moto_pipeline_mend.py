"""Two CodeDeploy calls moto 5.2.5 lacks and one answer it garbles, so the pipeline tier can run against the lab.

moto implements CreateApplication and CreateDeploymentGroup but neither DeleteDeploymentGroup nor
DeleteApplication (an unimplemented action answers HTTP 500). These are the smallest faithful versions:
deleting a missing deployment group answers an empty ``hooksNotCleanedUp``; deleting an application
removes its deployment groups too, as AWS does.

GetDeploymentGroup answers ``autoScalingGroups`` with the bare names it was given where the API has
structures (``[{"name", "hook"}]``), so botocore reads ``[{}]`` and no client can see which group is
targeted; the mend answers the structures, as AWS does.

Installed by lab/moto_server.py, like the launch template fix; nothing in plugins/ knows about it.
"""

from moto.codedeploy import responses
from moto.codedeploy.exceptions import ApplicationDoesNotExistException
from moto.codedeploy.models import codedeploy_backends
from moto.codedeploy.responses import CodeDeployResponse
from moto.core.responses import ActionResult


def _backend(response):
    return codedeploy_backends[response.current_account][response.region]


def delete_deployment_group(self):
    backend = _backend(self)
    name = self._get_param("applicationName")
    if name not in backend.applications:
        raise ApplicationDoesNotExistException("The application %s does not exist with the user or AWS account." % name)
    backend.deployment_groups.get(name, {}).pop(self._get_param("deploymentGroupName"), None)
    return ActionResult({"hooksNotCleanedUp": []})


def delete_application(self):
    backend = _backend(self)
    name = self._get_param("applicationName")
    backend.applications.pop(name, None)  # AWS answers success for a missing application too
    backend.deployment_groups.pop(name, None)
    return ActionResult({})


def _group_info(original):
    def deployment_group_info(group):
        info = original(group)
        info["autoScalingGroups"] = [
            {"name": name, "hook": "CodeDeploy-managed-automatic-launch-deployment-hook-%s" % group.deployment_group_name} if isinstance(name, str) else name
            for name in info.get("autoScalingGroups") or []
        ]
        return info

    return deployment_group_info


def install_pipeline_mend():
    """Idempotent: add the two handlers to moto's CodeDeploy responses and mend the deployment group answer."""
    if getattr(CodeDeployResponse, "lab_pipeline_mend", False):
        return
    responses._deployment_group_info = _group_info(responses._deployment_group_info)
    CodeDeployResponse.delete_deployment_group = delete_deployment_group
    CodeDeployResponse.delete_application = delete_application
    CodeDeployResponse.lab_pipeline_mend = True
