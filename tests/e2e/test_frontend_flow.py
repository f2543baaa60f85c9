"""The original frontend's whole flow, over HTTP against `make dev`'s stack with real Cognito tokens."""

import time
from collections.abc import Callable
from typing import Any

from tests.dev_process import DevStack
from tooling.http_client import HttpResult, call
from tooling.seed import SEED_GROUP_UUID


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Polls until ``check`` returns something truthy: pattern E runs asynchronously, as in AWS."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("the stream did not apply the change in time")


def groups(stack: DevStack, token: str) -> list[dict]:
    result = call("GET", f"{stack.api_url}/api/message_groups", token=token)
    assert result.status == 200, result.body
    return result.body


def test_list_open_post_and_start_a_conversation(dev_stack: DevStack) -> None:
    andrew, bayko = dev_stack.token("andrewbrown"), dev_stack.token("bayko")

    # The seeded conversation is on andrewbrown's list, with bayko as the other member.
    top = groups(dev_stack, andrew)[0]
    assert (top["uuid"], top["handle"], top["display_name"]) == (SEED_GROUP_UUID, "bayko", "Andrew Bayko")

    opened = call("GET", f"{dev_stack.api_url}/api/messages/{SEED_GROUP_UUID}?limit=5", token=andrew)
    assert opened.status == 200
    assert len(opened.body) == 5
    assert opened.headers["link"].startswith(f"</api/messages/{SEED_GROUP_UUID}?limit=5&cursor=")
    older = call("GET", dev_stack.api_url + opened.headers["link"][1:].split(">")[0], token=andrew)
    assert older.status == 200
    assert older.body[-1]["created_at"] < opened.body[0]["created_at"]

    posted = call(
        "POST",
        f"{dev_stack.api_url}/api/messages",
        token=andrew,
        body={"message_group_uuid": SEED_GROUP_UUID, "message": "Are you back with the coffee?"},
    )
    assert posted.status == 201
    assert posted.body["handle"] == "andrewbrown"
    eventually(lambda: groups(dev_stack, bayko)[0]["message"] == "Are you back with the coffee?")

    started = call(
        "POST",
        f"{dev_stack.api_url}/api/message_groups",
        token=bayko,
        body={"handle": "londo", "message": "Hello Londo!"},
    )
    assert started.status in {200, 201}, started.body
    londo = dev_stack.token("londo")
    for token in (bayko, londo):
        top = groups(dev_stack, token)[0]
        assert (top["uuid"], top["message"]) == (started.body["message_group_uuid"], "Hello Londo!")

    # A reply from londo moves the conversation to the top of bayko's list once pattern E ran.
    call(
        "POST",
        f"{dev_stack.api_url}/api/messages",
        token=andrew,
        body={"message_group_uuid": SEED_GROUP_UUID, "message": "Never mind."},
    )
    eventually(lambda: groups(dev_stack, bayko)[0]["uuid"] == SEED_GROUP_UUID)
    reply = call(
        "POST",
        f"{dev_stack.api_url}/api/messages",
        token=londo,
        body={"message_group_uuid": started.body["message_group_uuid"], "message": "Greetings!"},
    )
    assert reply.status == 201
    eventually(lambda: groups(dev_stack, bayko)[0]["message"] == "Greetings!")


def test_members_only_across_users(dev_stack: DevStack) -> None:
    worf = dev_stack.token("worf")
    garek = dev_stack.token("garek")

    read: HttpResult = call("GET", f"{dev_stack.api_url}/api/messages/{SEED_GROUP_UUID}", token=worf)
    write = call(
        "POST",
        f"{dev_stack.api_url}/api/messages",
        token=garek,
        body={"message_group_uuid": SEED_GROUP_UUID, "message": "let me in"},
    )
    assert (read.status, read.body["error"]) == (403, "not_a_member")
    assert (write.status, write.body["error"]) == (403, "not_a_member")
    assert all(g["uuid"] != SEED_GROUP_UUID for g in groups(dev_stack, worf))


def test_cors_preflight_and_exposed_link_and_retry_after_headers(dev_stack: DevStack) -> None:
    origin = {"Origin": "http://localhost:8080"}
    preflight = call(
        "OPTIONS",
        f"{dev_stack.api_url}/api/messages",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status == 200
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    assert "POST" in preflight.headers["access-control-allow-methods"]

    listed = call(
        "GET",
        f"{dev_stack.api_url}/api/messages/{SEED_GROUP_UUID}?limit=1",
        token=dev_stack.token("andrewbrown"),
        headers=origin,
    )
    assert listed.headers["access-control-allow-origin"] == "*"
    # Browsers may read only exposed headers: the next page's link, when to retry a 409, 429 or 503, and where the
    # other member has read up to ("Seen", on A's first page).
    exposed = {name.strip() for name in listed.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"link", "retry-after", "other-last-read-uuid", "other-last-read-at"}


def test_unknown_routes_get_api_gateways_404(dev_stack: DevStack) -> None:
    result = call("GET", f"{dev_stack.api_url}/api/nothing-here", token=dev_stack.token("andrewbrown"))
    assert (result.status, result.body) == (404, {"message": "Not Found"})
