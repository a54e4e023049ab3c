# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back-end's access to the nosql tier's tables, the same wherever it runs (the compute tier's instances, the eks
tier's pods): the environment that names the tables, and the least-privilege IAM statements on exactly those two.

``spec``: ``stack``, ``region``, ``nosql_tables`` (whether the back-end uses the tables) and
``nosql_session_ttl_attribute``. No AWS call here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.hatrading.aws.plugins.module_utils.core import names

TTL_ATTRIBUTE = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")  # a DynamoDB attribute name, as the nosql tier checks it


def validate_ttl_attribute(attribute, where):
    """The problem with a TTL attribute name given to the back-end, if any (empty is none: the app's default)."""
    if attribute and not TTL_ATTRIBUTE.match(str(attribute)):
        return ["%s: %r is not a DynamoDB attribute name (1-255 letters, digits, _ . -)" % (where, attribute)]
    return []


def nosql_environment(spec):
    """With ``nosql_tables``: the nosql tier's table names (core/names.py), their TTL attribute and the region, for the app."""
    if not spec.get("nosql_tables"):
        return {}
    tables = names.nosql(spec["stack"])["tables"]
    environment = {"MARKET_TABLE": tables["market"], "SESSIONS_TABLE": tables["sessions"], "AWS_REGION": spec["region"]}
    if spec.get("nosql_session_ttl_attribute"):
        environment["SESSIONS_TTL_ATTRIBUTE"] = spec["nosql_session_ttl_attribute"]
    return environment


def nosql_statements(spec):
    """Item reads and writes on the stack's two tables only, and their KMS key only through DynamoDB."""
    region = spec["region"]
    tables = sorted(names.nosql(spec["stack"])["tables"].values())
    return [
        {
            "Sid": "NoSqlTables",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": ["arn:aws:dynamodb:%s:*:table/%s" % (region, table) for table in tables],
        },
        {
            "Sid": "NoSqlTableKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": "arn:aws:kms:%s:*:key/*" % region,
            "Condition": {"StringEquals": {"kms:ViaService": "dynamodb.%s.amazonaws.com" % region}},
        },
    ]
