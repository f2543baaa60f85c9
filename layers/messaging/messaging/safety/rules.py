"""Who may post where: pure rules over the safety state (no I/O)."""

from messaging.core.errors import Blocked, NotAcceptingMessages
from messaging.safety.state import NewConversations, UserSettings

_BLOCKED = "You cannot send messages in this conversation."


def admit_post(blocked: bool) -> None:
    """Raises when a member may not post into their conversation: while either member blocks the other (the
    answer never says which)."""
    if blocked:
        raise blocked_error()


def blocked_error() -> Blocked:
    return Blocked(_BLOCKED)


def admit_new_conversation(settings: UserSettings) -> None:
    """Whether a user who shares no conversation with the other may start one with them."""
    if settings.new_conversations is NewConversations.NOBODY:
        raise NotAcceptingMessages("This user does not accept new conversations.")
