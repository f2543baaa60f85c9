"""Property-based fuzzing of every route of the running local stack against docs/openapi.yaml (schemathesis).

No input may yield a 5xx, every response must match the document, and the stored data must stay consistent.
The inputs are the same on every run (derandomized), so a failure in CI fails again on a developer's machine.
"""

import time
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import psycopg2
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.dev_process import DevStack
from tooling.cognito import LOCAL_PASSWORD, cognito_users, ensure_users
from tooling.http_client import HttpResult, call
from tooling.paths import PROJECT_ROOT

schema = schemathesis.openapi.from_path(PROJECT_ROOT / "docs" / "openapi.yaml")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def andrew_token(dev_stack: DevStack) -> Iterator[str]:
    token = dev_stack.token("andrewbrown")
    yield token
    restore_safety_state(dev_stack, token)


def polite_call(method: str, url: str, token: str, body: dict | None = None) -> HttpResult:
    """A request as a well-behaved client sends it: past the caller's send allowance (429, nothing stored), which
    the fuzzing spends, it waits as told and sends again."""
    while (answer := call(method, url, token=token, body=body)).status == 429:
        time.sleep(int(answer.headers["retry-after"]))
    return answer


def restore_safety_state(stack: DevStack, token: str) -> None:
    """Undoes what fuzzing as andrewbrown may have left in his safety state on the session's shared stack (the
    settings example says "nobody", a generated handle may be someone he then blocks), so later tests meet the
    seeded users as seeded: no blocks of his, everyone may start a conversation with him, nothing muted."""
    api = stack.api_url

    def write(method: str, path: str, body: dict | None = None) -> None:
        # These writes spend his send allowance, which the fuzzing has spent too: wait as a client is told to.
        while (answer := call(method, api + path, token=token, body=body)).status == 429:
            time.sleep(int(answer.headers["retry-after"]))
        assert answer.status == 200, answer.body

    while blocked := call("GET", f"{api}/api/blocks?limit=100", token=token).body:
        for user in blocked:
            write("DELETE", f"/api/blocks/{quote(user['handle'], safe='')}")
    write("PUT", "/api/settings", {"new_conversations": "everyone"})
    for group in call("GET", f"{api}/api/message_groups?limit=100", token=token).body:
        if group["muted"]:
            write("PUT", f"/api/message_groups/{group['uuid']}/mute", {"muted": False})


@schema.parametrize()
# derandomize: schemathesis 4 then seeds nothing itself, and Hypothesis derives the seed from the test (and uses
# no example database), so every run sends the same requests.
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_breaks_the_contract(case: schemathesis.Case, dev_stack: DevStack, andrew_token: str) -> None:
    case.call_and_validate(
        base_url=dev_stack.api_url, headers={"Authorization": f"Bearer {andrew_token}"}, checks=CHECKS
    )


def registered_user(dev_stack: DevStack) -> str:
    """A user of our own, in PostgreSQL and in the Cognito pool, that nobody has a conversation with yet."""
    handle = f"fuzz_{uuid.uuid4().hex[:12]}"
    cognito = dev_stack.cognito()
    ensure_users(cognito, dev_stack.pool, [(handle, f"{handle}@test.example")], LOCAL_PASSWORD)
    sub = cognito_users(cognito, dev_stack.pool.pool_id)[handle]
    connection = psycopg2.connect(dev_stack.state["connection_url"])
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO users (display_name, handle, email, cognito_user_id) VALUES (%s, %s, %s, %s)",
                ("Fuzz Partner", handle, f"{handle}@test.example", sub),
            )
    finally:
        connection.close()
    return handle


def test_the_data_is_consistent_after_fuzzing(dev_stack: DevStack, andrew_token: str) -> None:
    # Traffic of its own, so that the check means something when this test runs alone: a new conversation in
    # which both members write, and pattern E has both members' items to bring up to date.
    partner = registered_user(dev_stack)
    partner_token = dev_stack.token(partner)
    started = polite_call(
        "POST", f"{dev_stack.api_url}/api/message_groups", token=andrew_token, body={"handle": partner, "message": "hi"}
    )
    assert started.status == 201, started.body
    group = started.body["message_group_uuid"]
    for n, token in enumerate([partner_token, andrew_token, partner_token]):
        last = polite_call(
            "POST",
            f"{dev_stack.api_url}/api/messages",
            token=token,
            body={"message_group_uuid": group, "message": f"reply {n}"},
        )
        assert last.status == 201, last.body

    assert dev_stack.consistency_problems(timeout=20) == []  # the poller may still be applying the last ones

    # The check saw this conversation: both members' lists show its last message.
    for token in (andrew_token, partner_token):
        listed = call("GET", f"{dev_stack.api_url}/api/message_groups?limit=100", token=token)
        assert listed.status == 200, listed.body
        (shown,) = [item for item in listed.body if item["uuid"] == group]
        assert (shown["message"], shown["created_at"]) == (last.body["message"], last.body["created_at"])
