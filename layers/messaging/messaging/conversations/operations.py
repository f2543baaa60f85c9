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
from messaging.limits import gcra


def post_message(request: HttpRequest) -> MessageView:
    """Pattern C."""
    return _post_message(_call(request, CreateMessageRequest), request.context)


def start_message_group(request: HttpRequest) -> StartedMessageGroup:
    """Pattern D."""
    return _start_message_group(_call(request, CreateMessageGroupRequest), request.context)


def _call[Body: msgspec.Struct](request: HttpRequest, body: type[Body]) -> Call[Body]:
    # Before the body is read or anything stored is asked: a flood costs one read of the limits table.
    gcra.check_send(request.caller_id)
    return Call(
        route=request.route_key, caller=request.caller_id, key=request.idempotency_key, body=request.json_body(body)
    )


@once_per_key(MessageView)
def _post_message(call: Call[CreateMessageRequest]) -> MessageView:
    body = call.body
    return MessageView.of(service.post_message(call.caller, str(body.message_group_uuid), body.message))


@once_per_key(StartedMessageGroup)
def _start_message_group(call: Call[CreateMessageGroupRequest]) -> StartedMessageGroup:
    message, created = service.start_message_group(call.caller, call.body.handle, call.body.message)
    return StartedMessageGroup(created=created, message=PostedMessageView.of(message))
