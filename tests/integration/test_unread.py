"""Unread counts and read markers: after pattern E catches up, each member's unread_count is the
number of messages from the other member after their read marker, capped at 100, whatever the stream does."""

import json
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.stack import EmulatedStack
from messaging.activity import batches
from tests.api_client import ApiClient, ApiResponse
from tests.conftest import TestUser
from tests.integration.conftest import Conversation
from tests.integration.test_message_stream import apply, stream_records

UNREAD_CAP = 100


def group_item(stack: EmulatedStack, owner: TestUser, group: str) -> dict[str, Any]:
    return stack.client("dynamodb").get_item(
        TableName=stack.template.table_name("MessagesTable"),
        Key={"pk": {"S": f"GRP#{owner.uuid}"}, "sk": {"S": f"GRP#{group}"}},
        ConsistentRead=True,
    )["Item"]


def all_messages(api: ApiClient, member: TestUser, group: str) -> list[dict[str, Any]]:
    return api.get(f"/api/messages/{group}", member, query={"limit": "100"}).body


def expected_unread(api: ApiClient, stack: EmulatedStack, owner: TestUser, other: TestUser, group: str) -> int:
    """The definition, computed from the messages and the owner's read marker: the other member's messages after
    it that are not deleted."""
    read = group_item(stack, owner, group).get("last_read_sk", {}).get("S", "")
    unread = [
        m
        for m in all_messages(api, owner, group)
        if m["handle"] == other.handle and key(m) > read and m["deleted_at"] is None
    ]
    return min(len(unread), UNREAD_CAP)


def key(message: dict[str, Any]) -> str:
    """A message's key in its group: its uuid (a UUIDv7)."""
    return str(message["uuid"])


def message_records(stack: EmulatedStack, group_uuid: str) -> list[dict]:
    """The group's message records: sent (INSERT), edited or deleted (MODIFY), in stream order."""
    return [r for r in stream_records(stack) if r["dynamodb"]["Keys"]["pk"]["S"] == f"MSG#{group_uuid}"]


def listed_unread(api: ApiClient, member: TestUser, group: str) -> int:
    (entry,) = [g for g in api.get("/api/message_groups", member).body if g["uuid"] == group]
    return entry["unread_count"]


def post(api: ApiClient, sender: TestUser, group: str, text: str = "hi") -> dict[str, Any]:
    response = api.post("/api/messages", sender, {"message_group_uuid": group, "message": text})
    assert response.status == 201, response.body
    return response.body


def put_read(api: ApiClient, member: TestUser, group: str, body: dict[str, Any]) -> ApiResponse:
    path = f"/api/message_groups/{group}/read"
    return api.request("PUT", path, member, body=json.dumps(body), headers={"content-type": "application/json"})


def mark_read(api: ApiClient, member: TestUser, group: str, message: dict[str, Any]) -> ApiResponse:
    return put_read(api, member, group, {"uuid": message["uuid"]})


def change(api: ApiClient, sender: TestUser, group: str, message: dict[str, Any], *, delete: bool) -> ApiResponse:
    path = f"/api/messages/{group}/{message['uuid']}"
    if delete:
        return api.request("DELETE", path, sender)
    body = json.dumps({"message": f"{message['message'] or ''} (edited)"[-1000:]})
    return api.request("PATCH", path, sender, body=body, headers={"content-type": "application/json"})


