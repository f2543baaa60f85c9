"""Patterns A-D: read and write message groups on behalf of the signed-in caller.

Plain values in, domain objects out: the HTTP edge (``messaging.api``) parses requests and shapes answers.
"""

from uuid import uuid4

from aws_lambda_powertools.metrics import MetricUnit

from messaging.conversations import groups, messages
from messaging.core.domain import Message, MessageGroup, Page, ReadMarker
from messaging.core.errors import CannotMessageSelf, MessageNotInGroup, NotAMember
from messaging.core.observability import metrics
from messaging.people import participants
from messaging.unread import member_items


def list_messages(caller_id: str, group_uuid: str, limit: int, cursor: str | None) -> Page[Message]:
    """Pattern A."""
    caller = participants.caller(caller_id)
    _other_member(caller.uuid, group_uuid)
    return messages.newest_messages(group_uuid, limit, cursor)


def list_message_groups(caller_id: str, limit: int, cursor: str | None) -> Page[MessageGroup]:
    """Pattern B."""
    caller = participants.caller(caller_id)
    return groups.recent_message_groups(caller.uuid, limit, cursor)


def post_message(caller_id: str, group_uuid: str, text: str) -> Message:
    """Pattern C."""
    caller = participants.caller(caller_id)
    message = Message.new(group_uuid, caller, _other_member(caller.uuid, group_uuid), text)
    messages.put_message(message)
    metrics.add_metric(name="MessagesSent", unit=MetricUnit.Count, value=1)
    return message


def start_message_group(caller_id: str, handle: str, text: str) -> tuple[Message, bool]:
    """Pattern D. Returns the message and whether a new message group was created for it."""
    caller = participants.caller(caller_id)
    other = participants.by_handle(handle)
    if other.uuid == caller.uuid:
        raise CannotMessageSelf("You cannot start a conversation with yourself.")
    existing_group = groups.pair_group(caller.uuid, other.uuid)
    message = Message.new(existing_group or uuid4(), caller, other.uuid, text)
    created = existing_group is None
    if created:
        try:
            groups.create_message_group(caller, other, message)
        except groups.PairExists as raced:
            # Another request created the pair between our read and our transaction.
            message, created = message.in_group(raced.group_uuid), False
    if created:
        metrics.add_metric(name="MessageGroupsCreated", unit=MetricUnit.Count, value=1)
    else:
        messages.put_message(message)
    metrics.add_metric(name="MessagesSent", unit=MetricUnit.Count, value=1)
    return message, created


def _other_member(caller_uuid: str, group_uuid: str) -> str:
    # One answer for "not a member" and "no such group", so group ids cannot be probed.
    other = groups.other_member(caller_uuid, group_uuid)
    if other is None:
        raise NotAMember("You are not a member of this conversation.")
    return other


def mark_read(caller_id: str, group_uuid: str, created_at: str, message_uuid: str) -> ReadMarker:
    """The read marker: the caller has seen the group up to this message (as pattern A returned it)."""
    caller = participants.caller(caller_id)
    read_sk = Message.key_of(created_at, message_uuid)
    item = member_items.mark_read(caller.uuid, group_uuid, read_sk)
    if item is None:  # it was the newest message: one write did it
        return ReadMarker(group_uuid, created_at, 0)
    if not messages.message_exists(group_uuid, read_sk):
        raise MessageNotInGroup("That message is not in this conversation.")
    state = member_items.settle(item, item.other_uuid, read_through=read_sk, newest=None)
    # A marker never moves back: an older one leaves the newer marker (and its count) as they were.
    last_read = state.read_through or read_sk
    return ReadMarker(group_uuid, Message.created_at_of(last_read), state.unread_count)
