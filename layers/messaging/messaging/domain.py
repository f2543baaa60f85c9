"""The domain objects the access patterns exchange; storage and HTTP shapes are derived from them."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Self
from uuid import UUID, uuid4


@dataclass(frozen=True)
class User:
    uuid: str
    display_name: str
    handle: str


@dataclass(frozen=True)
class Message:
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
        # The uuid suffix keeps two messages of the same microsecond apart; the fixed-width timestamp keeps order.
        return f"{self.created_at}#{self.uuid}"

    def in_group(self, group_uuid: str) -> Self:
        return replace(self, group_uuid=group_uuid)


@dataclass(frozen=True)
class MessageGroup:
    uuid: str
    other: User
    last_message: str
    last_message_at: str


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_cursor: str | None


def utc_timestamp() -> str:
    """UTC, fixed width, microseconds: string order is time order."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
