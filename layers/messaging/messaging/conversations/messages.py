"""Message items: ``MSG#<group>`` partitions, one item per message, keyed by its UUIDv7."""

from typing import Any

from botocore.exceptions import ClientError

from messaging.core.aws import ITEM_COLLECTION_FULL, dynamodb, error_code, store_error
from messaging.core.config import settings
from messaging.core.domain import Message, Page
from messaging.core.errors import ConversationFull
from messaging.table import keys
from messaging.table.items import message_from_item, message_item
from messaging.table.paging import query_page

_CURSOR_ATTRIBUTES = ("pk", "sk")


def put_message(message: Message) -> None:
    item = message_item(message)
    try:
        dynamodb().put_item(
            TableName=settings().messages_table,
            Item=item,
            # Never overwrite: a message key is unique by construction, so a clash is a bug to surface, not data
            # to lose.
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        _raise_if_full(error)
        # DynamoDB may store the item and still answer 5xx; botocore's retry then finds the very item it sent.
        # That is this write succeeding, not a clash.
        if not (_is_condition_failure(error) and error.response.get("Item") == item):
            raise store_error("message store", error) from error


def _is_condition_failure(error: ClientError) -> bool:
    return error_code(error) == "ConditionalCheckFailedException"


def newest_messages(group_uuid: str, limit: int, cursor: str | None) -> Page[Message]:
    """The newest ``limit`` messages older than ``cursor``, returned oldest first (as a chat shows them)."""
    partition = keys.messages_pk(group_uuid)
    items, next_cursor = query_page(
        {
            "TableName": settings().messages_table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            # A sender reloading the conversation must see the message they just posted.
            "ConsistentRead": True,
        },
        partition=partition,
        limit=limit,
        cursor=cursor,
        cursor_attributes=_CURSOR_ATTRIBUTES,
    )
    return Page([message_from_item(item) for item in reversed(items)], next_cursor)


class ChangeRefused(Exception):
    """An edit's or a deletion's condition failed: ``found`` is the message as DynamoDB found it (None: no such
    message), for the caller to say why without another read. Never an answer itself: the service turns it into
    the refusal's reason."""

    def __init__(self, found: Message | None) -> None:
        super().__init__("the message cannot be changed as asked")
        self.found = found


# Only its sender changes a message, and only while it is not deleted; the caller's uuid in the condition also
# proves membership (only members send into a group), so the common case reads nothing first.
_SENDERS_LIVE_MESSAGE = "attribute_exists(pk) AND user_uuid = :sender AND attribute_not_exists(deleted_at)"
_NEXT_VERSION = "version = if_not_exists(version, :zero) + :one"


def edit_message(
    group_uuid: str, message_uuid: str, *, sender_uuid: str, text: str, edited_at: str, sent_after: str
) -> Message:
    """Sets a message's text in one conditional write, if ``sender_uuid`` sent it after ``sent_after`` (the edit
    window's start) and it is not deleted; raises ``ChangeRefused`` otherwise."""
    return _change(
        group_uuid,
        message_uuid,
        update=f"SET #message = :text, edited_at = :at, {_NEXT_VERSION}",
        condition=f"{_SENDERS_LIVE_MESSAGE} AND created_at >= :sent_after",
        names={"#message": "message"},
        values={":text": {"S": text}, ":at": {"S": edited_at}, ":sent_after": {"S": sent_after}},
        sender_uuid=sender_uuid,
    )


def delete_message(group_uuid: str, message_uuid: str, sender_uuid: str, deleted_at: str) -> Message:
    """Makes a message a tombstone in one conditional write: its text and edit time removed from the item, its
    key, sender and time kept. Raises ``ChangeRefused`` if ``sender_uuid`` did not send it or it is deleted."""
    return _change(
        group_uuid,
        message_uuid,
        update=f"SET deleted_at = :at, {_NEXT_VERSION} REMOVE #message, edited_at",
        condition=_SENDERS_LIVE_MESSAGE,
        names={"#message": "message"},
        values={":at": {"S": deleted_at}},
        sender_uuid=sender_uuid,
    )


def _change(
    group_uuid: str,
    message_uuid: str,
    *,
    update: str,
    condition: str,
    names: dict[str, str],
    values: dict[str, Any],
    sender_uuid: str,
) -> Message:
    try:
        response = dynamodb().update_item(
            TableName=settings().messages_table,
            Key=_key(group_uuid, message_uuid),
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values | {":sender": {"S": sender_uuid}, ":zero": {"N": "0"}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        _raise_if_full(error)
        if not _is_condition_failure(error):
            raise store_error("message store", error) from error
        # Not in botocore's typed error shape: DynamoDB adds it for ReturnValuesOnConditionCheckFailure.
        failure: dict[str, Any] = dict(error.response)
        found = failure.get("Item")
        raise ChangeRefused(None if found is None else message_from_item(found)) from None
    return message_from_item(response["Attributes"])


def message_by_uuid(group_uuid: str, message_uuid: str) -> Message | None:
    response = dynamodb().get_item(
        TableName=settings().messages_table, Key=_key(group_uuid, message_uuid), ConsistentRead=True
    )
    item = response.get("Item")
    return None if item is None else message_from_item(item)


def _key(group_uuid: str, message_uuid: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": keys.messages_pk(group_uuid)}, "sk": {"S": message_uuid}}


def _raise_if_full(error: ClientError) -> None:
    if error_code(error) == ITEM_COLLECTION_FULL:
        raise ConversationFull() from None


def message_exists(group_uuid: str, message_uuid: str) -> bool:
    response = dynamodb().get_item(
        TableName=settings().messages_table,
        Key=_key(group_uuid, message_uuid),
        ProjectionExpression="pk",
        ConsistentRead=True,
    )
    return "Item" in response
