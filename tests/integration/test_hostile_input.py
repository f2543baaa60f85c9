"""Hostile fields: each is stored exactly or refused with its documented error; none leaks data or yields a 5xx."""

import json

import pytest

from local.api_client import ApiClient
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
