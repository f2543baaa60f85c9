"""Opaque pagination cursors: the key of the last item returned, as base64url JSON.

A cursor is only accepted for the partition it was issued for and with exactly the key attributes of its query,
so a forged, edited or foreign cursor is an ``InvalidCursor`` (400), never a DynamoDB error or another user's data.
"""

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from messaging.core.errors import InvalidCursor
from messaging.core.json_input import parse_json

# DynamoDB refuses a sort key over 1024 bytes of UTF-8; the keys this service writes are far shorter.
_MAX_VALUE_BYTES = 1024


def encode_cursor(item: Mapping[str, Any], attributes: Sequence[str]) -> str:
    position = {name: item[name]["S"] for name in attributes}
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, attributes: Sequence[str], partition: str) -> dict[str, dict[str, str]]:
    """Returns the DynamoDB ``ExclusiveStartKey`` the cursor stands for."""
    position = _parse(cursor)
    if (
        not isinstance(position, dict)
        or set(position) != set(attributes)
        or not all(_is_key_value(value) for value in position.values())
        or position["pk"] != partition
    ):
        raise InvalidCursor("The cursor does not belong to this listing.")
    return {name: {"S": value} for name, value in position.items()}


def _parse(cursor: str) -> Any:
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        return parse_json(raw.decode("utf-8"))
    # binascii.Error, UnicodeDecodeError and NotJson (deep nesting included) are all ValueErrors.
    except ValueError as error:
        raise InvalidCursor("The cursor is malformed.") from error


def _is_key_value(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in the JSON) is not text DynamoDB can store
        return False
    return 0 < size <= _MAX_VALUE_BYTES
