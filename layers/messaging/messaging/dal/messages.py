"""Message items: ``MSG#<group>`` partitions, one item per message."""

from botocore.exceptions import ClientError

from messaging.config import settings
from messaging.dal import keys
from messaging.dal.aws import dynamodb
from messaging.dal.items import message_from_item, message_item
from messaging.dal.paging import query_page
from messaging.domain import Message, Page

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
        # DynamoDB may store the item and still answer 5xx; botocore's retry then finds the very item it sent.
        # That is this write succeeding, not a clash.
        if not (_is_condition_failure(error) and error.response.get("Item") == item):
            raise


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


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
