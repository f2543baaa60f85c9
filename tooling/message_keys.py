"""Message uuids made from a chosen time instead of the clock: for the seed (every seeded stack has the same keys)
and for tests that need messages in a known order."""

import uuid
from datetime import datetime

_NAMESPACE = uuid.UUID("5ae290ed-55d1-47a0-bc6d-fe2bc2700399")


def fixed_message_uuid(sent_at: datetime, name: str) -> str:
    """A UUIDv7 with ``sent_at`` in its first 48 bits, as every message key has its time, and the rest fixed by
    ``name`` (a name-based uuid's bits) instead of random: the same arguments, the same uuid."""
    milliseconds = int(sent_at.timestamp() * 1000)
    fixed = uuid.uuid5(_NAMESPACE, name).int & ((1 << 80) - 1)
    # RFC 9562: version 7 in bits 76-79, variant 0b10 in bits 62-63.
    value = (milliseconds << 80) | fixed
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return str(uuid.UUID(int=value))
