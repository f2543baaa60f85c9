"""Opaque pagination cursors: the key of the last item returned, as base64url JSON.

A cursor is only accepted for the partition it was issued for and with exactly the key attributes of its query,
so a forged, edited or foreign cursor is an ``InvalidCursor`` (400), never a DynamoDB error or another user's data.
"""

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any

from messaging.errors import InvalidCursor

_MAX_VALUE_LENGTH = 1024


def encode_cursor(item: Mapping[str, Any], attributes: Sequence[str]) -> str:
    position = {name: item[name]["S"] for name in attributes}
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, attributes: Sequence[str], partition: str) -> dict[str, dict[str, str]]:
    """Returns the DynamoDB ``ExclusiveStartKey`` the cursor stands for."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeError) as error:
        raise InvalidCursor("The cursor is malformed.") from error
    if (
        not isinstance(position, dict)
        or set(position) != set(attributes)
        or not all(isinstance(v, str) and 0 < len(v) <= _MAX_VALUE_LENGTH for v in position.values())
        or position["pk"] != partition
    ):
        raise InvalidCursor("The cursor does not belong to this listing.")
    return {name: {"S": value} for name, value in position.items()}
