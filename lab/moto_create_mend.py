"""Creates that AWS answers idempotently, where moto 5.2.5 makes a second resource.

AWS: creating a load balancer with the name of an existing one (same settings) returns the existing one;
creating a listener with the settings of an existing one returns it, and another protocol on a port in
use is ``DuplicateListener``. moto creates a second load balancer of the same name, and a second listener
on the same port (its duplicate check compares the port with the listeners' ARNs). So a retry after a lost
answer (tests/faults) duplicates them in the lab only.

Installed by lab/moto_server.py; nothing in plugins/ knows about it.
"""

from moto.elbv2.exceptions import DuplicateListenerError
from moto.elbv2.models import ELBv2Backend


def install_create_mend():
    """Patch ELBv2Backend.create_load_balancer and create_listener (once per process)."""
    if getattr(ELBv2Backend.create_load_balancer, "lab_mend", False):
        return
    moto_create_load_balancer = ELBv2Backend.create_load_balancer
    moto_create_listener = ELBv2Backend.create_listener

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

    create_load_balancer.lab_mend = True
    ELBv2Backend.create_load_balancer = create_load_balancer
    ELBv2Backend.create_listener = create_listener
