"""Editing and deleting one's own messages in the web client (issue 23), in a real browser over the `make dev` stack:
the sender edits or deletes in place, the other member sees it at once by push, the conversation list follows,
Up in an empty composer edits the last own message, the server's refusals are said plainly, and the views pass
the accessibility scan in both themes.

Members of their own per test and `?poll=off` pages (the page never polls: what the other member's page shows it
learnt from the socket), with the helpers of test_web_realtime.py. The edit window's own tests run on a stack of
their own started with a short MessageEditWindowSeconds (the session's stack keeps the default, 900 s).
"""

import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.dev_process import DevStack, start_dev_stack
from tests.e2e.test_web_client import NEEDS_CHROMIUM, SCREENSHOTS, launch_browser
from tests.e2e.test_web_look import SCHEMES, serious_violations
from tests.e2e.test_web_realtime import (
    PUSH_SECONDS,
    Member,
    group_items,
    listed,
    new_member,
    open_behind_gate,
    open_page,
    send,
    socket_up,
    start,
)
from tooling.http_client import call

pytestmark = NEEDS_CHROMIUM

DELETED = "This message was deleted"
WINDOW_SECONDS = 10  # the short stack's edit window: long enough to see Edit offered on a busy machine
WINDOW_CLOSED = "This message can no longer be edited: the time for editing it is over. You can still delete it."
PUSHED = PUSH_SECONDS * 1000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch_browser() as chromium:
        yield chromium


@pytest.fixture
def member(dev_stack: DevStack) -> Callable[[str], Member]:
    return lambda first_name: new_member(dev_stack, first_name)


@pytest.fixture(scope="module")
def short_window_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = start_dev_stack(
        tmp_path_factory.mktemp("edit-window"),
        extra_args=("--parameter-overrides", f"MessageEditWindowSeconds={WINDOW_SECONDS}"),
    )
    yield stack
    stack.stop()


def stored(stack: DevStack, who: Member, group_uuid: str) -> list[dict[str, Any]]:
    """The conversation as the API lists it (pattern A), oldest first."""
    result = call("GET", f"{stack.api_url}/api/messages/{group_uuid}?limit=50", token=who.token)
    assert result.status == 200, result.body
    return sorted(result.body, key=lambda m: (m["created_at"], m["uuid"]))


def delete(stack: DevStack, who: Member, group_uuid: str, message_uuid: str) -> dict[str, Any]:
    result = call("DELETE", f"{stack.api_url}/api/messages/{group_uuid}/{message_uuid}", token=who.token)
    assert result.status == 200, result.body
    return result.body


def edit(stack: DevStack, who: Member, group_uuid: str, message_uuid: str, text: str) -> dict[str, Any]:
    url = f"{stack.api_url}/api/messages/{group_uuid}/{message_uuid}"
    result = call("PATCH", url, token=who.token, body={"message": text})
    assert result.status == 200, result.body
    return result.body


def bubbles(page):
    return page.locator("#messages .message")


def bubble(page, text: str):
    return page.locator("#messages .message", has=page.locator(".message-text", has_text=text))


def opened(page, other: Member) -> None:
    page.get_by_role("button", name=other.item).click()
    socket_up(page)


def message_reads(page) -> list[str]:
    return [url for url in page.reads if "/api/messages/" in url]


