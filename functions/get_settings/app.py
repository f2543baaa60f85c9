"""GET /api/settings: who may start a conversation with the caller."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.safety import operations


def get_settings(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json(200, operations.user_settings(request))


lambda_handler = http_handler(get_settings)
