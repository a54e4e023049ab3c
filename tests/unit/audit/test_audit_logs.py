"""The logs tier's audit checks: zone awareness over the AZs, the snapshots, encryption, no public access."""

import json

from ansible_collections.hatrading.aws.plugins.module_utils.audit import model as audit

SUBNETS = [{"SubnetId": "subnet-a", "AvailabilityZone": "us-east-1a"}, {"SubnetId": "subnet-b", "AvailabilityZone": "us-east-1b"}]
POLICY = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "es:ESHttp*", "Resource": "*"}]}


def domain(**changes):
    found = {
        "DomainName": "s-logs",
        "ClusterConfig": {"InstanceCount": 2, "ZoneAwarenessEnabled": True, "ZoneAwarenessConfig": {"AvailabilityZoneCount": 2}},
        "VPCOptions": {"SubnetIds": ["subnet-a", "subnet-b"]},
        "EncryptionAtRestOptions": {"Enabled": True},
        "NodeToNodeEncryptionOptions": {"Enabled": True},
        "DomainEndpointOptions": {"EnforceHTTPS": True},
        "AdvancedSecurityOptions": {"Enabled": True},
        "AccessPolicies": json.dumps(POLICY),
        "SnapshotOptions": {"AutomatedSnapshotStartHour": 3},
    }
    found.update(changes)
    return found


def statuses(findings):
    return dict((f["check"], f["status"]) for f in findings)


def check(found, min_azs=2):
    return statuses(audit.audit_logs({"stack": "s", "subnets": SUBNETS, "opensearch_domain": found}, min_azs))


def test_a_private_zone_aware_encrypted_domain_passes():
    assert check(domain()) == dict.fromkeys(("logs.az_spread", "logs.snapshots", "logs.encryption", "logs.no_public_access"), audit.PASS)


def test_one_az_or_too_few_nodes_fails_the_spread():
    assert check(domain(ClusterConfig={"InstanceCount": 2, "ZoneAwarenessEnabled": False}))["logs.az_spread"] == audit.FAIL
    assert check(domain(VPCOptions={"SubnetIds": ["subnet-a"]}))["logs.az_spread"] == audit.FAIL
    assert check(domain(), min_azs=3)["logs.az_spread"] == audit.FAIL


def test_a_public_domain_or_one_without_encryption_fails():
    public = domain(VPCOptions=None, Endpoint="search-s-logs.us-east-1.es.amazonaws.com")
    assert check(public)["logs.no_public_access"] == audit.FAIL
    open_policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "es:*", "Resource": "*"}]}
    assert check(domain(VPCOptions=None, AccessPolicies=json.dumps(open_policy)))["logs.no_public_access"] == audit.FAIL
    assert check(domain(AdvancedSecurityOptions={"Enabled": False}))["logs.no_public_access"] == audit.FAIL
    assert check(domain(NodeToNodeEncryptionOptions={"Enabled": False}))["logs.encryption"] == audit.FAIL


def test_no_domain_is_a_skip():
    assert statuses(audit.audit_logs({"stack": "s", "subnets": [], "opensearch_domain": None}, 2)) == {"logs.domain": audit.SKIP}
