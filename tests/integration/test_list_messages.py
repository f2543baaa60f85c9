"""Pattern A: GET /api/messages/{message_group_uuid}."""

import base64
import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api_client import ApiClient
from tests.integration.conftest import Conversation


def post(api: ApiClient, conversation: Conversation, text: str, sender: str = "starter") -> dict:
    caller = getattr(conversation, sender)
    response = api.post("/api/messages", caller, {"message_group_uuid": conversation.group_uuid, "message": text})
    assert response.status == 201, response.body
    return response.body


def next_link(headers: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    link = headers.get("link")
    if link is None:
        return None
    found = re.fullmatch(r'<([^>]+)>; rel="next"', link)
    assert found, link
    parts = urlsplit(found.group(1))
    return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


def test_members_read_the_conversation_oldest_first(api: ApiClient, conversation: Conversation) -> None:
    post(api, conversation, "second", sender="other")
    post(api, conversation, "third")

    for member in (conversation.starter, conversation.other):
        response = api.get(f"/api/messages/{conversation.group_uuid}", member)
        assert response.status == 200
        assert [m["message"] for m in response.body] == ["hello there", "second", "third"]
        assert "link" not in response.headers

    first, second, third = response.body
    assert set(first) == {"uuid", "display_name", "handle", "message", "created_at", "edited_at", "deleted_at"}
    assert (first["handle"], first["display_name"]) == (conversation.starter.handle, "Starter")
    assert (second["handle"], second["display_name"]) == (conversation.other.handle, "Other")
    assert first["created_at"] < second["created_at"] < third["created_at"]


def test_a_sender_sees_their_message_at_once(api: ApiClient, conversation: Conversation) -> None:
    sent = post(api, conversation, "just now")
    latest = api.get(f"/api/messages/{conversation.group_uuid}", conversation.starter, {"limit": "1"}).body
    assert latest == [sent]


def test_pagination_walks_104_messages_without_gap_or_duplicate(api: ApiClient, conversation: Conversation) -> None:
    sent = ["hello there"] + [post(api, conversation, f"message {i:03}")["message"] for i in range(103)]

    pages, path, query = [], f"/api/messages/{conversation.group_uuid}", {"limit": "10"}
    while True:
        response = api.get(path, conversation.other, query)
        assert response.status == 200
        pages.append([m["message"] for m in response.body])
        link = next_link(response.headers)
        if link is None:
            break
        path, query = link
        assert query["limit"] == "10"

    # Pages go back in time; each page reads oldest first.
    assert [len(page) for page in pages] == [10] * 10 + [4]
    received = [message for page in reversed(pages) for message in page]
    assert received == sent


def test_the_default_page_is_20_and_the_limit_is_bounded(api: ApiClient, conversation: Conversation) -> None:
    for i in range(25):
        post(api, conversation, f"m{i}")
    path = f"/api/messages/{conversation.group_uuid}"

    assert len(api.get(path, conversation.starter).body) == 20
    assert len(api.get(path, conversation.starter, {"limit": "100"}).body) == 26
    for bad in ("0", "101", "-1", "ten", ""):
        response = api.get(path, conversation.starter, {"limit": bad})
        assert (response.status, response.error) == (422, "validation_error"), bad
        assert response.body["details"][0]["field"] == "limit"


def test_non_members_get_403_and_cannot_tell_whether_the_group_exists(
    api: ApiClient, conversation: Conversation, new_user
) -> None:
    stranger = new_user()
    existing = api.get(f"/api/messages/{conversation.group_uuid}", stranger)
    missing = api.get(f"/api/messages/{uuid.uuid4()}", stranger)
    assert (existing.status, existing.error) == (403, "not_a_member")
    assert (missing.status, missing.body) == (existing.status, existing.body)


def test_a_malformed_group_id_is_422(api: ApiClient, conversation: Conversation) -> None:
    response = api.get("/api/messages/not-a-uuid", conversation.starter)
    assert (response.status, response.error) == (422, "validation_error")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",  # "not json"
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(json.dumps({"pk": "MSG#x"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"pk": "MSG#x", "sk": "", "extra": "1"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"pk": 1, "sk": 2}).encode()).decode(),
    ],
)
def test_a_malformed_cursor_is_400(api: ApiClient, conversation: Conversation, cursor: str) -> None:
    response = api.get(f"/api/messages/{conversation.group_uuid}", conversation.starter, {"cursor": cursor})
    assert (response.status, response.error) == (400, "invalid_cursor")


def test_a_cursor_of_another_conversation_is_400_not_its_messages(
    api: ApiClient, start_conversation, conversation: Conversation
) -> None:
    elsewhere = start_conversation("secret")
    for i in range(3):
        post(api, elsewhere, f"secret {i}")
    foreign = api.get(f"/api/messages/{elsewhere.group_uuid}", elsewhere.starter, {"limit": "1"})
    _, query = next_link(foreign.headers)

    response = api.get(f"/api/messages/{conversation.group_uuid}", conversation.starter, query)
    assert (response.status, response.error) == (400, "invalid_cursor")


def test_an_edited_cursor_stays_inside_the_conversation(api: ApiClient, conversation: Conversation) -> None:
    for i in range(3):
        post(api, conversation, f"m{i}")
    position = {"pk": f"MSG#{conversation.group_uuid}", "sk": "9999-12-31T00:00:00.000000+00:00#z"}
    cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")

    response = api.get(f"/api/messages/{conversation.group_uuid}", conversation.starter, {"cursor": cursor})
    assert response.status == 200
    assert [m["message"] for m in response.body] == ["hello there", "m0", "m1", "m2"]
