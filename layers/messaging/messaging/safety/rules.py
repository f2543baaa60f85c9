"""Who may post where: pure rules over the safety state (no I/O)."""

from messaging.core.errors import AwaitingAcceptance, Blocked, NotAcceptingMessages
from messaging.safety.state import NewConversations, UserSettings

_BLOCKED = "You cannot send messages in this conversation."


def admit_post(blocked: bool, *, sent_awaiting: int = 0, request_limit: int | None = None) -> None:
    """Raises when a member may not post into their conversation: while either member blocks the other (the
    answer never says which), or when they started it and have sent ``request_limit`` messages the other has not
    accepted yet (None: not awaiting, or the count is for the write's condition to hold)."""
    if blocked:
        raise blocked_error()
    if request_limit is not None and sent_awaiting >= request_limit:
        raise awaiting_error(request_limit)


def awaiting_error(limit: int) -> AwaitingAcceptance:
    unit = "message" if limit == 1 else "messages"
    return AwaitingAcceptance(
        f"They have not accepted your message request yet: you can send {limit} {unit} until they reply or accept."
    )


def blocked_error() -> Blocked:
    return Blocked(_BLOCKED)


def admit_new_conversation(settings: UserSettings) -> None:
    """Whether a user who shares no conversation with the other may start one with them."""
    if settings.new_conversations is NewConversations.NOBODY:
        raise NotAcceptingMessages("This user does not accept new conversations.")
