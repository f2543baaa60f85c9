"""Models of the HTTP edge: what a client may send and exactly what it gets back.

msgspec Structs, not pydantic: the same declared, checked shapes for a few milliseconds of import instead of about
ninety, which is most of a function's cold-start budget. msgspec checks types and bounds; what it cannot declare
(trimming, blank text, handles) the ``__post_init__`` hooks check and raise as ``FieldProblem``, naming the field.
"""

from typing import Annotated, Literal, Self
from uuid import UUID

import msgspec
from msgspec.structs import asdict, force_setattr

from messaging.core import text
from messaging.core.domain import Message, MessageGroup, ReadMarker
from messaging.safety.state import BlockedUser

MAX_MESSAGE_LENGTH = 1024
MAX_HANDLE_LENGTH = 100
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class FieldProblem(ValueError):
    """A field's value breaks a rule msgspec cannot declare; the request edge reports it under ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _unicode_text(field: str, value: str) -> str:
    # JSON may carry lone surrogates ("\ud800"): not text, and unstorable as UTF-8.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldProblem(field, "must be valid Unicode text") from None
    return value


def _message_text(value: str) -> str:
    """The message as stored: trimmed as messaging.core.text defines it (docs/openapi.yaml's MessageText says so)."""
    trimmed = text.trim(_unicode_text("message", value))
    if not text.has_visible_character(trimmed):
        raise FieldProblem("message", "must contain a character that is not whitespace or a format character")
    # Length counts code points of the trimmed text, which is what gets stored.
    if len(trimmed) > MAX_MESSAGE_LENGTH:
        raise FieldProblem("message", f"must be at most {MAX_MESSAGE_LENGTH} characters after trimming")
    return trimmed


def _handle(value: str) -> str:
    """A handle as people write it: surrounding spaces and a leading "@" (as shown on a profile) dropped.

    Handles are looked up in PostgreSQL, which cannot hold control characters such as NUL in text; case does not
    matter (the lookup lowers both sides).
    """
    handle = _unicode_text("handle", value).strip()
    if not 0 < len(handle) <= MAX_HANDLE_LENGTH:
        raise FieldProblem("handle", f"must be 1 to {MAX_HANDLE_LENGTH} characters")
    if any(ord(character) < 0x20 or character == "\x7f" for character in handle):  # noqa: PLR2004 - C0 controls
        raise FieldProblem("handle", "must not contain control characters")
    handle = handle.removeprefix("@")
    if not handle:
        raise FieldProblem("handle", "must name a handle")
    return handle


# The original Cruddur frontend sends extra fields (e.g. both handle and message_group_uuid): msgspec ignores
# fields a Struct does not declare.
class CreateMessageRequest(msgspec.Struct, frozen=True):
    message_group_uuid: UUID
    message: str

    def __post_init__(self) -> None:
        force_setattr(self, "message", _message_text(self.message))


class EditMessageRequest(msgspec.Struct, frozen=True):
    """The new text of a message, under the same rules as a new message's."""

    message: str

    def __post_init__(self) -> None:
        force_setattr(self, "message", _message_text(self.message))


class CreateMessageGroupRequest(msgspec.Struct, frozen=True):
    handle: str
    message: str

    def __post_init__(self) -> None:
        force_setattr(self, "handle", _handle(self.handle))
        force_setattr(self, "message", _message_text(self.message))


class PageQuery(msgspec.Struct, frozen=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE
    cursor: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)] | None = None


# What pattern A returns as created_at: UTC, fixed width, microseconds (the only form a message key has).
_MESSAGE_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00$"


class MarkReadRequest(msgspec.Struct, frozen=True, omit_defaults=True):
    """The newest message the caller has seen, as pattern A returned it: its uuid names it."""

    uuid: UUID
    # What clients of the first API sent beside the uuid: still accepted, and checked, but the uuid decides.
    created_at: Annotated[str, msgspec.Meta(pattern=_MESSAGE_TIME)] | None = None


class _ListEntry(msgspec.Struct, frozen=True):
    """The five fields the original frontend reads from a message and from a conversation alike."""

    uuid: str
    display_name: str
    handle: str
    message: str | None  # null: deleted (a message's tombstone, or a conversation whose newest message it was)
    created_at: str


class MessageView(_ListEntry, frozen=True):
    """A message: its uuid, the sender's names, its text and time, and whether it was edited or deleted."""

    edited_at: str | None
    deleted_at: str | None

    @classmethod
    def of(cls, message: Message) -> Self:
        sender = message.sender
        return cls(
            uuid=message.uuid,
            display_name=sender.display_name,
            handle=sender.handle,
            message=message.text,
            created_at=message.created_at,
            edited_at=message.edited_at,
            deleted_at=message.deleted_at,
        )


