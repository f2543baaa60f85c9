"""Message group items: ``GRP#<owner>`` (one per member, naming the other member) and ``PAIR#`` (one per pair)."""

import logging
from typing import Any

from botocore.exceptions import ClientError

from messaging.config import settings
from messaging.dal import keys
from messaging.dal.aws import dynamodb
from messaging.dal.items import message_group_from_item, message_group_item, message_item
from messaging.dal.paging import query_page
from messaging.domain import Message, MessageGroup, Page, User
from messaging.errors import MessageGroupItemMissing

logger = logging.getLogger(__name__)

_RECENT_CURSOR_ATTRIBUTES = ("pk", "sk", "last_message_at")
_TRANSACTION_ATTEMPTS = 3
# The member item exists (never resurrect one) and shows nothing newer than the message being applied.
_SHOWS_OLDER_MESSAGE = "attribute_exists(pk) AND (attribute_not_exists(last_message_sk) OR last_message_sk < :sk)"


class PairExists(Exception):
    def __init__(self, group_uuid: str) -> None:
        super().__init__(group_uuid)
        self.group_uuid = group_uuid


def other_member(owner_uuid: str, group_uuid: str) -> str | None:
    """The other member of the owner's message group; None when the owner is not a member (or no such group)."""
    response = dynamodb().get_item(
        TableName=settings().messages_table,
        Key=keys.group_key(owner_uuid, group_uuid),
        ProjectionExpression="user_uuid",
        ConsistentRead=True,
    )
    item = response.get("Item")
    return item["user_uuid"]["S"] if item else None


def recent_message_groups(owner_uuid: str, limit: int, cursor: str | None) -> Page[MessageGroup]:
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
    return Page([message_group_from_item(item) for item in items], next_cursor)


def pair_group(user_a: str, user_b: str) -> str | None:
    """The message group the two users already share, if any.

    Read before starting a message group because a cancelled transaction is not free: DynamoDB bills it the
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


def create_message_group(starter: User, other: User, first_message: Message) -> None:
    """Creates the message group of a pair with its first message, atomically.

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
        {"Put": {**new_item, "Item": message_group_item(starter, other, first_message)}},
        {"Put": {**new_item, "Item": message_group_item(other, starter, first_message)}},
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
            logger.info("message group transaction conflicted, retrying", extra={"attempt": attempt})
        else:
            return


def _existing_pair_group(reason: dict[str, Any], pair: dict[str, dict[str, str]]) -> str:
    item = reason.get("Item")
    if item is None:  # Older servers do not return the item on a cancelled transaction.
        item = dynamodb().get_item(TableName=settings().messages_table, Key=pair, ConsistentRead=True)["Item"]
    return item["pair_group_uuid"]["S"]


def show_last_message(owner_uuid: str, message: Message) -> bool:
    """Shows ``message`` on the owner's group item unless it already shows this message or a newer one.

    Returns False when it does (stream retries, duplicates and out-of-order deliveries then change nothing), and
    raises ``MessageGroupItemMissing`` when the owner has no item for the group. One write, no read: a failed
    condition returns the item it found, which tells the two cases apart.
    """
    try:
        dynamodb().update_item(
            TableName=settings().messages_table,
            Key=keys.group_key(owner_uuid, message.group_uuid),
            UpdateExpression="SET #message = :message, last_message_at = :at, last_message_sk = :sk",
            ConditionExpression=_SHOWS_OLDER_MESSAGE,
            ExpressionAttributeNames={"#message": "message"},
            ExpressionAttributeValues={
                ":message": {"S": message.text},
                ":at": {"S": message.created_at},
                ":sk": {"S": message.sort_key},
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        if "Item" not in error.response:
            raise MessageGroupItemMissing(
                f"member {owner_uuid} has no item for message group {message.group_uuid}"
            ) from None
        return False
    return True
