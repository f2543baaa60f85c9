"""Patterns A-D: read and write message groups on behalf of the signed-in caller.

Plain values in, domain objects out: the HTTP edge (``messaging.api``) parses requests and shapes answers.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from aws_lambda_powertools.metrics import MetricUnit

from messaging.conversations import groups, messages
from messaging.core.config import settings
from messaging.core.domain import (
    Message,
    MessageGroup,
    Page,
    ReadMarker,
    ReadReceipt,
    User,
    message_time,
    utc_timestamp,
)
from messaging.core.errors import (
    CannotMessageSelf,
    EditWindowClosed,
    MessageDeleted,
    MessageNotFound,
    MessageNotInGroup,
    NotAMember,
    NotTheSender,
)
from messaging.core.observability import metrics
from messaging.people import participants
from messaging.safety import requests
from messaging.safety import rules as safety_rules
from messaging.safety import store as safety_store
from messaging.safety.state import Request
from messaging.unread import member_items


def list_messages(
    caller_id: str, group_uuid: str, limit: int, cursor: str | None
) -> tuple[Page[Message], ReadReceipt | None]:
    """Pattern A, and on its first page the other member's read marker ("Seen") where the caller may see it.

    The membership read says whether the conversation is blocked or an unaccepted request (no marker then, and
    nothing more read); otherwise the marker and both members' settings are one BatchGetItem beside the Query.
    """
    caller = participants.caller(caller_id)
    membership = safety_store.membership(caller.uuid, group_uuid)
    if membership is None:
        raise NotAMember("You are not a member of this conversation.")
    if cursor is not None or membership.blocked or membership.request is not Request.NONE:
        return messages.newest_messages(group_uuid, limit, cursor), None
    with ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(groups.read_receipt_for, caller.uuid, membership.other_uuid, group_uuid)
        page = messages.newest_messages(group_uuid, limit, cursor)
        return page, seen.result()


def list_message_groups(caller_id: str, limit: int, cursor: str | None) -> Page[MessageGroup]:
    """Pattern B."""
    caller = participants.caller(caller_id)
    return groups.recent_message_groups(caller.uuid, limit, cursor)


def post_message(caller_id: str, group_uuid: str, text: str) -> Message:
    """Pattern C. The membership read brings the conversation's blocks with it: no extra read."""
    caller = participants.caller(caller_id)
    membership = safety_store.membership(caller.uuid, group_uuid)
    if membership is None:
        raise NotAMember("You are not a member of this conversation.")
    awaiting = membership.request is Request.SENT
    limit = settings().message_request_limit if awaiting else None
    safety_rules.admit_post(membership.blocked, sent_awaiting=membership.sent_awaiting, request_limit=limit)
    message = Message.new(group_uuid, caller, membership.other_uuid, text)
    _store(message, membership.request)
    metrics.add_metric(name="MessagesSent", unit=MetricUnit.Count, value=1)
    return message


def _store(message: Message, request: Request) -> None:
    """Stores a message into an existing conversation: a reply accepts a request received, a request's starter
    sends within its limit, and anything else is the one PutItem."""
    if request is Request.RECEIVED:
        requests.accept(message.sender.uuid, message.recipient_uuid, message.group_uuid, reply=message)
        metrics.add_metric(name="MessageRequestsAccepted", unit=MetricUnit.Count, value=1)
    elif request is not Request.SENT or not requests.post_awaiting(message, settings().message_request_limit):
        messages.put_message(message)


def start_message_group(caller_id: str, handle: str, text: str) -> tuple[Message, bool]:
    """Pattern D. Returns the message and whether a new message group was created for it.

    The pair read brings the pair's blocks with it; only a new pair costs one more read (the other user's
    settings: whether they accept new conversations).
    """
    caller = participants.caller(caller_id)
    other = participants.by_handle(handle)
    if other.uuid == caller.uuid:
        raise CannotMessageSelf("You cannot start a conversation with yourself.")
    pair = safety_store.pair(caller.uuid, other.uuid)
    # A request's count is on the starter's group item, not read here: its write's condition holds the limit.
    safety_rules.admit_post(pair is not None and pair.blocked)
    existing_group = None if pair is None else pair.group_uuid
    message = Message.new(existing_group or uuid4(), caller, other.uuid, text)
    created = existing_group is None
    if created:
        safety_rules.admit_new_conversation(safety_store.settings_of(other.uuid))
        try:
            groups.create_message_group(caller, other, message)
        except groups.PairExists as raced:
            # Another request created the pair between our read and our transaction: the pair as it now is.
            message, created = message.in_group(raced.group_uuid), False
            pair = safety_store.pair(caller.uuid, other.uuid)
        except groups.PairBlocked:
            raise safety_rules.blocked_error() from None
    if created:
        metrics.add_metric(name="MessageGroupsCreated", unit=MetricUnit.Count, value=1)
    else:
        _store(message, Request.NONE if pair is None else pair.request_for(caller.uuid))
    metrics.add_metric(name="MessagesSent", unit=MetricUnit.Count, value=1)
    return message, created


