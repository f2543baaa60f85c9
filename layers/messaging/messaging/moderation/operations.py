"""The report route's operation in HTTP terms: the path and body parsed, the send allowance spent."""

from messaging.api.models import ReportMessageRequest, ReportView
from messaging.api.request import HttpRequest
from messaging.limits import gcra
from messaging.moderation import service


def report_message(request: HttpRequest) -> ReportView:
    # A report is a write someone must read: it spends the send allowance, so one user cannot flood moderators.
    gcra.check_send(request.caller_id)
    group_uuid, message_uuid = request.path_uuid("message_group_uuid"), request.path_uuid("message_uuid")
    body = request.json_body(ReportMessageRequest)
    report = service.report_message(request.caller_id, str(group_uuid), str(message_uuid), body.reason, body.note)
    return ReportView(report_id=report.report_id, status=report.status.value)
