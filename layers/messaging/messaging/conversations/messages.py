"""Message items: ``MSG#<group>`` partitions, one item per message."""

from botocore.exceptions import ClientError

from messaging.core.aws import ITEM_COLLECTION_FULL, dynamodb, error_code
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
        if error_code(error) == ITEM_COLLECTION_FULL:
            raise ConversationFull(
                "This conversation has reached its storage limit and cannot take new messages;"
                " its messages stay readable."
            ) from None
        # DynamoDB may store the item and still answer 5xx; botocore's retry then finds the very item it sent.
        # That is this write succeeding, not a clash.
        if not (_is_condition_failure(error) and error.response.get("Item") == item):
            raise


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


def message_exists(group_uuid: str, sort_key: str) -> bool:
    response = dynamodb().get_item(
        TableName=settings().messages_table,
        Key={"pk": {"S": keys.messages_pk(group_uuid)}, "sk": {"S": sort_key}},
        ProjectionExpression="pk",
        ConsistentRead=True,
    )
    return "Item" in response
