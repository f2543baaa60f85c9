"""Conversions between domain objects and DynamoDB items (the low-level attribute-value format).

Stream records carry the same format, so pattern E reads messages with the same function as pattern A.
"""

from collections.abc import Mapping
from typing import Any

from messaging.core.domain import UNREAD_CAP, Message, MessageGroup, User
from messaging.table import keys

type Item = dict[str, dict[str, str]]


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _user_attributes(user: User) -> Item:
    # Both item kinds name one person the same way: the sender of a message, the other member of a group.
    return {"user_uuid": _s(user.uuid), "user_display_name": _s(user.display_name), "user_handle": _s(user.handle)}


def _user_of(item: Mapping[str, Any]) -> User:
    return User(item["user_uuid"]["S"], item["user_display_name"]["S"], item["user_handle"]["S"])


def message_item(message: Message) -> Item:
    item = {
        "pk": _s(keys.messages_pk(message.group_uuid)),
        "sk": _s(message.sort_key),
        "message_uuid": _s(message.uuid),
        "created_at": _s(message.created_at),  # for people and scripts reading the table: the uuid holds it too
        **_user_attributes(message.sender),
        "recipient_uuid": _s(message.recipient_uuid),
    }
    if message.text is not None:
        item["message"] = _s(message.text)
    for name, value in (("edited_at", message.edited_at), ("deleted_at", message.deleted_at)):
        if value is not None:
            item[name] = _s(value)
    if message.version:
        item["version"] = {"N": str(message.version)}
    return item


def message_from_item(item: Mapping[str, Any]) -> Message:
    return Message(
        group_uuid=keys.group_uuid_of_messages_pk(item["pk"]["S"]),
        uuid=item["message_uuid"]["S"],
        text=_optional_string(item, "message"),
        sender=_user_of(item),
        recipient_uuid=item["recipient_uuid"]["S"],
        edited_at=_optional_string(item, "edited_at"),
        deleted_at=_optional_string(item, "deleted_at"),
        version=version_of(item),
    )


def version_of(item: Mapping[str, Any], attribute: str = "version") -> int:
    return int(item.get(attribute, {}).get("N", "0"))


def _optional_string(item: Mapping[str, Any], attribute: str) -> str | None:
    value = item.get(attribute)
    return None if value is None else str(value["S"])


def message_group_item(owner: User, other: User, first_message: Message) -> Item:
    """A member's item for a new group: its preview at once; read state and counts are pattern E's to set.

    Without ``last_message_sk`` the item has accounted for no message yet, so E applies the first message's record
    like any other, in one write (a preset count would make that record look like a duplicate to recount).
    """
    return {
        **keys.group_key(owner.uuid, first_message.group_uuid),
        "message_group_uuid": _s(first_message.group_uuid),
        **_user_attributes(other),
        "last_message_at": _s(first_message.created_at),
        **({"message": _s(first_message.text)} if first_message.text is not None else {}),
    }


def message_group_from_item(item: Mapping[str, Any]) -> MessageGroup:
    return MessageGroup(
        uuid=item["message_group_uuid"]["S"],
        other=_user_of(item),
        # No text: the newest message was deleted (pattern E removes it from the preview too).
        last_message=_optional_string(item, "message"),
        last_message_at=item["last_message_at"]["S"],
        unread_count=unread_count_of(item),
        muted=bool(item.get("muted", {}).get("BOOL")),
        blocked=bool(item.get("blocked_by", {}).get("SS")),
        request=bool(item.get("pending_request", {}).get("BOOL")),
        awaiting_acceptance="awaiting_sent" in item,
    )


def unread_count_of(item: Mapping[str, Any]) -> int:
    # Increments may carry the stored count past the cap; past it, the exact number is not kept.
    return min(int(item.get("unread_count", {}).get("N", "0")), UNREAD_CAP)
