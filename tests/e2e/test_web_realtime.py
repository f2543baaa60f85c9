"""Real-time delivery in the web client (issue 15): pushed messages show at once, the list follows, and a dropped
socket comes back and catches up, in a real browser over the `make dev` stack's WebSocket API.

Every test makes members of its own, so nobody else's traffic reaches their lists, and opens the page with
`?poll=off`: the page then never polls, so whatever it shows it learnt from the socket or from the reads it makes
when the socket (re)connects. Browser, stack and sign-in helpers come from test_web_client.py.
"""

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg2
import pytest

from tests.dev_process import DevStack
from tests.e2e import message_requests
from tests.e2e.test_web_client import NEEDS_CHROMIUM, launch_browser, sign_in, wait_until
from tooling.cognito import LOCAL_PASSWORD, ensure_users, sync_cognito_user_ids
from tooling.http_client import call

pytestmark = NEEDS_CHROMIUM

PUSH_SECONDS = 3  # "at once": a couple of seconds from the sender's answer, with room for a busy machine
TITLE = "Cruddur Messages"
NO_POLLING = "/?poll=off"
GET_READS = re.compile(r"/api/(messages/|message_groups\?)")  # what the page polls: patterns A and B


@dataclass(frozen=True)
class Member:
    handle: str
    display_name: str
    token: str

    @property
    def item(self) -> str:
        """Their conversation's name in the other member's list (and the conversation's heading)."""
        return f"{self.display_name} (@{self.handle})"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch_browser() as chromium:
        yield chromium


def new_member(stack: DevStack, first_name: str) -> Member:
    """A new person (a profile in PostgreSQL, a user in the local Cognito) whom no other test writes to."""
    handle = f"w{uuid.uuid4().hex[:10]}"
    email = f"{handle}@test.example"
    display_name = f"{first_name} {handle[-4:].upper()}"
    with psycopg2.connect(stack.state["connection_url"]) as connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (display_name, handle, email) VALUES (%s, %s, %s)", (display_name, handle, email)
        )
    connection.close()
    cognito = stack.cognito()
    ensure_users(cognito, stack.pool, [(handle, email)], LOCAL_PASSWORD)
    sync_cognito_user_ids(cognito, stack.pool.pool_id, stack.state["connection_url"])
    return Member(handle, display_name, stack.token(handle))


@pytest.fixture
def member(dev_stack: DevStack) -> Callable[[str], Member]:
    return lambda first_name: new_member(dev_stack, first_name)


def start(stack: DevStack, sender: Member, to: Member, text: str, *, accepted: bool = True) -> dict[str, Any]:
    """A new conversation (pattern D); returns the message with its message_group_uuid. `accepted`: `to` accepts it
    at once, so it is an ordinary conversation for both (what these tests are about); False leaves it a message
    request to `to` (test_web_requests.py)."""
    result = call(
        "POST", f"{stack.api_url}/api/message_groups", token=sender.token, body={"handle": to.handle, "message": text}
    )
    assert result.status == 201, result.body
    if accepted:
        accept(stack, to, result.body["message_group_uuid"])
    return result.body


def accept(stack: DevStack, who: Member, group_uuid: str) -> None:
    """`who` accepts the message request of `group_uuid` (PUT .../accept)."""
    message_requests.accept(stack.api_url, who.token, group_uuid)


def send(stack: DevStack, sender: Member, group_uuid: str, text: str) -> dict[str, Any]:
    """A message (pattern C); returns it as a push carries it (with message_group_uuid)."""
    body = {"message_group_uuid": group_uuid, "message": text}
    result = call("POST", f"{stack.api_url}/api/messages", token=sender.token, body=body)
    assert result.status == 201, result.body
    return {**result.body, "message_group_uuid": group_uuid}


def listed(stack: DevStack, who: Member) -> dict[str, dict[str, Any]]:
    """`who`'s conversations as the API lists them (pattern B), by group uuid."""
    result = call("GET", f"{stack.api_url}/api/message_groups?limit=100", token=who.token)
    assert result.status == 200, result.body
    return {group["uuid"]: group for group in result.body}


def open_page(browser, stack: DevStack, who: Member, path: str = NO_POLLING, before_sign_in=None, **context_options):
    """`who` signed in on a page of their own; `before_sign_in(page)` may route the page first."""
    page = browser.new_context(locale="en-US", **context_options).new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.reads = []  # the page's reads of patterns A and B (the polls, and the catch-up after a reconnect)
    page.on("request", lambda r: page.reads.append(r.url) if r.method == "GET" and GET_READS.search(r.url) else None)
    if before_sign_in:
        before_sign_in(page)
    page.goto(f"{stack.api_url}{path}")
    sign_in(page, who.handle)
    return page


