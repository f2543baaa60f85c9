"""Unread counts in the web client (issue 16): badges and the tab title follow pushed messages, the read marker is
set when a conversation is open and in front (not from a background tab), and a "New messages" divider marks
where the unread messages began.

Members of their own per test, `?poll=off` pages and the helpers of test_web_realtime.py.
"""

import re
import uuid

import pytest

from tests.e2e import test_web_realtime
from tests.e2e.test_frontend_flow import eventually
from tests.e2e.test_web_client import NEEDS_CHROMIUM, SCREENSHOTS, wait_until
from tests.e2e.test_web_look import SCHEMES, serious_violations
from tests.e2e.test_web_realtime import (
    PUSH_SECONDS,
    TITLE,
    group_items,
    listed,
    open_behind_gate,
    open_page,
    send,
    socket_up,
    start,
)
from tooling.http_client import call

pytestmark = NEEDS_CHROMIUM

READ_MARKER = re.compile(r"/api/message_groups/[^/]+/read$")


browser, member = test_web_realtime.browser, test_web_realtime.member  # the fixtures, shared


def unread(stack, who, group_uuid: str) -> int:
    return listed(stack, who)[group_uuid]["unread_count"]


def watch_read_markers(page) -> list[dict]:
    """The bodies of the page's read-marker requests, as they are made."""
    markers: list[dict] = []
    page.on("request", lambda r: markers.append(r.post_data_json) if READ_MARKER.search(r.url) else None)
    return markers


