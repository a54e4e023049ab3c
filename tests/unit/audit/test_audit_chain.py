"""The audit's reachability along the request path: each hop's security group admits the next hop's port."""

from ansible_collections.hatrading.aws.plugins.module_utils.audit import model as audit


def group(name, gid, rules=()):
    permissions = [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [{"GroupId": source}]} for port, source in rules]
    return {"GroupId": gid, "GroupName": name, "Tags": [{"Key": "Name", "Value": name}], "IpPermissions": permissions}


def snapshot(database_opens=5432, database_listens=5432):
    return {
        "stack": "demo",
        "security_groups": [
            group("demo-alb-public", "sg-pub"),
            group("demo-frontend", "sg-fe", [(8080, "sg-pub")]),
            group("demo-alb-internal", "sg-int", [(80, "sg-fe")]),
            group("demo-backend", "sg-be", [(8081, "sg-int")]),
            group("demo-database", "sg-db", [(database_opens, "sg-be")]),
        ],
        "target_groups": [{"TargetGroupName": "demo-tg-fe", "Port": 8080}, {"TargetGroupName": "demo-tg-be", "Port": 8081}],
        "db_instances": [{"Endpoint": {"Port": database_listens}}],
        "db_clusters": [],
    }


def test_a_sound_chain_passes_every_hop():
    found = audit.audit_chain(snapshot())
    assert [(f["check"], f["status"]) for f in found] == [
        ("network.chain_frontend", "pass"),
        ("network.chain_backend", "pass"),
        ("network.chain_database", "pass"),
    ]


def test_a_database_listening_on_a_port_its_group_does_not_open_fails():
    found = [f for f in audit.audit_chain(snapshot(database_opens=3306)) if f["status"] != "pass"]
    assert len(found) == 1
    assert found[0]["detail"] == "demo-database does not admit tcp/5432 from demo-backend"
    assert found[0]["status"] == "fail" and "network_database_port" in found[0]["fix"]


def test_no_compute_or_database_means_no_hop_to_check():
    assert audit.audit_chain(dict(snapshot(), target_groups=[], db_instances=[])) == []
