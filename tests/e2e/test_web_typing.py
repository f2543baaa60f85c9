"""Typing indicators in the web client (issue 25), two windows over the `make dev` stack with polling off: what
Ben types in his composer shows as "<Ann> is typing…" in Ann's window, under the conversation and in its list row,
is said once by a polite live region, and goes when his message arrives."""

import uuid

from tests.e2e.test_web_client import NEEDS_CHROMIUM
from tests.e2e.test_web_realtime import PUSH_SECONDS, browser, group_items, member, open_page, socket_up, start

pytestmark = NEEDS_CHROMIUM
__all__ = ["browser", "member"]  # the fixtures, shared


def two_windows(browser, dev_stack, member):
    """Ann and Ben in a conversation Ann started, each in a window of their own with it open and its socket up."""
    ann, ben = member("Ann"), member("Ben")
    start(dev_stack, ann, ben, "Hello Ben")
    anns = open_page(browser, dev_stack, ann)
    anns.get_by_role("button", name=ben.item).click()
    socket_up(anns)
    bens = open_page(browser, dev_stack, ben)
    bens.get_by_role("button", name=ann.item).click()
    socket_up(bens)
    return ann, ben, anns, bens


def test_typing_shows_in_the_other_window_and_goes_when_the_message_arrives(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    _, ben, anns, bens = two_windows(browser, dev_stack, member)

    typing = f"{ben.display_name} is typing…"
    bens.locator("#composer-text").press_sequentially("Hi Ann, how")
    expect(anns.locator("#typing-note")).to_have_text(typing, timeout=PUSH_SECONDS * 1000)
    expect(anns.locator("#typing-note")).to_be_visible()
    expect(group_items(anns).first.locator(".group-preview")).to_have_text(typing)
    expect(anns.locator("#typing-live")).to_have_text(typing)  # said politely, once per run
    assert anns.locator("#typing-live").get_attribute("aria-live") == "polite"
    expect(bens.locator("#typing-note")).to_be_hidden()  # nobody is told of their own typing

    text = f"Hi Ann, how are you {uuid.uuid4().hex[:6]}"
    bens.locator("#composer-text").fill(text)
    bens.locator("#composer-text").press("Enter")
    expect(anns.locator(".message-text").last).to_have_text(text, timeout=PUSH_SECONDS * 1000)
    expect(anns.locator("#typing-note")).to_be_hidden()
    expect(group_items(anns).first.locator(".group-preview")).to_have_text(text)
    assert anns.errors == []
    assert bens.errors == []


def test_the_indicator_goes_after_five_seconds_without_a_new_frame(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    *_, anns, bens = two_windows(browser, dev_stack, member)

    bens.locator("#composer-text").press_sequentially("Hm")
    expect(anns.locator("#typing-note")).to_be_visible(timeout=PUSH_SECONDS * 1000)
    expect(anns.locator("#typing-note")).to_be_hidden(timeout=8_000)  # 5 s after the last frame, with room
    expect(group_items(anns).first.locator(".group-preview")).to_have_text("Hello Ben")
    assert anns.errors == []
