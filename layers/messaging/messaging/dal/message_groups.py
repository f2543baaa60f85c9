"""Message group items: ``GRP#<owner>`` (one per member, naming the other member) and ``PAIR#`` (one per pair)."""

import logging
from typing import Any

import msgspec
from botocore.exceptions import ClientError

from messaging.config import settings
from messaging.dal import keys, messages
from messaging.dal.aws import ITEM_COLLECTION_FULL, ITEM_COLLECTION_FULL_REASON, dynamodb, error_code
from messaging.dal.items import message_group_from_item, message_group_item, message_item, unread_count_of
from messaging.dal.paging import query_page
from messaging.domain import UNREAD_CAP, Message, MessageGroup, Page, User
from messaging.errors import (
    ConversationFull,
    ConversationListFull,
    DependencyUnavailable,
    MessageGroupItemMissing,
    NotAMember,
)

logger = logging.getLogger(__name__)

_RECENT_CURSOR_ATTRIBUTES = ("pk", "sk", "last_message_at")
_TRANSACTION_ATTEMPTS = 3
# Where the members' items are in create_message_group's transaction (after the pair, before the message).
_STARTER_ITEM, _OTHER_ITEM = 1, 2
# The member item exists (never resurrect one), and the batch's oldest message is newer than everything the item
# accounts for: the last message it shows and the owner's read marker.
_ACCOUNTED_BEFORE_OLDEST = (
    "attribute_exists(pk) AND (attribute_not_exists(last_message_sk) OR last_message_sk < :oldest)"
    " AND (attribute_not_exists(last_read_sk) OR last_read_sk < :oldest)"
)
_SETTLE_ATTEMPTS = 4


class PairExists(Exception):
    def __init__(self, group_uuid: str) -> None:
        super().__init__(group_uuid)
        self.group_uuid = group_uuid


def other_member(owner_uuid: str, group_uuid: str) -> str | None:
    """The other member of the owner's message group; None when the owner is not a member (or no such group)."""
    return _string_attribute(keys.group_key(owner_uuid, group_uuid), "user_uuid")


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
    return _string_attribute(keys.pair_key(user_a, user_b), "pair_group_uuid")


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
            reasons: list[dict[str, Any]] = [dict(reason) for reason in error.response.get("CancellationReasons", [])]
            pair_reason = reasons[0] if reasons else {}
            if pair_reason.get("Code") == "ConditionalCheckFailed":
                raise PairExists(_existing_pair_group(pair_reason, pair)) from None
            full = [index for index, reason in enumerate(reasons) if reason.get("Code") == ITEM_COLLECTION_FULL_REASON]
            if full:  # no retry makes room
                raise _collection_full(full[0]) from None
            # A concurrent transaction on the same pair: retry, and the next attempt sees the winner's pair.
            if attempt == _TRANSACTION_ATTEMPTS:
                raise
            logger.info("message group transaction conflicted, retrying", extra={"attempt": attempt})
        else:
            return


def _collection_full(index: int) -> ConversationFull | ConversationListFull:
    """What a full item collection at ``index`` of ``create_message_group``'s transaction means for the caller."""
    if index == _STARTER_ITEM:  # the starter's own GRP# partition
        return ConversationListFull(
            "You have reached the limit of conversations you can keep: continue in an existing conversation."
        )
    if index == _OTHER_ITEM:
        return ConversationListFull("This user has reached the limit of conversations and cannot join a new one.")
    # The pair's and the new group's own partitions hold one item each: only a corrupt table gets here.
    return ConversationFull("This conversation has reached its storage limit and cannot take new messages.")


def _existing_pair_group(reason: dict[str, Any], pair: dict[str, dict[str, str]]) -> str:
    item = reason.get("Item")
    if item is None:  # Older servers do not return the item on a cancelled transaction.
        item = dynamodb().get_item(TableName=settings().messages_table, Key=pair, ConsistentRead=True)["Item"]
    return str(item["pair_group_uuid"]["S"])


class MemberActivity(msgspec.Struct, frozen=True):
    """What one stream batch of a group's messages means for one member's item."""

    owner_uuid: str
    other_uuid: str
    newest: Message  # to show as the last message
    oldest_sort_key: str  # of the batch's messages
    read_through: str | None  # the newest message the owner sent in the batch: read up to there
    incoming: int  # messages from the other member in the batch after read_through (all of them if None)


class ReadState(msgspec.Struct, frozen=True):
    read_through: str | None
    unread_count: int


