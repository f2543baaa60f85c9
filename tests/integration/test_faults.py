"""Faults: PostgreSQL stopping mid-run, DynamoDB throttling and 5xx answers in the API and inside pattern E."""

import json
import math
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Self

import pytest
from botocore import xform_name
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError

from local.stack import EmulatedStack
from messaging.core import aws
from messaging.core.aws import dynamodb
from messaging.core.config import settings
from messaging.people import parameters, postgres, profiles
from tests.api_client import ApiClient, ApiResponse
from tests.conftest import TestUser
from tests.integration.conftest import Conversation
from tests.integration.test_message_stream import apply, message_inserts, shown


def throttled(operation: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}}, operation
    )


def item_count(stack: EmulatedStack) -> int:
    return stack.client("dynamodb").scan(TableName=stack.template.table_name("MessagesTable"), Select="COUNT")["Count"]


@pytest.fixture
def stopped_postgres(stack: EmulatedStack) -> Iterator[None]:
    """PostgreSQL is stopped for the test's duration and started again after it, under the running stack."""
    if stack.postgres is None:
        pytest.skip("PostgreSQL is an external server (CONNECTION_URL): not ours to stop")
    from pgserver._commands import pg_ctl  # noqa: PLC0415 - the embedded server's own control tool

    server = stack.postgres._server
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    profiles.clear_cache()
    try:
        yield
    finally:
        server.ensure_postgres_running()


@pytest.mark.may_skip_in_ci(reason="an external PostgreSQL (CONNECTION_URL) is not the tests' to stop")
def test_postgres_down_is_a_retryable_503_with_no_partial_write_then_recovers(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, new_user, request: pytest.FixtureRequest
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
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, inject: Counter
) -> None:
    before = item_count(stack)
    inject["PutItem"] = 1
    response = api.post(
        "/api/messages", conversation.starter, {"message_group_uuid": conversation.group_uuid, "message": "x"}
    )
    assert (response.status, response.error) == (503, "service_unavailable")
    assert item_count(stack) == before


