# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One app tier's instance role, least-privilege policy, instance profile and launch template: read, plan, apply.

Used by the modules compute_launch_template (one tier) and stack_compute (every tier in one run).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils import compute as model
from ansible_collections.hatrading.aws.plugins.module_utils import ec2_compute
from ansible_collections.hatrading.aws.plugins.module_utils import iam
from ansible_collections.hatrading.aws.plugins.module_utils import iam_compute
from ansible_collections.hatrading.aws.plugins.module_utils.compute_network import NetworkView
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Applier
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.core.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_IMAGE
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_specifications

TIER_SETTINGS = (
    "image",
    "port",
    "health_path",
    "instance_type",
    "metadata_hop_limit",
    "root_volume_size",
    "registry_auth",
    "registry_secret_arn",
    "environment",
    "codedeploy_bucket",
)


def tier_spec(params, region):
    """What the model needs to render the template, from the module's options."""
    stack, tier = params["stack"], params["tier"]
    n = model.names(stack, tier)
    spec = dict((key, params.get(key)) for key in TIER_SETTINGS + ("image_id", "public_ip", "registry_username", "key_name"))
    spec.update(stack=stack, tier=tier, region=region, log_group=n["log_group"])
    spec["tags"] = model.tier_tags(stack, tier, n["launch_template"], params["tags"])
    # the image each instance was launched to run (the inventory reports it as image_tag)
    spec["instance_tags"] = dict(model.tier_tags(stack, tier, "%s-%s" % (stack, tier), params["tags"]), **{TAG_IMAGE: params.get("image") or ""})
    return spec


class TemplateApplier(Applier):
    def __init__(self, ec2_client, iam_client, spec, n, have):
        self.ec2 = ec2_client
        self.iam = iam_client
        self.spec = spec
        self.n = n
        self.template = have.get("template")
        self.security_group = have.get("security_group")

    # -- identity
    def create_iam_role(self, change):
        self.iam.create_role(
            RoleName=change.name,
            AssumeRolePolicyDocument=json.dumps(model.ASSUME_ROLE_POLICY),
            Description="hatrading %s %s instances" % (self.spec["stack"], self.spec["tier"]),
            Tags=tag_list(self.spec["tags"]),
            aws_retry=True,
        )
        self.iam.get_waiter("role_exists").wait(RoleName=change.name, WaiterConfig={"Delay": 2, "MaxAttempts": 30})

    def update_iam_role(self, change):
        if "assume_role_policy" in change.fields:
            self.iam.update_assume_role_policy(RoleName=change.name, PolicyDocument=json.dumps(model.ASSUME_ROLE_POLICY), aws_retry=True)
        if "tags" in change.fields:
            self.iam.tag_role(RoleName=change.name, Tags=tag_list(missing_tags(change.after["tags"], change.before["tags"])), aws_retry=True)

    def create_iam_role_policy(self, change):
        self.iam.put_role_policy(RoleName=change.name, PolicyName=self.n["policy"], PolicyDocument=json.dumps(change.after, sort_keys=True), aws_retry=True)

    def delete_iam_role(self, change):
        for policy in iam_compute.list_role_policies(self.iam, change.name):
            iam_compute.ignore_missing(self.iam.delete_role_policy, RoleName=change.name, PolicyName=policy, aws_retry=True)
        iam_compute.ignore_missing(self.iam.delete_role, RoleName=change.name, aws_retry=True)

    update_iam_role_policy = create_iam_role_policy  # put_role_policy creates or replaces

    def create_instance_profile(self, change):
        self.iam.create_instance_profile(InstanceProfileName=change.name, Tags=tag_list(self.spec["tags"]), aws_retry=True)
        self.iam.add_role_to_instance_profile(InstanceProfileName=change.name, RoleName=change.after["role"], aws_retry=True)
        self.iam.get_waiter("instance_profile_exists").wait(InstanceProfileName=change.name, WaiterConfig={"Delay": 2, "MaxAttempts": 30})

    def update_instance_profile(self, change):
        for role in change.before["roles"]:
            self.iam.remove_role_from_instance_profile(InstanceProfileName=change.name, RoleName=role, aws_retry=True)
        self.iam.add_role_to_instance_profile(InstanceProfileName=change.name, RoleName=change.after["role"], aws_retry=True)

    def delete_instance_profile(self, change):
        for role in change.ref.get("Roles") or []:
            iam_compute.ignore_missing(self.iam.remove_role_from_instance_profile, InstanceProfileName=change.name, RoleName=role["RoleName"], aws_retry=True)
        iam_compute.ignore_missing(self.iam.delete_instance_profile, InstanceProfileName=change.name, aws_retry=True)

    # -- launch template
    def _data(self):
        want, data = model.desired_launch_template(self.spec, {"security_group": self.security_group, "instance_profile": self.n["instance_profile"]})
        return want, data

    def create_launch_template(self, change):
        want, data = self._data()
        self.template = self.ec2.create_launch_template(
            LaunchTemplateName=change.name,
            VersionDescription=model.FINGERPRINT_PREFIX + want["fingerprint"],
            LaunchTemplateData=data,
            TagSpecifications=tag_specifications("launch-template", self.spec["tags"]),
            aws_retry=True,
        )["LaunchTemplate"]

    def update_launch_template_version(self, change):
        want, data = self._data()
        version = self.ec2.create_launch_template_version(
            LaunchTemplateId=change.ref["id"],
            VersionDescription=model.FINGERPRINT_PREFIX + want["fingerprint"],
            LaunchTemplateData=data,
            aws_retry=True,
        )["LaunchTemplateVersion"]
        number = version["VersionNumber"]
        self.ec2.modify_launch_template(LaunchTemplateId=change.ref["id"], DefaultVersion=str(number), aws_retry=True)
        self.template = dict(self.template, LatestVersionNumber=number, DefaultVersionNumber=number)

    def update_launch_template(self, change):
        self.ec2.create_tags(Resources=[change.ref["id"]], Tags=tag_list(missing_tags(change.after["tags"], change.before["tags"] or {})), aws_retry=True)

    def delete_launch_template(self, change):
        ec2_compute.ignore_not_found(self.ec2.delete_launch_template, LaunchTemplateId=change.ref["id"], aws_retry=True)
        self.template = None


