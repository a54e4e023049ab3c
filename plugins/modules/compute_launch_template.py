#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: compute_launch_template
short_description: Reconcile one app tier's launch template, instance role and instance profile
version_added: 0.1.0
description:
  - Manages, for the V(frontend) or V(backend) tier of a stack, an IAM role with one inline least-privilege
    policy (pull the tier's image, ship metrics and logs, Session Manager), the instance profile carrying it,
    and the launch template C(<stack>-<tier>).
  - The user data (cloud-init) installs Docker and the CloudWatch agent, writes the agent configuration,
    logs in to the registry (ECR, a Secrets Manager secret, or none), pulls the image by tag and runs it with
    a restart policy, a container health check and log shipping to CloudWatch Logs.
  - IMDSv2 is required (hop limit 1 unless O(metadata_hop_limit=2)), the root volume is encrypted gp3, the
    instance gets no public IP (unless O(public_ip=true) for the seed's public-subnet placement).
  - Each template version carries the fingerprint of its data in its description; a rerun with the same
    inputs finds it and creates no version. A change creates one new version and makes it the default.
  - The security group C(<stack>-<tier>) is found by the stack's tags (built by M(hatrading.aws.stack_network)).
author:
  - hatrading.aws maintainers (@hatrading)
options:
  tier:
    description: Which app tier.
    type: str
    required: true
    choices: [frontend, backend]
  image:
    description: Container image reference with a tag, for example V(123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/backend:1.0.0).
    type: str
  port:
    description: Port the container listens on (published on the same host port).
    type: int
  health_path:
    description: Path of the container's health endpoint, starting with a slash.
    type: str
    default: /health
  instance_type:
    description: EC2 instance type; checked against the region's offerings before any change.
    type: str
    default: t3.micro
  image_id:
    description: AMI ID, or C(resolve:ssm:<parameter>) (the default follows the latest Amazon Linux 2023).
    type: str
    default: resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
  metadata_hop_limit:
    description: IMDSv2 hop limit; 1 keeps the credentials on the host, 2 lets containers reach them.
    type: int
    choices: [1, 2]
    default: 1
  root_volume_size:
    description: Root volume size in GiB (encrypted gp3).
    type: int
    default: 20
  public_ip:
    description: Give instances a public IP (only for the seed's placement in public subnets).
    type: bool
    default: false
  registry_auth:
    description:
      - How instances log in to the registry. V(auto) means V(ecr) for an ECR image and V(none) otherwise;
        V(secret) reads a password from O(registry_secret_arn).
    type: str
    choices: [auto, ecr, secret, none]
    default: auto
  registry_username:
    description: User name for V(secret) registry logins.
    type: str
  registry_secret_arn:
    description: Secrets Manager secret holding the registry password (read on the instance, never here).
    type: str
  environment:
    description: Environment of the container (C(PORT) is set to O(port) unless given).
    type: dict
    default: {}
  key_name:
    description: EC2 key pair for SSH; leave unset and use Session Manager.
    type: str
extends_documentation_fragment:
  - hatrading.aws.stack
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Launch template of the back-end tier
  hatrading.aws.compute_launch_template:
    stack: prod
    tier: backend
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/hatrading/backend:1.4.2
    port: 8081
    health_path: /health
    instance_type: m7g.large
    image_id: resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64

- name: Delete it (template, profile, role)
  hatrading.aws.compute_launch_template:
    stack: prod
    tier: backend
    state: absent
"""

RETURN = r"""
plan:
  description: The changes made, or in check mode the changes that would be made, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "update", "kind": "launch_template_version", "name": "prod-backend", "fields": ["instance_type"]}]
plan_text:
  description: The plan as lines a reviewer reads, ending with the counts.
  returned: always
  type: list
  elements: str
  sample: ["~ launch_template_version prod-backend (instance_type)", "Plan: 0 to create, 1 to update, 0 to delete."]
launch_template:
  description: The launch template after the changes (in check mode, as found); empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Launch template ID.
      type: str
      sample: lt-0a1b2c3d4e5f
    name:
      description: Launch template name.
      type: str
      sample: prod-backend
    version:
      description: The latest version, which is also the default one.
      type: int
      sample: 3
    user_data_sha256:
      description: First 16 hex digits of the SHA-256 of the rendered user data.
      type: str
      sample: 0f3a9c1e2b4d5a6f
instance_profile:
  description: Name of the instance profile.
  returned: when state is present
  type: str
  sample: prod-backend-instance
"""

import json

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.hatrading.aws.plugins.module_utils import compute as model
from ansible_collections.hatrading.aws.plugins.module_utils import ec2
from ansible_collections.hatrading.aws.plugins.module_utils import ec2_compute
from ansible_collections.hatrading.aws.plugins.module_utils import iam
from ansible_collections.hatrading.aws.plugins.module_utils import iam_compute
from ansible_collections.hatrading.aws.plugins.module_utils.plan import CREATE
from ansible_collections.hatrading.aws.plugins.module_utils.plan import DELETE
from ansible_collections.hatrading.aws.plugins.module_utils.plan import UPDATE
from ansible_collections.hatrading.aws.plugins.module_utils.plan import Change
from ansible_collections.hatrading.aws.plugins.module_utils.plan import Plan
from ansible_collections.hatrading.aws.plugins.module_utils.stack import missing_tags
from ansible_collections.hatrading.aws.plugins.module_utils.stack import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.stack import tag_list
from ansible_collections.hatrading.aws.plugins.module_utils.stack import tag_specifications
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_stack_name
from ansible_collections.hatrading.aws.plugins.module_utils.validate import validate_tags

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
)


def tier_spec(params, region):
    """What the model needs to render the template, from the module's options."""
    stack, tier = params["stack"], params["tier"]
    n = model.names(stack, tier)
    spec = dict((key, params.get(key)) for key in TIER_SETTINGS + ("image_id", "public_ip", "registry_username", "key_name"))
    spec.update(stack=stack, tier=tier, region=region, log_group=n["log_group"])
    spec["tags"] = model.tier_tags(stack, tier, n["launch_template"], params["tags"])
    spec["instance_tags"] = model.tier_tags(stack, tier, "%s-%s" % (stack, tier), params["tags"])
    return spec


class TemplateApplier:
    def __init__(self, module, ec2_client, iam_client, spec, n, have):
        self.module = module
        self.ec2 = ec2_client
        self.iam = iam_client
        self.spec = spec
        self.n = n
        self.template = have.get("template")
        self.security_group = have.get("security_group")

    def handlers(self):
        return {
            ("iam_role", CREATE): self.create_role,
            ("iam_role", UPDATE): self.update_role,
            ("iam_role", DELETE): self.delete_role,
            ("iam_role_policy", CREATE): self.put_policy,
            ("iam_role_policy", UPDATE): self.put_policy,
            ("instance_profile", CREATE): self.create_profile,
            ("instance_profile", UPDATE): self.update_profile,
            ("instance_profile", DELETE): self.delete_profile,
            ("launch_template", CREATE): self.create_template,
            ("launch_template", UPDATE): self.tag_template,
            ("launch_template_version", UPDATE): self.create_version,
            ("launch_template", DELETE): self.delete_template,
        }

    # -- identity
    def create_role(self, change):
        self.iam.create_role(
            RoleName=change.name,
            AssumeRolePolicyDocument=json.dumps(model.ASSUME_ROLE_POLICY),
            Description="hatrading %s %s instances" % (self.spec["stack"], self.spec["tier"]),
            Tags=tag_list(self.spec["tags"]),
            aws_retry=True,
        )
        self.iam.get_waiter("role_exists").wait(RoleName=change.name, WaiterConfig={"Delay": 2, "MaxAttempts": 30})

    def update_role(self, change):
        if "assume_role_policy" in change.fields:
            self.iam.update_assume_role_policy(RoleName=change.name, PolicyDocument=json.dumps(model.ASSUME_ROLE_POLICY), aws_retry=True)
        if "tags" in change.fields:
            self.iam.tag_role(RoleName=change.name, Tags=tag_list(missing_tags(change.after["tags"], change.before["tags"])), aws_retry=True)

    def put_policy(self, change):
        self.iam.put_role_policy(RoleName=change.name, PolicyName=self.n["policy"], PolicyDocument=json.dumps(change.after, sort_keys=True), aws_retry=True)

    def delete_role(self, change):
        for policy in iam_compute.list_role_policies(self.iam, change.name):
            iam_compute.ignore_missing(self.iam.delete_role_policy, RoleName=change.name, PolicyName=policy, aws_retry=True)
        iam_compute.ignore_missing(self.iam.delete_role, RoleName=change.name, aws_retry=True)

    def create_profile(self, change):
        self.iam.create_instance_profile(InstanceProfileName=change.name, Tags=tag_list(self.spec["tags"]), aws_retry=True)
        self.iam.add_role_to_instance_profile(InstanceProfileName=change.name, RoleName=change.after["role"], aws_retry=True)
        self.iam.get_waiter("instance_profile_exists").wait(InstanceProfileName=change.name, WaiterConfig={"Delay": 2, "MaxAttempts": 30})

    def update_profile(self, change):
        for role in change.before["roles"]:
            self.iam.remove_role_from_instance_profile(InstanceProfileName=change.name, RoleName=role, aws_retry=True)
        self.iam.add_role_to_instance_profile(InstanceProfileName=change.name, RoleName=change.after["role"], aws_retry=True)

    def delete_profile(self, change):
        for role in change.ref.get("Roles") or []:
            iam_compute.ignore_missing(self.iam.remove_role_from_instance_profile, InstanceProfileName=change.name, RoleName=role["RoleName"], aws_retry=True)
        iam_compute.ignore_missing(self.iam.delete_instance_profile, InstanceProfileName=change.name, aws_retry=True)

    # -- launch template
    def _data(self):
        want, data = model.desired_launch_template(self.spec, {"security_group": self.security_group, "instance_profile": self.n["instance_profile"]})
        return want, data

    def create_template(self, change):
        want, data = self._data()
        self.template = self.ec2.create_launch_template(
            LaunchTemplateName=change.name,
            VersionDescription=model.FINGERPRINT_PREFIX + want["fingerprint"],
            LaunchTemplateData=data,
            TagSpecifications=tag_specifications("launch-template", self.spec["tags"]),
            aws_retry=True,
        )["LaunchTemplate"]

    def create_version(self, change):
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

    def tag_template(self, change):
        self.ec2.create_tags(Resources=[change.ref["id"]], Tags=tag_list(missing_tags(change.after["tags"], change.before["tags"] or {})), aws_retry=True)

    def delete_template(self, change):
        ec2_compute.ignore_not_found(self.ec2.delete_launch_template, LaunchTemplateId=change.ref["id"], aws_retry=True)
        self.template = None


def read(ec2_client, iam_client, stack, tier, n, with_network):
    """Everything this module manages, in at most seven reads."""
    found = {}
    if with_network:
        groups = ec2.describe_security_groups(ec2_client, stack_filters(stack, "network") + [{"Name": "tag:Name", "Values": ["%s-%s" % (stack, tier)]}])
        found["security_group"] = groups[0]["GroupId"] if groups else None
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


def main():
    argument_spec = dict(
        stack=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", default={}),
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
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True, required_if=[("state", "present", ["image", "port"])])
    params = module.params
    present = params["state"] == "present"
    errors = validate_stack_name(params["stack"]) + validate_tags(params["tags"], "tags")
    if present:
        errors += model.validate_tier(dict((key, params[key]) for key in TIER_SETTINGS), lambda option: option)
    if errors:  # before any AWS call
        module.fail_json(msg="Invalid compute settings: " + "; ".join(errors), errors=errors)

    n = model.names(params["stack"], params["tier"])
    spec = tier_spec(params, module.region)
    retry = AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=["InvalidIamInstanceProfile.NotFound"])
    ec2_client = module.client("ec2", retry_decorator=retry)
    iam_client = module.client("iam", retry_decorator=AWSRetry.jittered_backoff(retries=8))
    want = {}
    try:
        if present and params["instance_type"] not in ec2_compute.offered_instance_types(ec2_client, [params["instance_type"]]):
            module.fail_json(msg="instance_type: %s is not offered in region %s; pick one the region offers" % (params["instance_type"], module.region))
        have = read(ec2_client, iam_client, params["stack"], params["tier"], n, with_network=present)
        if present:
            if module.check_mode and not have["security_group"]:
                have["security_group"] = "(created by this run)"  # the network is planned in the same check run
            if not have["security_group"]:
                module.fail_json(msg="security group %s-%s of stack %s not found; build the network first" % (params["stack"], params["tier"], params["stack"]))
            plan, want = plan_present(spec, n, have)
        else:
            plan = plan_absent(n, have)
        applier = TemplateApplier(module, ec2_client, iam_client, spec, n, have)
        plan.apply(applier.handlers(), check_mode=module.check_mode)
    except model.ComputePlanError as error:
        module.fail_json(msg=str(error))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, botocore.exceptions.WaiterError) as error:
        module.fail_json_aws(error, msg="Failed to reconcile the %s launch template of stack %s" % (params["tier"], params["stack"]))

    template = applier.template
    result = dict(changed=plan.changed, plan=plan.as_list(), plan_text=plan.render(), launch_template={})
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
    if module._diff:
        result["diff"] = plan.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
