"""Safety controls: blocks (both directions), who may start a conversation, mute, through the functions as API
Gateway calls them, against moto server and PostgreSQL."""

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.api_client import ApiClient, ApiResponse
from tests.conftest import TestUser
from tests.integration.conftest import Conversation


def put(api: ApiClient, caller: TestUser, path: str, body: Any = None) -> ApiResponse:
    raw = None if body is None else json.dumps(body)
    headers = None if body is None else {"content-type": "application/json"}
    return api.request("PUT", path, caller, body=raw, headers=headers)


def block(api: ApiClient, caller: TestUser, handle: str) -> ApiResponse:
    return put(api, caller, f"/api/blocks/{handle}")


def unblock(api: ApiClient, caller: TestUser, handle: str) -> ApiResponse:
    return api.request("DELETE", f"/api/blocks/{handle}", caller)


def post(api: ApiClient, sender: TestUser, group: str, text: str = "hi") -> ApiResponse:
    return api.post("/api/messages", sender, {"message_group_uuid": group, "message": text})


def start(api: ApiClient, starter: TestUser, handle: str, text: str = "hello") -> ApiResponse:
    return api.post("/api/message_groups", starter, {"handle": handle, "message": text})


def entry(api: ApiClient, member: TestUser, group: str) -> dict[str, Any]:
    (found,) = [g for g in api.get("/api/message_groups", member).body if g["uuid"] == group]
    return found


# --- blocks ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("blocker", ["starter", "other"])
def test_while_either_blocks_neither_can_post_or_start_and_both_still_read(
    api: ApiClient, conversation: Conversation, blocker: str
) -> None:
    me = getattr(conversation, blocker)
    them = conversation.other if me is conversation.starter else conversation.starter
    group = conversation.group_uuid

    answer = block(api, me, them.handle)
    assert (answer.status, answer.body) == (200, {"handle": them.handle, "blocked": True})

    refusals = [
        post(api, me, group),
        post(api, them, group),
        start(api, me, them.handle),
        start(api, them, me.handle),
    ]
    assert [(r.status, r.error) for r in refusals] == [(403, "blocked")] * 4
    # The answer never says who blocked whom: the blocked user's refusal reads as the blocker's.
    assert refusals[0].body == refusals[1].body == refusals[2].body == refusals[3].body
    for member in (me, them):
        history = api.get(f"/api/messages/{group}", member)
        assert (history.status, [m["message"] for m in history.body]) == (200, ["hello there"])
        assert entry(api, member, group)["blocked"] is True


def test_unblocking_restores_the_conversation_unless_the_other_blocks_too(
    api: ApiClient, conversation: Conversation
) -> None:
    a, b, group = conversation.starter, conversation.other, conversation.group_uuid
    assert block(api, a, b.handle).status == 200
    assert block(api, b, a.handle).status == 200
    unblocked = unblock(api, a, b.handle)
    assert (unblocked.status, unblocked.body) == (200, {"handle": b.handle, "blocked": False})
    assert post(api, a, group).error == "blocked"  # b still blocks a
    assert unblock(api, b, a.handle).status == 200
    assert post(api, a, group).status == 201
    assert start(api, b, a.handle).status == 200
    assert entry(api, a, group)["blocked"] is False


def test_blocking_and_unblocking_again_change_nothing(api: ApiClient, conversation: Conversation) -> None:
    a, b = conversation.starter, conversation.other
    for _ in range(2):
        assert block(api, a, b.handle).body == {"handle": b.handle, "blocked": True}
    assert [u["handle"] for u in api.get("/api/blocks", a).body] == [b.handle]
    for _ in range(2):
        assert unblock(api, a, b.handle).body == {"handle": b.handle, "blocked": False}
    assert api.get("/api/blocks", a).body == []
    assert post(api, a, conversation.group_uuid).status == 201


def test_a_block_before_the_two_ever_talked_holds_once_they_would(
    api: ApiClient, new_user: Callable[..., TestUser]
) -> None:
    a, b = new_user("Wary"), new_user("Stranger")
    assert block(api, a, b.handle).status == 200
    assert [(r.status, r.error) for r in (start(api, b, a.handle), start(api, a, b.handle))] == [
        (403, "blocked"),
        (403, "blocked"),
    ]
    assert unblock(api, a, b.handle).status == 200
    started = start(api, b, a.handle, "may I?")
    assert started.status == 201, started.body
    # The block set before they talked no longer holds, and blocking now reaches the new conversation.
    assert block(api, a, b.handle).status == 200
    assert post(api, b, started.body["message_group_uuid"]).error == "blocked"


def test_the_blocked_list_is_the_caller_s_own_paged(api: ApiClient, new_user: Callable[..., TestUser]) -> None:
    me = new_user("Blocker")
    blocked = [new_user(f"Blocked {n}") for n in range(3)]
    for user in blocked:
        assert block(api, me, user.handle).status == 200
    first = api.get("/api/blocks", me, {"limit": "2"})
    assert first.status == 200
    assert len(first.body) == 2
    cursor = first.headers["link"].split("cursor=")[1].split(">")[0]
    second = api.get("/api/blocks", me, {"limit": "2", "cursor": cursor})
    listed = [u["handle"] for u in first.body + second.body]
    assert sorted(listed) == sorted(u.handle for u in blocked)
    assert {"handle", "display_name", "blocked_at"} == set(first.body[0])
    assert api.get("/api/blocks", blocked[0]).body == []  # the blocked user's own list is theirs