ARGUMENT_SPEC = dict(
    tier=dict(type="str", required=True, choices=list(model.APP_TIERS)),
    image=dict(type="str"),
    port=dict(type="int"),
    health_path=dict(type="str", default="/health"),
    instance_type=dict(type="str", default="t3.micro"),
    image_id=dict(type="str", default=model.DEFAULT_AMI),
    metadata_hop_limit=dict(type="int", choices=[1, 2], default=1),
    root_volume_size=dict(type="int", default=20),
    public_ip=dict(type="bool", default=False),
    registry_auth=dict(type="str", choices=list(model.REGISTRY_AUTH), default="auto"),
    registry_username=dict(type="str"),
    registry_secret_arn=dict(type="str", no_log=False),  # an ARN, not the secret
    environment=dict(type="dict", default={}),
    key_name=dict(type="str", no_log=False),
    codedeploy_bucket=dict(type="str"),
)
REQUIRED_IF = [("state", "present", ["image", "port"])]
# a launch template naming an instance profile IAM has not yet propagated to EC2
RETRIES = {"ec2": AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["InvalidIamInstanceProfile.NotFound"])}


def validate(params):
    """Errors in the settings of one tier (no AWS call)."""
    if params["state"] != "present":
        return []
    return model.validate_tier(dict((key, params[key]) for key in TIER_SETTINGS), lambda option: option)


