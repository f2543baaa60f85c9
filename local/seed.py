"""The seeded conversation of the local stack: andrewbrown and bayko, written through the layer's own code.

Keys are derived from fixed uuids, so seeding twice writes nothing new: the pair item already names the group.
"""

import uuid
from datetime import UTC, datetime, timedelta

from messaging.dal import groups, messages, users
from messaging.domain import Message, User

SEED_GROUP_UUID = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
SEED_HANDLES = ("andrewbrown", "bayko")

CONVERSATION = [
    ("andrewbrown", "Have you had a chance to look at the new message groups?"),
    ("bayko", "I have. The list finally shows the latest conversation on top."),
    ("andrewbrown", "That's the stream processor doing its job."),
    ("bayko", "How does it know which message is the newest if the stream redelivers?"),
    ("andrewbrown", "Each update only applies when its sort key is newer than the one shown."),
    ("bayko", "So a late duplicate can't roll the preview back. Nice."),
    ("andrewbrown", "Exactly. And both of our items are updated from the same record."),
    ("bayko", "What happens if I post twice in the same microsecond?"),
    ("andrewbrown", "Both survive: the message uuid is part of the key."),
    ("bayko", "I'll try to break it anyway. Coffee first though."),
    ("andrewbrown", "Bring me one too, please!"),
    ("bayko", "Deal. Back in ten minutes."),
]


def seed_conversation(count: int | None = None) -> int:
    """Writes the conversation (cycled up to ``count`` messages); returns how many messages were written."""
    andrew, bayko = (_user(handle) for handle in SEED_HANDLES)
    senders = {"andrewbrown": andrew, "bayko": bayko}
    lines = [CONVERSATION[i % len(CONVERSATION)] for i in range(count or len(CONVERSATION))]
    start = datetime.now(UTC) - timedelta(minutes=2 * len(lines))
    history = [
        Message(
            group_uuid=SEED_GROUP_UUID,
            uuid=str(uuid.uuid5(uuid.UUID(SEED_GROUP_UUID), str(index))),
            created_at=(start + timedelta(minutes=2 * index)).isoformat(timespec="microseconds"),
            text=text,
            sender=senders[handle],
        )
        for index, (handle, text) in enumerate(lines)
    ]
    first, *rest = history
    other = bayko if first.sender == andrew else andrew
    try:
        groups.create_group(first.sender, other, first)
    except groups.PairExists:
        return 0
    for message in rest:
        messages.put_message(message)
    return len(history)


def _user(handle: str) -> User:
    user = users.user_by_handle(handle)
    if user is None:
        raise RuntimeError(f"seed user {handle!r} is missing from PostgreSQL: load db/seed.sql first")
    return user
