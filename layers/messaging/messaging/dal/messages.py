"""Message items: ``MSG#<group>`` partitions, one item per message."""

from messaging.config import settings
from messaging.dal import keys
from messaging.dal.aws import dynamodb
from messaging.dal.items import message_from_item, message_item
from messaging.dal.paging import query_page
from messaging.domain import Message, Page

_CURSOR_ATTRIBUTES = ("pk", "sk")


def put_message(message: Message) -> None:
    dynamodb().put_item(
        TableName=settings().messages_table,
        Item=message_item(message),
        # Never overwrite: a message key is unique by construction, so a clash is a bug to surface, not data to lose.
        ConditionExpression="attribute_not_exists(pk)",
    )


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
