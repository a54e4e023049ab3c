"""stack_network's wait option: NAT gateways waited for in the module, or handed on to stack_wait."""

from types import SimpleNamespace

from ansible_collections.hatrading.aws.plugins.module_utils.network.apply import NetworkApplier


class RecordingEC2:
    """The stack holds two addresses: one a NAT of this run was given, one a lost AllocateAddress left idle."""

    def __init__(self):
        self.waits, self.released = [], []
        self.addresses = [{"AllocationId": "eipalloc-held"}, {"AllocationId": "eipalloc-stray", "Tags": [{"Key": "Name", "Value": "demo-eip-a"}]}]

    def wait(self, name, timeout, **params):
        self.waits.append((name, timeout, params))

    def describe_addresses(self, Filters):
        return {"Addresses": self.addresses}

    def release_address(self, AllocationId):
        self.released.append(AllocationId)


def applier(wait):
    ec2 = RecordingEC2()
    have = {"nat_gateway": {"demo-nat-a": {"id": "nat-a"}, "demo-nat-b": {"id": "nat-b"}}}
    network = NetworkApplier(SimpleNamespace(ec2=ec2), "demo", have, 900, wait=wait)
    network._nat_addresses.add("eipalloc-held")  # allocated for a NAT created in this run
    return ec2, network


def test_by_default_the_module_waits_for_new_nat_gateways_itself():
    ec2, network = applier(wait=True)
    network.wait_nat_available([SimpleNamespace(name="demo-nat-a"), SimpleNamespace(name="demo-nat-b")])
    assert ec2.waits == [("nat_gateway_available", 900, {"NatGatewayIds": ["nat-a", "nat-b"]})]
    assert network.pending_nats == []
    assert ec2.released == ["eipalloc-stray"]


def test_without_waiting_it_hands_their_ids_on():
    ec2, network = applier(wait=False)
    network.wait_nat_available([SimpleNamespace(name="demo-nat-a"), SimpleNamespace(name="demo-nat-b")])
    assert ec2.waits == []
    assert network.pending_nats == ["nat-a", "nat-b"]
    # a pending NAT's address is held; only the stray goes, waited for or not
    assert ec2.released == ["eipalloc-stray"] and network.warnings
