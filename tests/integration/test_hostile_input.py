"""Hostile fields: each is stored exactly or refused with its documented error; none leaks data or yields a 5xx."""

import base64
import json

import pytest

from local.stack import EmulatedStack
from tests.api_client import ApiClient, access_token_claims
from tests.http_api_events import http_api_event
from tests.integration.conftest import Conversation

EXACT_TEXTS = [
    "🙂🚀👩‍👩‍👧‍👦 family emoji (one grapheme, seven code points)",
    "مرحبا بالعالم — right-to-left",
    "e\u0301 combining accent, Z̤̈́a͟l̶g̷o",
    "NUL \u0000 inside",
    "tab\tand\nnew line inside",
    "'; DROP TABLE users; --",
    "<img src=x onerror=alert(1)>",
    "\u202eRTL override",
]


@pytest.mark.parametrize("text", EXACT_TEXTS)
def test_unicode_and_markup_are_stored_exactly(api: ApiClient, conversation: Conversation, text: str) -> None:
    posted = api.post(
        "/api/messages", conversation.starter, {"message_group_uuid": conversation.group_uuid, "message": text}
    )
    assert posted.status == 201, posted.body
    stored = api.get(f"/api/messages/{conversation.group_uuid}", conversation.other, {"limit": "1"}).body
    assert stored[0]["message"] == text == posted.body["message"]


def test_a_lone_surrogate_is_refused_not_a_500(api: ApiClient, conversation: Conversation) -> None:
    raw = '{"message_group_uuid": "%s", "message": "broken \\ud800 text"}' % conversation.group_uuid  # noqa: UP031
    response = api.post("/api/messages", conversation.starter, raw)
    assert (response.status, response.error) == (422, "validation_error")


@pytest.mark.parametrize(
    "handle",
    ["' OR '1'='1", "andrewbrown'; --", "%", "_", "\\", 'bayko"', "🙂", "a" * 100],
)
def test_sql_metacharacters_in_handles_find_nobody(api: ApiClient, new_user, handle: str) -> None:
    response = api.post("/api/message_groups", new_user(), {"handle": handle, "message": "hi"})
    assert (response.status, response.error) == (404, "user_not_found")


@pytest.mark.parametrize("handle", ["a" * 101, "x" * 10_000, "nul\u0000byte", "line\nbreak", "\u007f"])
def test_overlong_or_control_character_handles_are_422(api: ApiClient, new_user, handle: str) -> None:
    response = api.post("/api/message_groups", new_user(), {"handle": handle, "message": "hi"})
    assert (response.status, response.error) == (422, "validation_error")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "1e2"},
        {"limit": "10.5"},
        {"limit": "99999999999999999999999"},
        {"cursor": "\u0000"},
        {"cursor": "🙂"},
        {"cursor": "x" * 2049},
    ],
)
def test_hostile_query_strings_are_4xx(api: ApiClient, conversation: Conversation, query: dict) -> None:
    response = api.get(f"/api/messages/{conversation.group_uuid}", conversation.starter, query)
    assert response.status in {400, 422}
    assert response.error in {"invalid_cursor", "validation_error"}


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_00,  # deep nesting, but under 16 KiB
        '{"message_group_uuid": {"$gt": ""}, "message": "hi"}',
        '{"message_group_uuid": null, "message": null}',
        json.dumps({"message_group_uuid": "../../etc/passwd", "message": "hi"}),
        "\ufeff{}",
    ],
)
def test_hostile_bodies_are_4xx(api: ApiClient, conversation: Conversation, raw: str) -> None:
    response = api.post("/api/messages", conversation.starter, raw)
    assert 400 <= response.status < 500
    assert response.error in {"invalid_json", "validation_error"}


# Issue 11, item 4: every parser of client input refuses what it cannot read with a 4xx, never a 500.