def edit_message(caller_id: str, group_uuid: str, message_uuid: str, text: str) -> Message:
    """Sets the text of the caller's own message, within the edit window. One conditional write; the reason for a
    refusal comes back with the failed condition."""
    caller = participants.caller(caller_id)
    now = datetime.now(UTC)
    sent_after = now - timedelta(seconds=settings().message_edit_window_seconds)
    try:
        edited = messages.edit_message(
            group_uuid,
            message_uuid,
            sender_uuid=caller.uuid,
            text=text,
            edited_at=_timestamp(now),
            sent_after=_timestamp(sent_after),
        )
    except messages.ChangeRefused as refused:
        found = _senders_message(caller, group_uuid, refused.found)
        if found.is_deleted:
            raise MessageDeleted("This message was deleted: there is nothing left to edit.") from None
        window = settings().message_edit_window_seconds
        raise EditWindowClosed(
            f"Messages can be edited for {window:g} seconds after sending; this one was sent at {found.created_at}."
        ) from None
    metrics.add_metric(name="MessagesEdited", unit=MetricUnit.Count, value=1)
    return edited


def delete_message(caller_id: str, group_uuid: str, message_uuid: str) -> Message:
    """Takes back the caller's own message, at any time: its text is removed from storage, a tombstone stays in
    its place. Deleting a deleted message answers the same tombstone."""
    caller = participants.caller(caller_id)
    try:
        deleted = messages.delete_message(group_uuid, message_uuid, caller.uuid, utc_timestamp())
    except messages.ChangeRefused as refused:
        return _senders_message(caller, group_uuid, refused.found)  # refused only because it is deleted already
    metrics.add_metric(name="MessagesDeleted", unit=MetricUnit.Count, value=1)
    return deleted


def _senders_message(caller: User, group_uuid: str, found: Message | None) -> Message:
    """The message an edit or a deletion was refused on, once it is sure to be the caller's own; otherwise why not.

    A message names both members, so only a missing message costs a read (of the caller's membership): a
    non-member learns nothing more than for a group that does not exist.
    """
    if found is None:
        _other_member(caller.uuid, group_uuid)
        raise MessageNotFound("There is no such message in this conversation.")
    if caller.uuid not in found.member_uuids:
        raise NotAMember("You are not a member of this conversation.")
    if found.sender.uuid != caller.uuid:
        raise NotTheSender("Only the sender of a message can change it.")
    return found


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _other_member(caller_uuid: str, group_uuid: str) -> str:
    # One answer for "not a member" and "no such group", so group ids cannot be probed.
    other = groups.other_member(caller_uuid, group_uuid)
    if other is None:
        raise NotAMember("You are not a member of this conversation.")
    return other


def mark_read(caller_id: str, group_uuid: str, message_uuid: str) -> ReadMarker:
    """The read marker: the caller has seen the group up to this message (its uuid, as pattern A returned it)."""
    caller = participants.caller(caller_id)
    read_sk = message_uuid  # a message's uuid is its sort key
    item = member_items.mark_read(caller.uuid, group_uuid, read_sk)
    if item is None:  # it was the newest message: one write did it
        return ReadMarker(group_uuid, message_time(read_sk), 0)
    if not messages.message_exists(group_uuid, read_sk):
        raise MessageNotInGroup("That message is not in this conversation.")
    state = member_items.settle(item, item.other_uuid, read_through=read_sk, newest=None)
    # A marker never moves back: an older one leaves the newer marker (and its count) as they were.
    last_read = state.read_through or read_sk
    return ReadMarker(group_uuid, message_time(last_read), state.unread_count)
