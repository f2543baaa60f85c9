"""Pattern D: POST /api/message_groups, a first message to a user by handle (into the pair's one message group)."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.conversations import operations
from messaging.core.config import Need
from messaging.realtime import direct


def start_message_group(request: HttpRequest) -> HttpResponse:
    # As C: the message goes to both members' open sockets before the answer, the stream's push as the backstop.
    started = operations.start_message_group(request, announce=direct.push_sent)
    return HttpResponse.json(201 if started.created else 200, started.message)


lambda_handler = http_handler(
    start_message_group, Need.IDEMPOTENCY, Need.SEND_LIMITS, Need.REQUEST_LIMIT, Need.CONNECTIONS, Need.DIRECT_PUSH
)
