"""Patterns A-D: read and write conversations on behalf of the signed-in caller."""

from uuid import UUID, uuid4

from aws_lambda_powertools.metrics import MetricUnit

from messaging.dal import groups, messages
from messaging.domain import Message, MessageGroup, Page
from messaging.errors import CannotMessageSelf, NotAMember
from messaging.logic import users
from messaging.models import PageQuery
from messaging.observability import metrics


def list_messages(caller_id: str, group_uuid: UUID, page: PageQuery) -> Page[Message]:
    """Pattern A."""
    caller = users.caller(caller_id)
    _require_membership(caller.uuid, str(group_uuid))
    return messages.newest_messages(str(group_uuid), page.limit, page.cursor)


def list_groups(caller_id: str, page: PageQuery) -> Page[MessageGroup]:
    """Pattern B."""
    caller = users.caller(caller_id)
    return groups.recent_groups(caller.uuid, page.limit, page.cursor)


def post_message(caller_id: str, group_uuid: UUID, text: str) -> Message:
    """Pattern C."""
    caller = users.caller(caller_id)
    _require_membership(caller.uuid, str(group_uuid))
    message = Message.new(group_uuid, caller, text)
    messages.put_message(message)
    metrics.add_metric(name="MessagesSent", unit=MetricUnit.Count, value=1)
    return message


def start_conversation(caller_id: str, handle: str, text: str) -> tuple[Message, bool]:
    """Pattern D. Returns the message and whether a new conversation was created for it."""
    caller = users.caller(caller_id)
    other = users.by_handle(handle)
    if other.uuid == caller.uuid:
        raise CannotMessageSelf("You cannot start a conversation with yourself.")
    existing_group = groups.pair_group(caller.uuid, other.uuid)
    message = Message.new(existing_group or uuid4(), caller, text)
    created = existing_group is None
    if created:
        try:
            groups.create_group(caller, other, message)
        except groups.PairExists as raced:
            # Another request created the pair between our read and our transaction.
            message, created = message.in_group(raced.group_uuid), False
    if created:
        metrics.add_metric(name="MessageGroupsCreated", unit=MetricUnit.Count, value=1)
    else:
        messages.put_message(message)
    metrics.add_metric(name="MessagesSent", unit=MetricUnit.Count, value=1)
    return message, created


def _require_membership(user_uuid: str, group_uuid: str) -> None:
    # One answer for "not a member" and "no such group", so group ids cannot be probed.
    if not groups.is_member(user_uuid, group_uuid):
        raise NotAMember("You are not a member of this conversation.")
