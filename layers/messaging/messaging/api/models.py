"""Pydantic models of the HTTP edge: what a client may send and exactly what it gets back."""

from typing import Annotated, Self
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from messaging import text
from messaging.domain import Message, MessageGroup, ReadMarker

MAX_MESSAGE_LENGTH = 1024
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def _unicode_text(value: str) -> str:
    # JSON may carry lone surrogates ("\ud800"): not text, and unstorable as UTF-8.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _visible_text(value: str) -> str:
    trimmed = text.trim(value)
    if not text.has_visible_character(trimmed):
        raise ValueError("must contain a character that is not whitespace or a format character")
    # Length counts code points of the trimmed text, which is what gets stored.
    if len(trimmed) > MAX_MESSAGE_LENGTH:
        raise ValueError(f"must be at most {MAX_MESSAGE_LENGTH} characters after trimming")
    return trimmed


# Blank and trimmed as messaging.text defines it, which docs/openapi.yaml's MessageText states.
MessageText = Annotated[str, AfterValidator(_unicode_text), AfterValidator(_visible_text)]


def _without_at(value: str) -> str:
    # People write a handle as they see it on a profile, "@bayko"; the handle itself has no "@".
    handle = value.removeprefix("@")
    if not handle:
        raise ValueError("must name a handle")
    return handle


# Handles are looked up in PostgreSQL, which cannot hold control characters such as NUL in text; case does not
# matter (the lookup lowers both sides).
Handle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$"),
    AfterValidator(_unicode_text),
    AfterValidator(_without_at),
]


class _Request(BaseModel):
    # The original Cruddur frontend sends extra fields (e.g. both handle and message_group_uuid): tolerate them.
    model_config = ConfigDict(extra="ignore", frozen=True)


class CreateMessageRequest(_Request):
    message_group_uuid: UUID
    message: MessageText


class CreateMessageGroupRequest(_Request):
    handle: Handle
    message: MessageText


class PageQuery(_Request):
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(None, min_length=1, max_length=2048)


class _ListEntry(BaseModel):
    """The five fields the original frontend reads from a message and from a conversation alike."""

    uuid: str
    display_name: str
    handle: str
    message: str
    created_at: str


class MessageView(_ListEntry):
    """A message: its uuid, the sender's names, its text and time."""

    @classmethod
    def of(cls, message: Message) -> Self:
        sender = message.sender
        return cls(
            uuid=message.uuid,
            display_name=sender.display_name,
            handle=sender.handle,
            message=message.text,
            created_at=message.created_at,
        )


class PostedMessageView(MessageView):
    message_group_uuid: str

    @classmethod
    def of(cls, message: Message) -> Self:
        return cls(message_group_uuid=message.group_uuid, **MessageView.of(message).model_dump())


class MessageGroupView(_ListEntry):
    """A conversation: its uuid, the other member's names, the last message and its time, and what is unread."""

    unread_count: int  # 0-100; 100 stands for "100 or more" (clients show "99+" above 99)

    @classmethod
    def of(cls, group: MessageGroup) -> Self:
        return cls(
            uuid=group.uuid,
            display_name=group.other.display_name,
            handle=group.other.handle,
            message=group.last_message,
            created_at=group.last_message_at,
            unread_count=group.unread_count,
        )


# What pattern A returns as created_at: UTC, fixed width, microseconds (the only form a message key has).
_MESSAGE_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00$"


class MarkReadRequest(_Request):
    """The newest message the caller has seen, as pattern A returned it."""

    created_at: Annotated[str, StringConstraints(pattern=_MESSAGE_TIME)]
    uuid: UUID


class ReadMarkerView(BaseModel):
    uuid: str  # the message group's
    unread_count: int
    last_read_at: str

    @classmethod
    def of(cls, marker: ReadMarker) -> Self:
        return cls(uuid=marker.group_uuid, unread_count=marker.unread_count, last_read_at=marker.last_read_at)
