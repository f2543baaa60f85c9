"""Pattern C: POST /api/messages, a message into a message group the caller is in (once per Idempotency-Key)."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.conversations import operations
from messaging.core.config import Need


def post_message(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json(201, operations.post_message(request))


lambda_handler = http_handler(post_message, Need.IDEMPOTENCY, Need.SEND_LIMITS, Need.REQUEST_LIMIT)
