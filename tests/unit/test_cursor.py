import base64
import json

import pytest

from messaging.core.errors import InvalidCursor
from messaging.table.cursor import decode_cursor, encode_cursor

ITEM = {"pk": {"S": "MSG#g1"}, "sk": {"S": "2026-01-01T00:00:00.000000+00:00#m1"}, "message": {"S": "secret"}}


def test_a_cursor_round_trips_to_the_exclusive_start_key_and_is_opaque() -> None:
    cursor = encode_cursor(ITEM, ("pk", "sk"))
    assert "=" not in cursor
    assert "secret" not in base64.urlsafe_b64decode(cursor + "==").decode()
    assert decode_cursor(cursor, ("pk", "sk"), "MSG#g1") == {"pk": ITEM["pk"], "sk": ITEM["sk"]}


def _forge(position: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def _raw(text: str | bytes) -> str:
    """A cursor of any bytes at all, encoded as the service encodes its own."""
    data = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


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
        # Whatever a client can send is a refusal, never another exception (issue 11, item 4):
        _raw("[" * 1500),  # deeper than json's recursion limit
        _raw('{"pk":' * 1500),
        _raw('{"pk": "MSG#g1", "sk": ' + "[" * 1500 + "]" * 1500 + "}"),
        _raw('{"pk": "MSG#g1", "sk": NaN}'),
        _raw('{"pk": "MSG#g1", "sk": Infinity}'),
        _raw('{"pk": "MSG#g1", "sk": 1e400}'),
        _raw('{"pk": "MSG#g1", "sk": ' + "9" * 5000 + "}"),  # more digits than int() converts
        _raw('{"pk": "MSG#g1", "sk": "\\ud800"}'),  # a lone surrogate is not text
        _forge({"pk": "MSG#g1", "sk": "é" * 513}),  # 1026 bytes: over DynamoDB's key limit
        _raw(b"\xff\xfe{}"),  # not UTF-8
        _raw(json.dumps({"pk": "MSG#g1", "sk": "x"}).encode("utf-16")),
        _forge({"pk": "MSG#g1", "sk": "x"}) + "!",  # not base64url
        _forge({"pk": "MSG#g1", "sk": "x"})[:-3],  # truncated
        "=",
        "\x00",
    ],
)
def test_forged_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, ("pk", "sk"), "MSG#g1")


def test_a_key_value_of_exactly_1024_bytes_is_accepted() -> None:
    cursor = _forge({"pk": "MSG#g1", "sk": "é" * 512})
    assert decode_cursor(cursor, ("pk", "sk"), "MSG#g1")["sk"] == {"S": "é" * 512}
