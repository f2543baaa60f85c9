"""The changing routes' operations (edit and delete): logic calls in HTTP terms.

Apart from C and D's operations: an edit or a deletion needs no Idempotency-Key (doing either twice leaves the
message as doing it once does), so these functions never import the idempotency records.
"""

from messaging.api.models import EditMessageRequest, PostedMessageView
from messaging.api.request import HttpRequest
from messaging.conversations import service
from messaging.limits import gcra


def edit_message(request: HttpRequest) -> PostedMessageView:
    group_uuid, message_uuid = _message_path(request)
    text = request.json_body(EditMessageRequest).message
    return PostedMessageView.of(service.edit_message(request.caller_id, group_uuid, message_uuid, text))


def delete_message(request: HttpRequest) -> PostedMessageView:
    group_uuid, message_uuid = _message_path(request)
    return PostedMessageView.of(service.delete_message(request.caller_id, group_uuid, message_uuid))


def _message_path(request: HttpRequest) -> tuple[str, str]:
    # An edit or a deletion is a write pushed to every device of both members: it spends the send allowance.
    gcra.check_send(request.caller_id)
    return str(request.path_uuid("message_group_uuid")), str(request.path_uuid("message_uuid"))
