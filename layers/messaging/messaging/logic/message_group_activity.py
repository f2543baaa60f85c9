"""Pattern E: after messages land, both members' group items show each group's newest message, and each member's
read marker and unread count stay exact (SPEC section 3).

Messages are coalesced per group first, so a burst into one group costs one update per member; the message names
both members, so in the common case nothing is read. Streams deliver at least once and may redeliver out of order:
the update's condition detects that, and the member's count is then recounted from the table.
"""

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from messaging.dal import message_groups
from messaging.dal.message_groups import MemberActivity
from messaging.domain import Message
from messaging.observability import logger

_GROUP_WORKERS = 8  # below botocore's connection pool (10), so no worker waits for a connection


def show_newest_messages(messages: Iterable[Message]) -> dict[str, BaseException]:
    """Applies a batch's messages to their groups' member items; returns why each group that failed did.

    Groups are independent and each costs two writes, so they run side by side: a burst over many groups takes
    about as long as its slowest group, not the sum of them.
    """
    batches = messages_per_group(messages)
    if not batches:
        return {}
    with ThreadPoolExecutor(max_workers=min(_GROUP_WORKERS, len(batches))) as pool:
        outcomes = {group: pool.submit(apply_to_members, batch) for group, batch in batches.items()}
    failures = {group: error for group, outcome in outcomes.items() if (error := outcome.exception()) is not None}
    for group, error in failures.items():
        logger.warning(
            "message group not updated", extra={"group": group, "error": type(error).__name__, "detail": str(error)}
        )
    return failures


def messages_per_group(messages: Iterable[Message]) -> dict[str, list[Message]]:
    """Each group's distinct messages, oldest first (a batch may carry a record twice, and out of order)."""
    distinct: dict[str, dict[str, Message]] = {}
    for message in messages:
        distinct.setdefault(message.group_uuid, {})[message.sort_key] = message
    return {group: [by_key[key] for key in sorted(by_key)] for group, by_key in distinct.items()}


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


def apply_to_members(batch: list[Message]) -> None:
    for activity in member_activities(batch):
        message_groups.apply_activity(activity)
