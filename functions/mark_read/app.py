"""Read marker: PUT /api/message_groups/{message_group_uuid}/read, the caller has seen the group up to a message."""

from messaging.api.handler import http_handler
from messaging.api.models import MarkReadRequest, ReadMarkerView
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.conversations import service
from messaging.core.config import Need
from messaging.limits import gcra


def mark_read(request: HttpRequest) -> HttpResponse:
    gcra.check_read_marker(request.caller_id)
    group_uuid, seen = request.path_uuid("message_group_uuid"), request.json_body(MarkReadRequest)
    marker = service.mark_read(request.caller_id, str(group_uuid), str(seen.uuid))
    return HttpResponse.json(200, ReadMarkerView.of(marker))


# Its own allowance runs at the send limit's rate, in the same table.
lambda_handler = http_handler(mark_read, Need.SEND_LIMITS)
