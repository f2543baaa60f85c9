"""GET /api/blocks: the users the caller blocks, paged."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.safety import operations


def list_blocks(request: HttpRequest) -> HttpResponse:
    return operations.blocked_users(request)


lambda_handler = http_handler(list_blocks)
