"""Pattern B: GET /api/message_groups, the caller's message groups, most recent activity first."""

from messaging.api import HttpRequest, HttpResponse, http_handler
from messaging.api.models import MessageGroupView
from messaging.logic import message_groups


@http_handler
def lambda_handler(request: HttpRequest) -> HttpResponse:
    page = request.page_query
    groups = message_groups.list_message_groups(request.caller_id, page.limit, page.cursor)
    return HttpResponse.page(request, groups, MessageGroupView.of)