def edit_with_the_mouse(page, message, text: str) -> None:
    message.hover()  # Edit and Delete show on hover (and while the message has the focus)
    message.get_by_role("button", name="Edit message").click()
    box = page.get_by_role("textbox", name="Edit message")
    box.fill(text)
    box.press("Enter")


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """The list (pattern B) trails the messages by the stream processor's run."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def seconds_left(message: dict[str, Any], window: float) -> float:
    """How long the message may still be edited, by this machine's clock (the stack's too)."""
    return datetime.fromisoformat(message["created_at"]).timestamp() + window - time.time()


def test_an_edit_shows_in_place_for_both_members_at_once(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    first = send(dev_stack, ann, group, "See you at five")
    send(dev_stack, ann, group, "Bring the maps")
    page_ann = open_page(browser, dev_stack, ann)
    page_ben = open_page(browser, dev_stack, ben)
    opened(page_ann, ben)
    opened(page_ben, ann)
    texts = ["Hello Ann", "See you at five", "Bring the maps"]
    expect(page_ben.locator(".message-text")).to_have_text(texts)
    reads_before = len(message_reads(page_ben))

    # Not the newest: it changes where it is, and the list's preview (of the newest) stays.
    edit_with_the_mouse(page_ann, bubble(page_ann, "See you at five"), "See you at six")
    texts[1] = "See you at six"
    expect(page_ann.locator(".message-text")).to_have_text(texts)
    expect(bubble(page_ann, "See you at six").locator(".message-edited")).to_have_text("edited")
    expect(page_ann.get_by_role("status")).to_have_text("Message edited")
    expect(bubble(page_ann, "See you at six")).to_be_focused()  # back where the edit started
    expect(page_ben.locator(".message-text")).to_have_text(texts, timeout=PUSHED)
    expect(bubble(page_ben, "See you at six").locator(".message-edited")).to_have_text("edited")
    expect(bubbles(page_ben)).to_have_count(3)
    expect(group_items(page_ben).first.locator(".group-preview")).to_have_text("Bring the maps")

    # The newest, by keyboard: the list's one Tab stop, Up to the last message, Tab to its Edit.
    page_ann.get_by_role("region", name="Messages").focus()
    page_ann.keyboard.press("ArrowUp")
    newest = bubbles(page_ann).last
    expect(newest).to_be_focused()
    page_ann.keyboard.press("Tab")
    expect(newest.get_by_role("button", name="Edit message")).to_be_focused()
    page_ann.keyboard.press("Enter")
    box = page_ann.get_by_role("textbox", name="Edit message")
    expect(box).to_be_focused()
    expect(box).to_have_value("Bring the maps")
    page_ann.keyboard.press("ControlOrMeta+a")
    page_ann.keyboard.type("Bring the charts")
    page_ann.keyboard.press("Enter")
    texts[2] = "Bring the charts"
    expect(page_ann.locator(".message-text")).to_have_text(texts)
    expect(page_ben.locator(".message-text")).to_have_text(texts, timeout=PUSHED)
    expect(group_items(page_ben).first.locator(".group-preview")).to_have_text("Bring the charts")
    expect(group_items(page_ann).first.locator(".group-preview")).to_have_text("Bring the charts")

    # Edit and Delete are offered on one's own messages only (the other person's offer Report alone).
    theirs = bubble(page_ann, "Hello Ann")
    theirs.hover()
    expect(theirs.get_by_role("button", name=re.compile("Edit message|Delete message"))).to_have_count(0)
    for text in texts[1:]:  # Ann's, on Ben's page
        message = bubble(page_ben, text)
        message.hover()
        expect(message.get_by_role("button", name=re.compile("Edit message|Delete message"))).to_have_count(0)

    assert [m["message"] for m in stored(dev_stack, ben, group)] == texts
    assert next(m for m in stored(dev_stack, ben, group) if m["uuid"] == first["uuid"])["edited_at"]
    assert message_reads(page_ben)[reads_before:] == []  # it all came pushed
    assert page_ann.errors == page_ben.errors == []


def test_a_deletion_asks_first_and_both_members_see_the_tombstone(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ann, ben, "Hello Ben")["message_group_uuid"]
    oops = send(dev_stack, ann, group, "Oops, wrong conversation")
    page_ann = open_page(browser, dev_stack, ann)
    page_ben = open_page(browser, dev_stack, ben)
    opened(page_ann, ben)
    opened(page_ben, ann)
    expect(page_ben.locator(".message-text")).to_have_text(["Hello Ben", "Oops, wrong conversation"])
    reads_before = len(message_reads(page_ben))

    message = bubble(page_ann, "Oops, wrong conversation")
    message.hover()
    message.get_by_role("button", name="Delete message").click()
    dialog = page_ann.get_by_role("dialog", name="Delete message?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Oops, wrong conversation")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the choice that loses nothing
    page_ann.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(message.get_by_role("button", name="Delete message")).to_be_focused()
    expect(page_ann.locator(".message-text")).to_have_text(["Hello Ben", "Oops, wrong conversation"])

    page_ann.keyboard.press("Enter")  # the focused Delete button again
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page_ann.locator(".message-text")).to_have_text(["Hello Ben", DELETED])
    expect(page_ann.get_by_role("status")).to_have_text("Message deleted")
    tombstone = bubbles(page_ann).last
    expect(tombstone).to_have_class(re.compile(r"\bdeleted\b"))
    expect(tombstone).to_be_focused()
    tombstone.hover()
    expect(tombstone.get_by_role("button")).to_have_count(0)  # nothing more to do on it
    expect(tombstone.locator(".message-edited")).to_have_count(0)

    expect(page_ben.locator(".message-text")).to_have_text(["Hello Ben", DELETED], timeout=PUSHED)
    expect(bubbles(page_ben).last).to_have_class(re.compile(r"\bdeleted\b"))
    # It was the newest message: both lists say so, in place of its text.
    for page in (page_ann, page_ben):
        expect(group_items(page).first.locator(".group-preview")).to_have_text("Message deleted")
    assert message_reads(page_ben)[reads_before:] == []

    assert [m["message"] for m in stored(dev_stack, ben, group)] == ["Hello Ben", None]
    wait_for(lambda: listed(dev_stack, ben)[group]["message"] is None, "the list's preview of the deletion")
    # A page that reads the list afresh (pattern B) says the same.
    fresh = open_page(browser, dev_stack, ben)
    preview = group_items(fresh).first.locator(".group-preview")
    expect(preview).to_have_text("Message deleted")
    expect(preview).to_have_css("font-style", "italic")  # retried: the list may be redrawn under a one-off read
    assert delete(dev_stack, ann, group, oops["uuid"])["message"] is None  # again: the same tombstone
    assert page_ann.errors == page_ben.errors == fresh.errors == []


def test_up_in_an_empty_composer_edits_my_last_message(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ann, ben, "First of mine")["message_group_uuid"]
    send(dev_stack, ann, group, "Last of mine")
    send(dev_stack, ben, group, "And one from Ben")
    page = open_page(browser, dev_stack, ann)
    opened(page, ben)
    composer = page.get_by_label("Message", exact=True)
    expect(composer).to_be_focused()
    box = page.get_by_role("textbox", name="Edit message")

    composer.fill("a draft")
    page.keyboard.press("ArrowUp")  # not empty: Up is the caret's
    expect(box).to_have_count(0)
    composer.fill("")
    page.keyboard.press("ArrowUp")
    expect(box).to_be_focused()
    expect(box).to_have_value("Last of mine")  # mine, the newest of mine: not Ben's after it
    page.keyboard.press("Escape")
    expect(box).to_have_count(0)
    expect(composer).to_be_focused()
    expect(page.locator(".message-text")).to_have_text(["First of mine", "Last of mine", "And one from Ben"])

    page.keyboard.press("ArrowUp")
    expect(box).to_be_focused()
    page.keyboard.type(", edited")  # the caret is at the end of the text
    page.keyboard.press("Enter")
    expect(page.locator(".message-text")).to_have_text(["First of mine", "Last of mine, edited", "And one from Ben"])
    expect(bubble(page, "Last of mine, edited").locator(".message-edited")).to_be_visible()
    expect(composer).to_be_focused()  # back to writing
    assert [m["message"] for m in stored(dev_stack, ann, group)][1] == "Last of mine, edited"
    assert page.errors == []


def test_pushed_updates_apply_in_place_once_and_never_go_back(browser, dev_stack, member) -> None:
    """Pushes may come twice, late or out of order (an edit's frame after the answer to a later one): each message
    shows once, where it was, in its newest state; a deletion is final; an update of a message not on the page
    adds nothing."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    mine = send(dev_stack, ann, group, "one")
    send(dev_stack, ben, group, "two")
    page, gate = open_behind_gate(browser, dev_stack, ben)
    opened(page, ann)
    expect(page.locator(".message-text")).to_have_text(["Hello Ann", "one", "two"])

    def pushed(**changes: Any) -> None:
        gate.push({"type": "message_updated", "message": {**mine, **changes}})

    pushed(message="one, edited twice", edited_at="2026-12-02T05:10:02.000000+00:00")
    expect(page.locator(".message-text")).to_have_text(["Hello Ann", "one, edited twice", "two"])
    pushed(message="one, edited twice", edited_at="2026-12-02T05:10:02.000000+00:00")
    pushed(message="one, edited once", edited_at="2026-12-02T05:10:01.000000+00:00")  # late: older news
    pushed(message="Not here", uuid=str(uuid.uuid4()), edited_at="2026-12-02T05:10:03.000000+00:00")
    page.wait_for_timeout(500)  # frames are handled in order: what the next assertion sees is after all of them
    pushed(message=None, deleted_at="2026-12-02T05:10:04.000000+00:00", edited_at=None)
    expect(page.locator(".message-text")).to_have_text(["Hello Ann", DELETED, "two"])
    pushed(message="one, edited again", edited_at="2026-12-02T05:10:05.000000+00:00")  # after its deletion
    page.wait_for_timeout(500)
    expect(page.locator(".message-text")).to_have_text(["Hello Ann", DELETED, "two"])
    expect(bubbles(page)).to_have_count(3)
    expect(group_items(page).first.locator(".group-preview")).to_have_text("two")  # not the newest: unchanged
    assert page.errors == []


def test_an_edit_refused_because_the_message_was_deleted_elsewhere_is_said(browser, dev_stack, member) -> None:
    """The editor is open on a page that missed the deletion (its socket is down, and it does not poll): the
    server's 409 is said, and the page reads the conversation to show it as the server has it."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ann, ben, "Hello Ben")["message_group_uuid"]
    message = send(dev_stack, ann, group, "To be deleted on my phone")
    page, gate = open_behind_gate(browser, dev_stack, ann)
    opened(page, ben)
    bubble(page, "To be deleted on my phone").hover()
    bubble(page, "To be deleted on my phone").get_by_role("button", name="Edit message").click()
    gate.drop()  # the deletion's push reaches no socket of this page
    expect(page.locator("#app-view")).to_have_attribute("data-live", "down")
    delete(dev_stack, ann, group, message["uuid"])

    box = page.get_by_role("textbox", name="Edit message")
    box.fill("Too late")
    box.press("Enter")
    expect(page.locator("#notice")).to_have_text("That message has been deleted, so it cannot be edited.")
    expect(box).to_have_count(0)
    expect(page.locator(".message-text")).to_have_text(["Hello Ben", DELETED])
    expect(page.locator("#app-view")).to_have_attribute("data-live", "down")  # it was the read, not a push
    assert page.errors == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_edits_and_the_delete_dialog_pass_the_accessibility_scan(browser, dev_stack, member, scheme) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    edited = send(dev_stack, ann, group, "Typo here")
    deleted = send(dev_stack, ann, group, "Never mind")
    send(dev_stack, ann, group, "Still editable")
    edit(dev_stack, ann, group, edited["uuid"], "No typo here")
    delete(dev_stack, ann, group, deleted["uuid"])
    page = open_page(browser, dev_stack, ann, color_scheme=scheme, viewport={"width": 1280, "height": 800})
    opened(page, ben)
    expect(page.locator(".message-text")).to_have_text(["Hello Ann", "No typo here", DELETED, "Still editable"])
    expect(group_items(page).first.locator(".group-preview")).to_have_text("Still editable")

    last = bubble(page, "Still editable")
    last.hover()
    expect(last.get_by_role("group", name="Message actions")).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=SCREENSHOTS / f"message-actions-{scheme}.png")
    last.get_by_role("button", name="Edit message").click()
    expect(page.get_by_role("textbox", name="Edit message")).to_be_focused()
    assert serious_violations(page) == []
    page.screenshot(path=SCREENSHOTS / f"message-edit-{scheme}.png")

    page.keyboard.press("Escape")
    last.hover()
    last.get_by_role("button", name="Delete message").click()
    expect(page.get_by_role("dialog", name="Delete message?")).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=SCREENSHOTS / f"message-delete-{scheme}.png")
    assert page.errors == []


def test_edit_is_offered_only_within_the_edit_window(browser, short_window_stack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = new_member(short_window_stack, "Ann"), new_member(short_window_stack, "Ben")
    start(short_window_stack, ann, ben, "Hello Ben")
    page = open_page(browser, short_window_stack, ann)
    opened(page, ben)
    page.get_by_label("Message", exact=True).fill("Just sent")
    page.keyboard.press("Enter")
    just_sent = bubble(page, "Just sent")
    expect(just_sent.locator(".message-status")).to_have_text("Sent")
    just_sent.hover()
    expect(just_sent.get_by_role("button", name="Edit message")).to_be_visible()

    # The window closes with nothing else happening: Edit goes, Delete stays; Up in the composer edits nothing.
    expect(just_sent.get_by_role("button", name="Edit message")).to_have_count(0, timeout=(WINDOW_SECONDS + 5) * 1000)
    just_sent.hover()
    expect(just_sent.get_by_role("button", name="Delete message")).to_be_visible()
    page.get_by_label("Message", exact=True).focus()
    page.keyboard.press("ArrowUp")
    page.wait_for_timeout(300)
    expect(page.get_by_role("textbox", name="Edit message")).to_have_count(0)
    assert page.errors == []


def test_the_server_s_closed_edit_window_is_said_and_the_message_stays(browser, short_window_stack) -> None:
    """A page whose idea of the window is longer than the server's (config.json says 900 s here) offers Edit; the
    server's 422 edit_window_closed is said plainly, the message stays as it was, and Edit is not offered again."""
    from playwright.sync_api import expect  # noqa: PLC0415

    stack = short_window_stack
    ann, ben = new_member(stack, "Ann"), new_member(stack, "Ben")
    first = start(stack, ann, ben, "Written a while ago")
    group = first["message_group_uuid"]
    assert call("GET", f"{stack.api_url}/config.json").body["editWindowSeconds"] == WINDOW_SECONDS

    def longer_window(page) -> None:
        def handle(route) -> None:
            response = route.fetch()
            route.fulfill(response=response, json={**response.json(), "editWindowSeconds": 900})

        page.route(re.compile(r"/config\.json$"), handle)

    page = open_page(browser, stack, ann, before_sign_in=longer_window)
    opened(page, ben)
    page.wait_for_timeout(max(seconds_left(first, WINDOW_SECONDS) + 1, 0) * 1000)  # past the server's window
    message = bubble(page, "Written a while ago")
    edit_with_the_mouse(page, message, "Rewritten")
    expect(page.locator("#notice")).to_have_text(WINDOW_CLOSED)
    expect(page.get_by_role("textbox", name="Edit message")).to_have_count(0)
    expect(page.locator(".message-text")).to_have_text(["Written a while ago"])
    expect(message.locator(".message-edited")).to_have_count(0)
    message.hover()
    expect(message.get_by_role("button", name="Edit message")).to_have_count(0)
    expect(message.get_by_role("button", name="Delete message")).to_be_visible()
    assert [m["message"] for m in stored(stack, ann, group)] == ["Written a while ago"]
    assert page.errors == []
