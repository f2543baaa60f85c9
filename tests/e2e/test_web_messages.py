"""The web client's conversation view in a real browser: days, runs, delivery states, retries, "New messages".

Browser, stack and sign-in come from test_web_client.py (the same Chromium, the same `make dev` stack).
"""

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.dev_process import DevStack
from tests.e2e.test_web_client import (
    BAYKO,
    LONDO,
    NEEDS_CHROMIUM,
    PASSWORD,
    call_messages,
    conversation_with,
    hold_requests,
    launch_browser,
    release,
    shot,
    signed_in,
    wait_until,
)
from tooling.http_client import call
from tooling.seed import SEED_GROUP_UUID

NOW = "2026-11-25T12:00:00Z"  # a Wednesday; the page's clock is held here where days are checked

pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch_browser() as chromium:
        yield chromium


def message(handle: str, name: str, text: str, created_at: str) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "handle": handle,
        "display_name": name,
        "message": text,
        "created_at": created_at,
    }


def open_seed_conversation(page) -> None:
    """andrewbrown's conversation with bayko, opened: its newest page, 20 messages, shown."""
    from playwright.sync_api import expect  # noqa: PLC0415

    page.get_by_role("button", name=BAYKO).click()
    expect(page.locator("#messages .message")).to_have_count(20)


def type_and_send(page, text: str) -> None:
    page.get_by_label("Message", exact=True).fill(text)
    page.keyboard.press("Enter")


def lose_the_answer(route) -> None:
    """The message is written, but its answer is lost: the page gets a 503 instead."""
    route.fetch()
    route.fulfill(status=503, json={"error": "service_unavailable", "message": "busy"})


def page_at(browser, stack: DevStack, username: str, now: str | None = None, **context_options):
    """Signed in, with the page's clock held at `now` (UTC, en-US) when given."""
    context = browser.new_context(timezone_id="UTC", locale="en-US", **context_options)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    if now:
        page.clock.set_fixed_time(now)  # Date is held; timers still run
    page.goto(f"{stack.api_url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {username}").wait_for()
    return page


