"""Typing indicators: a member's ``typing`` frame relayed to the other member's open connections.

Nothing is stored but the relay's limiter state: a typing frame is news for a few seconds, and a client that
missed one loses nothing (the indicator goes after 5 s anyway). So the relay is best effort, with a deadline of
its own well inside the route's timeout, and never retried.

Who may be told that whom is typing, in this order:

- the caller must be a member of the group (``NotAMember`` otherwise, the HTTP API's answer to a non-member,
  whether or not the group exists), read from the caller's own group item;
- a block, either way (``blocked_by`` on the group item), drops the frame quietly: a blocked member learns
  nothing, not even that they are blocked;
- so does an unaccepted message request, either direction (the lead's decision for issue 25): the recipient of a
  request has not agreed to hear from its starter yet, and the starter must not learn that a request is being
  read and answered;
- at most one relay per connection per group per 2 s (``TYPING_LIMIT``, GCRA); the extra frames are dropped
  quietly. Only a relay spends the allowance, so a refused frame costs one read of the limits table.

The caller's user comes from the connections table (the item $connect stored, by its id), and the typist's
handle and display name from the other member's group item, which names the typist: no PostgreSQL.
"""

import json
import time
from enum import StrEnum

from messaging.core.domain import User
from messaging.core.errors import NotAMember
from messaging.limits import gcra
from messaging.realtime import connections, presence_store, push
from messaging.safety import store as safety_store
from messaging.safety.state import Request

# One relay per connection per group per 2 s: the web client sends at most that often while its user types.
TYPING_LIMIT = gcra.Limit(per_second=0.5, burst=1)
# Posts not started within this are not started: a late "is typing" is worth nothing (in-flight ones still end).
RELAY_DEADLINE_SECONDS = 1.0


class Relay(StrEnum):
    """What became of a typing frame that was not refused."""

    RELAYED = "relayed"
    THROTTLED = "throttled"  # within 2 s of this connection's last relay for the group
    BLOCKED = "blocked"
    REQUEST = "request"  # an unaccepted message request
    UNKNOWN_CONNECTION = "unknown_connection"  # no stored connection (yet, or any more) under this id
    UNNAMED = "unnamed"  # the other member's group item does not name the caller


def relay_typing(connection_id: str, group_uuid: str) -> Relay:
    """Tells the other member's open connections that the caller is typing in ``group_uuid``, when allowed.

    Raises ``NotAMember`` when the connection's user is not a member of the group.
    """
    caller_uuid = connections.user_of_connection(connection_id)
    if caller_uuid is None:
        return Relay.UNKNOWN_CONNECTION
    membership = safety_store.membership(caller_uuid, group_uuid)
    if membership is None:
        raise NotAMember("You are not a member of this conversation.")
    if membership.blocked:
        return Relay.BLOCKED
    if membership.request is not Request.NONE:
        return Relay.REQUEST
    if not gcra.take(typing_key(connection_id, group_uuid), TYPING_LIMIT).allowed:
        return Relay.THROTTLED
    typist = presence_store.named_member(membership.other_uuid, group_uuid)
    if typist is None or typist.uuid != caller_uuid:
        # The other member's item is written with the caller's, in one transaction: only a bug gets here.
        return Relay.UNNAMED
    frame = typing_frame_of(group_uuid, typist)
    deadline = push.Deadline(time.monotonic() + RELAY_DEADLINE_SECONDS)
    push.deliver([push.MemberPush(membership.other_uuid, lambda: [(frame, [])], [])], deadline)
    return Relay.RELAYED


def typing_key(connection_id: str, group_uuid: str) -> str:
    """The limiter's key: per connection and group, apart from the frame limit's ``frames#<connection>``."""
    return f"typing#{connection_id}#{group_uuid}"


def typing_frame_of(group_uuid: str, typist: User) -> bytes:
    """``{"type": "typing", "message_group_uuid", "handle", "display_name"}``: who is typing where."""
    frame = {
        "type": "typing",
        "message_group_uuid": group_uuid,
        "handle": typist.handle,
        "display_name": typist.display_name,
    }
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode()
