"""Per-user limits over the in-process functions and a moto server: what a flooding user, and everyone else, sees.

Each test sets the limits it needs through the functions' environment (the template's parameters become these
variables), so that its floods are short; the template's defaults are proven over `make dev` in
tests/e2e/test_limits.py.
"""

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from botocore.exceptions import ClientError

from local.stack import EmulatedStack
from local.websocket.events import message_event
from messaging.core.aws import dynamodb
from messaging.core.errors import DependencyUnavailable
from messaging.limits import gcra, store
from tests.api_client import ApiClient, ApiResponse
from tests.conftest import SetEnvironment, TestUser
from tests.integration.conftest import Conversation
from tests.integration.test_faults import FaultyService, assert_retry_later, json_error, on_table
from tests.integration.test_push import connection_of


@pytest.fixture
def limits(function_environment: SetEnvironment) -> Callable[[float, int], None]:
    def set_(per_second: float, burst: int) -> None:
        function_environment(SEND_RATE_LIMIT=str(per_second), SEND_BURST_LIMIT=str(burst))

    return set_


@pytest.fixture
def limits_table_calls(stack: EmulatedStack) -> Iterator[Counter]:
    """The DynamoDB operations on the limits table (botocore's own event hooks)."""
    table = stack.template.table_name("RateLimitsTable")
    calls: Counter = Counter()

    def count(params: dict, model: object, **_kwargs: object) -> None:
        if params.get("TableName") == table:
            calls[getattr(model, "name", "?")] += 1

    events = dynamodb().meta.events
    events.register("provide-client-params.dynamodb.*", count)
    yield calls
    events.unregister("provide-client-params.dynamodb.*", count)


def send(api: ApiClient, sender: TestUser, group_uuid: str, text: str) -> tuple[int, dict, dict]:
    response = api.post("/api/messages", sender, {"message_group_uuid": group_uuid, "message": text})
    return response.status, response.headers, response.body


def stored_texts(api: ApiClient, reader: TestUser, group_uuid: str) -> list[str]:
    response = api.get(f"/api/messages/{group_uuid}", reader, {"limit": "100"})
    assert response.status == 200, response.body
    return [message["message"] for message in response.body]


def test_a_burst_passes_then_429_with_retry_after_and_nothing_stored_then_it_passes_again(
    api: ApiClient, conversation: Conversation, limits: Callable[[float, int], None]
) -> None:
    limits(1, 5)
    starter = conversation.starter
    answers = [send(api, starter, conversation.group_uuid, f"burst {n}") for n in range(8)]

    assert [status for status, _, _ in answers] == [201] * 5 + [429] * 3
    _, headers, body = answers[5]
    assert body["error"] == "rate_limited"
    assert body["message"]
    retry_after = int(headers["retry-after"])
    assert 1 <= retry_after <= 2  # the next send is due one interval (1 s) after the burst, at most
    assert stored_texts(api, starter, conversation.group_uuid) == ["hello there"] + [f"burst {n}" for n in range(5)]

    time.sleep(retry_after)
    assert send(api, starter, conversation.group_uuid, "after the wait")[0] == 201


def test_one_user_s_flood_leaves_other_users_sends_untouched(
    api: ApiClient, start_conversation: Callable[..., Conversation], limits: Callable[[float, int], None]
) -> None:
    limits(1, 4)
    flooder, quiet = start_conversation(), start_conversation()  # each starter has spent one send on pattern D
    statuses = [send(api, flooder.starter, flooder.group_uuid, f"flood {n}")[0] for n in range(10)]
    assert statuses.count(429) >= 6

    assert [send(api, quiet.starter, quiet.group_uuid, f"calm {n}")[0] for n in range(3)] == [201] * 3
    # The flooder's conversation partner has an allowance of their own.
    assert send(api, flooder.other, flooder.group_uuid, "a reply")[0] == 201


def test_patterns_c_and_d_share_one_allowance(
    api: ApiClient, conversation: Conversation, limits: Callable[[float, int], None]
) -> None:
    limits(1, 4)
    starter, other = conversation.starter, conversation.other
    assert [send(api, starter, conversation.group_uuid, f"c {n}")[0] for n in range(2)] == [201, 201]
    d = [api.post("/api/message_groups", starter, {"handle": other.handle, "message": f"d {n}"}) for n in range(3)]
    assert [response.status for response in d] == [200, 200, 429]
    assert d[2].body["error"] == "rate_limited"
    assert int(d[2].headers["retry-after"]) >= 1


def test_a_refused_send_reads_no_body_and_a_flood_of_garbage_is_limited_too(
    api: ApiClient, conversation: Conversation, limits: Callable[[float, int], None]
) -> None:
    limits(1, 2)
    starter = conversation.starter
    garbage = [api.post("/api/messages", starter, {"message": 7}).status for _ in range(2)]
    assert garbage == [422, 422]  # counted: they are requests like any other
    refused = api.post("/api/messages", starter, {"message": 7})
    assert (refused.status, refused.body["error"]) == (429, "rate_limited")


def test_the_read_marker_has_an_allowance_of_its_own(
    api: ApiClient, conversation: Conversation, limits: Callable[[float, int], None]
) -> None:
    limits(1, 2)
    other = conversation.other
    (newest,) = api.get(f"/api/messages/{conversation.group_uuid}", other).body
    marker = {"uuid": newest["uuid"], "created_at": newest["created_at"]}
    path = f"/api/message_groups/{conversation.group_uuid}/read"
    assert [api.request("PUT", path, other, body=json.dumps(marker)).status for _ in range(3)] == [200, 200, 429]
    # Sends are not spent by read markers.
    assert send(api, other, conversation.group_uuid, "still mine to send")[0] == 201


