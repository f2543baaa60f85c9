"""The typing route without a server: who is told, who is refused, what is dropped quietly, and that the frame limit
binds it as it binds $default. The template's tables in moto's in-process mock; the management API's posts are
recorded instead of sent (the e2e tests, tests/e2e/test_typing.py, send them over real sockets)."""

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from messaging.core import aws
from messaging.core.config import settings
from messaging.core.domain import Message, User
from messaging.limits import gcra
from messaging.realtime import connections, management, presence
from messaging.realtime.management import Delivery
from messaging.realtime.routes import answer_typing, websocket_handler
from messaging.table import items
from tests.unit.function_environment import use_function_environment
from tooling.tables import ensure_table, table_definitions
from tooling.template import Template

TEMPLATE = Template(parameter_overrides={"UserPoolId": "us-east-1_testpool", "UserPoolClientId": "testclient"})
ALICE = User(str(uuid.uuid4()), "Alice Liddell", "alice")
BOB = User(str(uuid.uuid4()), "Bob Builder", "bob")
CAROL = User(str(uuid.uuid4()), "Carol", "carol")


class Context:
    function_name = "WebSocketTypingFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:WebSocketTypingFunction"
    aws_request_id = "request-1"


@pytest.fixture
def posts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The typing function's environment and tables; every post to a connection, recorded."""
    use_function_environment(monkeypatch, TEMPLATE, "WebSocketTypingFunction")
    sent: list[tuple[str, dict[str, Any]]] = []

    def post(connection_id: str, data: bytes) -> Delivery:
        sent.append((connection_id, json.loads(data)))
        return Delivery.SENT

    monkeypatch.setattr(management, "post", post)
    monkeypatch.setattr(management, "close", lambda connection_id: Delivery.SENT)
    settings.cache_clear()
    aws.dynamodb.cache_clear()
    with mock_aws():
        for definition in table_definitions(TEMPLATE):
            if definition.logical_id in {"ConnectionsTable", "RateLimitsTable", "MessagesTable"}:
                ensure_table(aws.dynamodb(), definition)
        yield sent
    aws.dynamodb.cache_clear()
    settings.cache_clear()


def conversation(a: User, b: User, **extra: dict[str, Any]) -> str:
    """Both members' group items, as D writes them (``extra`` on both: a block, request attributes)."""
    group = str(uuid.uuid4())
    for owner, other in ((a, b), (b, a)):
        first = Message.new(group, a, b.uuid, "hello")
        item = items.message_group_item(owner, other, first) | extra
        aws.dynamodb().put_item(TableName=settings().messages_table, Item=item)
    return group


def connect(user: User, connection_id: str) -> None:
    connections.add_connection(user.uuid, connection_id, time.time(), None)


def typing(connection_id: str, body: Any, *, exp: float | None = None) -> dict[str, Any] | None:
    """The typing route's answer frame (None: answered with nothing)."""
    authorizer: dict[str, Any] = {"sub": "sub-1"} | ({} if exp is None else {"exp": exp})
    event = {
        "requestContext": {
            "routeKey": "typing",
            "eventType": "MESSAGE",
            "connectionId": connection_id,
            "requestId": "r1",
            "authorizer": authorizer,
        },
        "body": body if isinstance(body, str) else json.dumps(body),
        "isBase64Encoded": False,
    }
    result = websocket_handler(answer_typing)(event, Context())
    assert result["statusCode"] == 200, result
    return json.loads(result["body"]) if "body" in result else None


def frame(group: str) -> dict[str, str]:
    return {"action": "typing", "message_group_uuid": group}


def test_the_other_member_s_connections_are_told_who_is_typing_and_the_typist_hears_nothing(posts: list) -> None:
    group = conversation(ALICE, BOB)
    connect(ALICE, "alice-1")
    connect(ALICE, "alice-2")
    connect(BOB, "bob-phone")
    connect(BOB, "bob-laptop")
    assert typing("alice-1", frame(group)) is None
    told = {"type": "typing", "message_group_uuid": group, "handle": "alice", "display_name": "Alice Liddell"}
    assert sorted(posts, key=lambda post: post[0]) == [("bob-laptop", told), ("bob-phone", told)]


