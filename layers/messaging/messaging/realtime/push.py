"""Real-time delivery: each new message, edit and deletion goes to every open connection of both its members.

Per batch, a member's new messages (sender or recipient, any group) travel together, in sort-key order, in as
few frames as API Gateway's 128 KB limit allows: one post per connection per batch, and one Query per member for
the connections. Push is best effort: clients fetch with patterns A/B when they (re)connect, so a frame that is
lost costs a little latency, never a message. Only what a retry can mend (throttling, 5xx) is handed back to be
retried; a retry may repeat frames already sent, so clients de-duplicate by message uuid.

One user's many sockets must not make other users' pushes late: a user holds at most MaxConnectionsPerUser
connections ($connect closes the oldest past it), every post of a batch goes through one bounded pool, and the
batch has a deadline inside the function's timeout. What was not posted by then is reported for a retry, so a
batch ends with a partial failure, never a timeout (which would retry and bisect the whole batch, and hold up the
shard's other users). A connection whose token has expired is closed and forgotten instead of posted to.
"""

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import msgspec

from messaging.core.aws import MANAGEMENT_POOL_SIZE
from messaging.core.domain import Message, ReadMarker, ReadReceipt
from messaging.core.observability import logger
from messaging.realtime import connections, lifecycle, management
from messaging.realtime.connections import OpenConnection
from messaging.realtime.management import Delivery
from messaging.safety import store as safety_store

_MEMBER_WORKERS = 8  # below botocore's DynamoDB connection pool (10), so no worker waits for a connection
_POST_WORKERS = MANAGEMENT_POOL_SIZE
# Block reads run beside the connection lookups: together still within botocore's pool of 10.
_BLOCK_WORKERS = 2

# Frames in the WebSocket edge's format: the bytes to post, and the uuids of the messages each carries.
type Frames = list[tuple[bytes, list[str]]]
# The member's messages of the batch: as sent (version 0), or edited or deleted (a version above 0).
type FrameMaker = Callable[[Sequence[Message]], Frames]
type ReadFrameMaker = Callable[[ReadMarker], bytes]
# Whether the conversation is blocked (either way), as the member's own group item says: (member, group) -> bool.
type BlockCheck = Callable[[str, str], bool]
type ReceiptFrameMaker = Callable[[ReadReceipt], bytes]
# Whether each user shows (and sees) read receipts: one read for all of a batch's users.
type ReceiptSettings = Callable[[Iterable[str]], Mapping[str, bool]]
# Sends one frame to one connection: management.post, or the direct push's bounded post.
type Poster = Callable[[str, bytes], Delivery]


class Deadline(msgspec.Struct, frozen=True):
    """When the push must stop starting posts (``time.monotonic()`` seconds): in-flight ones still end in time."""

    at: float

    @classmethod
    def never(cls) -> "Deadline":
        return cls(float("inf"))

    def passed(self) -> bool:
        return time.monotonic() >= self.at


class PushReport(msgspec.Struct):
    """What a batch's push did; ``retry`` holds the uuids of messages some connection should get again."""

    retry: set[str] = msgspec.field(default_factory=set)
    connections: int = 0
    posts: int = 0
    gone: int = 0
    refused: int = 0
    expired: int = 0
    late: int = 0  # connections not posted to before the deadline

    def add(self, other: "PushReport") -> None:
        self.retry |= other.retry
        self.connections += other.connections
        self.posts += other.posts
        self.gone += other.gone
        self.refused += other.refused
        self.expired += other.expired
        self.late += other.late


class MemberPush(msgspec.Struct, frozen=True):
    """Frames for all of one member's connections; ``retry_ids`` name the work if some connection must get it again."""

    member_uuid: str
    frames_of: Callable[[], Frames]
    retry_ids: list[str]


def push_messages(
    messages: Iterable[Message], deadline: Deadline, frames_of: FrameMaker, is_blocked: BlockCheck | None = None
) -> PushReport:
    """Posts each member's new messages to each of the member's connections.

    ``frames_of`` packs messages into frames: the wire format is the WebSocket edge's, not the logic's.

    Nothing crosses a block: no message can be sent into a blocked conversation, but an earlier one can still be
    edited or deleted. Such a change goes to its sender's connections only while the conversation is blocked,
    either way: the recipient's group item says so (``blocked_by``), read once per group per batch and only for
    groups with a change, side by side with the connection lookups.
    """
    blocked_for = _conversation_blocked if is_blocked is None else is_blocked
    inbox = messages_per_member(messages)
    checks = {
        (message.recipient_uuid, message.group_uuid)
        for member_messages in inbox.values()
        for message in member_messages
        if message.version > 0
    }
    with ThreadPoolExecutor(max_workers=_BLOCK_WORKERS) as pool:
        blocked = {check: pool.submit(blocked_for, *check) for check in checks}
        return deliver(
            [
                MemberPush(
                    member,
                    _frames_for(frames_of, member_messages, _BlockedFor(member, blocked)),
                    [message.uuid for message in member_messages],
                )
                for member, member_messages in inbox.items()
            ],
            deadline,
        )


