"""The domain objects the access patterns exchange; storage and HTTP shapes are derived from them.

Immutable records here and across the layer are msgspec Structs, not dataclasses: on Python 3.12 a frozen
dataclass compiles its methods at import, about 1 ms of cold start each; a Struct is defined in some 20 us.
"""

from datetime import UTC, datetime
from typing import Self
from uuid import UUID

import msgspec
import uuid_utils


class User(msgspec.Struct, frozen=True):
    uuid: str
    display_name: str
    handle: str


class Message(msgspec.Struct, frozen=True):
    """A message in one of its states: as sent, edited (``edited_at``), or deleted (a tombstone: no text).

    Its uuid is a UUIDv7, time-ordered: it is the message's sort key in its group and carries its time, so the uuid
    alone names the message (edit, delete, the read marker) with no index and no scan.
    """

    group_uuid: str
    uuid: str
    text: str | None  # None once deleted: the text is gone from storage, not hidden
    sender: User
    # The other member: a message names both, so the stream consumers find both members' items from it alone.
    recipient_uuid: str
    edited_at: str | None = None
    deleted_at: str | None = None
    # 0 as sent; each edit and the deletion add one. Of two states of a message, the higher version is the newer,
    # whatever order the stream delivers them in.
    version: int = 0

    @classmethod
    def new(cls, group_uuid: str | UUID, sender: User, recipient_uuid: str, text: str) -> Self:
        return cls(str(group_uuid), new_message_uuid(), text, sender, recipient_uuid)

    @property
    def created_at(self) -> str:
        return message_time(self.uuid)

    @property
    def member_uuids(self) -> tuple[str, str]:
        return self.sender.uuid, self.recipient_uuid

    @property
    def sort_key(self) -> str:
        return self.uuid

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def in_group(self, group_uuid: str) -> Self:
        return msgspec.structs.replace(self, group_uuid=group_uuid)


def new_message_uuid() -> str:
    """A UUIDv7: its first 48 bits are the Unix time in milliseconds, and uuids made in one container sort in the
    order they were made (the library keeps a counter within a millisecond). Lower-case hex, fixed width: string
    order is time order."""
    return str(uuid_utils.uuid7())


def message_time(message_uuid: str) -> str:
    """When a message was sent, from its UUIDv7: UTC, fixed width, microseconds (milliseconds, padded)."""
    milliseconds = int(message_uuid[:8] + message_uuid[9:13], 16)
    seconds, millisecond = divmod(milliseconds, 1000)
    moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=millisecond * 1000)
    return moment.isoformat(timespec="microseconds")


# Unread counts are exact up to here; above it a member just has "many" (clients show "99+").
UNREAD_CAP = 100


class MessageGroup(msgspec.Struct, frozen=True):
    uuid: str
    other: User
    last_message: str | None  # None when the newest message was deleted
    last_message_at: str
    unread_count: int = 0
    muted: bool = False  # by its owner: it updates, but never badges nor alerts
    blocked: bool = False  # either member blocks the other
    request: bool = False  # the other member started it and its owner has neither replied nor accepted
    awaiting_acceptance: bool = False  # its owner started it and the other member has not accepted yet


class ReadMarker(msgspec.Struct, frozen=True):
    """Where a member has read a message group up to, and what is left unread after it."""

    group_uuid: str
    last_read_at: str
    unread_count: int


class ReadReceipt(msgspec.Struct, frozen=True):
    """Where a member has read a conversation up to, as its other member may see it ("Seen"): the marker's
    message (its uuid is its sort key) and when that message was sent."""

    group_uuid: str
    reader_uuid: str
    other_uuid: str  # who may see it
    last_read_uuid: str

    @property
    def last_read_at(self) -> str:
        return message_time(self.last_read_uuid)


class Page[T](msgspec.Struct, frozen=True):
    items: list[T]
    next_cursor: str | None


def utc_timestamp() -> str:
    """UTC, fixed width, microseconds: string order is time order."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