def socket_up(page, timeout: float = 10_000) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    expect(page.locator("#app-view")).to_have_attribute("data-live", "up", timeout=timeout)


def group_items(page):
    return page.locator("#groups li")


class Gate:
    """The page's WebSocket through Playwright: passed on to the server while open, refused at once while shut
    (as a server that is down refuses the upgrade). `drop()` is the server ending the connection."""

    def __init__(self, page) -> None:
        self.shut = False
        self.servers: list[Any] = []
        self.routes: list[Any] = []
        self.urls: list[str] = []
        page.route_web_socket(re.compile(r"^wss?://"), self._route)

    def _route(self, ws) -> None:
        self.urls.append(ws.url)
        if self.shut:
            ws.close()
            return
        self.routes.append(ws)
        self.servers.append(ws.connect_to_server())

    def drop(self) -> None:
        self.shut = True
        self.servers[-1].close()

    def push(self, frame: dict[str, Any]) -> None:
        """A frame as if the server had sent it, to the page's current socket."""
        self.routes[-1].send(json.dumps(frame))


def open_behind_gate(browser, stack: DevStack, who: Member):
    """`who` signed in on a page whose WebSocket goes through a `Gate`: the page and its gate."""
    gates: list[Gate] = []
    page = open_page(browser, stack, who, before_sign_in=lambda p: gates.append(Gate(p)))
    return page, gates[0]


