""" "Seen" in the web client (issue 25): under my newest message the other person has read, live from their
`read` push (two windows, polling off) and from the stored marker on load; gone when read receipts are off.

Browser, stack and sign-in helpers come from test_web_realtime.py and test_web_client.py.
"""

import uuid

from tests.e2e import test_web_realtime
from tests.e2e.test_web_client import NEEDS_CHROMIUM
from tests.e2e.test_web_realtime import PUSH_SECONDS, open_page, send, socket_up, start
from tooling.http_client import call

pytestmark = NEEDS_CHROMIUM

browser, member = test_web_realtime.browser, test_web_realtime.member  # the fixtures, shared


def seen(page):
    return page.locator("#messages .message-seen")


def put_settings(stack, who, body: dict) -> None:
    result = call("PUT", f"{stack.api_url}/api/settings", token=who.token, body=body)
    assert result.status == 200, result.body


def ann_waits_for_ben(browser, dev_stack, member, text: str):
    """Ann has sent Ben `text` after his "Hello Ben" and has their conversation open, live; Ben has no page yet."""
    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ann, ben, "Hello Ben")["message_group_uuid"]
    send(dev_stack, ann, group, text)
    anns = open_page(browser, dev_stack, ann)
    anns.get_by_role("button", name=ben.item).click()
    socket_up(anns)
    return ann, ben, anns


def test_seen_appears_in_the_sender_s_window_when_the_other_window_reads(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    text = f"Did you get this? {uuid.uuid4().hex[:6]}"
    ann, ben, anns = ann_waits_for_ben(browser, dev_stack, member, text)
    expect(anns.locator("#messages .message").last).to_contain_text("Sent")
    expect(seen(anns)).to_have_count(0)  # Ben has read nothing yet

    bens = open_page(browser, dev_stack, ben)
    bens.get_by_role("button", name=ann.item).click()  # opening it, in front, reads it
    expect(bens.locator(".message-text")).to_have_text(["Hello Ben", text])
    expect(seen(bens)).to_have_count(0)  # Ann has read her own, but Ben sent nothing to be seen

    mine = anns.locator("#messages .message").last
    expect(mine.locator(".message-seen")).to_have_text("Seen", timeout=PUSH_SECONDS * 1000)  # pushed, not polled
    expect(seen(anns)).to_have_count(1)  # once, under the newest message read
    expect(mine.locator(".message-status")).to_have_text("Seen")  # in place of "Sent"

    # A reload shows it from the stored marker (pattern A's first page).
    again = open_page(browser, dev_stack, ann)
    again.get_by_role("button", name=ben.item).click()
    expect(again.locator("#messages .message").last.locator(".message-seen")).to_have_text("Seen")
    assert anns.errors == bens.errors == again.errors == []


def test_receipts_off_in_settings_take_seen_away_both_ways(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ann, ben, "Hello Ben")["message_group_uuid"]
    first = send(dev_stack, ann, group, "Are you there?")
    result = call(
        "PUT", f"{dev_stack.api_url}/api/message_groups/{group}/read", token=ben.token, body={"uuid": first["uuid"]}
    )
    assert result.status == 200, result.body
    anns = open_page(browser, dev_stack, ann)
    anns.get_by_role("button", name=ben.item).click()
    expect(seen(anns)).to_have_text(["Seen"])

    anns.get_by_role("button", name="Settings").click()
    receipts = anns.get_by_role("checkbox", name="Show when I have read a message")
    expect(receipts).to_be_checked()
    expect(receipts).to_be_enabled()
    receipts.uncheck()
    expect(anns.locator("#settings-status")).to_have_text("Saved: read receipts are off, both ways.")
    expect(seen(anns)).to_have_count(0)  # gone at once
    anns.get_by_role("button", name="Close").click()

    reloaded = open_page(browser, dev_stack, ann)
    reloaded.get_by_role("button", name=ben.item).click()
    expect(reloaded.locator(".message-text")).to_have_text(["Hello Ben", "Are you there?"])
    expect(seen(reloaded)).to_have_count(0)  # the stored marker is not shown to her either

    # On again, but Ben hides his: Ann sees nothing of his reads still.
    put_settings(dev_stack, ann, {"read_receipts": True})
    put_settings(dev_stack, ben, {"read_receipts": False})
    third = open_page(browser, dev_stack, ann)
    third.get_by_role("button", name=ben.item).click()
    expect(third.locator(".message-text")).to_have_text(["Hello Ben", "Are you there?"])
    expect(seen(third)).to_have_count(0)
    assert anns.errors == reloaded.errors == third.errors == []


def test_a_message_button_keeps_the_keyboard_focus_when_seen_redraws_the_list(browser, dev_stack, member) -> None:
    """A message's buttons show only while it has the focus (or the mouse): a redraw for a receipt must give the
    focus back through the message, or the keyboard user's Delete button vanishes from under them."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben, anns = ann_waits_for_ben(browser, dev_stack, member, f"Read me {uuid.uuid4().hex[:6]}")
    anns.mouse.move(0, 0)  # the mouse away from every message: only the focus shows their buttons
    mine = anns.locator("#messages .message").last
    mine.focus()
    anns.keyboard.press("Tab")  # its Edit
    expect(mine.get_by_role("button", name="Edit message")).to_be_focused()
    anns.keyboard.press("Tab")
    delete = mine.get_by_role("button", name="Delete message")
    expect(delete).to_be_focused()

    bens = open_page(browser, dev_stack, ben)
    bens.get_by_role("button", name=ann.item).click()  # reads it: Ann's list is redrawn with "Seen"
    expect(anns.locator("#messages .message").last.locator(".message-seen")).to_have_text(
        "Seen", timeout=PUSH_SECONDS * 1000
    )
    expect(delete).to_be_focused()
    anns.keyboard.press("Enter")
    expect(anns.get_by_role("dialog", name="Delete message?")).to_be_visible()
    assert anns.errors == bens.errors == []
