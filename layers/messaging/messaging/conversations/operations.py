"""The creating routes' operations (C and D): logic calls in HTTP terms, run once per Idempotency-Key."""

from collections.abc import Callable

import msgspec

from messaging.api.models import (
    CreateMessageGroupRequest,
    CreateMessageRequest,
    MessageView,
    PostedMessageView,
    StartedMessageGroup,
)
from messaging.api.request import HttpRequest
from messaging.conversations import service
from messaging.conversations.idempotency import Call, once_per_key
from messaging.conversations.replays import MESSAGE_REPLAY, STARTED_GROUP_REPLAY, Started
from messaging.core.domain import Message
from messaging.limits import gcra

# Told of a message once it is stored by this request (not on a replay, whose message went out the first time):
# the handler's direct push. A feature does not reach into another, so it is handed in.
type Announce = Callable[[Message], None]


def _unannounced(_: Message) -> None:
    return None


def post_message(request: HttpRequest, announce: Announce = _unannounced) -> MessageView:
    """Pattern C."""
    call = _call(request, CreateMessageRequest)
    return MessageView.of(once_per_key(MESSAGE_REPLAY)(_posting(announce))(call, request.context))


def start_message_group(request: HttpRequest, announce: Announce = _unannounced) -> StartedMessageGroup:
    """Pattern D."""
    call = _call(request, CreateMessageGroupRequest)
    started = once_per_key(STARTED_GROUP_REPLAY)(_starting(announce))(call, request.context)
    return StartedMessageGroup(created=started.created, message=PostedMessageView.of(started.message))


def _call[Body: msgspec.Struct](request: HttpRequest, body: type[Body]) -> Call[Body]:
    # Before the body is read or anything stored is asked: a flood costs one read of the limits table.
    gcra.check_send(request.caller_id)
    return Call(
        route=request.route_key, caller=request.caller_id, key=request.idempotency_key, body=request.json_body(body)
    )


def _posting(announce: Announce) -> Callable[[Call[CreateMessageRequest]], Message]:
    def post(call: Call[CreateMessageRequest]) -> Message:
        body = call.body
        message = service.post_message(call.caller, str(body.message_group_uuid), body.message)
        announce(message)
        return message

    return post


def _starting(announce: Announce) -> Callable[[Call[CreateMessageGroupRequest]], Started]:
    def start(call: Call[CreateMessageGroupRequest]) -> Started:
        started = Started(*service.start_message_group(call.caller, call.body.handle, call.body.message))
        announce(started.message)
        return started

    return start
