# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the logs tier finds: its domain, stream, roles, security group, bucket, master secret and subscription filters;
the network's data subnets, the stack's key and the shipped log groups."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hatrading.aws.plugins.module_utils.core import names as stack_names
from ansible_collections.hatrading.aws.plugins.module_utils.core import iam_roles
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import TAG_NAME
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import stack_filters
from ansible_collections.hatrading.aws.plugins.module_utils.core.tags import tag_dict
from ansible_collections.hatrading.aws.plugins.module_utils.logs import model


def read_role(iam, name):
    return iam_roles.read_role(iam, name, stack_names.logs("s", "r")["policy"])


def read_security_group(clients, stack, name):
    found = [g for g in clients.ec2.describe_security_groups(Filters=stack_filters(stack, model.TIER)) if tag_dict(g.get("Tags")).get(TAG_NAME) == name]
    if not found:
        return None
    return {"vpc": found[0]["VpcId"], "https_from_itself": True, "tags": tag_dict(found[0].get("Tags")), "id": found[0]["GroupId"]}


def read_secret(clients, name):
    """The master user's secret, without its value (read only by a domain's create)."""
    found = clients.secretsmanager.describe_secret(SecretId=name, missing=None)
    return {"tags": tag_dict(found.get("Tags")), "arn": found["ARN"]} if found else None


def read_logs(clients, cfg):
    """The tier's resources: about a dozen reads; the stream's and the filters' only where there is something to read."""
    stack, region = cfg["stack"], cfg["region"]
    n = stack_names.logs(stack, region)
    raw = {"roles": {}, "filters": {}}
    raw["secret"] = read_secret(clients, n["master_secret"])
    raw["security_group"] = read_security_group(clients, stack, n["security_group"])
    raw["bucket"] = read_bucket(clients, n["bucket"])
    for name in (n["firehose_role"], n["subscription_role"]):
        role = read_role(clients.iam, name)
        if role:
            raw["roles"][name] = role
    raw["domain"] = clients.opensearch.describe_domain(DomainName=n["domain"])
    raw["domain_tags"] = tag_dict(clients.opensearch.list_tags(ARN=raw["domain"]["ARN"])) if raw["domain"] else {}
    raw["stream"] = clients.firehose.describe_delivery_stream(DeliveryStreamName=n["delivery_stream"])
    stream_tags = clients.firehose.list_tags_for_delivery_stream(DeliveryStreamName=n["delivery_stream"]).get("Tags") if raw["stream"] else []
    raw["stream_tags"] = tag_dict(stream_tags)
    groups = model.shipped_groups(cfg, n) if cfg.get("state") == "present" else n["log_groups"]
    found = clients.logs.describe_log_groups(logGroupNamePrefix=stack_names.monitoring(stack)["log_group_prefix"])
    raw["log_groups"] = sorted(g["logGroupName"] for g in found if g["logGroupName"] in groups)
    for group in raw["log_groups"]:
        raw["filters"][group] = clients.logs.describe_subscription_filters(logGroupName=group, filterNamePrefix=n["subscription_filter"], missing=[])
    return raw


def read_bucket(clients, bucket):
    """{"exists": True} or None: one read (the bucket's settings are set once, at its create)."""
    return {"exists": True} if clients.s3.head_bucket(Bucket=bucket, missing=None) is not None else None


def resolve_kms_key(clients, cfg):
    """(ARN of the domain's key or None when it does not exist, the key asked for): ``kms_key`` or the stack's key."""
    key_id = cfg.get("kms_key") or stack_names.logs(cfg["stack"], cfg["region"])["kms_alias"]
    answer = clients.kms.describe_key(KeyId=key_id, missing=None)
    return ((answer or {}).get("KeyMetadata") or {}).get("Arn"), key_id
