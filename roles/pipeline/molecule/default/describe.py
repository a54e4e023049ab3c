"""Print, as JSON, what the endpoint reports about the molecule-pipe pipeline tier (molecule verify and side_effect)."""

import json

import boto3

STACK = "molecule-pipe"


def main():
    ecr = boto3.client("ecr")
    repos = ecr.describe_repositories()["repositories"]
    found = {"repositories": {}, "lifecycle": {}}
    for repo in repos:
        if repo["repositoryName"].startswith("hatrading/%s/" % STACK):
            found["repositories"][repo["repositoryName"]] = repo
            text = ecr.get_lifecycle_policy(repositoryName=repo["repositoryName"])["lifecyclePolicyText"]
            found["lifecycle"][repo["repositoryName"]] = json.loads(text)
    found["projects"] = boto3.client("codebuild").batch_get_projects(names=["%s-images" % STACK])["projects"]
    found["pipelines"] = [p["name"] for p in boto3.client("codepipeline").list_pipelines()["pipelines"]]
    if STACK in found["pipelines"]:
        found["pipeline"] = boto3.client("codepipeline").get_pipeline(name=STACK)["pipeline"]
    found["code_repository"] = boto3.client("codecommit").get_repository(repositoryName="%s-trading" % STACK)["repositoryMetadata"]["repositoryName"]
    found["buckets"] = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    found["roles"] = sorted(r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"] if r["RoleName"].startswith(STACK))
    events = boto3.client("events")
    rules = [r["Name"] for r in events.list_rules(NamePrefix=STACK)["Rules"]]
    found["trigger_targets"] = [t["Arn"] for t in events.list_targets_by_rule(Rule=rules[0])["Targets"]] if rules else []
    print(json.dumps(found, default=str))


if __name__ == "__main__":
    main()