def test_messages_are_grouped_by_day_and_by_sender(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    londo_group = conversation_with(dev_stack, "londo")
    me, londo = ("andrewbrown", "Andrew Brown"), ("londo", "Londo Mollari")
    history = [
        message(*londo, "Happy new year, almost", "2025-12-31T18:00:00.000000+00:00"),
        message(*me, "Back from holiday", "2026-11-02T09:00:00.000000+00:00"),
        message(*londo, "Saturday news", "2026-11-21T10:00:00.000000+00:00"),
        message(*londo, "Yesterday's news", "2026-11-24T10:00:00.000000+00:00"),
        message(*londo, "one", "2026-11-25T09:00:00.000000+00:00"),
        message(*londo, "two", "2026-11-25T09:01:00.000000+00:00"),
        message(*me, "three", "2026-11-25T09:02:00.000000+00:00"),
        message(*me, "four", "2026-11-25T09:03:00.000000+00:00"),
        message(*londo, "five", "2026-11-25T09:04:30.000000+00:00"),
    ]
    page = page_at(browser, dev_stack, "andrewbrown", now=NOW)
    page.route(f"**/api/messages/{londo_group}?*", lambda route: route.fulfill(json=history))
    page.get_by_role("button", name=LONDO).click()
    expect(page.locator("#messages .message")).to_have_count(len(history))

    separators = page.get_by_role("heading", level=3)
    expect(separators).to_have_text(["December 31, 2025", "Mon, November 2", "Saturday", "Yesterday", "Today"])
    # A name where a run of londo's messages starts (one per day here, two today), never on my own side.
    names = page.locator(".sender-name")
    expect(names).to_have_text(["Londo Mollari"] * 5)
    expect(page.locator(".message.mine .sender-name")).to_have_count(0)
    today = page.locator(".day").last
    expect(today.locator(".sender-name")).to_have_count(2)
    assert today.locator(".message", has_text="two").locator(".sender-name").count() == 0

    theirs = page.locator(".message", has_text="one").bounding_box()
    mine = page.locator(".message", has_text="three").bounding_box()
    assert mine["x"] > theirs["x"] + theirs["width"]  # mine on the other side
    scroller = page.locator("#messages-scroll").bounding_box()
    assert mine["x"] + mine["width"] > scroller["x"] + scroller["width"] - 40

    # The exact time: a <time> with its datetime and a title for the mouse...
    five = page.locator(".message", has_text="five")
    time = five.locator("time")
    expect(time).to_have_attribute("datetime", "2026-11-25T09:04:30.000000+00:00")
    expect(time).to_have_text("9:04 AM")
    expect(time).to_have_attribute("title", "Wednesday, November 25, 2026 at 9:04:30 AM")
    # ...and written out for the keyboard: the arrow keys walk the messages, the focused one shows it.
    exact = five.locator(".message-exact")
    expect(exact).to_be_hidden()
    page.locator("#messages-scroll").focus()
    page.keyboard.press("ArrowUp")
    expect(five).to_be_focused()
    expect(exact).to_be_visible()
    expect(exact).to_have_text("Wednesday, November 25, 2026 at 9:04:30 AM")
    page.keyboard.press("ArrowUp")
    four = page.locator(".message", has_text="four")
    expect(four).to_be_focused()
    expect(four.locator(".message-exact")).to_have_text("Wednesday, November 25, 2026 at 9:03:00 AM")
    expect(exact).to_be_hidden()
    page.keyboard.press("Home")
    expect(page.locator(".message").first).to_be_focused()
    shot(page, "days-and-runs")
    assert page.errors == []


def test_my_message_shows_sending_then_sent(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = signed_in(browser, dev_stack, "andrewbrown")
    held = hold_requests(page, "**/api/messages", lambda request, nth: request.method == "POST")
    open_seed_conversation(page)
    text = f"on its way {uuid.uuid4().hex[:6]}"
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")
    bubble = page.locator("#messages .message").last
    expect(bubble).to_contain_text(text)
    expect(bubble).to_contain_text("Sending…")
    expect(bubble).to_have_class(re.compile(r"\bmine\b.*\bsending\b"))
    expect(box).to_have_value("")  # free for the next message at once
    wait_until(page, lambda: held, "the message to be on its way")

    with page.expect_response("**/api/messages") as answer:
        release(held[0])
    sent = answer.value.json()
    expect(bubble).to_contain_text("Sent")
    expect(bubble).not_to_contain_text("Sending")
    expect(bubble).to_have_attribute("data-message", sent["uuid"])
    expect(bubble.locator("time")).to_have_attribute("datetime", sent["created_at"])
    assert page.errors == []


def test_a_failed_message_is_retried_by_hand_with_the_same_key(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = signed_in(browser, dev_stack, "andrewbrown", socket=False)  # no push of the message either
    keys: list[str] = []

    def written_but_unanswered(route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        lose_the_answer(route)

    page.route("**/api/messages", written_but_unanswered)
    # The conversation is not read again meanwhile, so only the retry can tell the page the message got there.
    hold_requests(page, f"**/api/messages/{SEED_GROUP_UUID}?*", lambda request, nth: nth > 1)
    open_seed_conversation(page)
    text = f"try, try again {uuid.uuid4().hex[:6]}"
    type_and_send(page, text)

    bubble = page.locator("#messages .message", has_text=text)
    retry = bubble.get_by_role("button", name="Retry")
    expect(retry).to_be_visible(timeout=20_000)
    expect(bubble).to_contain_text("Not sent")
    expect(page.locator("#notice")).to_be_visible()
    assert len(keys) > 1
    assert len(set(keys)) == 1  # the automatic retries: one key

    page.unroute_all()
    with page.expect_request("**/api/messages") as request:
        retry.focus()
        page.keyboard.press("Enter")  # by keyboard, as every action
    assert request.value.headers["idempotency-key"] == keys[0]
    expect(bubble).to_contain_text("Sent")
    expect(retry).to_have_count(0)
    expect(page.locator(".message-text", has_text=text)).to_have_count(1)
    # Written once, though sent five times: the retry got the first answer back, not a second message.
    assert [m["message"] for m in call_messages(dev_stack, SEED_GROUP_UUID)].count(text) == 1
    assert page.errors == []


def test_a_message_whose_answer_was_lost_shows_as_sent_when_the_conversation_has_it(
    browser, dev_stack: DevStack
) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = signed_in(browser, dev_stack, "andrewbrown")

    page.route("**/api/messages", lose_the_answer)
    open_seed_conversation(page)
    text = f"lost and found {uuid.uuid4().hex[:6]}"
    type_and_send(page, text)
    # The next read of the conversation brings it: the page shows it delivered, once, and stops retrying.
    bubble = page.locator("#messages .message", has_text=text)
    expect(bubble).to_contain_text("Sent", timeout=10_000)
    expect(bubble).to_have_count(1)
    page.wait_for_timeout(8_000)  # longer than the automatic retries take
    expect(bubble).to_have_count(1)
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    expect(page.locator("#notice")).to_be_hidden()
    assert [m["message"] for m in call_messages(dev_stack, SEED_GROUP_UUID)].count(text) == 1


def scroll_top(page) -> float:
    return page.locator("#messages-scroll").evaluate("(s) => s.scrollTop")


def at_bottom(page) -> bool:
    return page.locator("#messages-scroll").evaluate("(s) => s.scrollHeight - s.scrollTop - s.clientHeight < 2")


def from_bayko(stack: DevStack, text: str) -> None:
    result = call(
        "POST",
        f"{stack.api_url}/api/messages",
        token=stack.token("bayko"),
        body={"message_group_uuid": SEED_GROUP_UUID, "message": text},
    )
    assert result.status == 201, result.body


def test_new_messages_button_when_scrolled_up(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = signed_in(browser, dev_stack, "andrewbrown", viewport={"width": 1280, "height": 700})
    open_seed_conversation(page)
    jump = page.get_by_role("button", name="New messages")
    wait_until(page, lambda: at_bottom(page), "the conversation to open at its newest message")

    # At the bottom, a new message is simply followed.
    first = f"while reading along {uuid.uuid4().hex[:6]}"
    from_bayko(dev_stack, first)
    expect(page.locator(".message-text").last).to_have_text(first, timeout=10_000)
    wait_until(page, lambda: at_bottom(page), "the list to follow the new message")
    expect(jump).to_be_hidden()

    # Scrolled up, the reader stays put and is offered the way down.
    page.locator("#messages-scroll").evaluate("(s) => { s.scrollTop = 200; }")
    second = f"while scrolled up {uuid.uuid4().hex[:6]}"
    from_bayko(dev_stack, second)
    expect(jump).to_be_visible(timeout=10_000)
    expect(page.locator(".message-text").last).to_have_text(second)
    assert scroll_top(page) == 200
    shot(page, "new-messages-button")
    jump.click()
    wait_until(page, lambda: at_bottom(page), "the jump to the newest message")
    expect(jump).to_be_hidden()
    expect(page.locator(".message-text").last).to_be_in_viewport()
    expect(page.locator("#messages .message").last).to_be_focused()  # the keyboard carries on from there

    # Scrolling down by hand puts it away too.
    page.locator("#messages-scroll").evaluate("(s) => { s.scrollTop = 200; }")
    from_bayko(dev_stack, f"once more {uuid.uuid4().hex[:6]}")
    expect(jump).to_be_visible(timeout=10_000)
    page.locator("#messages-scroll").hover()
    page.mouse.wheel(0, 20_000)
    expect(jump).to_be_hidden()
    assert page.errors == []


def test_other_peoples_new_messages_are_announced(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = signed_in(browser, dev_stack, "andrewbrown")
    open_seed_conversation(page)
    text = f"say it out loud {uuid.uuid4().hex[:6]}"
    from_bayko(dev_stack, text)
    expect(page.get_by_role("status")).to_have_text(f"Andrew Bayko: {text}", timeout=10_000)
    # The list itself is not a live region (it is redrawn): only that status speaks.
    assert page.locator("#messages").get_attribute("aria-live") is None
    assert page.errors == []


def test_a_refused_message_can_be_edited_and_sent_anew(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = signed_in(browser, dev_stack, "andrewbrown")
    refusal = {
        "error": "validation_error",
        "message": "Invalid request",
        "details": [{"field": "message", "message": "must not contain that"}],
    }
    page.route(
        "**/api/messages",
        lambda route: route.fulfill(status=422, json=refusal) if route.request.method == "POST" else route.continue_(),
    )
    open_seed_conversation(page)
    text = f"first draft {uuid.uuid4().hex[:6]}"
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")
    bubble = page.locator("#messages .message", has_text=text)
    expect(bubble).to_contain_text("Not sent")  # refused outright: no automatic retry, no waiting
    expect(page.locator("#notice")).to_have_text("Please check what you typed. message: must not contain that")
    edit = bubble.get_by_role("button", name="Edit")
    expect(edit).to_be_visible()
    page.unroute_all()

    edit.click()
    expect(bubble).to_have_count(0)
    expect(box).to_have_value(text)
    expect(box).to_be_focused()
    box.press("End")
    page.keyboard.type(", second draft")
    page.keyboard.press("Enter")
    expect(page.locator(".message-text").last).to_have_text(f"{text}, second draft")
    expect(page.locator("#messages .message").last).to_contain_text("Sent")
    assert [m["message"] for m in call_messages(dev_stack, SEED_GROUP_UUID)].count(text) == 0
    assert page.errors == []
