"""Faults: PostgreSQL stopping mid-run, DynamoDB throttling in the API and inside pattern E."""

from collections import Counter
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from local.api_client import ApiClient
from local.stack import LocalStack
from messaging.dal import users
from messaging.dal.aws import dynamodb
from tests.integration.conftest import Conversation


def throttled(operation: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}}, operation
    )


def item_count(stack: LocalStack) -> int:
    return stack.client("dynamodb").scan(TableName=stack.template.table_name("MessagesTable"), Select="COUNT")["Count"]


@pytest.fixture
def stopped_postgres(stack: LocalStack) -> Iterator[None]:
    """PostgreSQL is stopped for the test's duration and started again after it, under the running stack."""
    if stack.postgres is None:
        pytest.skip("PostgreSQL is an external server (CONNECTION_URL): not ours to stop")
    from pgserver._commands import pg_ctl  # noqa: PLC0415 - the embedded server's own control tool

    server = stack.postgres._server
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    users.clear_cache()
    try:
        yield
    finally:
        server.ensure_postgres_running()


def test_postgres_down_is_a_retryable_503_with_no_partial_write_then_recovers(
    api: ApiClient, stack: LocalStack, conversation: Conversation, new_user, request: pytest.FixtureRequest
) -> None:
    stranger = new_user()
    before = item_count(stack)
    request.getfixturevalue("stopped_postgres")

    posted = api.post(
        "/api/messages", conversation.starter, {"message_group_uuid": conversation.group_uuid, "message": "x"}
    )
    started = api.post("/api/message_groups", stranger, {"handle": conversation.other.handle, "message": "x"})
    for response in (posted, started):
        assert (response.status, response.error) == (503, "service_unavailable")
        assert response.headers["retry-after"] == "1"
    assert item_count(stack) == before

    stack.postgres._server.ensure_postgres_running()
    again = api.post(
        "/api/messages", conversation.starter, {"message_group_uuid": conversation.group_uuid, "message": "x"}
    )
    assert again.status == 201
    assert (
        api.post("/api/message_groups", stranger, {"handle": conversation.other.handle, "message": "x"}).status == 201
    )


@pytest.fixture
def inject() -> Iterator[Counter]:
    """Makes chosen DynamoDB operations fail with throttling, a given number of times; counts what got through."""
    plan: Counter = Counter()
    succeeded: Counter = Counter()

    def before(model, params, **_kwargs) -> None:
        if plan[model.name] > 0:
            plan[model.name] -= 1
            raise throttled(model.name)

    def after(model, http_response, parsed, **_kwargs) -> None:
        if http_response.status_code == 200:
            succeeded[model.name] += 1

    events = dynamodb().meta.events
    events.register("before-call.dynamodb.*", before)
    events.register("after-call.dynamodb.*", after)
    plan.succeeded = succeeded  # type: ignore[attr-defined]
    yield plan
    events.unregister("before-call.dynamodb.*", before)
    events.unregister("after-call.dynamodb.*", after)


def test_throttling_in_the_api_is_a_503_and_writes_nothing(
    api: ApiClient, stack: LocalStack, conversation: Conversation, inject: Counter
) -> None:
    before = item_count(stack)
    inject["PutItem"] = 1
    response = api.post(
        "/api/messages", conversation.starter, {"message_group_uuid": conversation.group_uuid, "message": "x"}
    )
    assert (response.status, response.error) == (503, "service_unavailable")
    assert item_count(stack) == before


def test_throttling_inside_pattern_e_is_retried_and_applied_once(
    api: ApiClient, stack: LocalStack, start_conversation, inject: Counter
) -> None:
    stack.stream.drain()
    first, second = start_conversation("one"), start_conversation("two")
    for conversation, text in ((first, "newest in first"), (second, "newest in second")):
        api.post(
            "/api/messages", conversation.starter, {"message_group_uuid": conversation.group_uuid, "message": text}
        )

    inject["UpdateItem"] = 3  # the first attempts fail; the poller retries from the first failed record
    inject.succeeded.clear()  # type: ignore[attr-defined]
    stack.stream.drain()

    assert inject["UpdateItem"] == 0
    # Four member items, each advanced exactly once, however often their records were retried.
    assert inject.succeeded["UpdateItem"] == 4  # type: ignore[attr-defined]
    for conversation, text in ((first, "newest in first"), (second, "newest in second")):
        for member in (conversation.starter, conversation.other):
            (group,) = [g for g in api.get("/api/message_groups", member).body if g["uuid"] == conversation.group_uuid]
            assert group["message"] == text
