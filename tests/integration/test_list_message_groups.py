"""Pattern B: GET /api/message_groups, and the stream (pattern E) keeping it current."""

import base64
import json

import pytest

from local.stack import EmulatedStack
from tests.api_client import ApiClient
from tests.integration.test_list_messages import next_link

PATH = "/api/message_groups"


def test_conversations_come_most_recent_activity_first(api: ApiClient, stack: EmulatedStack, new_user) -> None:
    me = new_user("Me")
    friends = [new_user(f"Friend {i}") for i in range(3)]
    groups = [api.post(PATH, me, {"handle": f.handle, "message": f"hi {i}"}).body for i, f in enumerate(friends)]
    assert [g["handle"] for g in api.get(PATH, me).body] == [f.handle for f in reversed(friends)]

    # The oldest conversation gets a reply; once the stream is applied it moves to the top for both members.
    reply = api.post(
        "/api/messages", friends[0], {"message_group_uuid": groups[0]["message_group_uuid"], "message": "back"}
    )
    stack.stream.drain()

    mine = api.get(PATH, me).body
    assert [g["handle"] for g in mine] == [friends[0].handle, friends[2].handle, friends[1].handle]
    top = mine[0]
    assert top == {
        "uuid": groups[0]["message_group_uuid"],
        "display_name": "Friend 0",
        "handle": friends[0].handle,
        "message": "back",
        "created_at": reply.body["created_at"],
        "unread_count": 1,  # the reply; my own first message was read by sending it
        "muted": False,
        "blocked": False,
        "request": False,  # the reply accepted my request
        "awaiting_acceptance": False,
    }
    theirs = api.get(PATH, friends[0]).body
    assert [(g["handle"], g["message"], g["created_at"]) for g in theirs] == [
        (me.handle, "back", reply.body["created_at"])
    ]


def test_pagination_walks_every_conversation_once(api: ApiClient, new_user) -> None:
    me = new_user()
    handles = [api.post(PATH, me, {"handle": new_user().handle, "message": "hi"}).body for _ in range(7)]
    assert len(handles) == 7

    seen, query = [], {"limit": "3"}
    while True:
        response = api.get(PATH, me, query)
        assert response.status == 200
        seen.extend(g["uuid"] for g in response.body)
        link = next_link(response.headers)
        if link is None:
            break
        assert link[0] == PATH
        query = link[1]
    assert sorted(seen) == sorted(h["message_group_uuid"] for h in handles)
    assert len(seen) == len(set(seen)) == 7


def test_someone_without_conversations_gets_an_empty_list(api: ApiClient, new_user) -> None:
    response = api.get(PATH, new_user())
    assert (response.status, response.body) == (200, [])
    assert "link" not in response.headers


def test_another_users_cursor_is_400_not_their_conversations(api: ApiClient, new_user) -> None:
    victim, attacker = new_user(), new_user()
    for _ in range(2):
        api.post(PATH, victim, {"handle": new_user().handle, "message": "private"})
    _, query = next_link(api.get(PATH, victim, {"limit": "1"}).headers)

    response = api.get(PATH, attacker, query)
    assert (response.status, response.error) == (400, "invalid_cursor")


@pytest.mark.parametrize("position", [{"pk": "GRP#x", "sk": "GRP#y"}, {"pk": "GRP#x"}, {}])
def test_a_cursor_with_the_wrong_attributes_is_400(api: ApiClient, new_user, position: dict) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode()
    response = api.get(PATH, new_user(), {"cursor": cursor})
    assert (response.status, response.error) == (400, "invalid_cursor")
