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


def members(message: Message) -> tuple[tuple[str, str], tuple[str, str]]:
    """Both members of the message's group, each as (owner, other)."""
    return message.member_uuids, message.member_uuids[::-1]


def member_activities(batch: list[Message]) -> list[MemberActivity]:
    """What a group's batch (oldest first) means for each member: the preview, their read marker, their unread."""
    return [member_activity(owner, other, batch) for owner, other in members(batch[-1])]


def member_activity(owner: str, other: str, batch: list[Message]) -> MemberActivity:
    """What a group's messages (oldest first, each in its latest state) mean for the owner's item.

    A deleted message counts as nobody's unread message, but sending it still read everything before it.
    """
    sent = [message.sort_key for message in batch if message.sender.uuid == owner]
    read_through = sent[-1] if sent else None  # sending a message reads everything before it
    incoming = sum(
        1
        for message in batch
        if message.sender.uuid == other
        and not message.is_deleted
        and (read_through is None or message.sort_key > read_through)
    )
    return MemberActivity(owner, other, batch[-1], batch[0].sort_key, read_through, incoming)


def is_accounted(item: MemberItem, message: Message) -> bool:
    """Whether the item has accounted for the message: it is at or before the last message the item shows."""
    return item.last_message_sk is not None and message.sort_key <= item.last_message_sk


def uncounts(item: MemberItem, change: Message) -> bool:
    """Whether a change to an accounted message may lower the owner's count: a deletion of a message the other
    member sent after the owner's read marker. Edits never change a count."""
    return (
        change.is_deleted
        and change.sender.uuid == item.other_uuid
        and is_accounted(item, change)
        and (item.last_read_sk is None or change.sort_key > item.last_read_sk)
    )


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
    newest = activity.newest
    return msgspec.structs.replace(
        item,
        last_message_sk=newest.sort_key,
        last_message_version=newest.version,
        last_read_sk=read,
        stored_unread=unread,
    )


def recount(item: MemberItem, *, read_through: str | None, newest: Message | None) -> Recount:
    """Where a recount of the item leaves its marker and last message: the marker only moves forward, the last
    message only to a newer one (or to a newer state of the same one); the count covers the messages up to the
    last message the item shows."""
    new_read = max((sk for sk in (item.last_read_sk, read_through) if sk is not None), default=None)
    old_last = item.last_message_sk
    shown = newest if newest is not None and shows_newer(item, newest) else None
    return Recount(new_read, shown, shown.sort_key if shown is not None else old_last)


def shows_newer(item: MemberItem, message: Message) -> bool:
    """Whether showing the message would move the item's preview forward: a newer message, or a newer state
    (an edit, the deletion) of the one it shows. Never back, whatever order records come in."""
    if item.last_message_sk is None or message.sort_key > item.last_message_sk:
        return True
    return message.sort_key == item.last_message_sk and message.version > (item.last_message_version or 0)


def is_settled(item: MemberItem, plan: Recount, unread: int) -> bool:
    """Whether the item already is what the recount makes it (a duplicate): nothing to write."""
    return (
        plan.read_through == item.last_read_sk
        and plan.newest is None
        and item.stored_unread is not None
        and item.unread_count == unread
    )
