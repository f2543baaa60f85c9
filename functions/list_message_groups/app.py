"""Pattern B: GET /api/message_groups, the caller's message groups, most recent activity first."""

from messaging.api.handler import http_handler
from messaging.api.models import MessageGroupView
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.conversations import service


def list_message_groups(request: HttpRequest) -> HttpResponse:
    page = request.page_query
    groups = service.list_message_groups(request.caller_id, page.limit, page.cursor)
    return HttpResponse.page(request, groups, MessageGroupView.of)


lambda_handler = http_handler(list_message_groups)
