"""DELETE /api/blocks/{handle}: the caller unblocks a user."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.core.config import Need
from messaging.safety import operations


def unblock_user(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json(200, operations.set_block(request, blocked=False))


lambda_handler = http_handler(unblock_user, Need.SEND_LIMITS)
