"""Pattern D: POST /api/message_groups, a first message to a user by handle (into the pair's one conversation)."""

from messaging.api import HttpRequest, HttpResponse, http_handler
from messaging.api.idempotency import idempotently
from messaging.logic import conversations
from messaging.models import CreateMessageGroupRequest, PostedMessageView


@http_handler
def lambda_handler(request: HttpRequest) -> HttpResponse:
    body = request.json_body(CreateMessageGroupRequest)

    def start() -> HttpResponse:
        message, created = conversations.start_conversation(request.caller_id, body.handle, body.message)
        return HttpResponse.json(201 if created else 200, PostedMessageView.of(message))

    return idempotently(request, body, start)
