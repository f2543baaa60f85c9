"""The direct push (issue 25): C and D post a new message to both members' sockets before they answer, and the
stream's push follows as the backstop, with real WebSocket clients and a real browser over `make dev` stacks.

Two stacks of this module's own, each with one of the local stack's test switches (README, "Local stack"):
without the stream's push (`--no-stream-push`: only the direct push can deliver) and with a direct push whose
management endpoint never answers (`--direct-push-fault hang`: only the stream's push can deliver); the package's
`dev_stack` has both paths. Conversations are accepted ones (tests/e2e/message_requests.py).
"""

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.dev_process import DevStack, start_dev_stack
from tests.e2e import test_web_realtime as web
from tests.e2e.test_realtime import SETTLE_SECONDS, Member, pushed, send, start
from tests.e2e.test_web_client import NEEDS_CHROMIUM
from tooling.cognito import LOCAL_PASSWORD, ensure_users, sync_cognito_user_ids
from tooling.http_client import call

BURST = 8  # messages sent one after another, each as soon as the previous one is answered
QUIET_SECONDS = 2.0  # how long a socket is watched for a frame that must not come


def _stack(tmp_path_factory: pytest.TempPathFactory, name: str, *args: str) -> Iterator[DevStack]:
    stack = start_dev_stack(Path(tmp_path_factory.mktemp(name)), extra_args=args)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def direct_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    # A budget this loaded machine does not reach: a direct push past its budget goes on in the background and may
    # post after the next message's, and these tests read the raw socket's order of arrival.
    yield from _stack(
        tmp_path_factory, "direct", "--no-stream-push", "--parameter-overrides", "DirectPushBudgetMs=1000"
    )


@pytest.fixture(scope="module")
def stream_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    yield from _stack(tmp_path_factory, "stream", "--direct-push-fault", "hang")


def make_member(stack: DevStack, display_name: str) -> Member:
    handle = f"dp_{uuid.uuid4().hex[:10]}"
    email = f"{handle}@test.example"
    with psycopg2.connect(stack.state["connection_url"]) as connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (display_name, handle, email) VALUES (%s, %s, %s) RETURNING uuid::text",
            (display_name, handle, email),
        )
        (user_uuid,) = cursor.fetchone()
    connection.close()
    cognito = stack.cognito()
    ensure_users(cognito, stack.pool, [(handle, email)], LOCAL_PASSWORD)
    sync_cognito_user_ids(cognito, stack.pool.pool_id, stack.state["connection_url"])
    return Member(user_uuid, handle, display_name, stack.token(handle))


@pytest.fixture
def opened() -> Iterator[Callable[[DevStack, Member], ClientConnection]]:
    with ExitStack() as sockets:

        def open_(stack: DevStack, who: Member) -> ClientConnection:
            return sockets.enter_context(connect(f"{stack.websocket_url}?token={who.token}", max_queue=None))

        yield open_


def frames_until_quiet(socket: ClientConnection, quiet: float = QUIET_SECONDS) -> list[dict[str, Any]]:
    """The messages of every frame until none has come for ``quiet`` seconds (or SETTLE_SECONDS in all)."""
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        try:
            frame = json.loads(socket.recv(timeout=quiet))
        except TimeoutError:
            break
        assert frame["type"] == "messages", frame
        messages += frame["messages"]
    return messages


