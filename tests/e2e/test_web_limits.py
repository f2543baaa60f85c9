"""The web client under the per-user limits (issue 21): a person over the send limit sees their sends slowed down,
calmly, and every message goes out once, in order, after the server's Retry-After; the WebSocket never outlives its
access token (a new connection with the fresh token before it expires, the old one let go only after, no push
lost); a connection the server closes comes back and catches up; an error frame never makes the page ping sooner.

Members of their own per test, `?poll=off` pages and the helpers of test_web_realtime.py. Where a token must
expire within a test, the page's first access token is minted again with a lifetime of LIFETIME_SECONDS (with
moto's published key, as tests/e2e/test_tokens.py does), so the real server meets a real expiry.
"""

import collections
import itertools
import json
import re
import threading
import time
import uuid
from contextlib import ExitStack
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import psycopg2
import pytest
from websockets.sync.client import connect

from tests.dev_process import DevStack
from tests.e2e import test_web_realtime
from tests.e2e.test_tokens import moto_signing_key, sign
from tests.e2e.test_web_client import NEEDS_CHROMIUM, SCREENSHOTS, wait_until
from tests.e2e.test_web_look import SCHEMES, serious_violations
from tests.e2e.test_web_realtime import (
    PUSH_SECONDS,
    Gate,
    Member,
    listed,
    open_page,
    send,
    socket_up,
    start,
)
from tests.e2e.test_web_unread import READ_MARKER
from tooling.http_client import call
from tooling.template import Template

pytestmark = NEEDS_CHROMIUM

SLOWED = re.compile(r"^Sending slowed down: retrying in \d+ s$")
# The page refreshes a token config.json's tokenRefreshMarginSeconds before it expires (60 s) and renews its socket
# socketRenewMarginSeconds before (45 s); these pages are given REFRESH_MARGIN_SECONDS and RENEW_MARGIN_SECONDS: a
# first token of this lifetime is refreshed after 5 s and the socket renewed after 10 s, and it expires after 30 s.
LIFETIME_SECONDS = 30
REFRESH_MARGIN_SECONDS, RENEW_MARGIN_SECONDS = 25, 20
RENEW_AFTER_SECONDS = LIFETIME_SECONDS - RENEW_MARGIN_SECONDS
RENEWED_WITHIN_SECONDS = RENEW_AFTER_SECONDS + 15  # 25 s, with room for a busy machine, still before the expiry
DRAIN_SECONDS = 5  # the page lets the replaced connection go this long after the new one is up
RATE_LIMITED = {"type": "error", "error": "rate_limited", "message": "Too many frames; slow down."}  # $default's


browser, member = test_web_realtime.browser, test_web_realtime.member  # the fixtures, shared


def user_uuid(stack: DevStack, who: Member) -> str:
    with psycopg2.connect(stack.state["connection_url"]) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT uuid::text FROM users WHERE handle = %s", (who.handle,))
        (found,) = cursor.fetchone()
    connection.close()
    return found


def stored_connections(stack: DevStack, who: Member) -> list[dict[str, Any]]:
    """`who`'s connections as the server stores them (as tests/e2e/test_realtime.py reads them), whole items."""
    return stack.client("dynamodb").query(
        TableName=stack.state["connections_table"],
        KeyConditionExpression="user_uuid = :u",
        ExpressionAttributeValues={":u": {"S": user_uuid(stack, who)}},
    )["Items"]


def stored_expiries(page, stack: DevStack, who: Member, count: int) -> dict[str, int]:
    """`who`'s stored connections once there are `count` of them (a close is forgotten a little later): when each
    expires, by connection id (the server stores its token's expiry, or 2 hours, whichever is first). Waits with
    the page, whose routed sockets (Gate) are served only while Playwright has the thread."""
    deadline = time.monotonic() + 15
    while True:
        stored = {i["connection_id"]["S"]: int(i["expires_at"]["N"]) for i in stored_connections(stack, who)}
        if len(stored) == count or time.monotonic() > deadline:
            assert len(stored) == count, stored
            return stored
        page.wait_for_timeout(200)


