"""PATCH /api/messages/{message_group_uuid}/{message_uuid}: the sender corrects a message, within the edit window."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.conversations import changes
from messaging.core.config import Need


def edit_message(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json(200, changes.edit_message(request))


lambda_handler = http_handler(edit_message, Need.SEND_LIMITS, Need.EDIT_WINDOW)