def cut_off_in_a_new_conversation(browser, stack: DevStack, member: Callable[[str], Member]):
    """Ben's page behind a gate, his new conversation with Ann open, just after the server dropped its socket (and
    while it refuses new ones): Ann, the conversation's uuid, the page and its gate.

    The page's reads (the conversation opening, the catch-up when its socket came up) are answered first: one still
    on its way when the socket drops could bring what is sent after the drop, which the test would take for a
    push reaching a page that is cut off."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(stack, ben, ann, "Hello Ann")["message_group_uuid"]
    page, gate = open_behind_gate(browser, stack, ben)
    reading: set[Any] = set()
    page.on("request", lambda request: reading.add(request) if GET_READS.search(request.url) else None)

    def answered(request) -> None:  # Playwright takes Python functions as listeners, not a set's own method
        reading.discard(request)

    page.on("requestfinished", answered)
    page.on("requestfailed", answered)
    page.get_by_role("button", name=ann.item).click()
    socket_up(page)
    wait_until(page, lambda: not reading, "the page's reads to be answered")
    gate.drop()  # the server ends the connection, and refuses new ones for a while
    expect(page.locator("#app-view")).to_have_attribute("data-live", "down")
    return ann, group, page, gate


def test_a_pushed_message_shows_at_once_and_its_conversation_moves_to_the_top(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben, cat = member("Ann"), member("Ben"), member("Cat")
    with_ann = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    start(dev_stack, ben, cat, "Hello Cat")  # the more recent: Cat's conversation is on top of Ben's list
    page = open_page(browser, dev_stack, ben)
    items = group_items(page)
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text(cat.item)
    page.get_by_role("button", name=ann.item).click()
    expect(page.locator(".message-text")).to_have_text(["Hello Ann"])
    socket_up(page)

    text = f"Pushed to you {uuid.uuid4().hex[:6]}"
    send(dev_stack, ann, with_ann, text)
    expect(page.locator(".message-text")).to_have_text(["Hello Ann", text], timeout=PUSH_SECONDS * 1000)
    reads_before = len(page.reads)  # after the reads the page makes once when its socket opens
    expect(items.first).to_contain_text(ann.item)
    expect(items.first.locator(".group-preview")).to_have_text(text)
    expect(items.nth(1)).to_contain_text(cat.item)
    expect(page.get_by_role("status")).to_have_text(f"{ann.display_name}: {text}")  # said politely

    # Pushed into a conversation that is not open: it moves up too, and the open one stays as it is.
    text_cat = f"Me too {uuid.uuid4().hex[:6]}"
    with_cat = listed(dev_stack, cat)
    send(dev_stack, cat, next(iter(with_cat)), text_cat)
    expect(items.first).to_contain_text(cat.item, timeout=PUSH_SECONDS * 1000)
    expect(items.first.locator(".group-preview")).to_have_text(text_cat)
    expect(page.get_by_role("status")).to_have_text(f"New message from {cat.display_name}")
    expect(page.locator(".message-text")).to_have_text(["Hello Ann", text])

    page.wait_for_timeout(6_000)  # longer than either poll's period: a page that polls has polled by now
    # All of it came pushed. The one read there may be is the list's, once, a few seconds after the socket opened
    # (the list trails the messages a little: for one written just before).
    reads = page.reads[reads_before:]
    assert [url for url in reads if "/api/messages/" in url] == []
    assert len(reads) <= 1
    assert page.errors == []


def test_own_messages_from_another_session_show_in_this_one(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ann, ben, "Hi Ben")["message_group_uuid"]
    page = open_page(browser, dev_stack, ann)
    page.get_by_role("button", name=ben.item).click()
    socket_up(page)
    text = f"Written on my phone {uuid.uuid4().hex[:6]}"
    send(dev_stack, ann, group, text)
    mine = page.locator("#messages .message").last
    expect(mine).to_contain_text(text, timeout=PUSH_SECONDS * 1000)
    expect(mine).to_have_class(re.compile(r"\bmine\b"))
    expect(group_items(page).first.locator(".group-preview")).to_have_text(text)
    expect(group_items(page).first.locator(".unread-badge")).to_have_count(0)
    reads_before = len(page.reads)

    # Sent here: the answer and the push bring the same message, which shows once.
    here = f"Written here {uuid.uuid4().hex[:6]}"
    page.get_by_label("Message", exact=True).fill(here)
    page.keyboard.press("Enter")
    expect(page.locator("#messages .message").last).to_contain_text("Sent")
    page.wait_for_timeout(3_500)  # the push of it arrives meanwhile; a page that polled would have by now
    expect(page.locator(".message-text", has_text=here)).to_have_count(1)
    assert [url for url in page.reads[reads_before:] if "/api/messages/" in url] == []
    assert page.errors == []


def test_a_dropped_socket_reconnects_and_catches_up_without_gaps_or_doubles(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, group, page, gate = cut_off_in_a_new_conversation(browser, dev_stack, member)
    texts = ["Hello Ann"]
    missed = [f"While you were away {n} {uuid.uuid4().hex[:6]}" for n in range(3)]
    sent = [send(dev_stack, ann, group, text) for text in missed]
    texts += missed
    page.wait_for_timeout(1_500)  # pushes have gone out by now, to no socket of this page
    expect(page.locator(".message-text", has_text="While you were away")).to_have_count(0)  # really cut off
    attempts = len(gate.urls)

    gate.shut = False  # the server is back: the next attempt gets through, and the page reads what it missed
    socket_up(page, timeout=20_000)
    assert len(gate.urls) > attempts  # it came back by trying again, not by being told
    assert all("token=" in url for url in gate.urls)  # every attempt carried a token
    expect(page.locator(".message-text")).to_have_text(texts)
    expect(group_items(page).first.locator(".group-preview")).to_have_text(missed[-1])

    # A push may come twice, and may repeat what the catch-up read: each message still shows once.
    gate.push({"type": "messages", "messages": sent[-2:]})
    gate.push({"type": "messages", "messages": sent[-1:]})
    later = f"And now live again {uuid.uuid4().hex[:6]}"
    send(dev_stack, ann, group, later)
    texts.append(later)
    expect(page.locator(".message-text")).to_have_text(texts, timeout=PUSH_SECONDS * 1000)
    expect(group_items(page).first.locator(".group-preview")).to_have_text(later)
    assert page.errors == []


def test_more_missed_than_a_page_still_leaves_no_gap(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, group, page, gate = cut_off_in_a_new_conversation(browser, dev_stack, member)
    missed = [f"missed {n:02d}" for n in range(45)]  # more than two of the page's reads of 20
    for text in missed:
        send(dev_stack, ann, group, text)
    gate.shut = False
    page.evaluate("dispatchEvent(new Event('online'))")  # the network is back: no waiting out the backoff
    socket_up(page)
    expect(page.locator(".message-text")).to_have_text(["Hello Ann", *missed])
    assert page.errors == []


def test_without_a_socket_the_page_polls(browser, dev_stack, member) -> None:
    """The fallback: a socket that cannot connect leaves the page polling, as it did before there was one."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    gates: list[Gate] = []

    def refuse(page) -> None:
        gates.append(Gate(page))
        gates[0].shut = True

    page = open_page(browser, dev_stack, ben, path="/", before_sign_in=refuse)
    page.get_by_role("button", name=ann.item).click()
    expect(page.locator("#app-view")).to_have_attribute("data-live", "down")
    text = f"Found by polling {uuid.uuid4().hex[:6]}"
    send(dev_stack, ann, group, text)
    expect(page.locator(".message-text").last).to_have_text(text, timeout=10_000)
    expect(group_items(page).first.locator(".group-preview")).to_have_text(text, timeout=10_000)
    assert page.errors == []