@pytest.mark.parametrize(
    ("handle", "status", "code"),
    [("nobody-has-this-handle", 404, "user_not_found"), ("@", 422, "validation_error")],
)
def test_blocking_an_unknown_or_malformed_handle_is_refused(
    api: ApiClient, new_user: Callable[..., TestUser], handle: str, status: int, code: str
) -> None:
    me = new_user()
    for answer in (block(api, me, handle), unblock(api, me, handle)):
        assert (answer.status, answer.error) == (status, code)


def test_nobody_can_block_themselves(api: ApiClient, new_user: Callable[..., TestUser]) -> None:
    me = new_user()
    assert (block(api, me, me.handle).status, block(api, me, f"@{me.handle}").error) == (422, "cannot_block_self")


def test_a_post_costs_no_extra_read_for_blocks(
    api: ApiClient, conversation: Conversation, dynamodb_calls: Counter
) -> None:
    dynamodb_calls.clear()
    assert post(api, conversation.starter, conversation.group_uuid).status == 201
    # The membership read, the message, and the send allowance's read and write: as before blocks existed.
    assert dynamodb_calls == Counter({"GetItem": 2, "PutItem": 1, "UpdateItem": 1})
    dynamodb_calls.clear()
    assert start(api, conversation.starter, conversation.other.handle).status == 200
    assert dynamodb_calls == Counter({"GetItem": 2, "PutItem": 1, "UpdateItem": 1})


# --- who may start a conversation --------------------------------------------------------------------------------


def test_settings_default_to_everyone_and_nobody_refuses_only_new_conversations(
    api: ApiClient, conversation: Conversation, new_user: Callable[..., TestUser]
) -> None:
    me = conversation.other
    assert api.get("/api/settings", me).body == {"new_conversations": "everyone", "read_receipts": True}
    changed = put(api, me, "/api/settings", {"new_conversations": "nobody"})
    assert (changed.status, changed.body) == (200, {"new_conversations": "nobody", "read_receipts": True})
    assert api.get("/api/settings", me).body == {"new_conversations": "nobody", "read_receipts": True}

    refused = start(api, new_user("Newcomer"), me.handle)
    assert (refused.status, refused.error) == (403, "not_accepting_messages")
    # Who already shares a conversation with me still reaches me, by C and by D.
    assert post(api, conversation.starter, conversation.group_uuid).status == 201
    assert start(api, conversation.starter, me.handle).status == 200
    # And I may still start conversations myself.
    assert start(api, me, new_user("Someone").handle).status == 201
    assert put(api, me, "/api/settings", {"new_conversations": "everyone"}).status == 200
    assert start(api, new_user("Later"), me.handle).status == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"new_conversations": "friends"},
        {"new_conversations": True},
        {"read_receipts": "no"},
        {"read_receipts": None},
        {"new_conversations": "nobody", "read_receipts": 0},
    ],
)
def test_an_unknown_setting_is_422_and_changes_nothing(
    api: ApiClient, new_user: Callable[..., TestUser], body: dict
) -> None:
    me = new_user()
    answer = put(api, me, "/api/settings", body)
    assert (answer.status, answer.error) == (422, "validation_error")
    assert api.get("/api/settings", me).body == {"new_conversations": "everyone", "read_receipts": True}


def test_a_put_changes_only_the_settings_it_names(api: ApiClient, new_user: Callable[..., TestUser]) -> None:
    me = new_user()
    off = put(api, me, "/api/settings", {"read_receipts": False})
    assert (off.status, off.body) == (200, {"new_conversations": "everyone", "read_receipts": False})
    nobody = put(api, me, "/api/settings", {"new_conversations": "nobody"})
    assert nobody.body == {"new_conversations": "nobody", "read_receipts": False}  # receipts stay off
    both = put(api, me, "/api/settings", {"new_conversations": "everyone", "read_receipts": True})
    assert both.body == {"new_conversations": "everyone", "read_receipts": True}
    assert api.get("/api/settings", me).body == both.body


# --- mute --------------------------------------------------------------------------------------------------------


def test_mute_is_the_caller_s_own_and_pattern_b_shows_it(api: ApiClient, conversation: Conversation) -> None:
    group, me, them = conversation.group_uuid, conversation.starter, conversation.other
    assert entry(api, me, group)["muted"] is False
    muted = put(api, me, f"/api/message_groups/{group}/mute", {"muted": True})
    assert (muted.status, muted.body) == (200, {"uuid": group, "muted": True})
    assert entry(api, me, group)["muted"] is True
    assert entry(api, them, group)["muted"] is False
    assert post(api, them, group, "still delivered").status == 201
    assert put(api, me, f"/api/message_groups/{group}/mute", {"muted": False}).body["muted"] is False
    assert entry(api, me, group)["muted"] is False


def test_muting_a_conversation_one_is_not_in_is_the_403_of_a_missing_one(
    api: ApiClient, conversation: Conversation, new_user: Callable[..., TestUser]
) -> None:
    answer = put(api, new_user(), f"/api/message_groups/{conversation.group_uuid}/mute", {"muted": True})
    assert (answer.status, answer.error) == (403, "not_a_member")
    bad = put(api, conversation.starter, f"/api/message_groups/{conversation.group_uuid}/mute", {"muted": "yes"})
    assert (bad.status, bad.error) == (422, "validation_error")