def first_arrivals(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a client keeps: each uuid once, where it first came."""
    seen: dict[str, dict[str, Any]] = {}
    for message in messages:
        seen.setdefault(message["uuid"], message)
    return list(seen.values())


def burst(stack: DevStack, sender: Member, other: Member) -> list[dict[str, Any]]:
    """D's first message (accepted), then BURST messages by C, each sent once the previous one was answered."""
    first = start(stack, sender, other, "burst begins")
    group = first["message_group_uuid"]
    return [first] + [send(stack, sender, group, f"burst {n}") for n in range(BURST)]


# -----------------------------------------------------------------------------------------------------------------
# The direct path alone
# -----------------------------------------------------------------------------------------------------------------
def test_without_the_stream_s_push_c_and_d_deliver_to_both_members_sockets(
    direct_only: DevStack, opened: Callable[[DevStack, Member], ClientConnection]
) -> None:
    alice, bob = make_member(direct_only, "Alice"), make_member(direct_only, "Bob")
    laptop, phone, bobs = opened(direct_only, alice), opened(direct_only, alice), opened(direct_only, bob)

    first = start(direct_only, alice, bob, "Hello Bob")  # pattern D
    assert [pushed(s) for s in (laptop, phone, bobs)] == [[first]] * 3

    reply = send(direct_only, bob, first["message_group_uuid"], "Hi Alice")  # pattern C
    assert [pushed(s) for s in (laptop, phone, bobs)] == [[reply]] * 3


def test_without_the_stream_s_push_each_socket_gets_each_message_once_and_in_order(
    direct_only: DevStack, opened: Callable[[DevStack, Member], ClientConnection]
) -> None:
    alice, bob = make_member(direct_only, "Alice"), make_member(direct_only, "Bob")
    alices, bobs = opened(direct_only, alice), opened(direct_only, bob)
    sent = burst(direct_only, alice, bob)
    for socket in (alices, bobs):
        # The accept (a MODIFY of the group items) is no message: nothing else reaches these sockets.
        assert frames_until_quiet(socket) == sent


# -----------------------------------------------------------------------------------------------------------------
# The stream's push alone, the direct push failing
# -----------------------------------------------------------------------------------------------------------------
def test_with_the_direct_push_failing_the_stream_s_push_still_delivers_once_and_in_order(
    stream_only: DevStack, opened: Callable[[DevStack, Member], ClientConnection]
) -> None:
    alice, bob = make_member(stream_only, "Alice"), make_member(stream_only, "Bob")
    alices, bobs = opened(stream_only, alice), opened(stream_only, bob)
    sent = burst(stream_only, alice, bob)
    for socket in (alices, bobs):
        assert frames_until_quiet(socket) == sent


def test_with_the_direct_push_failing_c_answers_as_it_would_without_it(
    stream_only: DevStack, opened: Callable[[DevStack, Member], ClientConnection]
) -> None:
    alice, bob = make_member(stream_only, "Alice"), make_member(stream_only, "Bob")
    opened(stream_only, bob)  # a socket to push to, so that the direct push does meet the endpoint that hangs
    group = start(stream_only, alice, bob, "Hello")["message_group_uuid"]
    body = {"message_group_uuid": group, "message": "Are you there?"}
    answer = call("POST", f"{stream_only.api_url}/api/messages", token=alice.token, body=body)
    assert answer.status == 201, answer.body
    assert answer.body == {
        "uuid": answer.body["uuid"],
        "display_name": "Alice",
        "handle": alice.handle,
        "message": "Are you there?",
        "created_at": answer.body["created_at"],
        "edited_at": None,
        "deleted_at": None,
    }
    # And it is stored: pattern A has it.
    listed = call("GET", f"{stream_only.api_url}/api/messages/{group}", token=alice.token)
    assert answer.body["uuid"] in [message["uuid"] for message in listed.body]


# -----------------------------------------------------------------------------------------------------------------
# Both paths: the backstop re-sends everything
# -----------------------------------------------------------------------------------------------------------------
def test_with_both_paths_each_message_comes_twice_and_once_after_de_duplication(
    dev_stack: DevStack, opened: Callable[[DevStack, Member], ClientConnection]
) -> None:
    alice, bob = make_member(dev_stack, "Alice"), make_member(dev_stack, "Bob")
    alices, bobs = opened(dev_stack, alice), opened(dev_stack, bob)
    sent = burst(dev_stack, alice, bob)
    for socket in (alices, bobs):
        received = frames_until_quiet(socket)
        # Once by the direct push, once by the stream's push (docs/architecture.md, "Push": what it re-sends).
        assert Counter(message["uuid"] for message in received) == Counter({m["uuid"]: 2 for m in sent})
        assert sorted(first_arrivals(received), key=lambda m: (m["created_at"], m["uuid"])) == sent


# -----------------------------------------------------------------------------------------------------------------
# The browser, polling off: several messages sent quickly show once each, in order, under every path
# -----------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from tests.e2e.test_web_client import launch_browser  # noqa: PLC0415

    with launch_browser() as chromium:
        yield chromium


@NEEDS_CHROMIUM
@pytest.mark.parametrize("path", ["both", "direct", "stream"])
def test_the_browser_shows_a_quick_burst_once_each_and_in_order(
    request: pytest.FixtureRequest, browser, path: str
) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    stacks = {"both": "dev_stack", "direct": "direct_only", "stream": "stream_only"}
    stack: DevStack = request.getfixturevalue(stacks[path])
    ann, ben = web.new_member(stack, "Ann"), web.new_member(stack, "Ben")
    group = web.start(stack, ben, ann, "Hello Ann")["message_group_uuid"]
    page = web.open_page(browser, stack, ann)
    page.get_by_role("button", name=ben.item).click()
    # A read, not a push: room for a machine running this module's three stacks at once.
    expect(page.locator(".message-text")).to_have_text(["Hello Ann"], timeout=15_000)
    web.socket_up(page)

    texts = [f"quick {n} {uuid.uuid4().hex[:4]}" for n in range(BURST)]
    for text in texts:
        web.send(stack, ben, group, text)
    expect(page.locator(".message-text")).to_have_text(["Hello Ann", *texts], timeout=web.PUSH_SECONDS * 1000)
    page.wait_for_timeout(QUIET_SECONDS * 1000)  # the stream's copies arrive meanwhile (where it runs)
    expect(page.locator(".message-text")).to_have_text(["Hello Ann", *texts])
    assert page.errors == []
    page.context.close()
