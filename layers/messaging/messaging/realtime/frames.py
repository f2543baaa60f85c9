"""Push frames, the WebSocket API's format: ``{"type": "messages", "messages": [...]}``, each message as pattern A
returns it plus its ``message_group_uuid``, split only where a frame would pass API Gateway's 128 KB;
``{"type": "message_updated", "message": {...}}`` for an edit or a deletion (the message as pattern A returns it,
tombstones included); ``{"type": "unread", "message_group_uuid", "unread_count", "last_read_at"}`` when a
member's read marker moved, to that member; and ``{"type": "read", "message_group_uuid", "last_read_at",
"last_read_uuid"}`` to the other member ("Seen"), where both show read receipts."""

import json
from collections.abc import Sequence

import msgspec

from messaging.api.models import PostedMessageView
from messaging.core.domain import Message, ReadMarker, ReadReceipt
from messaging.realtime.management import MAX_POST_BYTES

_FRAME_START = b'{"type":"messages","messages":['
_FRAME_END = b"]}"


def frames_of(messages: Sequence[Message]) -> list[tuple[bytes, list[str]]]:
    """The frames carrying ``messages`` in order, each within API Gateway's limit, with the uuids each carries.

    Messages as sent (version 0) go in ``{"type": "messages", "messages": [<message as in pattern A, plus
    message_group_uuid>...]}`` frames; an edited or deleted state (a version above 0) in a ``message_updated``
    frame of its own, after them: so a message sent and changed in one batch comes as new, then as changed.
    """
    new = [message for message in messages if message.version == 0]
    updated = [message for message in messages if message.version > 0]
    return _message_frames(new) + [(_updated_frame(message), [message.uuid]) for message in updated]


def _updated_frame(message: Message) -> bytes:
    return b'{"type":"message_updated","message":' + _encoded(message) + b"}"


def _message_frames(messages: Sequence[Message]) -> list[tuple[bytes, list[str]]]:
    frames: list[tuple[bytes, list[str]]] = []
    items: list[bytes] = []
    uuids: list[str] = []
    size = len(_FRAME_START) + len(_FRAME_END)
    for message in messages:
        item = _encoded(message)
        grown = size + len(item) + (1 if items else 0)  # the comma between items
        if items and grown > MAX_POST_BYTES:
            frames.append((_frame(items), uuids))
            items, uuids = [], []
            grown = len(_FRAME_START) + len(_FRAME_END) + len(item)
        items.append(item)
        uuids.append(message.uuid)
        size = grown
    if items:
        frames.append((_frame(items), uuids))
    return frames


def _encoded(message: Message) -> bytes:
    return msgspec.json.encode(PostedMessageView.of(message))


def _frame(items: list[bytes]) -> bytes:
    return _FRAME_START + b",".join(items) + _FRAME_END


def read_frame_of(marker: ReadMarker) -> bytes:
    frame = {
        "type": "unread",
        "message_group_uuid": marker.group_uuid,
        "unread_count": marker.unread_count,
        "last_read_at": marker.last_read_at,
    }
    return json.dumps(frame, separators=(",", ":")).encode()


def receipt_frame_of(receipt: ReadReceipt) -> bytes:
    frame = {
        "type": "read",
        "message_group_uuid": receipt.group_uuid,
        "last_read_at": receipt.last_read_at,
        "last_read_uuid": receipt.last_read_uuid,
    }
    return json.dumps(frame, separators=(",", ":")).encode()
