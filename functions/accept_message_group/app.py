"""PUT /api/message_groups/{message_group_uuid}/accept: the caller accepts a message request they received."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.core.config import Need
from messaging.safety import operations


def accept_message_group(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json(200, operations.accept_request(request))


lambda_handler = http_handler(accept_message_group, Need.SEND_LIMITS)
