"""Conversions between domain objects and DynamoDB items (the low-level attribute-value format).

Stream records carry the same format, so pattern E reads messages with the same function as pattern A.
"""

from collections.abc import Mapping
from typing import Any

from messaging.dal import keys
from messaging.domain import Message, MessageGroup, User

type Item = dict[str, dict[str, str]]


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def message_item(message: Message) -> Item:
    sender = message.sender
    return {
        "pk": _s(keys.messages_pk(message.group_uuid)),
        "sk": _s(message.sort_key),
        "message_uuid": _s(message.uuid),
        "message": _s(message.text),
        "created_at": _s(message.created_at),
        "user_uuid": _s(sender.uuid),
        "user_display_name": _s(sender.display_name),
        "user_handle": _s(sender.handle),
    }


def message_from_item(item: Mapping[str, Any]) -> Message:
    return Message(
        group_uuid=keys.group_uuid_of_messages_pk(item["pk"]["S"]),
        uuid=item["message_uuid"]["S"],
        created_at=item["created_at"]["S"],
        text=item["message"]["S"],
        sender=User(item["user_uuid"]["S"], item["user_display_name"]["S"], item["user_handle"]["S"]),
    )


def group_item(owner: User, other: User, first_message: Message) -> Item:
    return {
        **keys.group_key(owner.uuid, first_message.group_uuid),
        "message_group_uuid": _s(first_message.group_uuid),
        "user_uuid": _s(other.uuid),
        "user_display_name": _s(other.display_name),
        "user_handle": _s(other.handle),
        "message": _s(first_message.text),
        "last_message_at": _s(first_message.created_at),
        "last_message_sk": _s(first_message.sort_key),
    }


def group_from_item(item: Mapping[str, Any]) -> MessageGroup:
    return MessageGroup(
        uuid=item["message_group_uuid"]["S"],
        other=User(item["user_uuid"]["S"], item["user_display_name"]["S"], item["user_handle"]["S"]),
        last_message=item["message"]["S"],
        last_message_at=item["last_message_at"]["S"],
    )
