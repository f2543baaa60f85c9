"""The web client's conversation list and "New message" dialog in a real browser, from 320 px to wide screens.

Browser, stack and sign-in come from test_web_client.py (the same Chromium, the same `make dev` stack).
"""

import json
import random
import re
import string
from collections.abc import Iterator

import pytest

from tests.dev_process import DevStack
from tests.e2e.test_web_client import (
    BAYKO,
    LONDO,
    NEEDS_CHROMIUM,
    call_messages,
    conversation_with,
    launch_browser,
    shot,
    signed_in,
)

SEED_HANDLES = ["andrewbrown", "bayko", "londo", "worf", "garek"]

pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch_browser() as chromium:
        yield chromium


def luminance(rgb: tuple[float, float, float]) -> float:
    def linear(c: float) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    light, dark = sorted([luminance(a), luminance(b)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rgb(css: str) -> tuple[float, float, float]:
    parts = css[css.index("(") + 1 : css.index(")")].replace(",", " ").split()
    return float(parts[0]), float(parts[1]), float(parts[2])


def test_new_message_takes_at_handles_in_any_case(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    conversation_with(dev_stack, "bayko")
    page = signed_in(browser, dev_stack, "andrewbrown")
    opener = page.get_by_role("button", name="New message")
    dialog = page.get_by_role("dialog", name="New message")
    expect(dialog).to_be_hidden()
    assert opener.bounding_box()["height"] < 48  # a compact action, not a form across the sidebar
    opener.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("To", exact=True)).to_be_focused()

    text = "Found you by your capitals"
    page.keyboard.type("  @Bayko ")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("First message")).to_be_focused()
    page.keyboard.type(text)
    with page.expect_request("**/api/message_groups") as request:
        page.keyboard.press("Enter")
    assert request.value.method == "POST"
    # Trimmed, without the @; the case is the API's to ignore (the client may also use a spelling it knows).
    assert json.loads(request.value.post_data)["handle"].lower() == "bayko"
    expect(dialog).to_be_hidden()
    expect(page.locator("#conversation-title")).to_have_text(BAYKO)
    expect(page.locator(".message-text", has_text=text).last).to_be_visible()
    expect(page.get_by_label("Message", exact=True)).to_be_focused()


def test_a_new_handle_is_sent_without_its_at(browser, dev_stack: DevStack) -> None:
    page = signed_in(browser, dev_stack, "garek")
    page.get_by_role("button", name="New message").click()
    dialog = page.get_by_role("dialog", name="New message")
    dialog.get_by_label("To", exact=True).fill(" @@Worf ")
    dialog.get_by_label("First message").fill("A word, Commander")
    with page.expect_request("**/api/message_groups") as request:
        dialog.get_by_role("button", name="Start conversation").click()
    # Trimmed and without the @; matching it regardless of case is the API's part.
    assert json.loads(request.value.post_data) == {"handle": "Worf", "message": "A word, Commander"}


def test_nobody_with_that_handle_is_said_in_the_dialog_and_escape_closes_it(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = signed_in(browser, dev_stack, "andrewbrown")
    opener = page.get_by_role("button", name="New message")
    opener.click()
    dialog = page.get_by_role("dialog", name="New message")
    to = dialog.get_by_label("To", exact=True)
    to.fill("@nobody_here")
    dialog.get_by_label("First message").fill("Hello?")
    with page.expect_response("**/api/message_groups") as answer:
        dialog.get_by_role("button", name="Start conversation").click()
    assert answer.value.status == 404
    assert answer.value.json()["error"] == "user_not_found"
    expect(dialog.get_by_role("alert")).to_have_text("Nobody has that handle. Check the spelling and try again.")
    expect(to).to_be_focused()
    expect(to).to_have_attribute("aria-invalid", "true")
    expect(dialog).to_be_visible()  # what was typed is still there to correct
    expect(dialog.get_by_label("First message")).to_have_value("Hello?")
    shot(page, "new-message-unknown-handle")

    to.fill("nobody_at_all")  # typing again clears the complaint
    expect(dialog.get_by_role("alert")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()  # back where the keyboard was


def test_the_list_shows_avatar_preview_and_time(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    londo_group = ""
    for handle in ["bayko", "worf", "garek", "londo"]:
        londo_group = conversation_with(dev_stack, handle)
    page = signed_in(browser, dev_stack, "andrewbrown", locale="en-US")
    item = page.get_by_role("button", name=LONDO)
    expect(item).to_be_visible()
    expect(item.locator(".avatar")).to_have_text("LM")
    expect(item.locator(".avatar")).to_have_attribute("aria-hidden", "true")
    last = call_messages(dev_stack, londo_group)[-1]["message"]
    expect(item.locator(".group-preview")).to_have_text(last, timeout=15_000)  # the stream updates it
    time = item.locator("time")
    expect(time).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d"))
    expect(time).to_have_text(re.compile(r"^(just now|\d+ min\. ago)$"))

    # A colour per handle, the same wherever it is drawn and readable: white initials at 4.5:1 or more.
    # Read in one evaluation: the list is redrawn whole at each refresh, and a row read call by call could be
    # detached (no computed style) between two calls.
    drawn = page.locator("#groups").evaluate(
        """(list) => [...list.querySelectorAll(".avatar")].map((a) => [
            a.closest("button").querySelector(".group-handle").textContent,
            getComputedStyle(a).backgroundColor,
            getComputedStyle(a).color,
        ])"""
    )
    colours = {}
    for handle, background, foreground in drawn:
        assert contrast(rgb(background), rgb(foreground)) >= 4.5, (handle, background, foreground)
        colours[handle] = background
    assert len(set(colours.values())) == len(colours)  # these four at least are told apart
    item.click()
    header = page.locator("#conversation-avatar .avatar")
    expect(header).to_have_css("background-color", colours["(@londo)"])

    # And for any handle at all, not only these: the same function, many handles, every one readable.
    alphabet = string.ascii_lowercase + string.digits + "_"
    handles = ["".join(random.Random(seed).choices(alphabet, k=8)) for seed in range(400)]
    pairs = page.evaluate(
        """async (handles) => {
            const { avatarColours } = await import("./avatar.js");
            return handles.map((h) => [avatarColours(h).background, avatarColours(h.toUpperCase()).background,
                                       avatarColours(h).foreground]);
        }""",
        handles,
    )
    for background, upper, foreground in pairs:
        assert contrast(rgb(background), rgb(foreground)) >= 4.5, background
        assert background == upper  # handles match regardless of case, and so do their colours
    assert len({background for background, _, _ in pairs}) > 200  # spread over the hues, not a few


def test_unread_counts_are_shown_when_the_api_gives_them(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    for handle in ["bayko", "londo", "worf", "garek"]:
        conversation_with(dev_stack, handle)
    page = signed_in(browser, dev_stack, "andrewbrown")
    counts = {"bayko": 3, "londo": 150, "worf": 0}  # garek's answer has no unread_count at all

    def with_unread(route) -> None:
        groups = route.fetch().json()
        for group in groups:
            group.pop("unread_count", None)
            if group["handle"] in counts:
                group["unread_count"] = counts[group["handle"]]
        route.fulfill(json=groups)

    page.route("**/api/message_groups?*", with_unread)
    page.reload()
    page.get_by_label("Username").fill("andrewbrown")
    page.get_by_label("Password").fill("Cruddur!Local1")
    page.get_by_role("button", name="Sign in").click()

    bayko = page.get_by_role("button", name=BAYKO)
    expect(bayko.locator(".unread-badge")).to_have_text("3 unread")
    expect(bayko).to_have_accessible_name(re.compile(r"^Andrew Bayko \(@bayko\) .* 3 unread$"))
    expect(page.get_by_role("button", name=LONDO).locator(".unread-badge")).to_have_text("99+ unread")
    for quiet in ["Worf", "Garek"]:
        expect(page.locator(".group", has_text=f"(@{quiet.lower()})").locator(".unread-badge")).to_have_count(0)

    def weight(handle: str) -> int:
        # Found and measured in one evaluation: the list is redrawn whole at each refresh, and a row located first
        # could be detached (no computed style) by the time it is measured.
        return int(
            page.evaluate(
                """(handle) => {
                    const row = [...document.querySelectorAll(".group")]
                        .find((group) => group.textContent.includes(`(@${handle})`));
                    return getComputedStyle(row.querySelector(".group-name")).fontWeight;
                }""",
                handle,
            )
        )

    assert weight("bayko") >= 700
    assert weight("londo") >= 700
    assert weight("worf") < 700
    assert weight("garek") < 700
    badge = bayko.locator(".unread-badge")
    expect(badge).to_be_visible()  # drawn with a size, not only present
    shot(page, "unread-badges")


def test_a_narrow_screen_has_two_views_with_a_back_button(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    conversation_with(dev_stack, "londo")
    page = signed_in(browser, dev_stack, "andrewbrown", viewport={"width": 320, "height": 640})
    groups, conversation = page.locator("#groups-pane"), page.locator("#conversation-pane")
    expect(groups).to_be_visible()
    expect(conversation).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320

    page.get_by_role("button", name=LONDO).click()
    expect(groups).to_be_hidden()
    expect(conversation).to_be_visible()
    expect(page.locator("#messages .message").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    back = page.get_by_role("button", name="Back to conversations")
    back.focus()
    page.keyboard.press("Enter")
    expect(groups).to_be_visible()
    expect(conversation).to_be_hidden()
    expect(page.get_by_role("button", name=LONDO)).to_be_focused()  # the keyboard carries on where it was

    page.set_viewport_size({"width": 1280, "height": 800})  # wide: both side by side, no back button
    page.get_by_role("button", name=LONDO).click()
    expect(groups).to_be_visible()
    expect(conversation).to_be_visible()
    expect(back).to_be_hidden()
    assert page.locator("#groups-pane").bounding_box()["x"] < page.locator("#conversation-pane").bounding_box()["x"]
