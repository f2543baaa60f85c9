"""The safety state of a conversation as typed values, read from the items C and D already read."""

from enum import StrEnum

import msgspec

from messaging.core.domain import User


class NewConversations(StrEnum):
    """Who may start a conversation with a user."""

    EVERYONE = "everyone"
    NOBODY = "nobody"


class UserSettings(msgspec.Struct, frozen=True):
    new_conversations: NewConversations = NewConversations.EVERYONE
    # Off works both ways, as in Signal and X: nobody sees this user's reads, and they see nobody's.
    read_receipts: bool = True


class SettingsChange(msgspec.Struct, frozen=True):
    """What a PUT of the settings changes: only the settings it names; the others stay as they were."""

    new_conversations: NewConversations | None = None
    read_receipts: bool | None = None


class Request(StrEnum):
    """Where a conversation stands as a message request, for one of its members."""

    NONE = "none"  # accepted, or never a request
    RECEIVED = "received"  # the other member started it; this member has neither replied nor accepted
    SENT = "sent"  # this member started it; the other has not accepted yet


class Membership(msgspec.Struct, frozen=True):
    """A member's group item as pattern C needs it: who the other member is, and whether and how they may post."""

    other_uuid: str
    blocked: bool  # either member blocks the other
    request: Request = Request.NONE
    sent_awaiting: int = 0  # with Request.SENT: the messages this member has sent while awaiting acceptance


class Pair(msgspec.Struct, frozen=True):
    """The pair item as pattern D needs it: the pair's conversation (if any), and whether it is blocked."""

    group_uuid: str | None  # None: no conversation yet (a block was set before the two ever talked)
    blocked: bool
    request_from: str | None = None  # the uuid of the member who started it, while it is an unaccepted request

    def request_for(self, member_uuid: str) -> Request:
        """Where the pair's conversation stands as a request for one of its members."""
        if self.request_from is None:
            return Request.NONE
        return Request.SENT if self.request_from == member_uuid else Request.RECEIVED


class BlockedUser(msgspec.Struct, frozen=True):
    """A user the caller blocks, as their list shows them."""

    user: User
    blocked_at: str