def messages_listed(stack: DevStack, who: Member, group_uuid: str) -> list[str]:
    """The conversation's texts as the API lists them, oldest first."""
    result = call("GET", f"{stack.api_url}/api/messages/{group_uuid}?limit=50", token=who.token)
    assert result.status == 200, result.body
    return [m["message"] for m in sorted(result.body, key=lambda m: (m["created_at"], m["uuid"]))]


def token_in(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def expiry_of(token: str) -> int:
    return jwt.decode(token, options={"verify_signature": False})["exp"]


def short_lived(token: str, seconds: int) -> str:
    """The same access token (claims, scope and all) minted again to expire `seconds` from now."""
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    return sign({**claims, "iat": now, "exp": now + seconds}, moto_signing_key().key)


def shorten_first_token(page, stack: DevStack, seconds: int) -> dict[str, Any]:
    """The sign-in gives the page an access token that expires in `seconds`; refreshed ones are Cognito's own
    (an hour). Returns the tokens the page got: {"first": ..., "refreshed": [...]}."""
    tokens: dict[str, Any] = {"first": None, "refreshed": []}
    endpoint = call("GET", f"{stack.api_url}/config.json").body["cognito"]["endpoint"]

    def handle(route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        flow = (route.request.post_data_json or {}).get("AuthFlow")
        response = route.fetch()
        body = response.json()
        result = body.get("AuthenticationResult")
        if result and flow == "USER_PASSWORD_AUTH":
            result["AccessToken"] = tokens["first"] = short_lived(result["AccessToken"], seconds)
            result["ExpiresIn"] = seconds
        elif result and flow == "REFRESH_TOKEN_AUTH":
            tokens["refreshed"].append(result["AccessToken"])
        route.fulfill(response=response, json=body)

    page.route(endpoint, handle)
    return tokens


class FrameGate(Gate):
    """A Gate that also sees what the page sends: `sent`, every frame; with `answer_pings` set, a ping is not
    passed on and the frame given is the answer (as a server that limits frames answers)."""

    def __init__(self, page) -> None:
        self.sent: list[str] = []
        self.answer_pings: dict[str, Any] | None = None
        super().__init__(page)

    def _route(self, ws) -> None:
        super()._route(ws)
        if self.routes and self.routes[-1] is ws:
            server = self.servers[-1]
            ws.on_message(lambda message: self._from_page(ws, server, message))

    def _from_page(self, ws, server, message: str) -> None:
        self.sent.append(message)
        if self.answer_pings and json.loads(message).get("action") == "ping":
            ws.send(json.dumps(self.answer_pings))
        else:
            server.send(message)

    def pings(self) -> int:
        return sum(json.loads(message).get("action") == "ping" for message in self.sent)


def watch_live_state(page) -> None:
    """From now on, every change of the page's socket state is kept in `window.liveStates`."""
    page.evaluate(
        """() => {
            window.liveStates = [];
            new MutationObserver(() => window.liveStates.push(document.querySelector("#app-view").dataset.live))
                .observe(document.querySelector("#app-view"), { attributes: true, attributeFilter: ["data-live"] });
        }"""
    )


class Flood:
    """`who` sending as fast as several clients can, over HTTP, until stopped: the person's sends are held at the
    limit meanwhile (the limit is the person's, across conversations and both sending routes).

    The sends have no text: the API spends one of the person's sends before it reads a body (a flood costs it one
    read), so each counts as a send, and none writes a message or pushes one to the page under test, which would
    only slow this machine down."""

    def __init__(self, stack: DevStack, who: Member, path: str = "/api/messages", method: str = "POST") -> None:
        self.statuses: list[int] = []
        self.retry_after: list[str] = []
        self._stop = threading.Event()

        def run() -> None:
            while not self._stop.is_set():
                result = call(method, f"{stack.api_url}{path}", token=who.token, body={})
                self.statuses.append(result.status)
                if result.status == 429:
                    self.retry_after.append(result.headers.get("retry-after", ""))

        self._threads = [threading.Thread(target=run, daemon=True) for _ in range(8)]
        for thread in self._threads:
            thread.start()

    def limited(self) -> bool:
        return 429 in self.statuses

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=35)


def watch_sends(page) -> list[dict[str, Any]]:
    """The page's POST /api/messages answers as they come: text, status, Retry-After, key and browser times (ms)."""
    answers: list[dict[str, Any]] = []

    def seen(response) -> None:
        request = response.request
        if request.method != "POST" or not request.url.endswith("/api/messages"):
            return
        timing = request.timing
        answers.append(
            {
                "text": (request.post_data_json or {}).get("message"),
                "status": response.status,
                "retry_after": response.headers.get("retry-after"),
                "key": request.headers.get("idempotency-key"),
                "started": timing["startTime"],
                "answered": timing["startTime"] + timing["responseStart"],
            }
        )

    page.on("response", seen)
    return answers


def type_and_send(page, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def wait_for_the_limit(page, flood: Flood) -> None:
    deadline = time.monotonic() + 30
    while not flood.limited():
        assert time.monotonic() < deadline, f"no 429 for the flood: {collections.Counter(flood.statuses)}"
        page.wait_for_timeout(100)
    assert {200, 201}.isdisjoint(flood.statuses), collections.Counter(flood.statuses)  # invalid, or limited
    assert all(re.fullmatch(r"\d+", value) for value in flood.retry_after), flood.retry_after[:5]


def send_until_one_is_held(page, flood: Flood, answers: list[dict[str, Any]]) -> list[str]:
    """Once the flood has met the limit, messages typed on the page until the API refuses one (the flood keeps the
    limit spent, but a send of the page's may still find a token free: that one goes through, in order). Returns
    the texts typed; the last is the one refused."""
    wait_for_the_limit(page, flood)
    typed: list[str] = []
    for n in range(5):
        typed.append(f"held {n} {uuid.uuid4().hex[:6]}")
        type_and_send(page, typed[-1])
        wait_until(page, lambda: any(a["text"] == typed[-1] for a in answers), "the page's send to be answered")
        if any(a["text"] == typed[-1] and a["status"] == 429 for a in answers):
            return typed
    pytest.fail("none of five sends met the limit while the flood ran")


def waited_out_in_order(answers: list[dict[str, Any]], limited: str, typed: list[str]) -> None:
    """`limited` was asked again only after each Retry-After, always with its one key, and got there; every
    message typed went out after the one before it was answered, each with its own key."""
    of_limited = [a for a in answers if a["text"] == limited]
    assert [a["status"] for a in of_limited][-1] == 201
    assert len({a["key"] for a in of_limited}) == 1
    for refused, again in itertools.pairwise(of_limited):
        assert refused["status"] == 429, refused
        assert refused["retry_after"] is not None, refused
        # Not asked again before the server said (browser times; a few ms for rounding).
        assert again["started"] - refused["answered"] >= int(refused["retry_after"]) * 1000 - 5, (refused, again)
    delivered = {a["text"]: a for a in answers if a["status"] == 201}
    for before, after in itertools.pairwise(typed):
        assert delivered[after]["started"] >= delivered[before]["answered"]
    assert len({a["key"] for a in delivered.values()}) == len(typed)


# -----------------------------------------------------------------------------------------------------------------
# The send limit
# -----------------------------------------------------------------------------------------------------------------
def test_sends_over_the_limit_are_slowed_down_and_go_out_once_in_order_after_retry_after(
    browser, dev_stack: DevStack, member
) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    with_ann = start(dev_stack, ann, ben, "Hello Ben")["message_group_uuid"]
    page = open_page(browser, dev_stack, ben)
    answers = watch_sends(page)
    page.get_by_role("button", name=ann.item).click()
    expect(page.locator(".message-text")).to_have_text(["Hello Ben"])
    status = page.locator("#send-status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("")

    flood = Flood(dev_stack, ben)  # Ben, on another device, sending as fast as it goes
    try:
        typed = send_until_one_is_held(page, flood, answers)
        expect(status).to_have_text(SLOWED)  # said calmly: a polite live region, not an alert
        expect(page.locator("#notice")).to_be_hidden()
        expect(page.locator("#messages .message", has_text=typed[-1])).to_contain_text("Sending…")
    finally:
        flood.stop()
    limited = typed[-1]
    queued = [f"queued {n} {uuid.uuid4().hex[:6]}" for n in range(2)]  # written while the first is held back
    for text in queued:
        type_and_send(page, text)
    typed += queued

    mine = page.locator("#messages .message.mine")
    expect(page.locator(".message-text")).to_have_text(["Hello Ben", *typed], timeout=30_000)
    expect(mine.last).to_contain_text("Sent", timeout=30_000)
    expect(page.locator("#messages .message.sending")).to_have_count(0)
    expect(status).to_have_text("")
    assert messages_listed(dev_stack, ben, with_ann) == ["Hello Ben", *typed]  # each once, in the order written

    waited_out_in_order(answers, limited, typed)
    assert page.errors == []


def test_a_read_marker_refused_by_its_limit_is_set_once_retry_after_is_over(
    browser, dev_stack: DevStack, member
) -> None:
    """The read marker has a limit of its own: refused, the page sets it again when the server says, not only when
    another message happens to arrive."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    with_ann = start(dev_stack, ann, ben, "Hello Ben")["message_group_uuid"]
    page = open_page(browser, dev_stack, ben)
    markers: list[int] = []
    page.on("response", lambda r: markers.append(r.status) if READ_MARKER.search(r.url) else None)
    page.get_by_role("button", name=ann.item).click()
    socket_up(page)
    flood = Flood(dev_stack, ben, f"/api/message_groups/{with_ann}/read", "PUT")  # Ben's other tab, marking away
    try:
        wait_for_the_limit(page, flood)
        for n in range(5):  # until one of the page's markers is refused (one may find a token free)
            before = len(markers)
            text = send(dev_stack, ann, with_ann, f"read me {n}")["message"]
            expect(page.locator(".message-text").last).to_have_text(text, timeout=PUSH_SECONDS * 1000)
            wait_until(page, lambda: len(markers) > before, "the page's read marker")  # noqa: B023
            if markers[-1] == 429:
                break
        else:
            pytest.fail("none of five read markers met the limit while the flood ran")
    finally:
        flood.stop()
    refused = len(markers)
    wait_until(page, lambda: len(markers) > refused, "the read marker to be set again")
    assert markers[-1] == 200
    wait_until(page, lambda: listed(dev_stack, ben)[with_ann]["unread_count"] == 0, "the API to have it read")
    assert page.errors == []


def test_a_huge_retry_after_is_not_waited_out_the_message_fails_with_retry(
    browser, dev_stack: DevStack, member
) -> None:
    """A broken proxy says "come back tomorrow": the page waits a bounded time, then shows the message as not sent
    with Retry, and the composer stays free. The page's clock is Playwright's, fast-forwarded."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    with_ann = start(dev_stack, ann, ben, "Hello Ben")["message_group_uuid"]
    page = open_page(browser, dev_stack, ben, before_sign_in=lambda p: p.clock.install())
    keys: list[str] = []
    page.on(
        "request",
        lambda r: (
            keys.append(r.headers["idempotency-key"]) if r.method == "POST" and "/api/messages" in r.url else None
        ),
    )

    def broken_proxy(route) -> None:
        route.fulfill(status=429, headers={"Retry-After": "86400"}, json={"message": "Too Many Requests"})

    page.route(f"{dev_stack.api_url}/api/messages", broken_proxy)
    page.get_by_role("button", name=ann.item).click()
    expect(page.locator(".message-text")).to_have_text(["Hello Ben"])
    text = f"tomorrow? {uuid.uuid4().hex[:6]}"
    type_and_send(page, text)
    status = page.locator("#send-status")
    bubble = page.locator("#messages .message", has_text=text)
    expect(status).to_have_text("Sending slowed down: retrying in 30 s")  # the wait is capped
    expect(bubble).to_contain_text("Sending…")
    expect(page.get_by_label("Message", exact=True)).to_be_editable()
    assert len(keys) == 1

    page.clock.fast_forward("00:31")
    wait_until(page, lambda: len(keys) == 2, "the second try")
    # Held past the bound a second time: given up on, not frozen on.
    retry = bubble.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    expect(bubble).to_contain_text("Not sent")
    expect(page.locator("#notice")).to_have_text("Cruddur is busy right now. Wait a moment and try again.")
    expect(status).to_have_text("")  # nothing waits any more

    page.unroute_all()
    retry.click()  # the last answer's hold still stands: the retry waits it out too, and says so
    expect(status).to_have_text(SLOWED)
    page.clock.fast_forward("00:31")
    expect(bubble).to_contain_text("Sent")
    expect(status).to_have_text("")
    assert len(keys) == 3
    assert set(keys) == {keys[0]}
    assert messages_listed(dev_stack, ben, with_ann).count(text) == 1
    assert page.errors == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_slowed_down_status_passes_the_accessibility_scan(browser, dev_stack: DevStack, member, scheme) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    start(dev_stack, ann, ben, "Hello Ben")
    page = open_page(browser, dev_stack, ben, color_scheme=scheme, viewport={"width": 1280, "height": 800})
    # A Retry-After as an HTTP date, 20 s from now: the page reads that form too.
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 20))
    for route in ("/api/messages", "/api/message_groups"):
        page.route(
            f"{dev_stack.api_url}{route}",
            lambda r: (
                r.fulfill(status=429, headers={"Retry-After": later}, json={"error": "rate_limited"})
                if r.request.method == "POST"
                else r.fallback()
            ),
        )
    page.get_by_role("button", name=ann.item).click()
    type_and_send(page, "Slowly now")
    status = page.locator("#send-status")
    # Counting down from the date's 20 s: a loaded machine may take a few of them before the status is read.
    expect(status).to_have_text(re.compile(r"^Sending slowed down: retrying in ([1-9]|1[0-9]|2[01]) s$"))
    expect(status).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=SCREENSHOTS / f"send-slowed-down-{scheme}.png")

    # The new-conversation dialog shares the limit, and says it inside (what is outside a modal is not seen).
    page.get_by_role("button", name="New message").click()
    dialog = page.get_by_role("dialog", name="New message")
    dialog.get_by_label("To", exact=True).fill(ann.handle)
    dialog.get_by_label("First message").fill("Hello again")
    dialog.get_by_role("button", name="Start conversation").click()
    expect(dialog.locator(".send-status")).to_have_text(SLOWED)
    assert serious_violations(page) == []
    page.screenshot(path=SCREENSHOTS / f"send-slowed-down-dialog-{scheme}.png")
    assert page.errors == []


