"""PUT /api/message_groups/{message_group_uuid}/mute: the caller mutes or unmutes a conversation."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.core.config import Need
from messaging.safety import operations


def mute_message_group(request: HttpRequest) -> HttpResponse:
    return HttpResponse.json(200, operations.set_muted(request))


lambda_handler = http_handler(mute_message_group, Need.SEND_LIMITS)
