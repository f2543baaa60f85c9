"""Real-time delivery: each new message goes to every open connection of both its members.

Per batch, a member's new messages (sender or recipient, any group) travel together, in sort-key order, in as
few frames as API Gateway's 128 KB limit allows: one post per connection per batch, and one Query per member for
the connections. Push is best effort: clients fetch with patterns A/B when they (re)connect, so a frame that is
lost costs a little latency, never a message. Only what a retry can mend (throttling, 5xx) is handed back to be
retried; a retry may repeat frames already sent, so clients de-duplicate by message uuid.
"""

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import msgspec
from botocore.exceptions import BotoCoreError, ClientError

from messaging.dal import connections, management_api
from messaging.dal.management_api import Delivery
from messaging.domain import Message, ReadMarker
from messaging.observability import logger

_MEMBER_WORKERS = 8  # below botocore's connection pool (10), so no worker waits for a connection

# Frames in the WebSocket edge's format: the bytes to post, and the uuids of the messages each carries.
type Frames = list[tuple[bytes, list[str]]]
type FrameMaker = Callable[[Sequence[Message]], Frames]
type ReadFrameMaker = Callable[[ReadMarker], bytes]


class PushReport(msgspec.Struct):
    """What a batch's push did; ``retry`` holds the uuids of messages some connection should get again."""

    retry: set[str] = msgspec.field(default_factory=set)
    connections: int = 0
    posts: int = 0
    gone: int = 0
    refused: int = 0

    def add(self, other: "PushReport") -> None:
        self.retry |= other.retry
        self.connections += other.connections
        self.posts += other.posts
        self.gone += other.gone
        self.refused += other.refused


def push_messages(messages: Iterable[Message], frames_of: FrameMaker) -> PushReport:
    """Posts each member's new messages to each of the member's connections; members are pushed side by side.

    ``frames_of`` packs messages into frames: the wire format is the WebSocket edge's, not the logic's.
    """
    inbox = messages_per_member(messages)
    report = PushReport()
    if not inbox:
        return report
    with ThreadPoolExecutor(max_workers=min(_MEMBER_WORKERS, len(inbox))) as pool:
        outcomes = [
            pool.submit(push_to_member, member, member_messages, frames_of) for member, member_messages in inbox.items()
        ]
    for outcome in outcomes:
        report.add(outcome.result())
    return report


def messages_per_member(messages: Iterable[Message]) -> dict[str, list[Message]]:
    """Each member's messages of the batch, once each (streams may redeliver), in sort-key order."""
    unique = {message.uuid: message for message in messages}
    inbox: dict[str, list[Message]] = {}
    for message in sorted(unique.values(), key=lambda m: m.sort_key):
        for member in dict.fromkeys(message.member_uuids):
            inbox.setdefault(member, []).append(message)
    return inbox


def push_to_member(member_uuid: str, messages: Sequence[Message], frames_of: FrameMaker) -> PushReport:
    return push_frames(member_uuid, lambda: frames_of(messages), [message.uuid for message in messages])


def push_read_markers(markers: Iterable[tuple[str, ReadMarker]], frame_of: ReadFrameMaker) -> PushReport:
    """Tells each member's open connections where they have now read a group up to, and what is left unread.

    So a conversation read on one device is read on the others. Only the member's latest marker per group goes.
    """
    latest: dict[tuple[str, str], ReadMarker] = {}
    for member_uuid, marker in markers:
        current = latest.get((member_uuid, marker.group_uuid))
        if current is None or current.last_read_at <= marker.last_read_at:
            latest[(member_uuid, marker.group_uuid)] = marker
    report = PushReport()
    for (member_uuid, group_uuid), marker in latest.items():
        frames: Frames = [(frame_of(marker), [])]
        report.add(push_frames(member_uuid, partial(list, frames), [group_uuid]))
    return report


def push_frames(member_uuid: str, frames_of: Callable[[], Frames], retry_ids: list[str]) -> PushReport:
    """Posts ``frames_of()`` to each of the member's connections; ``retry_ids`` name the work if it must be redone."""
    report = PushReport()
    try:
        connection_ids = connections.connections_of(member_uuid)
    except (ClientError, BotoCoreError) as error:
        # Busy or misconfigured alike: retried, and after the retries the batch lands in the DLQ (an alarm).
        logger.warning("connections not read", extra={"member": member_uuid, "error": type(error).__name__})
        report.retry.update(retry_ids)
        return report
    if not connection_ids:
        return report
    frames = frames_of()
    for connection_id in connection_ids:
        report.connections += 1
        report.add(_post_frames(member_uuid, connection_id, frames))
    return report


def _post_frames(member_uuid: str, connection_id: str, frames: Frames) -> PushReport:
    report = PushReport()
    for index, (frame, _) in enumerate(frames):
        delivery = management_api.post(connection_id, frame)
        report.posts += 1
        if delivery is Delivery.GONE:
            report.gone += 1
            _forget(member_uuid, connection_id)
            return report
        if delivery is Delivery.RETRY:
            # This frame and the later ones; earlier ones arrived (a retry repeats them, clients de-duplicate).
            report.retry.update(uuid for _, uuids in frames[index:] for uuid in uuids)
            logger.warning("push to be retried", extra={"connection": connection_id})
            return report
        if delivery is Delivery.REFUSED:
            report.refused += 1
            logger.warning("push refused", extra={"connection": connection_id})
    return report


def _forget(member_uuid: str, connection_id: str) -> None:
    try:
        connections.remove_gone_connection(member_uuid, connection_id)
    except (ClientError, BotoCoreError) as error:
        # Harmless: the next push deletes it, or its TTL does.
        logger.warning(
            "gone connection not deleted", extra={"connection": connection_id, "error": type(error).__name__}
        )
