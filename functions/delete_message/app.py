"""DELETE /api/messages/{message_group_uuid}/{message_uuid}: the sender takes a message back (its text is erased)."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.conversations import changes
from messaging.core.config import Need


def delete_message(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json(200, changes.delete_message(request))


lambda_handler = http_handler(delete_message, Need.SEND_LIMITS)
