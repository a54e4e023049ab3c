"""Print, as JSON, what the endpoint reports about the molecule-eks EKS tier (molecule verify and side_effect)."""

import json

import boto3

STACK = "molecule-eks"
CLUSTER = STACK + "-eks"


def main():
    eks, iam = boto3.client("eks"), boto3.client("iam")
    found = {"clusters": eks.list_clusters()["clusters"], "nodegroups": {}}
    if CLUSTER in found["clusters"]:
        found["cluster"] = eks.describe_cluster(name=CLUSTER)["cluster"]
        for name in eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"]:
            found["nodegroups"][name] = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=name)["nodegroup"]
    found["roles"] = sorted(r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(STACK))
    found["oidc_providers"] = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    found["log_groups"] = [g["logGroupName"] for g in boto3.client("logs").describe_log_groups(logGroupNamePrefix="/aws/eks/" + CLUSTER)["logGroups"]]
    print(json.dumps(found, default=str))


if __name__ == "__main__":
    main()