class PostedMessageView(MessageView, frozen=True):
    """A message as pattern A returns it, plus the message group it went into (C, D and push frames)."""

    message_group_uuid: str

    @classmethod
    def of(cls, message: Message) -> Self:
        return cls(**asdict(MessageView.of(message)), message_group_uuid=message.group_uuid)


class MessageGroupView(_ListEntry, frozen=True):
    """A conversation: its uuid, the other member's names, the last message and its time, and what is unread."""

    unread_count: int  # 0-100; 100 stands for "100 or more" (clients show "99+" above 99)
    muted: bool
    blocked: bool  # either member blocks the other: neither can post (which one blocked is never said)
    request: bool  # a message request to the caller: until they reply or accept (it counts in no unread total)
    awaiting_acceptance: bool  # the caller's request: they may send MessageRequestLimit messages until accepted

    @classmethod
    def of(cls, group: MessageGroup) -> Self:
        return cls(
            uuid=group.uuid,
            display_name=group.other.display_name,
            handle=group.other.handle,
            message=group.last_message,
            created_at=group.last_message_at,
            unread_count=group.unread_count,
            muted=group.muted,
            blocked=group.blocked,
            request=group.request,
            awaiting_acceptance=group.awaiting_acceptance,
        )


class ReadMarkerView(msgspec.Struct, frozen=True):
    uuid: str  # the message group's
    unread_count: int
    last_read_at: str

    @classmethod
    def of(cls, marker: ReadMarker) -> Self:
        return cls(uuid=marker.group_uuid, unread_count=marker.unread_count, last_read_at=marker.last_read_at)


class StartedMessageGroup(msgspec.Struct, frozen=True):
    """Pattern D's outcome: a new message group (201), or the pair's existing one (200), with the message."""

    created: bool
    message: PostedMessageView


class BlockView(msgspec.Struct, frozen=True):
    """PUT and DELETE /api/blocks/{handle}: whether the caller now blocks the user."""

    handle: str
    blocked: bool


class BlockedUserView(msgspec.Struct, frozen=True):
    handle: str
    display_name: str
    blocked_at: str

    @classmethod
    def of(cls, blocked: BlockedUser) -> Self:
        return cls(handle=blocked.user.handle, display_name=blocked.user.display_name, blocked_at=blocked.blocked_at)


class SettingsBody(msgspec.Struct, frozen=True):
    """GET and PUT /api/settings' answer: who may start a conversation with the caller, and read receipts."""

    new_conversations: Literal["everyone", "nobody"]
    read_receipts: bool


class SettingsChangeBody(msgspec.Struct, frozen=True):
    """PUT /api/settings: the settings to change, at least one; those not named stay as they were."""

    new_conversations: Literal["everyone", "nobody"] | msgspec.UnsetType = msgspec.UNSET
    read_receipts: bool | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if self.new_conversations is msgspec.UNSET and self.read_receipts is msgspec.UNSET:
            raise FieldProblem("body", "must name a setting: new_conversations or read_receipts")


class MuteRequest(msgspec.Struct, frozen=True):
    muted: bool


class MuteView(msgspec.Struct, frozen=True):
    uuid: str  # the message group's
    muted: bool


class RequestView(msgspec.Struct, frozen=True):
    """PUT /api/message_groups/{id}/accept: the conversation is no (longer a) request for the caller."""

    uuid: str  # the message group's
    request: bool


def handle_of(value: str) -> str:
    """A handle from a path, under the rules of a handle in a body."""
    return _handle(value)


# --- reports (moderation) ---------------------------------------------------------------------------------------

MAX_REPORT_NOTE_LENGTH = 500
ReportReason = Literal["spam", "harassment", "other"]


class ReportMessageRequest(msgspec.Struct, frozen=True, omit_defaults=True):
    """Why a member reports a message: a reason, and a note for the moderators if they like."""

    reason: ReportReason
    note: Annotated[str, msgspec.Meta(max_length=MAX_REPORT_NOTE_LENGTH)] | None = None

    def __post_init__(self) -> None:
        if self.note is not None:
            # Stored as written, only trimmed; a note of blanks says nothing, so it is no note.
            note = text.trim(_unicode_text("note", self.note))
            force_setattr(self, "note", note if text.has_visible_character(note) else None)


class ReportView(msgspec.Struct, frozen=True):
    """A report as its reporter sees it: its id and that it waits for a moderator."""

    report_id: str
    status: str
