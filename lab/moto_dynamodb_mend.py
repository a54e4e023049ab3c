"""DynamoDB DescribeTable's TableId, which moto 5.2 leaves out, so the stock community.aws.dynamodb_table runs against the lab.

AWS gives every table a TableId (a UUID); community.aws.dynamodb_table reads it from every describe and fails
with KeyError 'table_id' without it (the bench's stock nosql baseline). The lab's answer: a UUID derived from the
table's ARN, the same on every describe. Installed by lab/moto_server.py; nothing in plugins/ knows about it.
"""

import uuid

from moto.dynamodb.models.table import Table

_ORIGINAL = Table.describe


def describe(self, base_key="TableDescription"):
    answer = _ORIGINAL(self, base_key)
    answer[base_key].setdefault("TableId", str(uuid.uuid5(uuid.NAMESPACE_URL, self.table_arn)))
    return answer


def install_dynamodb_mend():
    Table.describe = describe
