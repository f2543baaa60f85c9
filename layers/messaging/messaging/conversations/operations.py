"""The creating routes' operations (C and D): logic calls in HTTP terms, run once per Idempotency-Key."""

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


def post_message(request: HttpRequest) -> MessageView:
    """Pattern C."""
    return MessageView.of(_post_message(_call(request, CreateMessageRequest), request.context))


def start_message_group(request: HttpRequest) -> StartedMessageGroup:
    """Pattern D."""
    started = _start_message_group(_call(request, CreateMessageGroupRequest), request.context)
    return StartedMessageGroup(created=started.created, message=PostedMessageView.of(started.message))


def _call[Body: msgspec.Struct](request: HttpRequest, body: type[Body]) -> Call[Body]:
    # Before the body is read or anything stored is asked: a flood costs one read of the limits table.
    gcra.check_send(request.caller_id)
    return Call(
        route=request.route_key, caller=request.caller_id, key=request.idempotency_key, body=request.json_body(body)
    )


@once_per_key(MESSAGE_REPLAY)
def _post_message(call: Call[CreateMessageRequest]) -> Message:
    body = call.body
    return service.post_message(call.caller, str(body.message_group_uuid), body.message)


@once_per_key(STARTED_GROUP_REPLAY)
def _start_message_group(call: Call[CreateMessageGroupRequest]) -> Started:
    return Started(*service.start_message_group(call.caller, call.body.handle, call.body.message))
