"""The safety routes in HTTP terms: path and body in, the answer's model out."""

from messaging.api.models import (
    BlockedUserView,
    BlockView,
    MuteRequest,
    MuteView,
    RequestView,
    SettingsBody,
    SettingsChangeBody,
)
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.limits import gcra
from messaging.safety import service
from messaging.safety.state import NewConversations, SettingsChange, UserSettings


def set_block(request: HttpRequest, *, blocked: bool) -> BlockView:
    # Each of these writes spends the caller's send allowance: a flood of them is writes and transactions.
    gcra.check_send(request.caller_id)
    user = service.set_block(request.caller_id, request.path_handle("handle"), blocked=blocked)
    return BlockView(handle=user.handle, blocked=blocked)


def blocked_users(request: HttpRequest) -> HttpResponse:
    page = request.page_query
    return HttpResponse.page(
        request, service.blocked_users(request.caller_id, page.limit, page.cursor), BlockedUserView.of
    )


def user_settings(request: HttpRequest) -> SettingsBody:
    return _view(service.user_settings(request.caller_id))


def change_settings(request: HttpRequest) -> SettingsBody:
    gcra.check_send(request.caller_id)
    chosen = request.json_body(SettingsChangeBody)
    wanted, receipts = chosen.new_conversations, chosen.read_receipts
    change = SettingsChange(
        new_conversations=NewConversations(wanted) if isinstance(wanted, str) else None,
        read_receipts=receipts if isinstance(receipts, bool) else None,
    )
    return _view(service.change_settings(request.caller_id, change))


def set_muted(request: HttpRequest) -> MuteView:
    gcra.check_send(request.caller_id)
    group_uuid = str(request.path_uuid("message_group_uuid"))
    muted = request.json_body(MuteRequest).muted
    service.set_muted(request.caller_id, group_uuid, muted=muted)
    return MuteView(uuid=group_uuid, muted=muted)


def accept_request(request: HttpRequest) -> RequestView:
    gcra.check_send(request.caller_id)
    group_uuid = str(request.path_uuid("message_group_uuid"))
    service.accept_request(request.caller_id, group_uuid)
    return RequestView(uuid=group_uuid, request=False)


def _view(settings: UserSettings) -> SettingsBody:
    return SettingsBody(new_conversations=settings.new_conversations.value, read_receipts=settings.read_receipts)
