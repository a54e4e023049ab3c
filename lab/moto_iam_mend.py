"""The AWS managed policies the EKS tier attaches, which moto 5.2 knows only with MOTO_IAM_LOAD_MANAGED_POLICIES.

With that setting moto loads all of AWS's ~1,300 managed policies into every account's IAM (about 0.25 s each
time an account is made, after every reset). The lab loads only the few the collection attaches, so
AttachRolePolicy with arn:aws:iam::aws:policy/AmazonEKSClusterPolicy answers as AWS does. With the setting on,
moto's own full list is kept.

Installed by lab/moto_server.py; nothing in plugins/ knows about it.
"""

import json

from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy
from moto.iam.models import IAMBackend

ATTACHED = ("AmazonEKSClusterPolicy", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")
_documents = {}


def _policy_data():
    if not _documents:
        everything = json.loads(aws_managed_policies_data)
        _documents.update((name, everything[name]) for name in ATTACHED)
    return _documents


def install_iam_mend():
    """Give every new IAM backend the managed policies in ATTACHED (once per process)."""
    if getattr(IAMBackend._init_aws_policies, "lab_mend", False):
        return
    moto_init = IAMBackend._init_aws_policies

    def init_aws_policies(self):
        found = moto_init(self)
        if found:
            return found
        return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data) for name, data in _policy_data().items()]

    init_aws_policies.lab_mend = True
    IAMBackend._init_aws_policies = init_aws_policies
