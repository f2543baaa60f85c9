"""Idempotency records, in Powertools' table layout (``id``, ``expiration``, ``in_progress_expiration``,
``status``, ``data``, ``validation``) so the table and its TTL stay as the template declares them.

Written with the low-level client that every function already has: Powertools' own persistence layer imports
boto3, which costs the creating routes a sixth of their cold start.
"""

from enum import StrEnum
from typing import Any

import msgspec
from botocore.exceptions import ClientError

from messaging.core.aws import dynamodb, store_error
from messaging.core.config import settings


class Status(StrEnum):
    IN_PROGRESS = "INPROGRESS"
    COMPLETED = "COMPLETED"


class Holder(msgspec.Struct, frozen=True):
    """The record that holds a key someone else claimed: who (``attempt``), for what (``validation``), how far."""

    status: Status
    validation: str
    attempt: str | None
    data: str | None


class RecordVanished(Exception):
    """The key's record refused our claim and was gone when DynamoDB answered (it expired, or its first attempt
    failed and released it): a retry finds the key free."""


def claim(
    key: str, *, validation: str, attempt: str, expires_at: int, in_progress_until_ms: int, now_ms: int
) -> Holder | None:
    """Claims ``key`` for this attempt; ``None`` when it is ours, else the record that holds it.

    A key is free when it has no record, its record expired (TTL deletes lazily), or an attempt that holds it
    outlived its invocation without finishing.
    """
    try:
        dynamodb().put_item(
            TableName=settings().idempotency_table,
            Item={
                "id": {"S": key},
                "expiration": {"N": str(expires_at)},
                "in_progress_expiration": {"N": str(in_progress_until_ms)},
                "status": {"S": Status.IN_PROGRESS},
                "validation": {"S": validation},
                "attempt": {"S": attempt},
            },
            ConditionExpression=(
                "attribute_not_exists(id) OR expiration < :now"
                " OR (#status = :in_progress AND in_progress_expiration < :now_ms)"
            ),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":now": {"N": str(now_ms // 1000)},
                ":now_ms": {"N": str(now_ms)},
                ":in_progress": {"S": Status.IN_PROGRESS},
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise store_error("idempotency store", error) from error
        # Not in botocore's typed error shape: DynamoDB adds it for ReturnValuesOnConditionCheckFailure.
        item: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
        if not item:
            raise RecordVanished(key) from None
        holder = _holder(item)
        # Our own claim, stored although its answer was lost (a 5xx) and retried by botocore into the condition.
        return None if holder.attempt == attempt else holder
    return None


def complete(key: str, *, data: str, expires_at: int) -> None:
    """Stores the first answer: every retry with the key gets it until the record expires."""
    dynamodb().update_item(
        TableName=settings().idempotency_table,
        Key={"id": {"S": key}},
        UpdateExpression="SET #status = :completed, #data = :data, expiration = :expires REMOVE in_progress_expiration",
        ExpressionAttributeNames={"#status": "status", "#data": "data"},
        ExpressionAttributeValues={
            ":completed": {"S": Status.COMPLETED},
            ":data": {"S": data},
            ":expires": {"N": str(expires_at)},
        },
    )


def release(key: str) -> None:
    """Frees the key after a failed attempt, so a retry runs the operation again."""
    dynamodb().delete_item(TableName=settings().idempotency_table, Key={"id": {"S": key}})


def _holder(item: dict[str, Any]) -> Holder:
    def string(name: str) -> str | None:
        value = item.get(name, {}).get("S")
        return value if isinstance(value, str) else None

    return Holder(
        # Anything but a finished record holds the key as in progress: its answer cannot be replayed.
        status=Status.COMPLETED if string("status") == Status.COMPLETED else Status.IN_PROGRESS,
        validation=string("validation") or "",
        attempt=string("attempt"),
        data=string("data"),
    )