def test_an_allowed_send_costs_one_write_of_the_limits_table_and_a_refused_one_none(
    api: ApiClient, conversation: Conversation, limits: Callable[[float, int], None], limits_table_calls: Counter
) -> None:
    limits(1, 1)
    assert send(api, conversation.starter, conversation.group_uuid, "allowed")[0] == 201
    assert limits_table_calls == Counter({"GetItem": 1, "UpdateItem": 1})
    limits_table_calls.clear()
    assert send(api, conversation.starter, conversation.group_uuid, "refused")[0] == 429
    assert limits_table_calls == Counter({"GetItem": 1})


def test_concurrent_takes_never_spend_more_than_the_burst(stack: EmulatedStack) -> None:
    """Many containers at once, as threads with their own clients' worth of calls: the condition decides."""
    limit = gcra.Limit(per_second=0.01, burst=10)  # nothing refills during the test
    key = f"test#{time.time_ns()}"
    verdicts: list[gcra.Verdict] = []
    lock = threading.Lock()

    def take() -> None:
        verdict = gcra.take(key, limit)
        with lock:
            verdicts.append(verdict)

    threads = [threading.Thread(target=take) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(verdict.allowed for verdict in verdicts) <= 10
    assert sum(verdict.allowed for verdict in verdicts) >= 1
    later = [gcra.take(key, limit) for _ in range(15)]
    assert sum(verdict.allowed for verdict in verdicts + later) == 10  # exactly the burst, however they raced


# --- a limits table that is down or throttling ----------------------------------------------------------------

THROTTLED = json_error("ProvisionedThroughputExceededException", "Rate exceeded")
REFUSED = json_error("ValidationException", "One or more parameter values were invalid")
JSON = "application/x-amz-json-1.0"


@pytest.fixture
def limits_table_fails(stack: EmulatedStack) -> Iterator[Callable[[int, bytes], FaultyService]]:
    """From its call on, every GetItem on the limits table answers with a status and body (botocore parses and
    retries it as a real answer)."""
    with FaultyService(stack, dynamodb()) as faults:

        def fail(status: int, body: bytes) -> FaultyService:
            table = on_table(stack.template.table_name("RateLimitsTable"))
            faults.answer("GetItem", status, body, content_type=JSON, where=table)
            faults.sends.clear()  # count from here: what the request under test sends
            return faults

        yield fail


def limited_requests(api: ApiClient, conversation: Conversation) -> dict[str, Callable[[], ApiResponse]]:
    """One request of each limited route (C, D, the read marker); each would store something if it passed."""
    starter, other, group = conversation.starter, conversation.other, conversation.group_uuid
    (newest,) = api.get(f"/api/messages/{group}", other).body
    marker = json.dumps({"uuid": newest["uuid"], "created_at": newest["created_at"]})
    return {
        "C": lambda: api.post("/api/messages", starter, {"message_group_uuid": group, "message": "never stored"}),
        "D": lambda: api.post("/api/message_groups", starter, {"handle": other.handle, "message": "never stored"}),
        "read marker": lambda: api.request("PUT", f"/api/message_groups/{group}/read", other, body=marker),
    }


@pytest.mark.parametrize("route", ["C", "D", "read marker"])
def test_a_limits_table_still_throttling_after_botocore_s_retries_is_a_503_with_retry_after_and_stores_nothing(
    api: ApiClient,
    conversation: Conversation,
    limits_table_fails: Callable[[int, bytes], FaultyService],
    route: str,
) -> None:
    requests = limited_requests(api, conversation)
    faults = limits_table_fails(400, THROTTLED)

    assert_retry_later(requests[route]())
    assert faults.sends["GetItem"] > 1  # botocore retried the throttling before giving up
    assert stored_texts(api, conversation.other, conversation.group_uuid) == ["hello there"]


def test_the_limits_store_hands_its_callers_domain_errors_never_botocore_s(
    limits_table_fails: Callable[[int, bytes], FaultyService],
) -> None:
    limits_table_fails(500, b"<html>Internal Server Error</html>")
    with pytest.raises(DependencyUnavailable) as busy:
        gcra.check_send("a-sub")
    assert isinstance(busy.value.__cause__, ClientError)  # the detail stays for the log, behind the domain error

    limits_table_fails(400, REFUSED)
    with pytest.raises(store.LimitsStoreRefused):
        gcra.check_send("a-sub")


def test_a_limits_table_that_refuses_a_call_is_a_500_not_a_retry(
    api: ApiClient, conversation: Conversation, limits_table_fails: Callable[[int, bytes], FaultyService]
) -> None:
    post = limited_requests(api, conversation)["C"]
    faults = limits_table_fails(400, REFUSED)
    response = post()
    assert (response.status, response.error) == (500, "internal_error"), response.body
    assert "retry-after" not in response.headers
    assert faults.sends["GetItem"] == 1  # botocore does not retry a refusal


def test_a_frame_while_the_limits_table_is_busy_is_answered_with_a_service_unavailable_frame(
    stack: EmulatedStack, conversation: Conversation, limits_table_fails: Callable[[int, bytes], FaultyService]
) -> None:
    limits_table_fails(400, THROTTLED)
    ping = message_event(connection_of(conversation.starter), "$default", json.dumps({"action": "ping"}))
    answer = stack.functions.invoke("WebSocketDefaultFunction", ping)
    frame = json.loads(answer["body"])
    assert (frame["type"], frame["error"]) == ("error", "service_unavailable"), frame
