"""A member's read state kept exact: pattern E (``activity``) applies a batch of new messages to it; the read marker
(``conversations``) moves the marker. Both meet the same rule when anything is out of the ordinary: recount from
the table (``settle``).

The rules are ``rules``' pure functions over ``MemberItem`` state; ``store`` carries them out in DynamoDB. This
module orders the two: which write first, when to count, and what to do when the item changed meanwhile.
"""

from messaging.core.domain import UNREAD_CAP, Message
from messaging.core.errors import DependencyUnavailable, MessageGroupItemMissing, NotAMember
from messaging.unread import rules, store
from messaging.unread.state import MemberActivity, MemberItem, ReadState

_SETTLE_ATTEMPTS = 4


def apply_activity(activity: MemberActivity) -> None:
    """Shows the batch's newest message on the owner's item and keeps its read marker and unread count exact.

    The common case is one write and no read (``rules.after_batch``): every message of the batch is newer than
    everything the item has accounted for, so the batch's own counts are exact. Anything else (a duplicate, a late
    or reordered record, a marker set ahead of the stream) is recounted from the table.
    """
    found = store.show_batch(activity)
    if found is not None:
        settle(found, activity.other_uuid, read_through=activity.read_through, newest=activity.newest)


def apply_changes(owner_uuid: str, other_uuid: str, changes: list[Message]) -> None:
    """Applies edits and deletions (each message in its latest state, oldest first) to the owner's item.

    The common case is one write and no read (``store.show_change``): the newest change is to the message the
    item shows, and the preview takes its new state. A change to a message the item has not accounted for yet
    (its record came before the message's own, out of order) is applied as that message arriving. A deletion of
    an unread message is recounted from the table; an edit never changes a count.
    """
    item = store.show_change(owner_uuid, changes[-1])
    unaccounted = [change for change in changes if not rules.is_accounted(item, change)]
    if unaccounted:
        apply_activity(rules.member_activity(owner_uuid, other_uuid, unaccounted))
    if any(rules.uncounts(item, change) for change in changes):
        settle(item, other_uuid, read_through=None, newest=None)


def mark_read(owner_uuid: str, group_uuid: str, read_sk: str) -> MemberItem | None:
    """Moves the owner's read marker to ``read_sk`` in one write when that is the group's newest message.

    Returns None when it did; otherwise the item as it is, for ``settle`` (the marker is older or newer than the
    newest message). Raises ``NotAMember`` when the owner has no item for the group.
    """
    try:
        return store.mark_newest_read(owner_uuid, group_uuid, read_sk)
    except MessageGroupItemMissing:
        raise NotAMember("You are not a member of this conversation.") from None


def settle(item: MemberItem, other_uuid: str, *, read_through: str | None, newest: Message | None) -> ReadState:
    """Recounts a member's unread messages from the table and writes the result, unless the item changed meanwhile.

    The marker only moves forward and the last message only to a newer one (``rules.recount``); the count covers
    the messages up to the last message the item shows (newer ones are counted when their own records arrive). A
    concurrent change (another batch, a read marker) fails the write's condition, and the item found is settled
    again.
    """
    for _ in range(_SETTLE_ATTEMPTS):
        plan = rules.recount(item, read_through=read_through, newest=newest)
        unread = 0
        if (through := plan.count_through) is not None:
            unread = store.count_messages_from(item.group_uuid, other_uuid, plan.read_through, through, UNREAD_CAP)
        state = ReadState(plan.read_through, unread)
        if rules.is_settled(item, plan, unread):
            return state  # a duplicate: nothing to write
        changed = store.write_settled(item, state, plan.newest)
        if changed is None:
            return state
        item = changed
    raise DependencyUnavailable("The message group kept changing while being recounted; retry shortly.")