def apply_activity(activity: MemberActivity) -> None:
    """Shows the batch's newest message on the owner's item and keeps its read marker and unread count exact.

    The common case is one write and no read: every message of the batch is newer than everything the item has
    accounted for (its last message and its read marker), so the batch's own counts are exact. Anything else (a
    duplicate, a late or reordered record, a marker set ahead of the stream) is recounted from the table.
    """
    values: dict[str, Any] = {
        ":message": {"S": activity.newest.text},
        ":at": {"S": activity.newest.created_at},
        ":sk": {"S": activity.newest.sort_key},
        ":oldest": {"S": activity.oldest_sort_key},
        ":n": {"N": str(activity.incoming)},
    }
    if activity.read_through is not None:
        unread = "last_read_sk = :read, unread_count = :n"
        values[":read"] = {"S": activity.read_through}
    else:
        unread = "unread_count = if_not_exists(unread_count, :zero) + :n"
        values[":zero"] = {"N": "0"}
    try:
        dynamodb().update_item(
            TableName=settings().messages_table,
            Key=keys.group_key(activity.owner_uuid, activity.newest.group_uuid),
            UpdateExpression=f"SET #message = :message, last_message_at = :at, last_message_sk = :sk, {unread}",
            ConditionExpression=_ACCOUNTED_BEFORE_OLDEST,
            ExpressionAttributeNames={"#message": "message"},
            ExpressionAttributeValues=values,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        item = _item_of_failed_condition(error, activity.owner_uuid, activity.newest.group_uuid)
        settle(item, activity.other_uuid, read_through=activity.read_through, newest=activity.newest)


def mark_read(owner_uuid: str, group_uuid: str, read_sk: str) -> dict[str, Any] | None:
    """Moves the owner's read marker to ``read_sk`` in one write when that is the group's newest message.

    Returns None when it did; otherwise the item as it is, for ``settle`` (the marker is older or newer than the
    newest message). Raises ``NotAMember`` when the owner has no item for the group.
    """
    try:
        dynamodb().update_item(
            TableName=settings().messages_table,
            Key=keys.group_key(owner_uuid, group_uuid),
            UpdateExpression="SET last_read_sk = :read, unread_count = :zero",
            ConditionExpression=(
                "attribute_exists(pk) AND last_message_sk = :read"
                " AND (attribute_not_exists(last_read_sk) OR last_read_sk <= :read)"
            ),
            ExpressionAttributeValues={":read": {"S": read_sk}, ":zero": {"N": "0"}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        try:
            return _item_of_failed_condition(error, owner_uuid, group_uuid)
        except MessageGroupItemMissing:
            raise NotAMember("You are not a member of this conversation.") from None
    return None


def settle(item: dict[str, Any], other_uuid: str, *, read_through: str | None, newest: Message | None) -> ReadState:
    """Recounts a member's unread messages from the table and writes the result, unless the item changed meanwhile.

    The marker only moves forward and the last message only to a newer one; the count covers the messages up to
    the last message the item shows (newer ones are counted when their own records arrive). A concurrent change
    (another batch, a read marker) fails the write's condition, and the returned item is settled again.
    """
    for _ in range(_SETTLE_ATTEMPTS):
        old_read = item.get("last_read_sk", {}).get("S")
        old_last = item.get("last_message_sk", {}).get("S")  # none until pattern E applied a first message
        new_read = max((sk for sk in (old_read, read_through) if sk is not None), default=None)
        shows_newer = newest is not None and (old_last is None or newest.sort_key > old_last)
        new_last = newest.sort_key if newest is not None and shows_newer else old_last
        group_uuid = item["message_group_uuid"]["S"]
        unread = 0
        if new_last is not None and (new_read is None or new_read < new_last):
            unread = messages.count_messages_from(group_uuid, other_uuid, new_read, new_last, UNREAD_CAP)
        state = ReadState(new_read, unread)
        if new_read == old_read and not shows_newer and "unread_count" in item and unread_count_of(item) == unread:
            return state  # a duplicate: nothing to write
        try:
            _write_settled(item, state, newest if shows_newer else None)
        except ClientError as error:
            item = _item_of_failed_condition(error, item["pk"]["S"].removeprefix(keys.GROUP_PREFIX), group_uuid)
            continue
        return state
    raise DependencyUnavailable("The message group kept changing while being recounted; retry shortly.")


def _write_settled(item: dict[str, Any], state: ReadState, newest: Message | None) -> None:
    sets = ["unread_count = :unread"]
    values: dict[str, Any] = {":unread": {"N": str(state.unread_count)}}
    if "last_message_sk" in item:
        conditions = ["last_message_sk = :old_last"]
        values[":old_last"] = item["last_message_sk"]
    else:
        conditions = ["attribute_not_exists(last_message_sk)"]
    if state.read_through is not None:
        sets.append("last_read_sk = :read")
        values[":read"] = {"S": state.read_through}
    if "last_read_sk" in item:
        conditions.append("last_read_sk = :old_read")
        values[":old_read"] = item["last_read_sk"]
    else:
        conditions.append("attribute_not_exists(last_read_sk)")
    if "unread_count" in item:
        conditions.append("unread_count = :old_unread")
        values[":old_unread"] = item["unread_count"]
    else:
        conditions.append("attribute_not_exists(unread_count)")
    names = {}
    if newest is not None:
        sets += ["#message = :message", "last_message_at = :at", "last_message_sk = :sk"]
        names["#message"] = "message"
        values |= {
            ":message": {"S": newest.text},
            ":at": {"S": newest.created_at},
            ":sk": {"S": newest.sort_key},
        }
    dynamodb().update_item(
        TableName=settings().messages_table,
        Key={"pk": item["pk"], "sk": item["sk"]},
        UpdateExpression="SET " + ", ".join(sets),
        ConditionExpression=" AND ".join(conditions),
        ExpressionAttributeValues=values,
        **({"ExpressionAttributeNames": names} if names else {}),
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )


def _item_of_failed_condition(error: ClientError, owner_uuid: str, group_uuid: str) -> dict[str, Any]:
    """The item a failed condition found; ``MessageGroupItemMissing`` if there was none.

    Every caller writes to the owner's ``GRP#`` partition, so a full item collection is theirs.
    """
    if error_code(error) == ITEM_COLLECTION_FULL:
        raise ConversationListFull(
            "Your conversation list has reached its storage limit: this conversation's read marker and preview"
            " cannot change."
        ) from None
    if error_code(error) != "ConditionalCheckFailedException":
        raise error
    # Not in botocore's typed error shape: DynamoDB adds it for ReturnValuesOnConditionCheckFailure.
    response: dict[str, Any] = dict(error.response)
    if "Item" not in response:
        raise MessageGroupItemMissing(f"member {owner_uuid} has no item for message group {group_uuid}") from None
    return dict(response["Item"])