def test_one_relay_per_connection_per_group_per_window_and_the_extra_frames_are_dropped_quietly(posts: list) -> None:
    group, other_group = conversation(ALICE, BOB), conversation(ALICE, CAROL)
    connect(ALICE, "alice-1")
    connect(ALICE, "alice-2")
    connect(BOB, "bob-1")
    connect(CAROL, "carol-1")
    answers = [typing("alice-1", frame(group)) for _ in range(4)]
    assert answers == [None] * 4
    assert [connection for connection, _ in posts] == ["bob-1"]
    # Another group, or another connection of the same typist, has an allowance of its own.
    typing("alice-1", frame(other_group))
    typing("alice-2", frame(group))
    assert [connection for connection, _ in posts] == ["bob-1", "carol-1", "bob-1"]


def test_the_window_is_two_seconds() -> None:
    assert presence.TYPING_LIMIT.interval_ms == 2000
    assert presence.TYPING_LIMIT.tolerance_ms == 0


@pytest.mark.parametrize("group", ["not-a-member", "no-such-group"])
def test_a_non_member_is_refused_as_the_http_api_refuses_one_and_nothing_is_relayed(posts: list, group: str) -> None:
    alice_and_bob = conversation(ALICE, BOB)
    connect(CAROL, "carol-1")
    connect(BOB, "bob-1")
    target = alice_and_bob if group == "not-a-member" else str(uuid.uuid4())
    answer = typing("carol-1", frame(target))
    assert answer == {
        "type": "error",
        "error": "not_a_member",
        "message": "You are not a member of this conversation.",
    }
    assert posts == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"action": "typing"}, "validation_error"),
        ({"action": "typing", "message_group_uuid": "nope"}, "validation_error"),
        ({"action": "typing", "message_group_uuid": 12}, "validation_error"),
        ({"action": "typing", "message_group_uuid": None}, "validation_error"),
        ({"action": "typing", "message_group_uuid": ["5ae290ed-55d1-47a0-bc6d-fe2bc2700399"]}, "validation_error"),
        ("[1, 2]", "invalid_json"),
        ("not json", "invalid_json"),
        ('{"action": "typing", "message_group_uuid": "' + "a" * 5000 + '"}', "payload_too_large"),
    ],
)
def test_a_bad_frame_is_an_error_frame_never_a_failure(posts: list, body: Any, error: str) -> None:
    connect(ALICE, "alice-1")
    answer = typing("alice-1", body)
    assert answer is not None
    assert (answer["type"], answer["error"]) == ("error", error)
    assert posts == []


def test_nothing_crosses_a_block_either_way(posts: list) -> None:
    group = conversation(ALICE, BOB, blocked_by={"SS": [BOB.uuid]})
    connect(ALICE, "alice-1")
    connect(BOB, "bob-1")
    assert typing("alice-1", frame(group)) is None  # the blocked member learns nothing, not even of the block
    assert typing("bob-1", frame(group)) is None
    assert posts == []


def test_nothing_is_relayed_in_an_unaccepted_message_request_either_way(posts: list) -> None:
    group = str(uuid.uuid4())
    first = Message.new(group, ALICE, BOB.uuid, "hello")
    starter = items.message_group_item(ALICE, BOB, first) | {"awaiting_sent": {"N": "1"}}
    recipient = items.message_group_item(BOB, ALICE, first) | {"pending_request": {"BOOL": True}}
    for item in (starter, recipient):
        aws.dynamodb().put_item(TableName=settings().messages_table, Item=item)
    connect(ALICE, "alice-1")
    connect(BOB, "bob-1")
    assert typing("alice-1", frame(group)) is None
    assert typing("bob-1", frame(group)) is None
    assert posts == []


def test_a_connection_that_is_not_stored_is_dropped_quietly(posts: list) -> None:
    group = conversation(ALICE, BOB)
    connect(BOB, "bob-1")
    assert typing("ghost-1", frame(group)) is None
    assert posts == []


def test_typing_frames_count_against_the_connection_s_frame_limit(posts: list) -> None:
    group = conversation(ALICE, BOB)
    connect(ALICE, "alice-1")
    connect(BOB, "bob-1")
    answers = [typing("alice-1", frame(group)) for _ in range(gcra.FRAME_LIMIT.burst + 1)]
    assert answers[:-1] == [None] * gcra.FRAME_LIMIT.burst
    assert answers[-1] is not None
    assert answers[-1]["error"] == "rate_limited"


def test_an_expired_token_is_answered_as_default_answers_it_and_nothing_is_relayed(posts: list) -> None:
    group = conversation(ALICE, BOB)
    connect(ALICE, "alice-1")
    connect(BOB, "bob-1")
    answer = typing("alice-1", frame(group), exp=1.0)
    assert answer is not None
    assert answer["error"] == "unauthorized"
    assert posts == []
