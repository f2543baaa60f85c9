"""The limits table (template.yaml RateLimitsTable): one item per limited key, ``id`` (pk), ``tat_ms``, ``expires_at``.

``tat_ms`` is the key's theoretical arrival time (GCRA, ``limits/gcra.py``), in milliseconds since the epoch.
Reading it is a strongly consistent GetItem; moving it is one UpdateItem conditioned on the value read, so two
containers that read the same value cannot both spend the same allowance (the loser reads again).

No botocore error leaves this module: a table that is busy or unreachable after botocore's own retries is
``DependencyUnavailable`` (503 with Retry-After on the HTTP API, a ``service_unavailable`` frame on $default),
and a call DynamoDB refuses is ``LimitsStoreRefused`` (a misconfiguration or a bug: a 500).
"""

from contextlib import AbstractContextManager

from botocore.exceptions import ClientError

from messaging.core.aws import dynamodb, error_code, store_call
from messaging.core.config import settings


class LimitsStoreRefused(Exception):
    """DynamoDB refused a call on the limits table; not a ``MessagingError``: where it reaches an answer it is a
    500, as any bug is."""


def _table_call() -> AbstractContextManager[None]:
    return store_call("limits store", LimitsStoreRefused)


def arrival_time(key: str) -> int | None:
    """The key's theoretical arrival time in ms, or None for a key never limited (or long quiet: its TTL)."""
    with _table_call():
        found = dynamodb().get_item(
            TableName=settings().rate_limits_table,
            Key={"id": {"S": key}},
            ProjectionExpression="tat_ms",
            ConsistentRead=True,
        )
    item = found.get("Item")
    return int(item["tat_ms"]["N"]) if item and "tat_ms" in item else None


def move_arrival_time(key: str, read: int | None, new: int, expires_at: int) -> bool:
    """Sets the key's arrival time to ``new`` if it is still ``read``; False when another writer moved it first."""
    if read is None:
        condition, values = "attribute_not_exists(tat_ms)", {}
    else:
        condition, values = "tat_ms = :read", {":read": {"N": str(read)}}
    with _table_call():
        try:
            dynamodb().update_item(
                TableName=settings().rate_limits_table,
                Key={"id": {"S": key}},
                UpdateExpression="SET tat_ms = :new, expires_at = :expires",
                ConditionExpression=condition,
                ExpressionAttributeValues={":new": {"N": str(new)}, ":expires": {"N": str(expires_at)}, **values},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
    return True
