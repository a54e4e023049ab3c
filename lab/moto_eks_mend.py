"""A managed node group's updateConfig, which moto 5.2 drops at CreateNodegroup.

AWS keeps the updateConfig a CreateNodegroup asks for and otherwise answers {"maxUnavailable": 1}; moto stores
none at creation (only UpdateNodegroupConfig sets one), so DescribeNodegroup has no updateConfig. The stock
community.aws.eks_nodegroup reads it on every run and failed with KeyError 'updateConfig' on its second run (the
EKS baseline of `make bench`). The mend keeps what the create asked for, AWS's default otherwise.

Installed by lab/moto_server.py; nothing in plugins/ knows about it.
"""

from moto.eks.models import Nodegroup
from moto.eks.responses import EKSResponse

AWS_DEFAULT = {"maxUnavailable": 1}


def default_update_config(original):
    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if not getattr(self, "update_config", None):
            self.update_config = dict(AWS_DEFAULT)

    init.lab_eks_mend = True
    return init


def keep_asked_update_config(original):
    def create_nodegroup(self):
        answer = original(self)
        asked = self._get_param("updateConfig")
        if asked:
            cluster = self.eks_backend.clusters[self._get_param("name")]
            cluster.nodegroups[self._get_param("nodegroupName")].update_config = asked
        return answer

    create_nodegroup.lab_eks_mend = True
    return create_nodegroup


def install_eks_mend():
    """Idempotent: node groups carry an updateConfig as on AWS."""
    if getattr(Nodegroup.__init__, "lab_eks_mend", False):
        return
    Nodegroup.__init__ = default_update_config(Nodegroup.__init__)
    EKSResponse.create_nodegroup = keep_asked_update_config(EKSResponse.create_nodegroup)