def _conversation_blocked(member_uuid: str, group_uuid: str) -> bool:
    membership = safety_store.membership(member_uuid, group_uuid)
    # No item: nothing says the member may see the conversation, so nothing is pushed to them.
    return membership is None or membership.blocked


class _BlockedFor:
    """Which of a member's changes stay away from them: another's edit or deletion in a blocked conversation. Waits
    for the block reads only when the member has connections to post to (a failed read fails this member's push:
    retried, never posted across a block)."""

    def __init__(self, member_uuid: str, blocked: dict[tuple[str, str], Future[bool]]) -> None:
        self.member_uuid = member_uuid
        self.blocked = blocked

    def withheld(self, message: Message) -> bool:
        if message.sender.uuid == self.member_uuid or message.version == 0:
            return False
        return self.blocked[(self.member_uuid, message.group_uuid)].result()


def messages_per_member(messages: Iterable[Message]) -> dict[str, list[Message]]:
    """Each member's messages of the batch in sort-key order: each message sent in it once, as it was sent, and
    each message changed in it once, in its latest state (streams may redeliver, and a batch may carry a message's
    edits beside it). A message sent and changed in one batch is in both: a client that already has it (C's direct
    push) drops the first as a copy, so only the second can bring it the change."""
    sent: dict[str, Message] = {}
    changed: dict[str, Message] = {}
    for message in messages:
        if message.version == 0:
            sent.setdefault(message.uuid, message)
        elif message.uuid not in changed or message.version > changed[message.uuid].version:
            changed[message.uuid] = message
    inbox: dict[str, list[Message]] = {}
    for message in sorted([*sent.values(), *changed.values()], key=lambda m: (m.sort_key, m.version)):
        for member in dict.fromkeys(message.member_uuids):
            inbox.setdefault(member, []).append(message)
    return inbox


def push_read_markers(
    markers: Iterable[tuple[str, ReadMarker]], deadline: Deadline, frame_of: ReadFrameMaker
) -> PushReport:
    """Tells each member's open connections where they have now read a group up to, and what is left unread.

    So a conversation read on one device is read on the others. Only the member's latest marker per group goes.
    """
    latest: dict[tuple[str, str], ReadMarker] = {}
    for member_uuid, marker in markers:
        current = latest.get((member_uuid, marker.group_uuid))
        if current is None or current.last_read_at <= marker.last_read_at:
            latest[(member_uuid, marker.group_uuid)] = marker
    return deliver(
        [
            MemberPush(member_uuid, _read_frames(frame_of, marker), [group_uuid])
            for (member_uuid, group_uuid), marker in latest.items()
        ],
        deadline,
    )


def push_read_receipts(
    receipts: Iterable[ReadReceipt],
    deadline: Deadline,
    frame_of: ReceiptFrameMaker,
    receipts_on: ReceiptSettings | None = None,
) -> PushReport:
    """Tells the other member's connections where the reader has now read the conversation up to ("Seen").

    Only while both show read receipts (off works both ways): their settings are read once per batch, for all its
    readers and others together, side by side with the connection lookups. Blocked conversations and unaccepted
    message requests never get here (``table.records.read_receipt_of``). Only the reader's latest marker per group
    goes; a failed settings read fails the receipts' records (retried), never sends them unchecked.
    """
    shown = safety_store.read_receipts_of if receipts_on is None else receipts_on
    latest: dict[tuple[str, str], ReadReceipt] = {}
    for receipt in receipts:
        current = latest.get((receipt.other_uuid, receipt.group_uuid))
        if current is None or current.last_read_uuid <= receipt.last_read_uuid:
            latest[(receipt.other_uuid, receipt.group_uuid)] = receipt
    if not latest:
        return PushReport()
    users = {user for receipt in latest.values() for user in (receipt.reader_uuid, receipt.other_uuid)}
    with ThreadPoolExecutor(max_workers=1) as pool:
        settings = pool.submit(shown, users)
        return deliver(
            [
                MemberPush(receipt.other_uuid, _receipt_frames(frame_of, receipt, settings), [receipt.group_uuid])
                for receipt in latest.values()
            ],
            deadline,
        )


def _receipt_frames(
    frame_of: ReceiptFrameMaker, receipt: ReadReceipt, settings: Future[Mapping[str, bool]]
) -> Callable[[], Frames]:
    def make() -> Frames:
        on = settings.result()
        if not (on.get(receipt.reader_uuid, True) and on.get(receipt.other_uuid, True)):
            return []
        return [(frame_of(receipt), [])]

    return make


def _frames_for(frames_of: FrameMaker, messages: Sequence[Message], blocked: _BlockedFor) -> Callable[[], Frames]:
    def make() -> Frames:
        visible = [message for message in messages if not blocked.withheld(message)]
        return frames_of(visible) if visible else []

    return make


def _read_frames(frame_of: ReadFrameMaker, marker: ReadMarker) -> Callable[[], Frames]:
    return lambda: [(frame_of(marker), [])]


