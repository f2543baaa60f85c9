"""Pattern E: after messages land, are edited or deleted, both members' group items show each group's newest
message in its newest state, and each member's read marker and unread count stay exact (docs/architecture.md,
"Unread counts").

Messages are coalesced per group first (each in its latest state: the highest version of its records), so a
burst into one group costs one update per member; the message names both members, so in the common case nothing
is read. Edits and deletions of messages sent before the batch take their own path (``member_items.apply_changes``),
one conditional write per member in the common case. Streams deliver at least once and may redeliver out of order:
the update's condition detects that, and the member's count is then recounted from the table.

The two members' items are independent: each is tried whatever happens to the other, so one member's item that
keeps failing (throttling, a missing item) never holds back the other member's preview and unread count. A retry
re-applies the member that succeeded, which its condition detects as a duplicate: it is recounted, not counted twice.
"""

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import msgspec
from aws_lambda_powertools.metrics import MetricUnit

from messaging.core.domain import Message
from messaging.core.errors import ConversationListFull
from messaging.core.observability import logger, metrics
from messaging.unread import member_items, rules

# One worker per member update, below botocore's connection pool (10), so no worker waits for a connection.
_MEMBER_WORKERS = 8

# What failed in a batch: by group, the members whose item was not updated and why.
type Failures = dict[str, dict[str, BaseException]]


class GroupBatch(msgspec.Struct, frozen=True):
    """A group's messages in one stream batch, each once, in its latest state, oldest first."""

    sent: list[Message]  # sent in the batch (their INSERT is in it), edited or deleted since or not
    changes: list[Message]  # sent before the batch, edited or deleted in it

    @property
    def newest(self) -> Message:
        return max((*self.sent[-1:], *self.changes[-1:]), key=lambda message: message.sort_key)


class MemberUpdate(msgspec.Struct, frozen=True):
    group_uuid: str
    owner_uuid: str
    other_uuid: str
    batch: GroupBatch

    def apply(self) -> None:
        if self.batch.sent:
            member_items.apply_activity(rules.member_activity(self.owner_uuid, self.other_uuid, self.batch.sent))
        if self.batch.changes:
            member_items.apply_changes(self.owner_uuid, self.other_uuid, self.batch.changes)


def show_newest_messages(sent: Iterable[Message], changed: Iterable[Message] = ()) -> Failures:
    """Applies a batch's messages to their groups' member items; returns, per group, the members that failed.

    ``sent``: the states of the batch's INSERT records; ``changed``: of its MODIFY records (edits, deletions).
    Every member update is independent and runs side by side: a burst over many groups takes about as long as
    its slowest update, not the sum of them, and no failure skips another member's update.
    """
    updates = [update for batch in group_batches(sent, changed).values() for update in member_updates(batch)]
    if not updates:
        return {}
    with ThreadPoolExecutor(max_workers=min(_MEMBER_WORKERS, len(updates))) as pool:
        outcomes = [(update, pool.submit(update.apply)) for update in updates]
    return _failures(outcomes)


def member_updates(batch: GroupBatch) -> list[MemberUpdate]:
    newest = batch.newest
    return [MemberUpdate(newest.group_uuid, owner, other, batch) for owner, other in rules.members(newest)]


def group_batches(sent: Iterable[Message], changed: Iterable[Message] = ()) -> dict[str, GroupBatch]:
    """Each group's distinct messages, oldest first, each in its latest state (a batch may carry a record twice,
    out of order, and a message's INSERT beside its edits)."""
    latest: dict[str, dict[str, Message]] = {}
    sent_keys: set[tuple[str, str]] = set()
    for message, is_sent in [*((message, True) for message in sent), *((message, False) for message in changed)]:
        by_key = latest.setdefault(message.group_uuid, {})
        current = by_key.get(message.sort_key)
        if current is None or message.version > current.version:
            by_key[message.sort_key] = message
        if is_sent:
            sent_keys.add((message.group_uuid, message.sort_key))
    batches = {}
    for group, by_key in latest.items():
        ordered = [by_key[key] for key in sorted(by_key)]
        batches[group] = GroupBatch(
            sent=[message for message in ordered if (group, message.sort_key) in sent_keys],
            changes=[message for message in ordered if (group, message.sort_key) not in sent_keys],
        )
    return batches


def _failures(outcomes: list[tuple[MemberUpdate, Future[None]]]) -> Failures:
    failures: Failures = {}
    for update, outcome in outcomes:
        if (error := outcome.exception()) is None:
            continue
        if isinstance(error, ConversationListFull):
            _skip_full_member(update, error)
            continue
        failures.setdefault(update.group_uuid, {})[update.owner_uuid] = error
        logger.warning(
            "member's message group item not updated",
            extra={
                "group": update.group_uuid,
                "member": update.owner_uuid,
                "error": type(error).__name__,
                "detail": str(error),
            },
        )
    return failures


def _skip_full_member(update: MemberUpdate, error: ConversationListFull) -> None:
    """A member whose item collection is full is logged and skipped, not failed: no retry makes room (nothing in
    the partition shrinks), and a record failed for good would hold the shard up through all its retries before
    reaching the dead-letter queue. The other member and the member's other conversations are unaffected; the
    ``MemberItemCollectionFull`` metric is what to alarm on."""
    logger.error(
        "member's item collection is full: message group item not updated",
        extra={"group": update.group_uuid, "member": update.owner_uuid, "detail": error.message},
    )
    metrics.add_metric(name="MemberItemCollectionFull", unit=MetricUnit.Count, value=1)


def apply_to_members(batch: list[Message]) -> None:
    """Both members' updates for one group's sent messages, each tried whatever the other's outcome; then raises
    the first failure, if any (for callers outside the stream, such as the seed)."""
    errors = []
    for update in member_updates(group_batches(batch)[batch[0].group_uuid]):
        try:
            update.apply()
        except Exception as error:  # raised below, once the other member has been tried
            errors.append(error)
    if errors:
        raise errors[0]
