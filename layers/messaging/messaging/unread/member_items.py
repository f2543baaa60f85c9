"""A member's group item as its read state: the last message it shows, the read marker and the unread count.

Pattern E (``activity``) applies a batch of new messages to it; the read marker (``conversations``) moves the
marker. Both meet the same rule when anything is out of the ordinary: recount from the table (``settle``).
"""

import logging
from typing import Any

import msgspec
from botocore.exceptions import ClientError

from messaging.core.aws import ITEM_COLLECTION_FULL, dynamodb, error_code
from messaging.core.config import settings
from messaging.core.domain import UNREAD_CAP, Message
from messaging.core.errors import ConversationListFull, DependencyUnavailable, MessageGroupItemMissing, NotAMember
from messaging.table import keys
from messaging.table.items import unread_count_of

logger = logging.getLogger(__name__)

# The member item exists (never resurrect one), and the batch's oldest message is newer than everything the item
# accounts for: the last message it shows and the owner's read marker.
_ACCOUNTED_BEFORE_OLDEST = (
    "attribute_exists(pk) AND (attribute_not_exists(last_message_sk) OR last_message_sk < :oldest)"
    " AND (attribute_not_exists(last_read_sk) OR last_read_sk < :oldest)"
)
_SETTLE_ATTEMPTS = 4


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
            unread = count_messages_from(group_uuid, other_uuid, new_read, new_last, UNREAD_CAP)
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


def count_messages_from(group_uuid: str, sender_uuid: str, after_sk: str | None, through_sk: str, cap: int) -> int:
    """How many messages ``sender_uuid`` sent into the group after ``after_sk`` up to ``through_sk``, at most ``cap``.

    Strongly consistent, and stops reading once ``cap`` are counted, so a member far behind costs a bounded read.
    """
    values = {":pk": {"S": keys.messages_pk(group_uuid)}, ":upper": {"S": through_sk}, ":sender": {"S": sender_uuid}}
    if after_sk is None:
        condition = "pk = :pk AND sk <= :upper"
    else:
        # The smallest key after ``after_sk``: BETWEEN is inclusive at both ends.
        condition = "pk = :pk AND sk BETWEEN :lower AND :upper"
        values[":lower"] = {"S": f"{after_sk}\u0000"}
    request: dict[str, Any] = {
        "TableName": settings().messages_table,
        "KeyConditionExpression": condition,
        "FilterExpression": "user_uuid = :sender",
        "ExpressionAttributeValues": values,
        "Select": "COUNT",
        "ConsistentRead": True,
    }
    counted = 0
    for page in dynamodb().get_paginator("query").paginate(**request):
        counted += page["Count"]
        if counted >= cap:
            break
    return min(counted, cap)