# -----------------------------------------------------------------------------------------------------------------
# The WebSocket and its token
# -----------------------------------------------------------------------------------------------------------------
def token_margins(page, refresh: int, renew: int) -> None:
    """The page's config.json, as the stack serves it, with tokenRefreshMarginSeconds `refresh` and
    socketRenewMarginSeconds `renew`."""
    margins = {"tokenRefreshMarginSeconds": refresh, "socketRenewMarginSeconds": renew}

    def handle(route) -> None:
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), **margins})

    page.route(re.compile(r"/config\.json$"), handle)


def open_with_short_token(
    browser,
    stack: DevStack,
    who: Member,
    seconds: int = LIFETIME_SECONDS,
    *,
    clock: bool = False,
    short_margins: bool = True,
) -> tuple[Any, FrameGate, dict[str, Any]]:
    """`who` signed in with a first token that expires in `seconds`, the page's socket behind a FrameGate; with
    `short_margins`, the token refreshed and the socket renewed REFRESH_MARGIN_SECONDS and RENEW_MARGIN_SECONDS
    before it expires (else the product's own margins); with `clock`, the page's clock is Playwright's."""
    gates: list[FrameGate] = []
    tokens: list[dict[str, Any]] = []

    def prepare(page) -> None:
        if short_margins:
            token_margins(page, REFRESH_MARGIN_SECONDS, RENEW_MARGIN_SECONDS)
        if clock:
            page.clock.install()
        gates.append(FrameGate(page))
        tokens.append(shorten_first_token(page, stack, seconds))

    page = open_page(browser, stack, who, before_sign_in=prepare)
    return page, gates[0], tokens[0]


