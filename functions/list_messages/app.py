"""Pattern A: GET /api/messages/{message_group_uuid}, a page of a message group the caller is in."""

from messaging.api.handler import http_handler
from messaging.api.models import MessageView
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse, read_receipt_headers
from messaging.conversations import service


def list_messages(request: HttpRequest) -> HttpResponse:
    group_uuid, page = request.path_uuid("message_group_uuid"), request.page_query
    messages, seen = service.list_messages(request.caller_id, str(group_uuid), page.limit, page.cursor)
    return HttpResponse.page(request, messages, MessageView.of).with_headers(read_receipt_headers(seen))


lambda_handler = http_handler(list_messages)
