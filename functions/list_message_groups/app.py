"""Pattern B: GET /api/message_groups, the caller's conversations, most recent activity first."""

from messaging.api import HttpRequest, HttpResponse, http_handler
from messaging.logic import conversations
from messaging.models import MessageGroupView


@http_handler
def lambda_handler(request: HttpRequest) -> HttpResponse:
    page = conversations.list_groups(request.caller_id, request.page_query)
    return HttpResponse.page(request, page, MessageGroupView.of)
