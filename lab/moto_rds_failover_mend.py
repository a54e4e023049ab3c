"""RDS failover in the lab's moto: RebootDBInstance with ForceFailover, and a Multi-AZ instance's standby AZ.

moto 5.2 ignores ``ForceFailover`` (a reboot answers the instance unchanged) and reports no
``SecondaryAvailabilityZone`` for a Multi-AZ instance, so a failover cannot be asked for or seen.
The mend, as AWS answers:

- a Multi-AZ instance (not an Aurora member) reports ``SecondaryAvailabilityZone``: another AZ of
  its DB subnet group (else of the region), fixed at the first answer;
- ``RebootDBInstance(ForceFailover=true)`` on it swaps ``AvailabilityZone`` and
  ``SecondaryAvailabilityZone`` (the standby is the primary now); on a Single-AZ instance it is
  refused with ``InvalidParameterCombination``, as AWS refuses it.

Aurora's ``FailoverDBCluster`` is moto's own (the writer flag moves to a reader).

The lab's data plane (lab/plane/database.py) follows those answers as it follows Auto Scaling: the
PostgreSQL node in the AZ moto reports as primary (the writer's, for a cluster) is promoted and the
stable name moves to it. Installed by lab/moto_server.py; nothing in plugins/ knows about it.
"""

from moto.rds.exceptions import RDSClientError
from moto.rds.models import DBInstance, DBInstanceClustered
from moto.rds.responses import RDSResponse


def _is_true(value):
    return value is True or str(value).lower() == "true"


def _zones_for(instance):
    """The AZs the instance could have a standby in: its DB subnet group's, else the region's a-c."""
    zones = []
    group = getattr(instance, "db_subnet_group", None)
    for subnet in getattr(group, "subnets", None) or []:
        zone = getattr(subnet, "availability_zone", None)
        if zone and zone not in zones:
            zones.append(zone)
    return zones or ["%s%s" % (instance.region, letter) for letter in "abc"]


def secondary_availability_zone(self):
    if isinstance(self, DBInstanceClustered) or not self.multi_az:
        return None
    zone = getattr(self, "_lab_secondary_az", None)
    if zone is None or zone == self.availability_zone:
        others = [z for z in _zones_for(self) if z != self.availability_zone]
        zone = self._lab_secondary_az = others[0] if others else None
    return zone


def reboot_db_instance(original):
    def reboot(self):
        if _is_true(self.params.get("ForceFailover")):
            instance = self.backend.describe_db_instances(self.params.get("DBInstanceIdentifier"))[0]
            standby = instance.secondary_availability_zone
            if standby is None:
                raise RDSClientError("InvalidParameterCombination", "Cannot do a failover on a DB instance that is not a Multi-AZ DB instance.")
            instance._lab_secondary_az, instance.availability_zone = instance.availability_zone, standby
        return original(self)

    reboot.lab_rds_failover_mend = True
    return reboot


def install_rds_failover_mend():
    """Idempotent: SecondaryAvailabilityZone on Multi-AZ instances and a ForceFailover that swaps it."""
    if getattr(RDSResponse.reboot_db_instance, "lab_rds_failover_mend", False):
        return
    DBInstance.secondary_availability_zone = property(secondary_availability_zone)
    RDSResponse.reboot_db_instance = reboot_db_instance(RDSResponse.reboot_db_instance)