def deliver(
    pushes: Sequence[MemberPush], deadline: Deadline, post: Poster | None = None, *, tidy: bool = True
) -> PushReport:
    """Finds each member's connections (side by side), then posts to all of them through one bounded pool.

    ``post`` sends one frame (by default ``management.post``, the stage's client, as the stream's push does; the
    direct push: a client bounded by its budget). ``tidy``: close expired connections and forget gone ones (the
    stream's push); without it (the direct push, which may neither close nor delete) expired connections are
    skipped and gone ones left for the stream's push, which follows every message, to tidy.
    """
    report = PushReport()
    if not pushes:
        return report
    send = post or management.post
    with ThreadPoolExecutor(max_workers=min(_MEMBER_WORKERS, len(pushes))) as pool:
        found = list(pool.map(_connections_of, pushes))
    posts: list[tuple[MemberPush, Frames, OpenConnection]] = []
    now = time.time()
    for push, (member_connections, lookup) in zip(pushes, found, strict=True):
        report.add(lookup)
        if not member_connections:
            continue
        try:
            frames = push.frames_of()
        except Exception:
            logger.exception("push frames not made", extra={"member": push.member_uuid})
            report.retry.update(push.retry_ids)
            continue
        if not frames:
            continue  # everything for this member was withheld (a block)
        posts += [(push, frames, connection) for connection in member_connections]
    if not posts:
        return report
    with ThreadPoolExecutor(max_workers=min(_POST_WORKERS, len(posts))) as pool:
        outcomes = [
            (
                push,
                pool.submit(_expire, push.member_uuid, connection, deadline)
                if connection.expired(now)
                else pool.submit(_post_frames, push, frames, connection, deadline, post=send, tidy=tidy),
            )
            for push, frames, connection in posts
            if tidy or not connection.expired(now)
        ]
    for push, outcome in outcomes:
        if (error := outcome.exception()) is not None:
            # A bug, not an answer of API Gateway's: this connection's work is retried; the others' stands.
            logger.error("push failed", extra={"member": push.member_uuid, "error": repr(error)})
            report.retry.update(push.retry_ids)
            continue
        report.add(outcome.result())
    if report.late:
        logger.warning("push ran out of time", extra={"connections_not_posted": report.late})
    return report


def _connections_of(push: MemberPush) -> tuple[list[OpenConnection], PushReport]:
    try:
        return connections.connections_of(push.member_uuid), PushReport()
    except connections.STORE_FAILURES as error:
        # Busy or misconfigured alike: retried, and after the retries the batch lands in the DLQ (an alarm).
        logger.warning("connections not read", extra={"member": push.member_uuid, "error": type(error).__name__})
        return [], PushReport(retry=set(push.retry_ids))
    except Exception:
        # A bug or a malformed item: this member's push is retried (then dead-lettered); nobody else's fails.
        logger.exception("connections not read", extra={"member": push.member_uuid})
        return [], PushReport(retry=set(push.retry_ids))


def _post_frames(
    push: MemberPush,
    frames: Frames,
    connection: OpenConnection,
    deadline: Deadline,
    *,
    post: Poster,
    tidy: bool,
) -> PushReport:
    report = PushReport(connections=1)
    for index, (frame, _) in enumerate(frames):
        if deadline.passed():
            report.late += 1
            report.retry.update(_unsent(push, frames, index))
            return report
        delivery = post(connection.connection_id, frame)
        report.posts += 1
        if delivery is Delivery.GONE:
            report.gone += 1
            if tidy:
                _forget_gone(push.member_uuid, connection.connection_id)
            return report
        if delivery is Delivery.RETRY:
            # This frame and the later ones; earlier ones arrived (a retry repeats them, clients de-duplicate).
            report.retry.update(_unsent(push, frames, index))
            logger.warning("push to be retried", extra={"connection": connection.connection_id})
            return report
        if delivery is Delivery.REFUSED:
            report.refused += 1
            logger.warning("push refused", extra={"connection": connection.connection_id})
    return report


def _unsent(push: MemberPush, frames: Frames, index: int) -> Iterable[str]:
    """What a retry must bring to a connection that got ``frames`` up to ``index`` (exclusive)."""
    return push.retry_ids if index == 0 else [uuid for _, uuids in frames[index:] for uuid in uuids]


def _expire(member_uuid: str, connection: OpenConnection, deadline: Deadline) -> PushReport:
    """A connection whose token expired gets nothing more: it is closed, and forgotten (by a later push if late)."""
    if deadline.passed():
        return PushReport()
    lifecycle.close_connection(member_uuid, connection.connection_id, reason="token expired")
    return PushReport(expired=1)


def _forget_gone(member_uuid: str, connection_id: str) -> None:
    try:
        connections.remove_gone_connection(member_uuid, connection_id)
    except connections.STORE_FAILURES as error:
        # Harmless: the next push deletes it, or its TTL does.
        logger.warning(
            "gone connection not deleted", extra={"connection": connection_id, "error": type(error).__name__}
        )
