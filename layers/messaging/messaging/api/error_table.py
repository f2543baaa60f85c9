"""The one mapping from errors to HTTP answers: ``{"error": code, "message": text}`` (plus ``details``)."""

from messaging.api.response import HttpResponse
from messaging.core.aws import is_transient
from messaging.core.errors import (
    AlreadyReported,
    AwaitingAcceptance,
    Blocked,
    CannotBlockSelf,
    CannotMessageSelf,
    ConversationFull,
    ConversationListFull,
    DependencyUnavailable,
    EditWindowClosed,
    IdempotencyKeyReused,
    InvalidCursor,
    InvalidJson,
    InvalidRequest,
    MalformedStreamRecord,
    MessageDeleted,
    MessageGroupItemMissing,
    MessageNotFound,
    MessageNotInGroup,
    MessagingError,
    NotAcceptingMessages,
    NotAMember,
    NotTheSender,
    PayloadTooLarge,
    RateLimited,
    RequestInProgress,
    Unauthenticated,
    UserNotFound,
    UserNotRegistered,
)
from messaging.core.observability import logger

_STATUS: dict[type[MessagingError], int] = {
    InvalidJson: 400,
    InvalidCursor: 400,
    Unauthenticated: 401,
    UserNotRegistered: 403,
    NotAMember: 403,
    NotTheSender: 403,
    Blocked: 403,
    NotAcceptingMessages: 403,
    AwaitingAcceptance: 403,
    UserNotFound: 404,
    MessageNotFound: 404,
    MessageDeleted: 409,
    AlreadyReported: 409,
    RequestInProgress: 409,
    # No retry makes room in a full item collection: a 409 the client shows, without Retry-After.
    ConversationFull: 409,
    ConversationListFull: 409,
    PayloadTooLarge: 413,
    InvalidRequest: 422,
    CannotMessageSelf: 422,
    MessageNotInGroup: 422,
    IdempotencyKeyReused: 422,
    EditWindowClosed: 422,
    CannotBlockSelf: 422,
    RateLimited: 429,
    DependencyUnavailable: 503,
    # Stream-only (pattern E): our data or our code at fault, never the client.
    MessageGroupItemMissing: 500,
    MalformedStreamRecord: 500,
}


def error_response(error: Exception) -> HttpResponse:
    if isinstance(error, MessagingError):
        return _answer(_STATUS[type(error)], error)
    if is_transient(error):
        logger.warning(
            "AWS dependency busy or unreachable", extra={"error": type(error).__name__, "detail": str(error)}
        )
        return _answer(503, DependencyUnavailable("The message store is busy; retry shortly."))
    logger.exception("unhandled error")
    return HttpResponse(500, {"error": "internal_error", "message": "Something went wrong on our side."})


def _answer(status: int, error: MessagingError) -> HttpResponse:
    body: dict[str, object] = {"error": error.code, "message": error.message}
    if error.details:
        body["details"] = error.details
    return HttpResponse(status, body, _retry_after(error))


def _retry_after(error: MessagingError) -> dict[str, str]:
    """When a retry may pass: as the limit says for a 429; a second for what is busy or in progress (409, 503)."""
    if isinstance(error, RateLimited):
        return {"retry-after": str(error.retry_after)}
    if isinstance(error, (RequestInProgress, DependencyUnavailable)):
        return {"retry-after": "1"}
    return {}
