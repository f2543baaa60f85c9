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


class Membership(msgspec.Struct, frozen=True):
    """A member's group item as pattern C needs it: who the other member is, and whether they may post."""

    other_uuid: str
    blocked: bool  # either member blocks the other


class Pair(msgspec.Struct, frozen=True):
    """The pair item as pattern D needs it: the pair's conversation (if any), and whether it is blocked."""

    group_uuid: str | None  # None: no conversation yet (a block was set before the two ever talked)
    blocked: bool


class BlockedUser(msgspec.Struct, frozen=True):
    """A user the caller blocks, as their list shows them."""

    user: User
    blocked_at: str
