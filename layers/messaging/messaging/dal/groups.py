"""Conversation items: ``GRP#<owner>`` (one per member), ``PAIR#`` (one per pair of users)."""

import logging
from typing import Any

from botocore.exceptions import ClientError

from messaging.config import settings
from messaging.dal import keys
from messaging.dal.aws import dynamodb
from messaging.dal.items import group_from_item, group_item, message_item
from messaging.dal.paging import query_page
from messaging.domain import Message, MessageGroup, Page, User

logger = logging.getLogger(__name__)

_RECENT_CURSOR_ATTRIBUTES = ("pk", "sk", "last_message_at")
_TRANSACTION_ATTEMPTS = 3
# The member item exists (never resurrect one) and shows nothing newer than the message being applied.
_SHOWS_OLDER_MESSAGE = "attribute_exists(pk) AND (attribute_not_exists(last_message_sk) OR last_message_sk < :sk)"


class PairExists(Exception):
    def __init__(self, group_uuid: str) -> None:
        super().__init__(group_uuid)
        self.group_uuid = group_uuid


def is_member(user_uuid: str, group_uuid: str) -> bool:
    response = dynamodb().get_item(
        TableName=settings().messages_table,
        Key=keys.group_key(user_uuid, group_uuid),
        ProjectionExpression="pk",
        ConsistentRead=True,
    )
    return "Item" in response


def recent_groups(owner_uuid: str, limit: int, cursor: str | None) -> Page[MessageGroup]:
    partition = keys.groups_pk(owner_uuid)
    items, next_cursor = query_page(
        {
            "TableName": settings().messages_table,
            "IndexName": keys.RECENT_GROUPS_INDEX,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
        },
        partition=partition,
        limit=limit,
        cursor=cursor,
        cursor_attributes=_RECENT_CURSOR_ATTRIBUTES,
    )
    return Page([group_from_item(item) for item in items], next_cursor)


def pair_group(user_a: str, user_b: str) -> str | None:
    """The group the two users already share, if any.

    Read before starting a conversation because a cancelled transaction is not free: DynamoDB bills it the
    capacity of all its items, and the pair almost always exists once two people have talked.
    """
    response = dynamodb().get_item(
        TableName=settings().messages_table,
        Key=keys.pair_key(user_a, user_b),
        ProjectionExpression="pair_group_uuid",
        ConsistentRead=True,
    )
    item = response.get("Item")
    return item["pair_group_uuid"]["S"] if item else None


def create_group(starter: User, other: User, first_message: Message) -> None:
    """Creates the conversation of a pair with its first message, atomically.

    Raises ``PairExists`` with the pair's existing group when the two already share one, so there is never a
    second group for a pair, however many requests race: the transaction's conditions decide, not the read
    that usually precedes it.
    """
    table = settings().messages_table
    pair = keys.pair_key(starter.uuid, other.uuid)
    new_item = {"TableName": table, "ConditionExpression": "attribute_not_exists(pk)"}
    transaction = [
        {
            "Put": {
                **new_item,
                "Item": {**pair, "pair_group_uuid": {"S": first_message.group_uuid}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        {"Put": {**new_item, "Item": group_item(starter, other, first_message)}},
        {"Put": {**new_item, "Item": group_item(other, starter, first_message)}},
        {"Put": {**new_item, "Item": message_item(first_message)}},
    ]
    for attempt in range(1, _TRANSACTION_ATTEMPTS + 1):
        try:
            dynamodb().transact_write_items(TransactItems=transaction)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            pair_reason = error.response.get("CancellationReasons", [{}])[0]
            if pair_reason.get("Code") == "ConditionalCheckFailed":
                raise PairExists(_existing_pair_group(pair_reason, pair)) from None
            # A concurrent transaction on the same pair: retry, and the next attempt sees the winner's pair.
            if attempt == _TRANSACTION_ATTEMPTS:
                raise
            logger.info("conversation transaction conflicted, retrying", extra={"attempt": attempt})
        else:
            return


def _existing_pair_group(reason: dict[str, Any], pair: dict[str, dict[str, str]]) -> str:
    item = reason.get("Item")
    if item is None:  # Older servers do not return the item on a cancelled transaction.
        item = dynamodb().get_item(TableName=settings().messages_table, Key=pair, ConsistentRead=True)["Item"]
    return item["pair_group_uuid"]["S"]


def member_keys(group_uuid: str) -> list[dict[str, Any]]:
    """The keys of the group's member items, as the GSI shows them (eventually consistent)."""
    response = dynamodb().query(
        TableName=settings().messages_table,
        IndexName=keys.GROUP_MEMBERS_INDEX,
        KeyConditionExpression="message_group_uuid = :g",
        ExpressionAttributeValues={":g": {"S": group_uuid}},
        ProjectionExpression="pk, sk",
    )
    return response.get("Items", [])


def advance_last_message(member_key: dict[str, Any], message: Message) -> bool:
    """Shows ``message`` as the group's last message unless a newer one is already shown.

    Returns False when the item already shows this message or a newer one: stream retries, duplicates and
    out-of-order deliveries then change nothing.
    """
    try:
        dynamodb().update_item(
            TableName=settings().messages_table,
            Key=member_key,
            UpdateExpression="SET #message = :message, last_message_at = :at, last_message_sk = :sk",
            ConditionExpression=_SHOWS_OLDER_MESSAGE,
            ExpressionAttributeNames={"#message": "message"},
            ExpressionAttributeValues={
                ":message": {"S": message.text},
                ":at": {"S": message.created_at},
                ":sk": {"S": message.sort_key},
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
