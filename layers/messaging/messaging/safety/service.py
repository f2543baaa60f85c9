"""The safety routes' logic: block and unblock a user, list the blocked, who may start a conversation, mute, and
accept a message request.

Plain values in, domain objects out, as in ``conversations.service``; the HTTP edge (``safety.operations``) shapes
the answers.
"""

from aws_lambda_powertools.metrics import MetricUnit

from messaging.core.domain import Page, User
from messaging.core.errors import CannotBlockSelf, NotAMember
from messaging.core.observability import metrics
from messaging.people import participants
from messaging.safety import requests, store
from messaging.safety.state import BlockedUser, Request, SettingsChange, UserSettings


def set_block(caller_id: str, handle: str, *, blocked: bool) -> User:
    """Blocks (or unblocks) the user with ``handle``; doing it again changes nothing. Returns the user."""
    caller = participants.caller(caller_id)
    other = participants.by_handle(handle)
    if other.uuid == caller.uuid:
        raise CannotBlockSelf("You cannot block yourself.")
    store.set_block(caller, other, on=blocked)
    metrics.add_metric(name="UsersBlocked" if blocked else "UsersUnblocked", unit=MetricUnit.Count, value=1)
    return other


def blocked_users(caller_id: str, limit: int, cursor: str | None) -> Page[BlockedUser]:
    return store.blocks(participants.caller(caller_id).uuid, limit, cursor)


def user_settings(caller_id: str) -> UserSettings:
    return store.settings_of(participants.caller(caller_id).uuid)


def change_settings(caller_id: str, change: SettingsChange) -> UserSettings:
    return store.put_settings(participants.caller(caller_id).uuid, change)


def set_muted(caller_id: str, group_uuid: str, *, muted: bool) -> None:
    store.set_muted(participants.caller(caller_id).uuid, group_uuid, muted=muted)


def accept_request(caller_id: str, group_uuid: str) -> None:
    """Accepts the message request the caller received in the group; for any other conversation of theirs it
    changes nothing (accepting twice, or one's own request, is no error: the answer is the same)."""
    caller = participants.caller(caller_id)
    membership = store.membership(caller.uuid, group_uuid)
    if membership is None:
        raise NotAMember("You are not a member of this conversation.")
    if membership.request is Request.RECEIVED:
        requests.accept(caller.uuid, membership.other_uuid, group_uuid)
        metrics.add_metric(name="MessageRequestsAccepted", unit=MetricUnit.Count, value=1)
