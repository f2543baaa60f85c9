import base64
import json

import pytest

from messaging.dal.cursor import decode_cursor, encode_cursor
from messaging.errors import InvalidCursor

ITEM = {"pk": {"S": "MSG#g1"}, "sk": {"S": "2026-01-01T00:00:00.000000+00:00#m1"}, "message": {"S": "secret"}}


def test_a_cursor_round_trips_to_the_exclusive_start_key_and_is_opaque() -> None:
    cursor = encode_cursor(ITEM, ("pk", "sk"))
    assert "=" not in cursor
    assert "secret" not in base64.urlsafe_b64decode(cursor + "==").decode()
    assert decode_cursor(cursor, ("pk", "sk"), "MSG#g1") == {"pk": ITEM["pk"], "sk": ITEM["sk"]}


def _forge(position: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "***",
        "é",
        _forge(["pk", "sk"]),
        _forge({"pk": "MSG#g2", "sk": "x"}),  # another partition
        _forge({"pk": "MSG#g1"}),
        _forge({"pk": "MSG#g1", "sk": "x", "more": "y"}),
        _forge({"pk": "MSG#g1", "sk": ""}),
        _forge({"pk": "MSG#g1", "sk": "x" * 1025}),
        _forge({"pk": "MSG#g1", "sk": {"S": "x"}}),
    ],
)
def test_forged_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, ("pk", "sk"), "MSG#g1")