def hide(page) -> None:
    """The tab goes to the background (another tab in front): the page is told as a browser tells it."""
    page.evaluate(
        """() => {
            Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
            Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )


def show(page) -> None:
    page.evaluate(
        """() => {
            delete document.visibilityState;  // the document's own again
            delete document.hidden;
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )


def test_a_badge_and_the_title_count_pushed_messages_and_opening_reads_them(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben, cat = member("Ann"), member("Ben"), member("Cat")
    with_ann = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    start(dev_stack, ben, cat, "Hello Cat")
    page = open_page(browser, dev_stack, ben)
    markers = watch_read_markers(page)
    page.get_by_role("button", name=cat.item).click()  # another conversation is open
    socket_up(page)
    expect(page).to_have_title(TITLE)  # Ben wrote both: nothing unread

    sent = [send(dev_stack, ann, with_ann, f"Unread {n} {uuid.uuid4().hex[:6]}") for n in (1, 2)]
    item = page.get_by_role("button", name=ann.item)
    expect(item.locator(".unread-badge")).to_have_text("2 unread", timeout=PUSH_SECONDS * 1000)
    expect(group_items(page).first).to_contain_text(ann.item)
    expect(page).to_have_title(f"(2) {TITLE}")
    # Retried, not read once: the list is redrawn whole at each refresh, so a row read once may be detached.
    expect(item.locator(".group-name")).to_have_css("font-weight", "800")  # bold: the unread row's name
    wait_until(page, lambda: unread(dev_stack, ben, with_ann) == 2, "the API to count them")  # it trails pushes
    assert markers == []  # Cat's conversation is open, and it has nothing new

    item.click()
    expect(page.locator(".message-text").last).to_have_text(sent[-1]["message"])
    expect(item.locator(".unread-badge")).to_have_count(0)
    expect(page).to_have_title(TITLE)
    wait_until(page, lambda: unread(dev_stack, ben, with_ann) == 0, "the API to have it read")
    newest = {"created_at": sent[-1]["created_at"], "uuid": sent[-1]["uuid"]}
    assert markers == [newest]  # set to the newest message shown, once

    # Open and in front, a pushed message is read as it arrives: no badge, no count, one marker more.
    text = f"Read at once {uuid.uuid4().hex[:6]}"
    live = send(dev_stack, ann, with_ann, text)
    expect(page.locator(".message-text").last).to_have_text(text, timeout=PUSH_SECONDS * 1000)
    wait_until(page, lambda: len(markers) == 2, "the read marker for the new message")
    assert markers[-1] == {"created_at": live["created_at"], "uuid": live["uuid"]}
    wait_until(page, lambda: unread(dev_stack, ben, with_ann) == 0, "the API to have it read")
    expect(item.locator(".unread-badge")).to_have_count(0)
    expect(page).to_have_title(TITLE)
    assert page.errors == []


def test_a_background_tab_does_not_mark_read_until_it_is_in_front(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    with_ann = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    page = open_page(browser, dev_stack, ben)
    markers = watch_read_markers(page)
    item = page.get_by_role("button", name=ann.item)
    item.click()
    socket_up(page)

    hide(page)
    text = f"While you were in another tab {uuid.uuid4().hex[:6]}"
    send(dev_stack, ann, with_ann, text)
    expect(page.locator(".message-text").last).to_have_text(text, timeout=PUSH_SECONDS * 1000)  # shown, not read
    expect(page).to_have_title(f"(1) {TITLE}")  # what a person in another tab sees of it
    expect(item.locator(".unread-badge")).to_have_text("1 unread")
    page.wait_for_timeout(1_000)  # room for a read marker, if the page would set one
    wait_until(page, lambda: unread(dev_stack, ben, with_ann) == 1, "the API to count it")
    assert markers == []

    show(page)
    expect(page).to_have_title(TITLE)
    expect(item.locator(".unread-badge")).to_have_count(0)
    wait_until(page, lambda: unread(dev_stack, ben, with_ann) == 0, "the API to have it read")
    assert len(markers) == 1

    # In front again and again, with nothing new: no more markers.
    for _ in range(3):
        hide(page)
        show(page)
    page.evaluate("dispatchEvent(new Event('focus'))")
    page.wait_for_timeout(1_000)
    assert len(markers) == 1
    assert page.errors == []


def test_the_divider_is_above_the_first_unread_message_until_the_conversation_closes(
    browser, dev_stack, member
) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    with_ann = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    send(dev_stack, ann, with_ann, "Already read")
    send(dev_stack, ben, with_ann, "My answer")  # sending reads all before it
    unread_texts = [f"Unread {n} {uuid.uuid4().hex[:6]}" for n in range(3)]
    for text in unread_texts:
        send(dev_stack, ann, with_ann, text)
    eventually(lambda: unread(dev_stack, ben, with_ann) == 3)  # the page opens on counts pattern E has made
    page = open_page(browser, dev_stack, ben)
    item = page.get_by_role("button", name=ann.item)
    expect(item.locator(".unread-badge")).to_have_text("3 unread")
    item.click()

    divider = page.locator("#messages .unread-divider")
    expect(divider).to_have_count(1)
    expect(divider).to_have_text("New messages")
    expect(divider).to_be_visible()
    texts = page.locator("#messages .message-text, #messages .unread-divider")
    expect(texts).to_have_text(["Hello Ann", "Already read", "My answer", "New messages", *unread_texts])
    socket_up(page)

    # It stays where it is while the conversation is open, whatever arrives.
    later = f"Later {uuid.uuid4().hex[:6]}"
    send(dev_stack, ann, with_ann, later)
    expect(page.locator(".message-text").last).to_have_text(later, timeout=PUSH_SECONDS * 1000)
    expect(texts).to_have_text(["Hello Ann", "Already read", "My answer", "New messages", *unread_texts, later])

    # Closed and opened again, everything is read: no divider.
    wait_until(page, lambda: unread(dev_stack, ben, with_ann) == 0, "the API to have it read")
    page.get_by_role("button", name=ann.item).click()  # opening it anew closes the open one first
    expect(page.locator("#messages .message-text").last).to_have_text(later)
    expect(divider).to_have_count(0)
    assert page.errors == []


def test_a_pushed_unread_count_is_shown(browser, dev_stack, member) -> None:
    """The "unread" frame: the count changed elsewhere, read on another device here (the frames as the server sends
    them, pushed by the test: the page's part is to show them)."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    with_ann = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    sent = [send(dev_stack, ann, with_ann, f"Unread {n}") for n in range(2)]
    page, gate = open_behind_gate(browser, dev_stack, ben)
    socket_up(page)
    item = page.get_by_role("button", name=ann.item)
    expect(item.locator(".unread-badge")).to_have_text("2 unread", timeout=10_000)  # the list trails a little
    expect(page).to_have_title(f"(2) {TITLE}")

    def read_elsewhere(message: dict) -> dict:
        """Ben reads up to `message` on another device; returns the frame the server pushes about it."""
        marker = {"created_at": message["created_at"], "uuid": message["uuid"]}
        result = call("PUT", f"{dev_stack.api_url}/api/message_groups/{with_ann}/read", token=ben.token, body=marker)
        assert result.status == 200, result.body
        return {"type": "unread", "message_group_uuid": with_ann, **result.body}

    gate.push(read_elsewhere(sent[0]))
    expect(item.locator(".unread-badge")).to_have_text("1 unread")
    expect(page).to_have_title(f"(1) {TITLE}")
    late = read_elsewhere(sent[0])
    gate.push(read_elsewhere(sent[1]))
    expect(item.locator(".unread-badge")).to_have_count(0)
    expect(page).to_have_title(TITLE)
    # A frame about an older marker than one already known comes late: it changes nothing.
    gate.push(late)
    page.wait_for_timeout(500)
    expect(item.locator(".unread-badge")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("")  # a count is no message to announce
    assert page.errors == []


def test_the_title_says_99_plus_above_99(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben, cat = member("Ann"), member("Ben"), member("Cat")
    for who in (ann, cat):
        start(dev_stack, who, ben, "Hello Ben")
    counts = {ann.handle: 97, cat.handle: 3}  # the API caps each count at 100: more is only possible as a sum

    def with_counts(route) -> None:
        groups = route.fetch().json()
        route.fulfill(json=[{**group, "unread_count": counts[group["handle"]]} for group in groups])

    page = open_page(browser, dev_stack, ben, before_sign_in=lambda p: p.route("**/api/message_groups?*", with_counts))
    expect(page).to_have_title(f"(99+) {TITLE}")
    expect(page.get_by_role("button", name=ann.item).locator(".unread-badge")).to_have_text("97 unread")
    page.get_by_role("button", name=cat.item).click()  # reads Cat's
    expect(page).to_have_title(f"(97) {TITLE}")


def test_read_on_one_device_is_read_on_the_other(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    with_ann = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    phone, laptop = open_page(browser, dev_stack, ben), open_page(browser, dev_stack, ben)
    for page in (phone, laptop):
        socket_up(page)
    send(dev_stack, ann, with_ann, "Are you there?")
    for page in (phone, laptop):
        expect(page.get_by_role("button", name=ann.item).locator(".unread-badge")).to_have_text(
            "1 unread", timeout=PUSH_SECONDS * 1000
        )
        expect(page).to_have_title(f"(1) {TITLE}")

    laptop.get_by_role("button", name=ann.item).click()
    expect(laptop).to_have_title(TITLE)
    item = phone.get_by_role("button", name=ann.item)
    expect(item.locator(".unread-badge")).to_have_count(0, timeout=PUSH_SECONDS * 1000)  # pushed, not polled
    expect(phone).to_have_title(TITLE)
    assert phone.errors == laptop.errors == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_badges_and_the_divider_pass_the_accessibility_scan(browser, dev_stack, member, scheme: str) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben, cat = member("Ann"), member("Ben"), member("Cat")
    with_ann = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    for n in range(2):
        send(dev_stack, ann, with_ann, f"Unread {n}")
    with_cat = start(dev_stack, cat, ben, "Hello Ben")["message_group_uuid"]
    # Pattern E counts after the fact: the page must open on counts E has made (with the socket up, nothing
    # refetches a list that was read too early).
    eventually(lambda: unread(dev_stack, ben, with_ann) == 2 and unread(dev_stack, ben, with_cat) == 1)
    page = open_page(browser, dev_stack, ben, color_scheme=scheme, viewport={"width": 1280, "height": 800})
    expect(page.get_by_role("button", name=ann.item).locator(".unread-badge")).to_have_text("2 unread", timeout=10_000)
    page.get_by_role("button", name=ann.item).click()
    divider = page.locator("#messages .unread-divider")
    expect(divider).to_be_visible()
    expect(page.get_by_role("button", name=cat.item).locator(".unread-badge")).to_have_text("1 unread")
    assert serious_violations(page) == []
    page.screenshot(path=SCREENSHOTS / f"unread-divider-{scheme}.png")