def test_throttling_inside_pattern_e_is_retried_and_applied_once(
    api: ApiClient, stack: EmulatedStack, start_conversation, inject: Counter
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


# Issue 11, item 2: a 5xx from an AWS dependency is retried by botocore, then a 503 with Retry-After; never a 500.

HTML_500 = b"<html><body><h1>500 Internal Server Error</h1></body></html>"


class _Body:
    """A canned body, read the way botocore reads one off the wire."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_kwargs: object) -> Iterator[bytes]:
        yield self.data


@dataclass
class _Fault:
    status: int
    body: bytes
    content_type: str
    where: Callable[[dict[str, Any]], bool]  # which requests, by their parameters
    times: float  # how many attempts get this answer
    commit_first: bool  # the request is carried out, and only its answer is replaced


class FaultyService:
    """Makes an AWS service itself answer chosen operations of a client with an HTTP error.

    The answers are made at the HTTP layer (botocore's ``before-send``), so botocore parses and retries them as it
    would real ones; ``sends`` counts the attempts that reached the wire, or would have.
    """

    def __init__(self, stack: EmulatedStack, client: Any) -> None:
        self.stack = stack
        self.client = client
        self.faults: dict[str, _Fault] = {}
        self.sends: Counter = Counter()

    def __enter__(self) -> Self:
        self.client.meta.events.register("before-send", self.before_send)
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.client.meta.events.unregister("before-send", self.before_send)

    def answer(
        self,
        operation: str,
        status: int,
        body: bytes = HTML_500,
        *,
        content_type: str = "text/html",
        where: Callable[[dict[str, Any]], bool] = lambda _params: True,
        times: float = math.inf,
        commit_first: bool = False,
    ) -> None:
        self.faults[operation] = _Fault(status, body, content_type, where, times, commit_first)

    def before_send(self, request: AWSPreparedRequest, event_name: str, **_kwargs: object) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        self.sends[operation] += 1
        fault = self.faults.get(operation)
        params = json.loads(request.body or b"{}")
        if fault is None or fault.times <= 0 or not fault.where(params):
            return None
        fault.times -= 1
        if fault.commit_first:  # the service did the work, then its answer was lost
            getattr(self.stack.client(self.client.meta.service_model.service_name), xform_name(operation))(**params)
        headers = {"content-type": fault.content_type}
        return AWSResponse(request.url, fault.status, headers, _Body(fault.body))


@pytest.fixture
def faulty(stack: EmulatedStack) -> Iterator[FaultyService]:
    """DynamoDB as the functions' own client reaches it."""
    with FaultyService(stack, dynamodb()) as faults:
        yield faults


def json_error(code: str, message: str) -> bytes:
    return json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()


def message_texts(api: ApiClient, conversation: Conversation) -> list[str]:
    response = api.get(f"/api/messages/{conversation.group_uuid}", conversation.other, {"limit": "100"})
    return [message["message"] for message in response.body]


def assert_retry_later(response: ApiResponse) -> None:
    assert (response.status, response.error) == (503, "service_unavailable"), response.body
    assert set(response.body) == {"error", "message"}
    assert response.headers["retry-after"] == "1"


def test_a_dynamodb_500_is_retried_by_botocore_and_the_client_never_sees_it(
    api: ApiClient, conversation: Conversation, faulty: FaultyService
) -> None:
    faulty.answer("PutItem", 500, times=1)
    body = {"message_group_uuid": conversation.group_uuid, "message": "after one 500"}
    response = api.post("/api/messages", conversation.starter, body)

    assert response.status == 201, response.body
    assert faulty.sends["PutItem"] == 2
    assert message_texts(api, conversation) == ["hello there", "after one 500"]


def test_a_message_written_before_a_500_is_a_201_once_not_a_500(
    api: ApiClient, conversation: Conversation, faulty: FaultyService
) -> None:
    # DynamoDB may write and still answer 500; botocore's retry then meets the item it wrote itself.
    faulty.answer("PutItem", 500, times=1, commit_first=True)
    body = {"message_group_uuid": conversation.group_uuid, "message": "written, answer lost"}
    response = api.post("/api/messages", conversation.starter, body)

    assert response.status == 201, response.body
    assert message_texts(api, conversation) == ["hello there", "written, answer lost"]


ROUTES = {
    "A (membership)": ("GetItem", "list messages"),
    "B": ("Query", "list conversations"),
    "C (the message)": ("PutItem", "post"),
    "D": ("TransactWriteItems", "start"),
}
# botocore retries 500, 502, 503 and 504 itself; any other 5xx reaches us at once, and is a 503 all the same.
SERVER_ERRORS = {
    "an HTML 500": (500, HTML_500, "text/html"),
    "a JSON InternalServerError": (500, json_error("InternalServerError", "internal"), "application/x-amz-json-1.0"),
    "a JSON 503": (503, json_error("ServiceUnavailable", "try again"), "application/x-amz-json-1.0"),
    "an HTML 501 (not retried)": (501, b"<html>Not Implemented</html>", "text/html"),
}


@pytest.fixture
def senders(api: ApiClient, conversation: Conversation, new_user) -> dict[str, Callable[[], ApiResponse]]:
    """One request of each route, by name; the writes would each store something."""
    stranger: TestUser = new_user()
    body = {"message_group_uuid": conversation.group_uuid, "message": "never stored"}
    start = {"handle": conversation.other.handle, "message": "never stored"}
    return {
        "post": lambda: api.post("/api/messages", conversation.starter, body),
        "start": lambda: api.post("/api/message_groups", stranger, start),
        "list messages": lambda: api.get(f"/api/messages/{conversation.group_uuid}", conversation.starter),
        "list conversations": lambda: api.get("/api/message_groups", conversation.starter),
    }


@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
def test_a_dynamodb_500_that_persists_is_a_503_with_retry_after_and_writes_nothing(
    stack: EmulatedStack, senders: dict[str, Callable[[], ApiResponse]], faulty: FaultyService, route: tuple[str, str]
) -> None:
    operation, kind = route
    before = item_count(stack)
    faulty.answer(operation, 500, HTML_500)

    assert_retry_later(senders[kind]())
    assert faulty.sends[operation] > 1  # botocore retried before giving up
    assert item_count(stack) == before


@pytest.mark.parametrize("answer", SERVER_ERRORS.values(), ids=SERVER_ERRORS.keys())
def test_every_5xx_from_dynamodb_is_a_503_with_retry_after(
    senders: dict[str, Callable[[], ApiResponse]], faulty: FaultyService, answer: tuple[int, bytes, str]
) -> None:
    status, body, content_type = answer
    faulty.answer("Query", status, body, content_type=content_type)
    assert_retry_later(senders["list conversations"]())


def test_a_5xx_from_the_idempotency_store_is_a_503_and_writes_nothing(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, faulty: FaultyService
) -> None:
    before = item_count(stack)
    faulty.answer("PutItem", 500, where=on_table(stack.template.table_name("IdempotencyTable")))
    body = {"message_group_uuid": conversation.group_uuid, "message": "never stored"}

    response = api.post("/api/messages", conversation.starter, body, headers={"Idempotency-Key": "k-500"})
    assert_retry_later(response)
    assert item_count(stack) == before

    faulty.faults.clear()
    assert api.post("/api/messages", conversation.starter, body, headers={"Idempotency-Key": "k-500"}).status == 201


def test_an_idempotency_record_that_vanishes_under_the_request_is_a_503(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, faulty: FaultyService
) -> None:
    # The key's record exists for the conditional put, and is gone (expired) when Powertools reads it back.
    conflict = json_error("ConditionalCheckFailedException", "The conditional request failed")
    table = on_table(stack.template.table_name("IdempotencyTable"))
    faulty.answer("PutItem", 400, conflict, content_type="application/x-amz-json-1.0", where=table)
    body = {"message_group_uuid": conversation.group_uuid, "message": "never stored"}

    response = api.post("/api/messages", conversation.starter, body, headers={"Idempotency-Key": "k-gone"})
    assert_retry_later(response)
    assert message_texts(api, conversation) == ["hello there"]


def test_a_key_claimed_before_a_500_is_claimed_once_not_a_409(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, faulty: FaultyService
) -> None:
    # The claim is stored and its answer lost; botocore's retry meets the claim it wrote itself.
    faulty.answer(
        "PutItem", 500, times=1, commit_first=True, where=on_table(stack.template.table_name("IdempotencyTable"))
    )
    body = {"message_group_uuid": conversation.group_uuid, "message": "claimed, answer lost"}

    first = api.post("/api/messages", conversation.starter, body, headers={"Idempotency-Key": "k-lost"})
    assert first.status == 201, first.body
    retry = api.post("/api/messages", conversation.starter, body, headers={"Idempotency-Key": "k-lost"})
    assert (retry.status, retry.body) == (201, first.body)
    assert message_texts(api, conversation) == ["hello there", "claimed, answer lost"]


def test_a_failed_attempt_frees_its_key_for_the_retry(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, faulty: FaultyService
) -> None:
    faulty.answer("PutItem", 500, where=on_table(stack.template.table_name("MessagesTable")))
    body = {"message_group_uuid": conversation.group_uuid, "message": "second attempt"}
    assert_retry_later(api.post("/api/messages", conversation.starter, body, headers={"Idempotency-Key": "k-free"}))

    faulty.faults.clear()
    retry = api.post("/api/messages", conversation.starter, body, headers={"Idempotency-Key": "k-free"})
    assert retry.status == 201, retry.body
    assert message_texts(api, conversation) == ["hello there", "second attempt"]


def test_a_start_key_dynamodb_refuses_is_a_400_invalid_cursor(
    api: ApiClient, conversation: Conversation, faulty: FaultyService
) -> None:
    post(api, conversation, "second")
    page = api.get(f"/api/messages/{conversation.group_uuid}", conversation.starter, {"limit": "1"})
    cursor = page.headers["link"].split("cursor=")[1].split(">")[0]

    # Real DynamoDB checks an ExclusiveStartKey further than moto does.
    refusal = json_error("ValidationException", "The provided starting key is invalid")
    faulty.answer("Query", 400, refusal, content_type="application/x-amz-json-1.0")
    response = api.get(f"/api/messages/{conversation.group_uuid}", conversation.starter, {"cursor": cursor})
    assert (response.status, response.error) == (400, "invalid_cursor"), response.body


def post(api: ApiClient, conversation: Conversation, text: str) -> None:
    body = {"message_group_uuid": conversation.group_uuid, "message": text}
    assert api.post("/api/messages", conversation.starter, body).status == 201


def on_table(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda params: params.get("TableName") == name


def previews(api: ApiClient, conversation: Conversation) -> set[str]:
    """The last message each member's conversation list shows for this conversation."""
    return {preview for preview, _ in shown(api, conversation)}


def test_a_dynamodb_500_inside_pattern_e_fails_only_its_record_and_the_retry_applies_it(
    api: ApiClient, stack: EmulatedStack, start_conversation, faulty: FaultyService
) -> None:
    broken, healthy = start_conversation("one"), start_conversation("two")
    post(api, broken, "newest in broken")
    post(api, healthy, "newest in healthy")
    records = message_inserts(stack, broken.group_uuid)[-1:] + message_inserts(stack, healthy.group_uuid)[-1:]

    faulty.answer("UpdateItem", 500, where=lambda params: broken.group_uuid in params["Key"]["sk"]["S"])
    failed = apply(stack, records)  # the function returns: no crash that would take the healthy record with it

    assert failed == [records[0]["dynamodb"]["SequenceNumber"]]  # reported, so the stream retries it
    assert faulty.sends["UpdateItem"] > 1  # botocore retried the 500 first
    assert previews(api, healthy) == {"newest in healthy"}
    assert previews(api, broken) == {"one"}

    faulty.faults.clear()
    assert apply(stack, records) == []
    assert previews(api, broken) == {"newest in broken"}


@pytest.fixture
def ssm_connection_url(stack: EmulatedStack) -> Iterator[FaultyService]:
    """The functions read PostgreSQL's URL from SSM Parameter Store, as deployed ones do."""
    name = "/cruddur-messages/test/connection-url"
    stack.client("ssm").put_parameter(Name=name, Value=stack.connection_url, Type="SecureString", Overwrite=True)
    environment = {"CONNECTION_URL": "", "CONNECTION_URL_PARAMETER": name}
    saved = {variable: os.environ.get(variable, "") for variable in environment}
    os.environ.update(environment)
    fresh_connection()
    try:
        # The functions' own client: its retries run before the fault reaches the function.
        with FaultyService(stack, aws.ssm()) as faults:
            yield faults
    finally:
        os.environ.update(saved)
        fresh_connection()


def fresh_connection() -> None:
    """The next request reads its settings, connects to PostgreSQL and looks its caller up anew."""
    settings.cache_clear()
    postgres._forget_connection()
    parameters.clear_cache()
    profiles.clear_cache()


def test_a_5xx_from_ssm_parameter_store_is_a_503_then_recovers(
    api: ApiClient, conversation: Conversation, ssm_connection_url: FaultyService
) -> None:
    ssm_connection_url.answer("GetParameter", 500, b"<html>Internal Server Error</html>")
    assert_retry_later(api.get("/api/message_groups", conversation.starter))

    ssm_connection_url.faults.clear()
    assert api.get("/api/message_groups", conversation.starter).status == 200
