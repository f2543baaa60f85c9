"""Message requests: a new conversation is a request to the other user until they reply or accept it; until then
its starter may send MessageRequestLimit messages. Through the functions as API Gateway calls them, against moto
server and PostgreSQL, with the stream's pattern E applied where the answer depends on it."""

from collections import Counter
from collections.abc import Callable

import pytest

from local.stack import EmulatedStack
from messaging.core.domain import Message, User
from messaging.core.errors import AwaitingAcceptance
from messaging.safety import requests
from tests.api_client import ApiClient, ApiResponse
from tests.conftest import TestUser
from tests.integration.conftest import Conversation
from tests.integration.test_safety import block, entry, post, start


@pytest.fixture
def limit(stack: EmulatedStack) -> int:
    return int(stack.template.parameters["MessageRequestLimit"])


@pytest.fixture
def request_(start_conversation: Callable[..., Conversation]) -> Conversation:
    return start_conversation("first words", accepted=False)


def accept(api: ApiClient, caller: TestUser, group: str) -> ApiResponse:
    return api.request("PUT", f"/api/message_groups/{group}/accept", caller)


def standing(api: ApiClient, member: TestUser, group: str) -> tuple[bool, bool]:
    """(request, awaiting_acceptance) of the member's conversation, as pattern B lists it."""
    found = entry(api, member, group)
    return found["request"], found["awaiting_acceptance"]


def texts(api: ApiClient, member: TestUser, group: str) -> list[str]:
    return [m["message"] for m in api.get(f"/api/messages/{group}", member).body]


def test_a_new_conversation_is_a_request_to_the_other_and_awaits_for_its_starter(
    api: ApiClient, request_: Conversation
) -> None:
    assert standing(api, request_.other, request_.group_uuid) == (True, False)
    assert standing(api, request_.starter, request_.group_uuid) == (False, True)
    # Both read it as any conversation.
    assert texts(api, request_.other, request_.group_uuid) == ["first words"]


def test_the_starter_sends_the_limit_in_all_then_403_by_c_and_d_and_nothing_is_stored(
    api: ApiClient, request_: Conversation, limit: int
) -> None:
    group, me = request_.group_uuid, request_.starter
    for n in range(2, limit + 1):  # the first message counts
        assert post(api, me, group, f"again {n}").status == 201
    refused = [post(api, me, group, "one too many"), start(api, me, request_.other.handle, "and by handle")]
    assert [(r.status, r.error) for r in refused] == [(403, "awaiting_acceptance")] * 2
    assert str(limit) in refused[0].body["message"]
    assert texts(api, me, group) == ["first words", *(f"again {n}" for n in range(2, limit + 1))]
    assert standing(api, me, group) == (False, True)


@pytest.mark.parametrize("how", ["by C", "by D"])
def test_a_reply_accepts_the_request_and_lifts_the_limit(
    api: ApiClient, request_: Conversation, limit: int, how: str
) -> None:
    group, starter, other = request_.group_uuid, request_.starter, request_.other
    for _ in range(limit - 1):
        assert post(api, starter, group).status == 201
    reply = post(api, other, group, "hi back") if how == "by C" else start(api, other, starter.handle, "hi back")
    assert reply.status in (200, 201), reply.body
    assert standing(api, other, group) == (False, False)
    assert standing(api, starter, group) == (False, False)
    assert [post(api, starter, group, f"free {n}").status for n in range(limit + 1)] == [201] * (limit + 1)
    assert texts(api, other, group)[-1] == f"free {limit}"


def test_accepting_lifts_the_limit_and_changes_nothing_twice_nor_for_the_starter(
    api: ApiClient, request_: Conversation, limit: int
) -> None:
    group, starter, other = request_.group_uuid, request_.starter, request_.other
    # The starter has nothing to accept: the answer is the same, and the request stands.
    assert (accept(api, starter, group).status, accept(api, starter, group).body) == (
        200,
        {"uuid": group, "request": False},
    )
    assert standing(api, other, group) == (True, False)

    accepted = accept(api, other, group)
    assert (accepted.status, accepted.body) == (200, {"uuid": group, "request": False})
    assert accept(api, other, group).body == {"uuid": group, "request": False}
    assert standing(api, other, group) == (False, False)
    assert standing(api, starter, group) == (False, False)
    assert all(post(api, starter, group).status == 201 for _ in range(limit + 1))


def test_accepting_is_for_members_only_and_a_malformed_id_is_422(
    api: ApiClient, request_: Conversation, new_user: Callable[..., TestUser]
) -> None:
    stranger = new_user("Stranger")
    refused = accept(api, stranger, request_.group_uuid)
    missing = accept(api, request_.other, "5ae290ed-55d1-47a0-bc6d-fe2bc2700399")
    assert [(r.status, r.error) for r in (refused, missing)] == [(403, "not_a_member")] * 2
    assert (accept(api, request_.other, "not-a-uuid").status, accept(api, request_.other, "x").error) == (
        422,
        "validation_error",
    )
    assert standing(api, request_.other, request_.group_uuid) == (True, False)


def test_declining_is_blocking(api: ApiClient, request_: Conversation) -> None:
    assert block(api, request_.other, request_.starter.handle).status == 200
    refused = post(api, request_.starter, request_.group_uuid)
    assert (refused.status, refused.error) == (403, "blocked")
    assert entry(api, request_.other, request_.group_uuid)["blocked"] is True


def test_the_stream_keeps_the_request_while_it_updates_previews_and_counts(
    api: ApiClient, stack: EmulatedStack, request_: Conversation
) -> None:
    assert post(api, request_.starter, request_.group_uuid, "newest").status == 201
    stack.stream.drain()
    received = entry(api, request_.other, request_.group_uuid)
    assert (received["request"], received["message"], received["unread_count"]) == (True, "newest", 2)
    assert standing(api, request_.starter, request_.group_uuid) == (False, True)


def test_a_starter_s_message_costs_one_transaction_and_an_accepted_one_the_plain_write(
    api: ApiClient, request_: Conversation, dynamodb_calls: Counter
) -> None:
    dynamodb_calls.clear()
    assert post(api, request_.starter, request_.group_uuid).status == 201
    # The membership read and the send allowance's read and write, and the message with its count in one write.
    assert dynamodb_calls == Counter({"GetItem": 2, "TransactWriteItems": 1, "UpdateItem": 1})
    dynamodb_calls.clear()
    assert post(api, request_.other, request_.group_uuid).status == 201  # the reply that accepts, in one write
    assert dynamodb_calls == Counter({"GetItem": 2, "TransactWriteItems": 1, "UpdateItem": 1})
    dynamodb_calls.clear()
    assert post(api, request_.starter, request_.group_uuid).status == 201
    assert dynamodb_calls == Counter({"GetItem": 2, "PutItem": 1, "UpdateItem": 1})


def test_the_write_s_condition_holds_the_limit_when_the_read_was_stale(
    api: ApiClient, request_: Conversation, limit: int
) -> None:
    """Sends racing past the membership read: the count's own condition refuses what the read would have."""
    group, starter = request_.group_uuid, request_.starter
    for _ in range(limit - 1):
        assert post(api, starter, group).status == 201
    late = Message.new(group, User(starter.uuid, starter.display_name, starter.handle), request_.other.uuid, "raced")
    with pytest.raises(AwaitingAcceptance):
        requests.post_awaiting(late, limit)
    assert "raced" not in texts(api, starter, group)
