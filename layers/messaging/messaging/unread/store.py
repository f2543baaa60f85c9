"""Members' group items in DynamoDB, read and written as ``MemberItem`` state: the one module of ``unread`` that
knows attribute values and botocore.

Every write is conditional. A failed condition hands back the item as DynamoDB found it (ALL_OLD), typed, so the
caller can settle it without another read; a full item collection is ``ConversationListFull`` and a missing item
``MessageGroupItemMissing``. Other failures leave as domain errors too (``core.aws.store_error``): busy or
unreachable after botocore's retries is ``DependencyUnavailable`` (the HTTP edge answers 503, pattern E fails the
member's records for a retry), anything else ``StoreRefused`` (a bug: 500).
"""

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from messaging.core.aws import ITEM_COLLECTION_FULL, dynamodb, error_code, store_call, store_error
from messaging.core.config import settings
from messaging.core.domain import Message
from messaging.core.errors import ConversationListFull, MessageGroupItemMissing
from messaging.table import keys
from messaging.unread.state import MemberActivity, MemberItem, ReadState

_STORE = "message store"

# rules.accounts_before as a condition: the member item exists (never resurrect one), and the batch's oldest
# message is newer than everything the item accounts for: the last message it shows and the owner's read marker.
_ACCOUNTED_BEFORE_OLDEST = (
    "attribute_exists(pk) AND (attribute_not_exists(last_message_sk) OR last_message_sk < :oldest)"
    " AND (attribute_not_exists(last_read_sk) OR last_read_sk < :oldest)"
)