def test_the_socket_is_renewed_with_the_fresh_token_before_it_expires_and_no_push_is_lost(
    browser, dev_stack: DevStack, member
) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ann, ben, "Hello Ben")["message_group_uuid"]
    page, gate, tokens = open_with_short_token(browser, dev_stack, ben)
    signed_in_at = time.monotonic()
    page.get_by_role("button", name=ann.item).click()
    socket_up(page)
    watch_live_state(page)
    first = stored_expiries(page, dev_stack, ben, 1)
    assert token_in(gate.urls[0]) == tokens["first"]
    assert list(first.values()) == [expiry_of(tokens["first"])]  # the server will close it then
    reads_before = len(page.reads)

    # Ann writes every half second from a little before the renewal until the old connection has been let go.
    texts = ["Hello Ben"]
    page.wait_for_timeout(max(0, (signed_in_at + RENEW_AFTER_SECONDS - 4 - time.monotonic()) * 1000))
    renewed_at = None
    while renewed_at is None or time.monotonic() < renewed_at + DRAIN_SECONDS + 3:
        texts.append(send(dev_stack, ann, group, f"live {len(texts)} {uuid.uuid4().hex[:4]}")["message"])
        if renewed_at is None and len(gate.urls) > 1:
            renewed_at = time.monotonic()
        assert time.monotonic() - signed_in_at < RENEWED_WITHIN_SECONDS + DRAIN_SECONDS + 5, "not renewed in time"
        page.wait_for_timeout(500)
    assert renewed_at - signed_in_at < RENEWED_WITHIN_SECONDS

    expect(page.locator(".message-text")).to_have_text(texts, timeout=PUSH_SECONDS * 1000)  # each once, no gap
    assert len(gate.urls) == 2  # one new connection, once
    assert tokens["refreshed"], "the session never refreshed its token"
    assert token_in(gate.urls[1]) == tokens["refreshed"][-1] != tokens["first"]
    assert expiry_of(token_in(gate.urls[1])) > expiry_of(tokens["first"])
    second = stored_expiries(page, dev_stack, ben, 1)  # the old one closed: only the new one is left
    assert second.keys() != first.keys()
    assert list(second.values()) == [expiry_of(tokens["refreshed"][-1])]  # it carries the fresh token
    assert page.evaluate("window.liveStates") == []  # up all along: nothing missed, nothing to read again
    assert [url for url in page.reads[reads_before:] if "/api/messages/" in url] == []
    assert page.errors == []


