"""Helpers for the integration tests: conversations set up through the API itself."""

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from messaging.core.aws import dynamodb
from tests.api_client import ApiClient
from tests.conftest import TestUser


@dataclass(frozen=True)
class Conversation:
    group_uuid: str
    starter: TestUser
    other: TestUser


@pytest.fixture
def start_conversation(api: ApiClient, new_user: Callable[..., TestUser]) -> Callable[..., Conversation]:
    def start(first_message: str = "hello there", *, accepted: bool = True) -> Conversation:
        """A new conversation; accepted by the other member unless asked to stay a message request."""
        starter, other = new_user("Starter"), new_user("Other")
        response = api.post("/api/message_groups", starter, {"handle": other.handle, "message": first_message})
        assert response.status == 201, response.body
        group_uuid = response.body["message_group_uuid"]
        if accepted:
            accepting = api.request("PUT", f"/api/message_groups/{group_uuid}/accept", other)
            assert accepting.status == 200, accepting.body
        return Conversation(group_uuid, starter, other)

    return start


@pytest.fixture
def conversation(start_conversation: Callable[..., Conversation]) -> Conversation:
    return start_conversation()


@pytest.fixture
def dynamodb_calls() -> Iterator[Counter]:
    """Counts the DynamoDB operations the functions make (botocore's own event hooks)."""
    calls: Counter = Counter()

    def count(model, **_kwargs) -> None:
        calls[model.name] += 1

    events = dynamodb().meta.events
    events.register("before-call.dynamodb.*", count)
    yield calls
    events.unregister("before-call.dynamodb.*", count)