def show_batch(activity: MemberActivity) -> MemberItem | None:
    """``rules.after_batch`` in one conditional write and no read: None when it applied, else the item as it is."""
    preview = _Preview(activity.newest)
    values: dict[str, Any] = preview.values | {
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
            UpdateExpression=preview.update(unread),
            ConditionExpression=_ACCOUNTED_BEFORE_OLDEST,
            ExpressionAttributeNames=_PREVIEW_NAMES,
            ExpressionAttributeValues=values,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        return _item_of_failed_condition(error, activity.owner_uuid, activity.newest.group_uuid)
    except BotoCoreError as error:  # unreachable, timed out
        raise store_error(_STORE, error) from error
    return None


def show_change(owner_uuid: str, change: Message) -> MemberItem:
    """Shows a newer state (an edit, the deletion) of the message the owner's item shows as its last one, in one
    conditional write; returns the item as it then is (written or not: not when it shows another message, or
    this state or a newer one already)."""
    preview = _Preview(change)
    try:
        response = dynamodb().update_item(
            TableName=settings().messages_table,
            Key=keys.group_key(owner_uuid, change.group_uuid),
            UpdateExpression=preview.update(),
            ConditionExpression=(
                "attribute_exists(pk) AND last_message_sk = :sk"
                " AND (attribute_not_exists(last_message_version) OR last_message_version < :version)"
            ),
            ExpressionAttributeNames=_PREVIEW_NAMES,
            ExpressionAttributeValues=preview.values,
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        return _item_of_failed_condition(error, owner_uuid, change.group_uuid)
    except BotoCoreError as error:  # unreachable, timed out
        raise store_error(_STORE, error) from error
    return member_item_of(response["Attributes"])


_PREVIEW_NAMES = {"#message": "message"}


class _Preview:
    """A message as a group item's preview: its text (none once deleted), time, key and version."""

    def __init__(self, message: Message) -> None:
        self.message = message
        self.values: dict[str, Any] = {
            ":at": {"S": message.created_at},
            ":sk": {"S": message.sort_key},
            ":version": {"N": str(message.version)},
        }
        if message.text is not None:
            self.values[":message"] = {"S": message.text}

    def update(self, *more_sets: str) -> str:
        sets = ["last_message_at = :at", "last_message_sk = :sk", "last_message_version = :version", *more_sets]
        if self.message.text is None:
            return f"SET {', '.join(sets)} REMOVE #message"  # a deleted message leaves no text in any preview
        return f"SET #message = :message, {', '.join(sets)}"


def mark_newest_read(owner_uuid: str, group_uuid: str, read_sk: str) -> MemberItem | None:
    """Moves the owner's read marker to ``read_sk`` in one write when that is the group's newest message (and the
    marker is not past it): None when it did, else the item as it is."""
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
        return _item_of_failed_condition(error, owner_uuid, group_uuid)
    except BotoCoreError as error:  # unreachable, timed out
        raise store_error(_STORE, error) from error
    return None


def write_settled(item: MemberItem, state: ReadState, newest: Message | None) -> MemberItem | None:
    """Writes a recount's result (and ``newest`` as the last message, if given) unless the item changed since it
    was read as ``item``: None when written, else the item as it is now."""
    sets = ["unread_count = :unread"]
    values: dict[str, Any] = {":unread": {"N": str(state.unread_count)}}
    conditions = []
    for attribute, placeholder, old in (
        ("last_message_sk", ":old_last", _string(item.last_message_sk)),
        ("last_message_version", ":old_version", _number(item.last_message_version)),
        ("last_read_sk", ":old_read", _string(item.last_read_sk)),
        ("unread_count", ":old_unread", _number(item.stored_unread)),
    ):
        if old is None:
            conditions.append(f"attribute_not_exists({attribute})")
        else:
            conditions.append(f"{attribute} = {placeholder}")
            values[placeholder] = old
    if state.read_through is not None:
        sets.append("last_read_sk = :read")
        values[":read"] = {"S": state.read_through}
    names = {}
    update = "SET " + ", ".join(sets)
    if newest is not None:
        preview = _Preview(newest)
        update = preview.update(*sets)
        names = _PREVIEW_NAMES
        values |= preview.values
    try:
        dynamodb().update_item(
            TableName=settings().messages_table,
            Key=keys.group_key(item.owner_uuid, item.group_uuid),
            UpdateExpression=update,
            ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeValues=values,
            **({"ExpressionAttributeNames": names} if names else {}),
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        return _item_of_failed_condition(error, item.owner_uuid, item.group_uuid)
    except BotoCoreError as error:  # unreachable, timed out
        raise store_error(_STORE, error) from error
    return None


def count_messages_from(group_uuid: str, sender_uuid: str, after_sk: str | None, through_sk: str, cap: int) -> int:
    """How many live (not deleted) messages ``sender_uuid`` sent into the group after ``after_sk`` up to
    ``through_sk``, at most ``cap``.

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
        # A deleted message is nobody's unread message.
        "FilterExpression": "user_uuid = :sender AND attribute_not_exists(deleted_at)",
        "ExpressionAttributeValues": values,
        "Select": "COUNT",
        "ConsistentRead": True,
    }
    counted = 0
    with store_call(_STORE):
        for page in dynamodb().get_paginator("query").paginate(**request):
            counted += page["Count"]
            if counted >= cap:
                break
    return min(counted, cap)


def member_item_of(item: Mapping[str, Any]) -> MemberItem:
    """A member's group item as stored (or as a failed condition returns it) to its read state."""
    stored_unread = item.get("unread_count", {}).get("N")
    version = item.get("last_message_version", {}).get("N")
    return MemberItem(
        owner_uuid=item["pk"]["S"].removeprefix(keys.GROUP_PREFIX),
        group_uuid=item["message_group_uuid"]["S"],
        other_uuid=item["user_uuid"]["S"],
        last_message_sk=item.get("last_message_sk", {}).get("S"),
        last_message_version=None if version is None else int(version),
        last_read_sk=item.get("last_read_sk", {}).get("S"),
        stored_unread=None if stored_unread is None else int(stored_unread),
    )


def _string(value: str | None) -> dict[str, str] | None:
    return None if value is None else {"S": value}


def _number(value: int | None) -> dict[str, str] | None:
    return None if value is None else {"N": str(value)}


def _item_of_failed_condition(error: ClientError, owner_uuid: str, group_uuid: str) -> MemberItem:
    """The item a failed condition found; ``MessageGroupItemMissing`` if there was none.

    Every caller writes to the owner's ``GRP#`` partition, so a full item collection is theirs.
    """
    if error_code(error) == ITEM_COLLECTION_FULL:
        raise ConversationListFull(
            "Your conversation list has reached its storage limit: this conversation's read marker and preview"
            " cannot change."
        ) from None
    if error_code(error) != "ConditionalCheckFailedException":
        raise store_error(_STORE, error) from error
    # Not in botocore's typed error shape: DynamoDB adds it for ReturnValuesOnConditionCheckFailure.
    response: dict[str, Any] = dict(error.response)
    if "Item" not in response:
        raise MessageGroupItemMissing(f"member {owner_uuid} has no item for message group {group_uuid}") from None
    return member_item_of(response["Item"])