def _cursor(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _position(partition: str, attributes: tuple[str, ...], last: str) -> str:
    """A cursor's JSON with the right partition and attributes, the last attribute's value being raw JSON."""
    fields = [f'"pk": {json.dumps(partition)}', *(f'"{name}": "x"' for name in attributes[1:-1])]
    return "{" + ", ".join([*fields, f'"{attributes[-1]}": {last}']) + "}"


HOSTILE_CURSOR_VALUES = {
    "unclosed nesting": "[" * 1400,
    "NaN": "NaN",
    "Infinity": "-Infinity",
    "a float overflowing to infinity": "1e400",
    "an integer of more digits than int() converts": "9" * 1200,
    "a lone surrogate": '"\\ud800"',
    "a key over 1024 bytes of UTF-8": json.dumps("é" * 600, ensure_ascii=False),
}


def _listings(conversation: Conversation) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """Each listing route: its path, the caller's partition and its cursor attributes."""
    return {
        "messages": (f"/api/messages/{conversation.group_uuid}", f"MSG#{conversation.group_uuid}", ("pk", "sk")),
        "groups": ("/api/message_groups", f"GRP#{conversation.starter.uuid}", ("pk", "sk", "last_message_at")),
    }


@pytest.mark.parametrize("listing", ["messages", "groups"])
@pytest.mark.parametrize(
    "raw",
    # A cursor is at most 2048 characters: only arrays ("[" a byte a level) nest past json's recursion limit.
    ["[" * 1500, "[" * 750 + "]" * 750, b"\xff\xfe{}", json.dumps({"pk": 1}).encode("utf-16")],
    ids=["nested deeper than json's recursion limit", "nested 750 deep", "not UTF-8", "UTF-16"],
)
def test_cursors_that_are_not_json_are_400(
    api: ApiClient, conversation: Conversation, listing: str, raw: str | bytes
) -> None:
    path, _, _ = _listings(conversation)[listing]
    response = api.get(path, conversation.starter, {"cursor": _cursor(raw)})
    assert (response.status, response.error) == (400, "invalid_cursor"), response.body
    assert set(response.body) == {"error", "message"}


@pytest.mark.parametrize("listing", ["messages", "groups"])
@pytest.mark.parametrize("value", HOSTILE_CURSOR_VALUES.values(), ids=HOSTILE_CURSOR_VALUES.keys())
def test_cursors_of_the_right_shape_with_hostile_values_are_400(
    api: ApiClient, conversation: Conversation, listing: str, value: str
) -> None:
    path, partition, attributes = _listings(conversation)[listing]
    response = api.get(path, conversation.starter, {"cursor": _cursor(_position(partition, attributes, value))})
    assert (response.status, response.error) == (400, "invalid_cursor"), response.body


def _message_count(api: ApiClient, conversation: Conversation) -> int:
    return len(api.get(f"/api/messages/{conversation.group_uuid}", conversation.other, {"limit": "100"}).body)


HOSTILE_JSON_VALUES = {
    "closed nesting deeper than json's recursion limit": "[" * 5000 + "]" * 5000,
    "unclosed nesting": "[" * 15000,
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "a float overflowing to infinity": "1e400",
    "a float overflowing to -infinity": "-1e400",
    "an integer of more digits than int() converts": "9" * 5000,
}


@pytest.mark.parametrize("value", HOSTILE_JSON_VALUES.values(), ids=HOSTILE_JSON_VALUES.keys())
def test_bodies_that_are_not_json_are_400_even_in_an_ignored_field(
    api: ApiClient, conversation: Conversation, value: str
) -> None:
    raw = '{"message_group_uuid": "%s", "message": "hi", "extra": %s}' % (conversation.group_uuid, value)  # noqa: UP031
    response = api.post("/api/messages", conversation.starter, raw)
    assert (response.status, response.error) == (400, "invalid_json"), response.body
    assert set(response.body) == {"error", "message"}
    assert _message_count(api, conversation) == 1


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-32"),
        lambda text: text.replace("hi", "h\udc80i").encode("utf-8", "surrogateescape"),  # a stray byte 0x80
        lambda text: text.replace("hi", "h\ud800i").encode("utf-8", "surrogatepass"),  # an encoded surrogate
    ],
    ids=["UTF-16", "UTF-32", "invalid UTF-8", "encoded surrogate"],
)
def test_bodies_that_are_not_utf8_are_400(api: ApiClient, conversation: Conversation, encode) -> None:
    text = json.dumps({"message_group_uuid": conversation.group_uuid, "message": "hi"})
    response = api.post("/api/messages", conversation.starter, encode(text))  # bytes: sent base64-encoded
    assert (response.status, response.error) == (400, "invalid_json"), response.body
    assert _message_count(api, conversation) == 1


def test_a_utf8_body_with_a_byte_order_mark_is_read(api: ApiClient, conversation: Conversation) -> None:
    text = json.dumps({"message_group_uuid": conversation.group_uuid, "message": "hi"})
    response = api.post("/api/messages", conversation.starter, text.encode("utf-8-sig"))
    assert response.status == 201, response.body


@pytest.mark.parametrize("body", ["not base64!", "aGk", "é"])
def test_a_body_flagged_base64_that_is_not_is_400(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, body: str
) -> None:
    route = stack.template.functions["CreateMessageFunction"].http_routes[0]
    event = http_api_event(route, "/api/messages", {}, body=body, claims=access_token_claims(conversation.starter.sub))
    event["isBase64Encoded"] = True
    result = stack.functions.invoke("CreateMessageFunction", event)
    assert (result["statusCode"], json.loads(result["body"])["error"]) == (400, "invalid_json")


@pytest.mark.parametrize(
    "limit", ["9" * 5000, "1e400", "NaN", "Infinity", "-Infinity", "0x10", "\u0661\u0660", "", "1,2", "\u0000"]
)
def test_hostile_limits_are_422(api: ApiClient, conversation: Conversation, limit: str) -> None:
    for path in (f"/api/messages/{conversation.group_uuid}", "/api/message_groups"):
        response = api.get(path, conversation.starter, {"limit": limit})
        assert (response.status, response.error) == (422, "validation_error"), response.body
        assert response.body["details"][0]["field"] == "limit"


@pytest.mark.parametrize(
    "group", ["x" * 5000, "..", "%00", "\u0000", "🙂", "5ae290ed-55d1-47a0-bc6d-fe2bc270039g", "[" * 1500]
)
def test_hostile_path_parameters_are_422(api: ApiClient, conversation: Conversation, group: str) -> None:
    response = api.get(f"/api/messages/{group}", conversation.starter)
    assert (response.status, response.error) == (422, "validation_error"), response.body


@pytest.mark.parametrize("key", ["", "é", "a\u0000b", "tab\there", "k" * 129, "\u2028", "🙂" * 40])
def test_hostile_idempotency_keys_are_422_and_write_nothing(
    api: ApiClient, conversation: Conversation, key: str
) -> None:
    body = {"message_group_uuid": conversation.group_uuid, "message": "hi"}
    response = api.post("/api/messages", conversation.starter, body, headers={"Idempotency-Key": key})
    assert (response.status, response.error) == (422, "validation_error"), response.body
    assert _message_count(api, conversation) == 1
