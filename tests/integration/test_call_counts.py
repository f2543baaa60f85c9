"""Each pattern makes the fewest DynamoDB calls its contract allows, and user lookups are cached."""

from collections import Counter

import pytest

from messaging.people import postgres, profiles
from tests.api_client import ApiClient
from tests.integration.conftest import Conversation


@pytest.fixture
def user_queries(monkeypatch: pytest.MonkeyPatch) -> Counter:
    queries: Counter = Counter()
    real = postgres.fetch_one

    def counting(query_name: str, params: dict) -> tuple | None:
        queries[query_name] += 1
        return real(query_name, params)

    monkeypatch.setattr(postgres, "fetch_one", counting)
    return queries


def test_each_route_makes_its_minimum_dynamodb_calls(
    api: ApiClient, conversation: Conversation, new_user, dynamodb_calls: Counter, function_environment
) -> None:
    # A budget the direct push never reaches here, so that its calls are all made before the answer is counted.
    function_environment(DIRECT_PUSH_BUDGET_MS="5000")
    group, me = conversation.group_uuid, conversation.starter
    # Each send also spends one of the sender's allowance: a GetItem and an UpdateItem of the limits table, and
    # pushes the message straight to both members' connections: one Query of the connections table per member.
    send_limit = Counter({"GetItem": 1, "UpdateItem": 1}) + Counter({"Query": 2})
    expectations = [
        # The first page also brings the other member's read marker with both members' settings: one
        # BatchGetItem beside the Query (never on later pages, nor in a blocked conversation or a request).
        (lambda: api.get(f"/api/messages/{group}", me), Counter({"GetItem": 1, "Query": 1, "BatchGetItem": 1})),
        (lambda: api.get("/api/message_groups", me), Counter({"Query": 1})),
        (
            lambda: api.post("/api/messages", me, {"message_group_uuid": group, "message": "x"}),
            Counter({"GetItem": 1, "PutItem": 1}) + send_limit,
        ),
        # A new pair also reads the other user's settings: whether they take new conversations.
        (
            lambda: api.post("/api/message_groups", me, {"handle": new_user().handle, "message": "x"}),
            Counter({"GetItem": 2, "TransactWriteItems": 1}) + send_limit,
        ),
        # Into an existing pair: no transaction at all (a cancelled one is billed for all its items).
        (
            lambda: api.post("/api/message_groups", me, {"handle": conversation.other.handle, "message": "x"}),
            Counter({"GetItem": 1, "PutItem": 1}) + send_limit,
        ),
    ]
    for call, expected in expectations:
        dynamodb_calls.clear()
        assert call().status in {200, 201}
        assert dynamodb_calls == expected


def test_user_lookups_are_served_from_the_warm_container_cache(
    api: ApiClient, conversation: Conversation, user_queries: Counter
) -> None:
    profiles.clear_cache()
    for _ in range(3):
        assert api.get("/api/message_groups", conversation.starter).status == 200
    assert user_queries == Counter({"user_by_cognito_user_id": 1})
