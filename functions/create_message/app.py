"""Pattern C: POST /api/messages, a message into a message group the caller is in (once per Idempotency-Key)."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.conversations import operations
from messaging.core.config import Need
from messaging.realtime import direct


def post_message(request: HttpRequest) -> HttpResponse:
    # The new message goes to both members' open sockets before the answer (within its budget); the stream's
    # push follows as the backstop.
    return HttpResponse.json(201, operations.post_message(request, announce=direct.push_sent))


lambda_handler = http_handler(
    post_message, Need.IDEMPOTENCY, Need.SEND_LIMITS, Need.REQUEST_LIMIT, Need.CONNECTIONS, Need.DIRECT_PUSH
)
