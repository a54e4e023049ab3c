"""Auto Scaling spreads a group over its subnets' AZs, as AWS balances them; moto puts every instance in the first subnet.

moto 5.2 launches all of a group's instances in the first subnet of VPCZoneIdentifier, so every
group sits in one AZ: the HA audit warns (``compute.instances_spread``) and no AZ-loss drill can
mean anything. AWS keeps a group balanced across its enabled AZs:

- a launch goes to the AZ with the fewest instances of the group (ties: the subnets' order);
- a scale-in terminates from the AZ with the most (ties: the oldest instance first, as moto does).

The mend launches one instance at a time in the subnet of the emptiest AZ (the first subnet listed
for that AZ), and, before a scale-in, puts the instances of the fullest AZs first in the order moto
removes them in. A group without subnets (AvailabilityZones only) is left to moto.

Installed by lab/moto_server.py, like the other mends; nothing in plugins/ knows about it.
"""

from moto.autoscaling.models import ASG_NAME_TAG, FakeAutoScalingGroup, InstanceState

ACTIVE_STATES = ("Pending", "InService")


def subnet_zones(group):
    """[(subnet id, AZ)] in VPCZoneIdentifier order."""
    ids = [s for s in (group.vpc_zone_identifier or "").split(",") if s]
    if not ids:
        return []
    by_id = {s.id: s.availability_zone for s in group.autoscaling_backend.ec2_backend.describe_subnets(subnet_ids=ids)}
    return [(i, by_id[i]) for i in ids if i in by_id]


def zone_counts(group, zones):
    """AZ -> number of the group's active instances there, for every AZ of the group's subnets."""
    counts = {zone: 0 for _subnet, zone in zones}
    for state in group.instance_states:
        if state.lifecycle_state in ACTIVE_STATES and state.instance.placement.zone in counts:
            counts[state.instance.placement.zone] += 1
    return counts


def emptiest_subnet(zones, counts):
    """The first subnet of the AZ with the fewest instances (ties: the subnets' order)."""
    order = {}
    for subnet, zone in zones:
        order.setdefault(zone, (len(order), subnet))
    zone = min(order, key=lambda z: (counts[z], order[z][0]))
    return order[zone][1]


def scale_in_order(states, zone_of):
    """The unprotected instance states in the order a balanced scale-in takes them: each from the fullest AZ, oldest first."""
    remaining = [s for s in states if not s.protected_from_scale_in]
    counts = {}
    for state in remaining:
        counts[zone_of(state)] = counts.get(zone_of(state), 0) + 1
    ordered = []
    while remaining:
        most = max(counts.values())
        pick = next(s for s in remaining if counts[zone_of(s)] == most)  # ties: the oldest instance's AZ
        fullest = zone_of(pick)
        remaining.remove(pick)
        counts[fullest] -= 1
        ordered.append(pick)
    return ordered


def _launch_balanced(original):
    def replace_autoscaling_group_instances(self, count_needed, propagated_tags):
        zones = subnet_zones(self)
        if len({zone for _subnet, zone in zones}) < 2:
            return original(self, count_needed, propagated_tags)
        propagated_tags[ASG_NAME_TAG] = self.name
        propagated_tags.update(self.instance_tags)
        launch_template = None
        if self.ec2_launch_template:
            key = "LaunchTemplateId" if self.ec2_launch_template.id else "LaunchTemplateName"
            launch_template = {key: self.ec2_launch_template.id or self.ec2_launch_template.name}
        associate_public_ip = self.launch_config.associate_public_ip_address if self.launch_config else None
        for _one in range(count_needed):
            subnet = emptiest_subnet(zones, zone_counts(self, zones))
            reservation = self.autoscaling_backend.ec2_backend.run_instances(
                self.image_id,
                1,
                self.user_data,
                self.security_groups,
                instance_type=self.instance_type,
                tags={"instance": dict(propagated_tags)},
                launch_config=self.launch_config,
                launch_template=launch_template,
                is_instance_type_default=False,
                associate_public_ip=associate_public_ip,
                subnet_id=subnet,
            )
            for instance in reservation.instances:
                instance.autoscaling_group = self
                self.instance_states.append(InstanceState(instance, protected_from_scale_in=self.new_instances_protected_from_scale_in))

    return replace_autoscaling_group_instances


def _scale_in_balanced(original):
    def set_desired_capacity(self, new_capacity):
        if subnet_zones(self):
            ordered = scale_in_order(self.instance_states, lambda s: s.instance.placement.zone)
            self.instance_states = ordered + [s for s in self.instance_states if s.protected_from_scale_in]
        return original(self, new_capacity)

    return set_desired_capacity


def install_asg_mend():
    """Idempotent: balanced launches and balanced scale-in for groups with subnets."""
    # marked on the class: the replacement mend wraps this same method, hiding a mark on the function
    if getattr(FakeAutoScalingGroup, "lab_asg_mend", False):
        return
    FakeAutoScalingGroup.lab_asg_mend = True
    FakeAutoScalingGroup.replace_autoscaling_group_instances = _launch_balanced(FakeAutoScalingGroup.replace_autoscaling_group_instances)
    FakeAutoScalingGroup.set_desired_capacity = _scale_in_balanced(FakeAutoScalingGroup.set_desired_capacity)
