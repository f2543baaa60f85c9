"""Pattern A: GET /api/messages/{message_group_uuid}, a page of a conversation the caller is in."""

from messaging.api import HttpRequest, HttpResponse, http_handler
from messaging.logic import conversations
from messaging.models import MessageView


@http_handler
def lambda_handler(request: HttpRequest) -> HttpResponse:
    group_uuid = request.path_uuid("message_group_uuid")
    page = conversations.list_messages(request.caller_id, group_uuid, request.page_query)
    return HttpResponse.page(request, page, MessageView.of)
