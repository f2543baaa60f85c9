"""Message group items: ``GRP#<owner>`` (one per member, naming the other member) and ``PAIR#`` (one per pair)."""

from typing import Any

from messaging.core.aws import ITEM_COLLECTION_FULL_REASON, StoreRefused, dynamodb
from messaging.core.config import settings
from messaging.core.domain import Message, MessageGroup, Page, ReadReceipt, User
from messaging.core.errors import ConversationFull, ConversationListFull
from messaging.safety import store as safety_store
from messaging.safety.requests import RECEIVED, SENT_FIRST, requested_by
from messaging.table import keys
from messaging.table.items import message_group_from_item, message_group_item, message_item
from messaging.table.paging import query_page
from messaging.table.transactions import refused, transact

_RECENT_CURSOR_ATTRIBUTES = ("pk", "sk", "last_message_at")
# Where the members' items are in create_message_group's transaction (after the pair, before the message).
_STARTER_ITEM, _OTHER_ITEM = 1, 2


class PairExists(Exception):
    def __init__(self, group_uuid: str) -> None:
        super().__init__(group_uuid)
        self.group_uuid = group_uuid


class PairBlocked(Exception):
    """One of the two blocked the other before they ever talked (the pair item holds only the block)."""


def other_member(owner_uuid: str, group_uuid: str) -> str | None:
    """The other member of the owner's message group; None when the owner is not a member (or no such group)."""
    return _string_attribute(keys.group_key(owner_uuid, group_uuid), "user_uuid")


def read_receipt_for(caller_uuid: str, other_uuid: str, group_uuid: str) -> ReadReceipt | None:
    """Where the other member has read the group up to, as the caller may see it ("Seen"): None unless both show
    read receipts and the other member has a marker. One consistent BatchGetItem of three small items: the other
    member's group item (their marker) and both members' settings."""
    found = safety_store.batch_get(
        [keys.group_key(other_uuid, group_uuid), keys.settings_key(caller_uuid), keys.settings_key(other_uuid)],
        "pk, last_read_sk, read_receipts",
    )
    marker: str | None = None
    for item in found:
        if item["pk"]["S"].startswith(keys.SETTINGS_PREFIX):
            if not safety_store.settings_from_item(item).read_receipts:
                return None
        else:
            marker = item.get("last_read_sk", {}).get("S")
    if marker is None:
        return None
    return ReadReceipt(group_uuid=group_uuid, reader_uuid=other_uuid, other_uuid=caller_uuid, last_read_uuid=marker)


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


def _string_attribute(key: dict[str, dict[str, str]], name: str) -> str | None:
    """One string attribute of an item, read consistently; None when there is no such item."""
    response = dynamodb().get_item(
        TableName=settings().messages_table, Key=key, ProjectionExpression=name, ConsistentRead=True
    )
    item = response.get("Item")
    return str(item[name]["S"]) if item else None


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
                "TableName": table,
                # Every new conversation starts as a request to the other user until they reply or accept.
                "Item": {**pair, "pair_group_uuid": {"S": first_message.group_uuid}, **requested_by(starter)},
                # A pair item without a conversation holds only a block set before the two ever talked.
                "ConditionExpression": "attribute_not_exists(pair_group_uuid) AND attribute_not_exists(blocked_by)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        {"Put": {**new_item, "Item": {**message_group_item(starter, other, first_message), **SENT_FIRST}}},
        {"Put": {**new_item, "Item": {**message_group_item(other, starter, first_message), **RECEIVED}}},
        {"Put": {**new_item, "Item": message_item(first_message)}},
    ]
    reasons = transact(transaction)
    if reasons is None:
        return
    if refused(reasons[0]):
        raise _pair_taken(reasons[0], pair)
    full = [index for index, reason in enumerate(reasons) if reason.get("Code") == ITEM_COLLECTION_FULL_REASON]
    if full:  # no retry makes room
        raise _collection_full(full[0])
    raise StoreRefused(f"the conversation's transaction was refused: {reasons}")


def _collection_full(index: int) -> ConversationFull | ConversationListFull:
    """What a full item collection at ``index`` of ``create_message_group``'s transaction means for the caller."""
    if index == _STARTER_ITEM:  # the starter's own GRP# partition
        return ConversationListFull(
            "You have reached the limit of conversations you can keep: continue in an existing conversation."
        )
    if index == _OTHER_ITEM:
        return ConversationListFull("This user has reached the limit of conversations and cannot join a new one.")
    # The pair's and the new group's own partitions hold one item each: only a corrupt table gets here.
    return ConversationFull()


def _pair_taken(reason: dict[str, Any], pair: dict[str, dict[str, str]]) -> PairExists | PairBlocked:
    """Why the pair's condition failed: a conversation exists (it wins the race), or a block holds the pair."""
    item = reason.get("Item")
    if item is None:  # Older servers do not return the item on a cancelled transaction.
        item = dynamodb().get_item(TableName=settings().messages_table, Key=pair, ConsistentRead=True)["Item"]
    if "pair_group_uuid" in item:
        return PairExists(str(item["pair_group_uuid"]["S"]))
    return PairBlocked()