def test_a_connection_the_server_closes_at_its_token_s_expiry_comes_back_and_catches_up(
    browser, dev_stack: DevStack, member
) -> None:
    """The page could not renew in time (every new connection was refused): the server closes the old one when its
    token has expired, and the page reconnects with a fresh token and reads what it missed."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ann, ben, "Hello Ben")["message_group_uuid"]
    page, gate, tokens = open_with_short_token(browser, dev_stack, ben)
    page.get_by_role("button", name=ann.item).click()
    socket_up(page)
    first = stored_expiries(page, dev_stack, ben, 1)
    gate.shut = True  # from now on every new connection is refused: the renewal cannot happen

    page.wait_for_timeout(max(0, (expiry_of(tokens["first"]) + 2 - time.time()) * 1000))
    expect(page.locator("#app-view")).to_have_attribute("data-live", "up")  # the old one is still open
    assert len(gate.urls) > 1  # the page did try to renew
    text = send(dev_stack, ann, group, f"after the token expired {uuid.uuid4().hex[:6]}")["message"]
    expect(page.locator("#app-view")).to_have_attribute("data-live", "down", timeout=PUSH_SECONDS * 1000)
    attempts = len(gate.urls)

    gate.shut = False
    socket_up(page, timeout=20_000)
    assert len(gate.urls) > attempts
    assert token_in(gate.urls[-1]) == tokens["refreshed"][-1]
    expect(page.locator(".message-text")).to_have_text(["Hello Ben", text])  # caught up, once
    second = stored_expiries(page, dev_stack, ben, 1)
    assert second.keys() != first.keys()
    assert list(second.values()) == [expiry_of(tokens["refreshed"][-1])]
    later = send(dev_stack, ann, group, f"and live again {uuid.uuid4().hex[:6]}")["message"]
    expect(page.locator(".message-text")).to_have_text(["Hello Ben", text, later], timeout=PUSH_SECONDS * 1000)
    assert page.errors == []


def test_a_connection_closed_for_the_user_s_cap_comes_back_and_catches_up(browser, dev_stack: DevStack, member) -> None:
    """Ben opens as many connections elsewhere as a user may hold: the server closes his oldest, the page's, with a
    normal close. The page reconnects (closing the oldest of the others in turn) and reads what it missed, once."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ann, ben, "Hello Ben")["message_group_uuid"]
    page = open_page(browser, dev_stack, ben)
    page.get_by_role("button", name=ann.item).click()
    socket_up(page)
    watch_live_state(page)
    with ExitStack() as elsewhere:
        for _ in range(int(Template().parameters["MaxConnectionsPerUser"])):
            elsewhere.enter_context(connect(f"{dev_stack.websocket_url}?token={ben.token}", open_timeout=10))
        expect(page.locator("#app-view")).to_have_attribute("data-live", "down", timeout=10_000)
        text = send(dev_stack, ann, group, f"while you were closed {uuid.uuid4().hex[:6]}")["message"]
        socket_up(page, timeout=20_000)
        expect(page.locator(".message-text")).to_have_text(["Hello Ben", text])
        page.wait_for_timeout(3_000)
        assert page.evaluate("window.liveStates") == ["down", "up"]  # back once, and it stays
    assert page.errors == []


