"""POST /api/messages/{message_group_uuid}/{message_uuid}/report: a member reports a message to the moderators."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.core.config import Need
from messaging.moderation import operations


def report_message(request: HttpRequest) -> HttpResponse:
    # 202: the report is stored, but what happens to it is a moderator's decision, later.
    return HttpResponse.json(202, operations.report_message(request))


lambda_handler = http_handler(report_message, Need.SEND_LIMITS, Need.REPORTS)
