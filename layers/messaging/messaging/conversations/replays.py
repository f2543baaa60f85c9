"""What C's and D's Idempotency-Key records keep of their answers: which message it was (and whether D created
the group), never the message itself. A retry reads the message as it now is: edited, or a tombstone."""

import msgspec

from messaging.conversations import messages
from messaging.conversations.idempotency import Replay
from messaging.core.domain import Message
from messaging.core.errors import DependencyUnavailable


class Started(msgspec.Struct, frozen=True):
    """Pattern D's outcome: the message, and whether a new message group was created for it."""

    message: Message
    created: bool


class _Reference(msgspec.Struct, frozen=True):
    group_uuid: str
    uuid: str
    created: bool = False


def _remember_message(message: Message) -> str:
    return msgspec.json.encode(_Reference(message.group_uuid, message.uuid)).decode()


def _remember_started(started: Started) -> str:
    message = started.message
    return msgspec.json.encode(_Reference(message.group_uuid, message.uuid, started.created)).decode()


def _referenced(data: str) -> tuple[Message, bool]:
    reference = msgspec.json.decode(data, type=_Reference)
    message = messages.message_by_uuid(reference.group_uuid, reference.uuid)
    if message is None:
        # Messages are never removed (a deletion leaves a tombstone): a replica that has not caught up.
        raise DependencyUnavailable("The message of this Idempotency-Key cannot be read yet; retry shortly.")
    return message, reference.created


def _recall_message(data: str) -> Message:
    return _referenced(data)[0]


def _recall_started(data: str) -> Started:
    return Started(*_referenced(data))


MESSAGE_REPLAY = Replay(_remember_message, _recall_message)
STARTED_GROUP_REPLAY = Replay(_remember_started, _recall_started)
