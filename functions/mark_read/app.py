"""Read marker: PUT /api/message_groups/{message_group_uuid}/read, the caller has seen the group up to a message."""

from messaging.api import HttpRequest, HttpResponse, http_handler
from messaging.api.models import MarkReadRequest, ReadMarkerView
from messaging.logic import message_groups, rate_limits


@http_handler
def lambda_handler(request: HttpRequest) -> HttpResponse:
    rate_limits.check_read_marker(request.caller_id)
    group_uuid, seen = request.path_uuid("message_group_uuid"), request.json_body(MarkReadRequest)
    marker = message_groups.mark_read(request.caller_id, str(group_uuid), seen.created_at, str(seen.uuid))
    return HttpResponse.json(200, ReadMarkerView.of(marker))
