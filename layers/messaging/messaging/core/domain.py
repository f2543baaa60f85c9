"""The domain objects the access patterns exchange; storage and HTTP shapes are derived from them.

Immutable records here and across the layer are msgspec Structs, not dataclasses: on Python 3.12 a frozen
dataclass compiles its methods at import, about 1 ms of cold start each; a Struct is defined in some 20 us.
"""

from datetime import UTC, datetime
from typing import Self
from uuid import UUID, uuid4

import msgspec


class User(msgspec.Struct, frozen=True):
    uuid: str
    display_name: str
    handle: str


class Message(msgspec.Struct, frozen=True):
    group_uuid: str
    uuid: str
    created_at: str
    text: str
    sender: User
    # The other member: a message names both, so the stream consumers find both members' items from it alone.
    recipient_uuid: str

    @classmethod
    def new(cls, group_uuid: str | UUID, sender: User, recipient_uuid: str, text: str) -> Self:
        return cls(str(group_uuid), str(uuid4()), utc_timestamp(), text, sender, recipient_uuid)

    @property
    def member_uuids(self) -> tuple[str, str]:
        return self.sender.uuid, self.recipient_uuid

    @property
    def sort_key(self) -> str:
        return self.key_of(self.created_at, self.uuid)

    @staticmethod
    def key_of(created_at: str, message_uuid: str) -> str:
        # The uuid suffix keeps two messages of the same microsecond apart; the fixed-width timestamp keeps order.
        return f"{created_at}#{message_uuid}"

    @staticmethod
    def created_at_of(sort_key: str) -> str:
        return sort_key.partition("#")[0]

    def in_group(self, group_uuid: str) -> Self:
        return msgspec.structs.replace(self, group_uuid=group_uuid)


# Unread counts are exact up to here; above it a member just has "many" (clients show "99+").
UNREAD_CAP = 100


class MessageGroup(msgspec.Struct, frozen=True):
    uuid: str
    other: User
    last_message: str
    last_message_at: str
    unread_count: int = 0


class ReadMarker(msgspec.Struct, frozen=True):
    """Where a member has read a message group up to, and what is left unread after it."""

    group_uuid: str
    last_read_at: str
    unread_count: int


class Page[T](msgspec.Struct, frozen=True):
    items: list[T]
    next_cursor: str | None


def utc_timestamp() -> str:
    """UTC, fixed width, microseconds: string order is time order."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
