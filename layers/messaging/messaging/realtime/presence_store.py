"""What the typing relay reads of the messages table beyond membership: the names a member's group item shows.

Each member's group item names the other member (``user_uuid``, ``user_handle``, ``user_display_name``), so the
typist's names are on the other member's item: no PostgreSQL, which the WebSocket routes after $connect never load.
"""

from messaging.core.aws import dynamodb, store_call
from messaging.core.config import settings
from messaging.core.domain import User
from messaging.table import keys


def named_member(owner_uuid: str, group_uuid: str) -> User | None:
    """The member the owner's group item names (the owner's other member); None when the owner has no such item.

    One eventually consistent GetItem: a member's names change only when their profile does.
    """
    with store_call("message store"):
        response = dynamodb().get_item(
            TableName=settings().messages_table,
            Key=keys.group_key(owner_uuid, group_uuid),
            ProjectionExpression="user_uuid, user_handle, user_display_name",
        )
    item = response.get("Item")
    if item is None:
        return None
    return User(item["user_uuid"]["S"], item["user_display_name"]["S"], item["user_handle"]["S"])
