"""A member's read state as typed values: what the read marker and pattern E reason about, never DynamoDB items.

``store`` reads and writes them; ``rules`` says what a batch or a recount makes of them.
"""

import msgspec

from messaging.core.domain import UNREAD_CAP, Message


class MemberItem(msgspec.Struct, frozen=True):
    """A member's group item as its read state: the last message it shows, the read marker and the unread count."""

    owner_uuid: str
    group_uuid: str
    other_uuid: str  # the other member: the one whose messages the owner has or has not read
    last_message_sk: str | None  # none until pattern E applied a first message
    # Which state of that message the preview shows (its edits and deletion count up); None as first written.
    last_message_version: int | None
    last_read_sk: str | None
    # As stored: None until first set, and increments may carry it past the cap. Writes are conditioned on it.
    stored_unread: int | None

    @property
    def unread_count(self) -> int:
        # Past the cap the exact number is not kept.
        return min(self.stored_unread or 0, UNREAD_CAP)


class ReadState(msgspec.Struct, frozen=True):
    read_through: str | None
    unread_count: int


class MemberActivity(msgspec.Struct, frozen=True):
    """What one stream batch of a group's messages means for one member's item."""

    owner_uuid: str
    other_uuid: str
    newest: Message  # to show as the last message
    oldest_sort_key: str  # of the batch's messages
    read_through: str | None  # the newest message the owner sent in the batch: read up to there
    incoming: int  # live messages from the other member in the batch after read_through (all of them if None)