def test_a_long_lived_token_s_socket_is_renewed_before_api_gateway_s_two_hours(
    browser, dev_stack: DevStack, member
) -> None:
    """A token that lives a day does not keep a connection longer than API Gateway's 2 hours: the page opens a new
    one before them. The page's clock is Playwright's, fast-forwarded."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ben = member("Ben")
    page, gate, tokens = open_with_short_token(browser, dev_stack, ben, 24 * 3600, clock=True, short_margins=False)
    socket_up(page)
    page.clock.fast_forward("01:58:00")
    page.wait_for_timeout(1000)
    assert len(gate.urls) == 1  # not yet
    page.clock.fast_forward("01:30")
    wait_until(page, lambda: len(gate.urls) == 2, "a new connection before the 2 hours are up")
    expect(page.locator("#app-view")).to_have_attribute("data-live", "up")
    assert token_in(gate.urls[1]) == tokens["first"]  # still valid: the same token, on a new connection
    page.clock.fast_forward("00:06")  # the old one is let go once the new one has been up a while
    stored_expiries(page, dev_stack, ben, 1)
    assert page.errors == []


def test_an_error_frame_never_makes_the_page_ping_sooner_nor_reconnect(browser, dev_stack: DevStack, member) -> None:
    """One ping per five minutes, whatever comes back; an error frame in answer to a ping shows the connection is
    alive as much as a pong. The page's clock is Playwright's, fast-forwarded."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ben = member("Ben")
    gates: list[FrameGate] = []

    def prepare(page) -> None:
        page.clock.install()
        gates.append(FrameGate(page))

    page = open_page(browser, dev_stack, ben, before_sign_in=prepare)
    gate = gates[0]
    socket_up(page)
    assert gate.pings() == 0

    page.clock.fast_forward("05:01")
    wait_until(page, lambda: gate.pings() == 1, "the first ping")
    for _ in range(5):
        gate.push(RATE_LIMITED)  # the server limiting frames says so, five times over
    page.wait_for_timeout(500)
    page.clock.fast_forward("04:00")
    page.wait_for_timeout(500)
    assert gate.pings() == 1
    page.clock.fast_forward("01:00")
    wait_until(page, lambda: gate.pings() == 2, "the second ping, five minutes after the first")

    gate.answer_pings = RATE_LIMITED
    page.clock.fast_forward("05:00")
    wait_until(page, lambda: gate.pings() == 3, "the third ping")
    page.wait_for_timeout(1000)  # the error frame in answer has come
    page.clock.fast_forward("00:20")  # longer than the page waits for a pong
    page.wait_for_timeout(500)
    expect(page.locator("#app-view")).to_have_attribute("data-live", "up")
    assert len(gate.urls) == 1  # never reconnected
    assert gate.pings() == 3
    assert page.errors == []
