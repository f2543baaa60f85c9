"""PUT /api/blocks/{handle}: the caller blocks a user (neither can then message the other)."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.core.config import Need
from messaging.safety import operations


def block_user(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json(200, operations.set_block(request, blocked=True))


lambda_handler = http_handler(block_user, Need.SEND_LIMITS)
