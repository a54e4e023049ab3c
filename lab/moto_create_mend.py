"""Creates answered as AWS answers them, where moto 5.2.5 makes a second resource or replaces the first.

- **CreateLoadBalancer**: AWS returns the existing load balancer of that name (same settings); moto made a
  second one of the same name.
- **CreateListener**: AWS returns the existing listener with those settings, and answers ``DuplicateListener``
  for another protocol on a port in use; moto made a second listener on the same port (its duplicate check
  compares the port with the listeners' ARNs).
- **CreateTargetGroup**: AWS returns the existing target group of that name when the protocol, port and VPC
  are the same (the call is idempotent), and answers ``DuplicateTargetGroupName`` otherwise; moto always
  answered ``DuplicateTargetGroupName``.
- **CreateAutoScalingGroup**: AWS answers ``AlreadyExists`` ("AutoScalingGroup by this name already
  exists") for a name in use; moto replaced the group with a new one, leaving the first group's instances
  running, tagged with the stack, in no group.
- **CreatePipeline**: AWS answers ``PipelineNameInUseException`` for a pipeline name in use; moto answered
  ``InvalidStructureException``, the code of a malformed declaration.

So a retry after a lost answer (tests/faults) duplicated or replaced them in the lab only. With the mend, the
lab answers a retried create as AWS does, and the collection's handling of those answers is what gets tested.

Installed by lab/moto_server.py; nothing in plugins/ knows about it.
"""

from moto.autoscaling.exceptions import AutoscalingClientError
from moto.autoscaling.models import AutoScalingBackend
from moto.codepipeline.exceptions import CodePipelineException
from moto.codepipeline.models import CodePipelineBackend
from moto.elbv2.exceptions import DuplicateListenerError
from moto.elbv2.models import ELBv2Backend


# Auto Scaling's AlreadyExistsFault: moto serializes it by the model's shape (HTTP 400, code AlreadyExists), and finds
# the service by the exception class's module, so the class must be moto's own.
ALREADY_EXISTS_SHAPE = "AlreadyExistsFault"


def install_create_mend():
    """Patch the five creates (once per process)."""
    if getattr(ELBv2Backend.create_load_balancer, "lab_mend", False):
        return
    moto_create_load_balancer = ELBv2Backend.create_load_balancer
    moto_create_listener = ELBv2Backend.create_listener
    moto_create_target_group = ELBv2Backend.create_target_group
    moto_create_auto_scaling_group = AutoScalingBackend.create_auto_scaling_group
    moto_create_pipeline = CodePipelineBackend.create_pipeline

    def create_load_balancer(self, *args, **kwargs):
        name = kwargs.get("name", args[0] if args else None)
        for balancer in self.load_balancers.values():
            if balancer.name == name:
                return balancer
        return moto_create_load_balancer(self, *args, **kwargs)

    def create_listener(self, load_balancer_arn, protocol, port, *args, **kwargs):
        balancer = self.load_balancers.get(load_balancer_arn)
        for listener in balancer.listeners.values() if balancer else []:
            if str(listener.port) == str(port):
                if listener.protocol != protocol:
                    raise DuplicateListenerError()
                return listener
        return moto_create_listener(self, load_balancer_arn, protocol, port, *args, **kwargs)

    def create_target_group(self, name, **kwargs):
        for group in self.target_groups.values():
            same = (group.protocol, str(group.port), group.vpc_id) == (kwargs.get("protocol"), str(kwargs.get("port")), kwargs.get("vpc_id"))
            if group.name == name and same:
                return group
        return moto_create_target_group(self, name, **kwargs)  # moto answers DuplicateTargetGroupName for other settings

    def create_auto_scaling_group(self, name, *args, **kwargs):
        if name in self.autoscaling_groups:
            message = "AutoScalingGroup by this name already exists - A group with the name %s already exists" % name
            raise AutoscalingClientError(ALREADY_EXISTS_SHAPE, message)
        return moto_create_auto_scaling_group(self, name, *args, **kwargs)

    def create_pipeline(self, pipeline, tags):
        if pipeline["name"] in self.pipelines:
            message = "A pipeline with the name '%s' already exists in account '%s'" % (pipeline["name"], self.account_id)
            raise CodePipelineException("PipelineNameInUseException", message)
        return moto_create_pipeline(self, pipeline, tags)

    create_load_balancer.lab_mend = True
    ELBv2Backend.create_load_balancer = create_load_balancer
    ELBv2Backend.create_listener = create_listener
    ELBv2Backend.create_target_group = create_target_group
    AutoScalingBackend.create_auto_scaling_group = create_auto_scaling_group
    CodePipelineBackend.create_pipeline = create_pipeline
