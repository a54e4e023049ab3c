"""stack_network's wait option: NAT gateways waited for in the module, or handed on to stack_wait."""

from types import SimpleNamespace

from ansible_collections.hatrading.aws.plugins.module_utils.network.apply import NetworkApplier


class RecordingEC2:
    def __init__(self):
        self.waits = []

    def wait(self, name, timeout, **params):
        self.waits.append((name, timeout, params))


def applier(wait):
    ec2 = RecordingEC2()
    have = {"nat_gateway": {"demo-nat-a": {"id": "nat-a"}, "demo-nat-b": {"id": "nat-b"}}}
    return ec2, NetworkApplier(SimpleNamespace(ec2=ec2), "demo", have, 900, wait=wait)


def test_by_default_the_module_waits_for_new_nat_gateways_itself():
    ec2, network = applier(wait=True)
    network.wait_nat_available([SimpleNamespace(name="demo-nat-a"), SimpleNamespace(name="demo-nat-b")])
    assert ec2.waits == [("nat_gateway_available", 900, {"NatGatewayIds": ["nat-a", "nat-b"]})]
    assert network.pending_nats == []


def test_without_waiting_it_hands_their_ids_on():
    ec2, network = applier(wait=False)
    network.wait_nat_available([SimpleNamespace(name="demo-nat-a"), SimpleNamespace(name="demo-nat-b")])
    assert ec2.waits == []
    assert network.pending_nats == ["nat-a", "nat-b"]