def read(ec2_client, iam_client, network, stack, tier, n, with_network):
    """Everything this step manages, in at most five reads (the security group comes from the shared network view)."""
    found = {}
    if with_network:
        found["security_group"] = network.security_group("%s-%s" % (stack, tier))
    found["template"] = ec2_compute.describe_launch_template(ec2_client, n["launch_template"])
    found["version"] = ec2_compute.describe_latest_version(ec2_client, found["template"]["LaunchTemplateId"]) if found["template"] else None
    found["role"] = iam.get_role(iam_client, n["role"])
    found["policy"] = iam.get_role_policy(iam_client, n["role"], n["policy"]) if found["role"] else None
    found["profile"] = iam_compute.get_instance_profile(iam_client, n["instance_profile"])
    return found


def plan_present(spec, n, have):
    plan = Plan(model.plan_role(n["role"], have["role"], spec["tags"]))
    plan.extend(model.plan_role_policy(n["role"], model.instance_policy(spec), have["policy"]))
    plan.extend(model.plan_instance_profile(n["instance_profile"], n["role"], have["profile"]))
    want, _data = model.desired_launch_template(spec, {"security_group": have["security_group"], "instance_profile": n["instance_profile"]})
    plan.extend(model.plan_launch_template(n["launch_template"], want, model.actual_launch_template(have["template"], have["version"])))
    return plan, want


def plan_absent(n, have):
    plan = Plan()
    if have["template"]:
        found = {"id": have["template"]["LaunchTemplateId"]}
        plan.extend([Change(DELETE, "launch_template", n["launch_template"], before=found, ref=found)])
    if have["profile"]:
        roles = [r["RoleName"] for r in have["profile"].get("Roles") or []]
        plan.extend([Change(DELETE, "instance_profile", n["instance_profile"], before={"roles": roles}, ref=have["profile"])])
    if have["role"]:
        plan.extend([Change(DELETE, "iam_role", n["role"], before={"arn": have["role"]["Arn"]})])
    return plan


def check_instance_types(ec2_client, params_list, region):
    """Errors for instance types the region does not offer, one read for every tier of the run."""
    wanted = sorted(set(p["instance_type"] for p in params_list))
    if not wanted:
        return []
    offered = ec2_compute.offered_instance_types(ec2_client, wanted)
    return [
        "%s instance_type: %s is not offered in region %s; pick one the region offers" % (p["tier"], p["instance_type"], region)
        for p in params_list
        if p["instance_type"] not in offered
    ]


def reconcile(clients, params, check_mode, region, network=None, checked_types=False):
    """Plan and (unless ``check_mode``) apply one tier's template and identity; returns (plan, result fields).

    ``checked_types``: the caller has already asked check_instance_types for this tier.
    Raises model.ComputeError when the network is missing or the instance type is not offered.
    """
    stack, tier = params["stack"], params["tier"]
    present = params["state"] == "present"
    n = model.names(stack, tier)
    ec2_client, iam_client = clients("ec2"), clients("iam")
    network = network or NetworkView(ec2_client, stack)
    spec = tier_spec(params, region)
    want = {}
    if present and not checked_types:
        errors = check_instance_types(ec2_client, [params], region)
        if errors:
            raise model.ComputeError("; ".join(errors))
    have = read(ec2_client, iam_client, network, stack, tier, n, with_network=present)
    if present:
        if check_mode and not have["security_group"]:
            have["security_group"] = "(created by this run)"  # the network is planned in the same check run
        if not have["security_group"]:
            raise model.ComputeError("security group %s-%s of stack %s not found; build the network first" % (stack, tier, stack))
        plan, want = plan_present(spec, n, have)
    else:
        plan = plan_absent(n, have)
    applier = TemplateApplier(ec2_client, iam_client, spec, n, have)
    plan.apply(applier.handlers(), check_mode=check_mode)

    template = applier.template
    result = dict(launch_template={})
    if template:
        result["launch_template"] = dict(
            id=template["LaunchTemplateId"],
            name=template["LaunchTemplateName"],
            version=template.get("LatestVersionNumber"),
            default_version=template.get("DefaultVersionNumber"),
            user_data_sha256=want.get("user_data_sha256"),
        )
    if present:
        result["instance_profile"] = n["instance_profile"]
    return plan, result
