"""A group member terminated through EC2 is replaced and its replacement registered in the group's target groups.

moto 5.2 replaces an Auto Scaling member that EC2 TerminateInstances ends (as AWS's EC2 health
check does) but registers the replacement only with Classic ELBs, never with the group's target
groups: after an instance-loss drill the tier stayed one target short for ever. AWS registers every
instance a group launches in its target groups; the mend does the same after each replacement.

moto also tags every instance a group launches with the template's default version
(``aws:ec2launchtemplate:version``), while it launches the group's version: a group switched to
version 2 launched version 2's user data tagged "1". The mend tags the version launched, as AWS does.

Installed by lab/moto_server.py (after the AZ-spread mend, which it wraps); nothing in plugins/ knows about it.
"""

from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup

VERSION_TAG = "aws:ec2launchtemplate:version"


def notify_terminate_instances(original):
    def notify(self, instance_ids):
        original(self, instance_ids)
        for name, group in list(self.autoscaling_groups.items()):
            if group.target_group_arns:
                self.update_attached_target_groups(name)

    return notify


def tag_launched_version(original):
    def replace(self, count_needed, propagated_tags):
        before = set(state.instance.id for state in self.instance_states)
        original(self, count_needed, propagated_tags)
        if not self.ec2_launch_template:
            return
        number = str(self.ec2_launch_template.get_version(self.launch_template_version).number)
        for state in self.instance_states:
            if state.instance.id not in before:
                state.instance.add_tags({VERSION_TAG: number})

    return replace


def install_replace_mend():
    """Idempotent: target groups follow the replacements of terminated members."""
    if getattr(FakeAutoScalingGroup, "lab_replace_mend", False):  # on the class: a later wrapper would hide a mark on the method
        return
    FakeAutoScalingGroup.lab_replace_mend = True
    AutoScalingBackend.notify_terminate_instances = notify_terminate_instances(AutoScalingBackend.notify_terminate_instances)
    FakeAutoScalingGroup.replace_autoscaling_group_instances = tag_launched_version(FakeAutoScalingGroup.replace_autoscaling_group_instances)
