"""Pattern E: after messages land, both members' group items show each group's newest message, and each member's
read marker and unread count stay exact (docs/architecture.md, "Unread counts").

Messages are coalesced per group first, so a burst into one group costs one update per member; the message names
both members, so in the common case nothing is read. Streams deliver at least once and may redeliver out of order:
the update's condition detects that, and the member's count is then recounted from the table.

The two members' items are independent: each is tried whatever happens to the other, so one member's item that
keeps failing (throttling, a missing item) never holds back the other member's preview and unread count. A retry
re-applies the member that succeeded, which its condition detects as a duplicate: it is recounted, not counted twice.
"""

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from aws_lambda_powertools.metrics import MetricUnit

from messaging.core.domain import Message
from messaging.core.errors import ConversationListFull
from messaging.core.observability import logger, metrics
from messaging.unread import member_items
from messaging.unread.rules import member_activities
from messaging.unread.state import MemberActivity

# One worker per member update, below botocore's connection pool (10), so no worker waits for a connection.
_MEMBER_WORKERS = 8

# What failed in a batch: by group, the members whose item was not updated and why.
type Failures = dict[str, dict[str, BaseException]]


def show_newest_messages(messages: Iterable[Message]) -> Failures:
    """Applies a batch's messages to their groups' member items; returns, per group, the members that failed.

    Every member update is independent and runs side by side: a burst over many groups takes about as long as
    its slowest update, not the sum of them, and no failure skips another member's update.
    """
    activities = [activity for batch in messages_per_group(messages).values() for activity in member_activities(batch)]
    if not activities:
        return {}
    with ThreadPoolExecutor(max_workers=min(_MEMBER_WORKERS, len(activities))) as pool:
        outcomes = [(activity, pool.submit(member_items.apply_activity, activity)) for activity in activities]
    return _failures(outcomes)


def _failures(outcomes: list[tuple[MemberActivity, Future[None]]]) -> Failures:
    failures: Failures = {}
    for activity, outcome in outcomes:
        group = activity.newest.group_uuid
        if (error := outcome.exception()) is None:
            continue
        if isinstance(error, ConversationListFull):
            _skip_full_member(activity, error)
            continue
        failures.setdefault(group, {})[activity.owner_uuid] = error
        logger.warning(
            "member's message group item not updated",
            extra={
                "group": group,
                "member": activity.owner_uuid,
                "error": type(error).__name__,
                "detail": str(error),
            },
        )
    return failures


def _skip_full_member(activity: MemberActivity, error: ConversationListFull) -> None:
    """A member whose item collection is full is logged and skipped, not failed: no retry makes room (nothing in
    the partition shrinks), and a record failed for good would hold the shard up through all its retries before
    reaching the dead-letter queue. The other member and the member's other conversations are unaffected; the
    ``MemberItemCollectionFull`` metric is what to alarm on."""
    logger.error(
        "member's item collection is full: message group item not updated",
        extra={"group": activity.newest.group_uuid, "member": activity.owner_uuid, "detail": error.message},
    )
    metrics.add_metric(name="MemberItemCollectionFull", unit=MetricUnit.Count, value=1)


def messages_per_group(messages: Iterable[Message]) -> dict[str, list[Message]]:
    """Each group's distinct messages, oldest first (a batch may carry a record twice, and out of order)."""
    distinct: dict[str, dict[str, Message]] = {}
    for message in messages:
        distinct.setdefault(message.group_uuid, {})[message.sort_key] = message
    return {group: [by_key[key] for key in sorted(by_key)] for group, by_key in distinct.items()}


def apply_to_members(batch: list[Message]) -> None:
    """Both members' updates for one group's batch, each tried whatever the other's outcome; then raises the first
    failure, if any (for callers outside the stream, such as the seed)."""
    errors = []
    for activity in member_activities(batch):
        try:
            member_items.apply_activity(activity)
        except Exception as error:  # raised below, once the other member has been tried
            errors.append(error)
    if errors:
        raise errors[0]