def test_unread_counts_follow_the_definition_once_the_stream_drained(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    me, them, group = conversation.starter, conversation.other, conversation.group_uuid
    for text in ("two", "three"):
        post(api, me, group, text)
    post(api, them, group, "a reply reads everything before it")
    post(api, me, group, "four")
    stack.stream.drain()

    assert listed_unread(api, them, group) == 1 == expected_unread(api, stack, them, me, group)
    assert listed_unread(api, me, group) == 0 == expected_unread(api, stack, me, them, group)


def test_the_newest_message_is_marked_read_in_one_write(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, dynamodb_calls: Counter
) -> None:
    me, them, group = conversation.starter, conversation.other, conversation.group_uuid
    newest = post(api, me, group, "read me")
    stack.stream.drain()
    assert listed_unread(api, them, group) == 2
    dynamodb_calls.clear()

    response = mark_read(api, them, group, newest)

    # One write of the messages table; and the read marker's allowance (a GetItem and an UpdateItem of the
    # limits table).
    assert dynamodb_calls == Counter({"UpdateItem": 1}) + Counter({"GetItem": 1, "UpdateItem": 1})
    assert (response.status, response.body) == (
        200,
        {"uuid": group, "unread_count": 0, "last_read_at": newest["created_at"]},
    )
    assert listed_unread(api, them, group) == 0


def test_a_marker_in_the_middle_leaves_the_later_messages_unread_and_never_moves_back(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    me, them, group = conversation.starter, conversation.other, conversation.group_uuid
    sent = [post(api, me, group, f"m{n}") for n in range(4)]
    stack.stream.drain()

    middle = mark_read(api, them, group, sent[1])
    assert (middle.status, middle.body["unread_count"]) == (200, 2)
    older = mark_read(api, them, group, sent[0])  # an older marker changes nothing
    assert older.status == 200
    assert older.body == {"uuid": group, "unread_count": 2, "last_read_at": sent[1]["created_at"]}
    assert listed_unread(api, them, group) == 2 == expected_unread(api, stack, them, me, group)


def test_a_marker_ahead_of_the_stream_holds_once_the_stream_catches_up(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    me, them, group = conversation.starter, conversation.other, conversation.group_uuid
    stack.stream.drain()
    latest = [post(api, me, group, f"fresh {n}") for n in range(3)][-1]  # not yet through the stream

    response = mark_read(api, them, group, latest)
    stack.stream.drain()

    assert (response.status, response.body["unread_count"]) == (200, 0)
    assert listed_unread(api, them, group) == 0 == expected_unread(api, stack, them, me, group)


def test_a_non_member_and_an_unknown_group_get_the_same_403(
    api: ApiClient, conversation: Conversation, new_user: Callable[..., TestUser]
) -> None:
    message = all_messages(api, conversation.starter, conversation.group_uuid)[0]
    stranger = new_user()
    assert mark_read(api, stranger, conversation.group_uuid, message).status == 403
    assert mark_read(api, conversation.starter, str(uuid.uuid4()), message).status == 403


@pytest.mark.parametrize(
    "body",
    [
        {"created_at": "2026-11-25T07:38:17.123456+00:00", "uuid": str(uuid.uuid4())},  # no such message
        {"created_at": "2026-11-25T07:38:17Z", "uuid": str(uuid.uuid4())},  # not a message time
        {"created_at": "2026-11-25T07:38:17.123456+00:00", "uuid": "not-a-uuid"},
        {"uuid": str(uuid.uuid4())},
        {"created_at": "2026-11-25T07:38:17.123456+00:00"},  # the uuid names the message
    ],
)
def test_a_message_not_in_the_group_is_422(api: ApiClient, conversation: Conversation, body: dict) -> None:
    response = put_read(api, conversation.other, conversation.group_uuid, body)
    assert response.status == 422, response.body


def test_an_old_client_s_created_at_is_accepted_beside_the_uuid(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    me, them, group = conversation.starter, conversation.other, conversation.group_uuid
    newest = post(api, me, group, "read me the old way")
    stack.stream.drain()
    response = put_read(api, them, group, {"created_at": newest["created_at"], "uuid": newest["uuid"]})
    assert (response.status, response.body["unread_count"], response.body["last_read_at"]) == (
        200,
        0,
        newest["created_at"],
    )


# Property: any interleaving of sends, edits, deletions, read markers and stream deliveries (duplicated,
# reordered, partly failed) ends, once the stream has delivered everything, with every count, marker and preview
# as the definition says.

steps = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.integers(0, 1)),
        st.tuples(st.just("edit"), st.integers(0, 30)),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("read"), st.integers(0, 1), st.integers(0, 30)),
        st.tuples(st.just("deliver"), st.lists(st.integers(0, 30), max_size=6), st.booleans()),
    ),
    min_size=1,
    max_size=14,
)


def fail_second_member(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pattern E fails the second member update it makes: a partial batch failure the stream retries."""
    real = batches.MemberUpdate.apply
    calls = iter(range(1, 1_000))

    def apply(update: batches.MemberUpdate) -> None:
        if next(calls) == 2:
            raise RuntimeError("injected failure")
        real(update)

    monkeypatch.setattr(batches.MemberUpdate, "apply", apply)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(steps=steps)
def test_any_interleaving_ends_as_the_definition_says(
    api: ApiClient, stack: EmulatedStack, start_conversation: Callable[..., Conversation], steps: list[tuple]
) -> None:
    conversation = start_conversation("first")
    members = (conversation.starter, conversation.other)
    group = conversation.group_uuid
    markers: dict[str, str] = {}
    for step in steps:
        if step[0] == "send":
            post(api, members[step[1]], group)
        elif step[0] in {"edit", "delete"}:
            seen = all_messages(api, members[0], group)
            message = seen[step[1] % len(seen)]
            sender = next(member for member in members if member.handle == message["handle"])
            response = change(api, sender, group, message, delete=step[0] == "delete")
            assert response.status == 200 or (response.status, response.error) in {
                (409, "message_deleted"),
                (422, "edit_window_closed"),
            }, response.body
        elif step[0] == "read":
            seen = all_messages(api, members[step[1]], group)
            message = seen[step[2] % len(seen)]
            assert mark_read(api, members[step[1]], group, message).status == 200
            who = members[step[1]].uuid
            markers[who] = max(markers.get(who, ""), key(message))
        else:
            records = message_records(stack, group)
            batch = [records[i % len(records)] for i in step[1]]
            if batch:
                with pytest.MonkeyPatch.context() as patch:
                    if step[2]:
                        fail_second_member(patch)
                    apply(stack, batch)
    assert apply(stack, message_records(stack, group)) == []  # the stream catches up: everything, in order

    history = all_messages(api, members[0], group)
    for owner, other in (members, members[::-1]):
        item = group_item(stack, owner, group)
        own = [key(m) for m in history if m["handle"] == owner.handle]
        assert item.get("last_read_sk", {}).get("S", "") == max([markers.get(owner.uuid, ""), *own])
        assert listed_unread(api, owner, group) == expected_unread(api, stack, owner, other, group)
        assert item["last_message_sk"]["S"] == key(history[-1])
        (listed,) = [g for g in api.get("/api/message_groups", owner).body if g["uuid"] == group]
        assert listed["message"] == history[-1]["message"]  # the newest message as it now is: edited, or deleted
