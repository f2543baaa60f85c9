"""Pattern C: POST /api/messages, a message into a conversation the caller is in."""

from messaging.api import HttpRequest, HttpResponse, http_handler
from messaging.api.idempotency import idempotently
from messaging.logic import conversations
from messaging.models import CreateMessageRequest, MessageView


@http_handler
def lambda_handler(request: HttpRequest) -> HttpResponse:
    body = request.json_body(CreateMessageRequest)

    def post() -> HttpResponse:
        message = conversations.post_message(request.caller_id, body.message_group_uuid, body.message)
        return HttpResponse.json(201, MessageView.of(message))

    return idempotently(request, body, post)
