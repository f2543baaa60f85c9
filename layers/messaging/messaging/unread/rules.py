"""The unread rules as pure functions over typed state (docs/architecture.md "Unread counts"): what a batch of a
group's messages means for each member, what it makes of a member's item, and how a recount settles.

No I/O here: ``member_items`` carries them out through ``store``, whose conditional writes are these rules put as
DynamoDB conditions (tests/integration/test_unread_rules.py holds the two equal).
"""

import msgspec

from messaging.core.domain import Message
from messaging.unread.state import MemberActivity, MemberItem


class Recount(msgspec.Struct, frozen=True):
    """Where settling a member's item leaves it, before its count."""

    read_through: str | None  # the marker only moves forward
    newest: Message | None  # to show instead of the item's last message (only ever a newer one)
    through_sk: str | None  # the last message the item shows once settled: newer ones count when they arrive

    @property
    def count_through(self) -> str | None:
        """Count the other member's messages after ``read_through`` up to this key; None: nothing can be unread
        (the marker has reached the last message the item shows, or it shows none)."""
        if self.through_sk is None or (self.read_through is not None and self.read_through >= self.through_sk):
            return None
        return self.through_sk


def member_activities(batch: list[Message]) -> list[MemberActivity]:
    """What a group's batch (oldest first) means for each member: the preview, their read marker, their unread."""
    newest = batch[-1]
    activities = []
    for owner, other in (newest.member_uuids, newest.member_uuids[::-1]):
        sent = [message.sort_key for message in batch if message.sender.uuid == owner]
        read_through = sent[-1] if sent else None  # sending a message reads everything before it
        incoming = sum(
            1
            for message in batch
            if message.sender.uuid == other and (read_through is None or message.sort_key > read_through)
        )
        activities.append(MemberActivity(owner, other, newest, batch[0].sort_key, read_through, incoming))
    return activities


def accounts_before(item: MemberItem, sort_key: str) -> bool:
    """Whether everything the item accounts for (its last message, the owner's read marker) is older than the key."""
    return all(sk is None or sk < sort_key for sk in (item.last_message_sk, item.last_read_sk))


def after_batch(item: MemberItem, activity: MemberActivity) -> MemberItem | None:
    """The item once the batch is applied, when the batch's own counts are exact for it: every message of the batch
    is newer than everything the item accounts for. None otherwise (a duplicate, a late or reordered record, a
    marker set ahead of the stream): the item is then recounted (``recount``)."""
    if not accounts_before(item, activity.oldest_sort_key):
        return None
    # Sending reads everything before: the count restarts at the batch's own. Otherwise it grows by the batch's.
    read: str | None = activity.read_through or item.last_read_sk
    unread = activity.incoming if activity.read_through is not None else (item.stored_unread or 0) + activity.incoming
    return msgspec.structs.replace(
        item, last_message_sk=activity.newest.sort_key, last_read_sk=read, stored_unread=unread
    )


def recount(item: MemberItem, *, read_through: str | None, newest: Message | None) -> Recount:
    """Where a recount of the item leaves its marker and last message: the marker only moves forward, the last
    message only to a newer one; the count covers the messages up to the last message the item shows."""
    new_read = max((sk for sk in (item.last_read_sk, read_through) if sk is not None), default=None)
    old_last = item.last_message_sk
    shows_newer = newest is not None and (old_last is None or newest.sort_key > old_last)
    shown = newest if shows_newer else None
    return Recount(new_read, shown, shown.sort_key if shown is not None else old_last)


def is_settled(item: MemberItem, plan: Recount, unread: int) -> bool:
    """Whether the item already is what the recount makes it (a duplicate): nothing to write."""
    return (
        plan.read_through == item.last_read_sk
        and plan.newest is None
        and item.stored_unread is not None
        and item.unread_count == unread
    )
