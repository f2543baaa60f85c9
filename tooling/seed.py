"""The seeded conversation between andrewbrown and bayko, written through the layer's own code.

Used by `make dev` and `bin/ddb/seed`. Keys derive from fixed uuids and the pair item names the group, so seeding
twice writes nothing new. Both members' conversation items end up showing the last message, as pattern E leaves
them, with the same conditional update.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from messaging.activity.batches import apply_to_members
from messaging.conversations import groups, messages
from messaging.core.domain import Message, User
from messaging.people import profiles
from messaging.safety import requests
from tooling.message_keys import fixed_message_uuid
from tooling.paths import SEED_CONVERSATION

SEED_GROUP_UUID = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
_SPACING = timedelta(minutes=2)
# Fixed, not "now": every seeded stack has the same message keys, so events/mark_read.json names a real message.
SEEDED_UNTIL = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def conversation_lines(path: Path = SEED_CONVERSATION) -> list[tuple[str, str]]:
    lines = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            handle, _, text = line.partition(":")
            lines.append((handle.strip(), text.strip()))
    return lines


def seed_conversation(until: datetime = SEEDED_UNTIL) -> int:
    """Writes the conversation unless its pair already has one; returns how many messages were written."""
    lines = conversation_lines()
    senders = {handle: _user(handle) for handle in dict.fromkeys(handle for handle, _ in lines)}
    start = until - _SPACING * len(lines)
    history = [
        Message(
            group_uuid=SEED_GROUP_UUID,
            uuid=fixed_message_uuid(start + _SPACING * index, f"{SEED_GROUP_UUID}#{index}"),
            text=text,
            sender=senders[handle],
            recipient_uuid=next(user.uuid for other, user in senders.items() if other != handle),
        )
        for index, (handle, text) in enumerate(lines)
    ]
    first, *rest = history
    (other,) = [user for user in senders.values() if user != first.sender]
    try:
        groups.create_message_group(first.sender, other, first)
    except groups.PairExists:
        return 0
    # The seeded conversations are ones both members took part in, not message requests.
    requests.accept(other.uuid, first.sender.uuid, first.group_uuid)
    for message in rest:
        messages.put_message(message)
    apply_to_members(history)  # both members' items as pattern E leaves them: preview, read markers, unread
    return len(history)


def _user(handle: str) -> User:
    user = profiles.user_by_handle(handle)
    if user is None:
        raise RuntimeError(f"seed user {handle!r} is missing from PostgreSQL: run bin/db/seed first")
    return user
