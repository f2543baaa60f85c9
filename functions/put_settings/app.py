"""PUT /api/settings: the caller chooses who may start a conversation with them."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.core.config import Need
from messaging.safety import operations


def put_settings(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json(200, operations.change_settings(request))


lambda_handler = http_handler(put_settings, Need.SEND_LIMITS)
