"""Domain errors. Each carries a stable snake_case code; ``api.errors`` maps them to HTTP in one place."""

from typing import Any


class MessagingError(Exception):
    code = "error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(MessagingError):
    code = "unauthorized"


class InvalidJson(MessagingError):
    code = "invalid_json"


class InvalidCursor(MessagingError):
    code = "invalid_cursor"


class InvalidRequest(MessagingError):
    code = "validation_error"


class PayloadTooLarge(MessagingError):
    code = "payload_too_large"


class UserNotRegistered(MessagingError):
    code = "user_not_registered"


class NotAMember(MessagingError):
    code = "not_a_member"


class UserNotFound(MessagingError):
    code = "user_not_found"


class CannotMessageSelf(MessagingError):
    code = "cannot_message_self"


class MessageNotInGroup(MessagingError):
    code = "message_not_in_group"


class NotTheSender(MessagingError):
    """A member asked to edit or delete the other member's message."""

    code = "not_the_sender"


class MessageNotFound(MessagingError):
    code = "message_not_found"


class MessageDeleted(MessagingError):
    """An edit of a message its sender has deleted: there is no text left to change."""

    code = "message_deleted"


class EditWindowClosed(MessagingError):
    code = "edit_window_closed"


class Blocked(MessagingError):
    """One of the two members blocks the other (which one is never said)."""

    code = "blocked"


class NotAcceptingMessages(MessagingError):
    """The user accepts no new conversations from people they share none with."""

    code = "not_accepting_messages"


class AwaitingAcceptance(MessagingError):
    """The starter of a message request has sent as many messages as a request may hold before it is accepted."""

    code = "awaiting_acceptance"


class CannotBlockSelf(MessagingError):
    code = "cannot_block_self"


class AlreadyReported(MessagingError):
    """The caller has reported this message before: one report per message per reporter."""

    code = "already_reported"


class IdempotencyKeyReused(MessagingError):
    code = "idempotency_key_reused"


class RequestInProgress(MessagingError):
    code = "request_in_progress"


class RateLimited(MessagingError):
    """The caller is over a per-user limit; ``retry_after`` says in how many whole seconds the next try may pass."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class ConversationFull(MessagingError):
    """The conversation's messages fill DynamoDB's 10 GB item collection: no retry makes room."""

    code = "conversation_full"

    def __init__(
        self,
        message: str = "This conversation has reached its storage limit and cannot take new messages; "
        "its messages stay readable.",
    ) -> None:
        super().__init__(message)


class ConversationListFull(MessagingError):
    """A member's message group items fill DynamoDB's 10 GB item collection: no new conversation, no read marker."""

    code = "conversation_list_full"


class DependencyUnavailable(MessagingError):
    """A backing store is down or throttling: the client may retry later."""

    code = "service_unavailable"


# Raised while applying stream records (pattern E): the record fails, is retried, then goes to the dead-letter
# queue. No HTTP route raises them; the one table still maps them, so nothing escapes the convention.


class MessageGroupItemMissing(MessagingError):
    """A message names a member who has no item for its group: the data is inconsistent, not the request."""

    code = "message_group_item_missing"


class MalformedStreamRecord(MessagingError):
    """A message INSERT whose image lacks message fields."""

    code = "malformed_stream_record"
