"""The web client's look in a real browser: both themes, visible focus, an axe-core scan, and screenshots.

axe-core comes inside the axe-playwright-python wheel (nothing is fetched at run time). Screenshots of every
view at 360 px and 1280 px, light and dark, go to .local/screenshots/; `UPDATE_DOCS_SCREENSHOT=1` also writes
docs/screenshot.png (1280 px, a conversation open, light theme) for the README.
"""

import os
from collections.abc import Iterator

import pytest

from tests.dev_process import DevStack
from tests.e2e.message_requests import accept
from tests.e2e.test_web_client import (
    BAYKO,
    NEEDS_CHROMIUM,
    PASSWORD,
    SCREENSHOTS,
    launch_browser,
    signed_in,
)
from tests.e2e.test_web_conversations import contrast, luminance, rgb
from tooling.http_client import call
from tooling.paths import PROJECT_ROOT
from tooling.seed import SEED_GROUP_UUID

pytestmark = NEEDS_CHROMIUM
SCHEMES = ["light", "dark"]
DOCS_SCREENSHOT = PROJECT_ROOT / "docs" / "screenshot.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch_browser() as chromium:
        yield chromium


def page_in(browser, stack: DevStack, scheme: str, username: str | None = "andrewbrown", **context_options):
    """A page whose system theme is `scheme`; signed in as `username` unless None (then at the sign-in view)."""
    if username:
        return signed_in(browser, stack, username, color_scheme=scheme, **context_options)
    page = browser.new_context(color_scheme=scheme, **context_options).new_page()
    page.goto(f"{stack.api_url}/")
    page.get_by_label("Username").wait_for()
    return page


def open_bayko(page) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page.get_by_role("button", name=BAYKO).click()
    expect(page.locator("#messages .message")).to_have_count(20)


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe  # noqa: PLC0415 - a browser-test dependency

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("view", ["sign-in", "conversation list", "open conversation", "new message dialog"])
def test_no_serious_accessibility_violations(browser, dev_stack: DevStack, view: str, scheme: str) -> None:
    page = page_in(browser, dev_stack, scheme, None if view == "sign-in" else "andrewbrown")
    if view == "open conversation":
        open_bayko(page)
    elif view == "new message dialog":
        page.get_by_role("button", name="New message").click()
        page.get_by_role("dialog", name="New message").wait_for()
    assert serious_violations(page) == []


def test_the_scan_finds_what_it_should(browser, dev_stack: DevStack) -> None:
    """The scan is live: the same page with a contrast fault and an unlabelled field is reported."""
    page = page_in(browser, dev_stack, "light", None)
    page.evaluate(
        """() => {
            document.querySelector("label[for=username]").remove();
            document.querySelector("#sign-in-title").style.color = "#ddd";
        }"""
    )
    found = " ".join(serious_violations(page))
    assert "label" in found
    assert "color-contrast" in found


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_theme_follows_the_system(browser, dev_stack: DevStack, scheme: str) -> None:
    # Both kinds of bubble on the newest page, whatever other tests posted into this conversation before.
    for sender in ("bayko", "andrewbrown"):
        body = {"message_group_uuid": SEED_GROUP_UUID, "message": f"{scheme} theme check"}
        assert call("POST", f"{dev_stack.api_url}/api/messages", token=dev_stack.token(sender), body=body).status == 201
    page = page_in(browser, dev_stack, scheme)
    open_bayko(page)
    styles = page.evaluate(
        """() => {
            const style = (selector) => getComputedStyle(document.querySelector(selector));
            return {
                page: [style("html").backgroundColor, style("body").color],
                bubble: [style(".message.theirs").backgroundColor, style(".message.theirs .message-text").color],
                mine: [style(".message.mine").backgroundColor, style(".message.mine .message-text").color],
                send: [style("#send").backgroundColor, style("#send").color],
            };
        }"""
    )
    background = luminance(rgb(styles["page"][0]))
    assert background > 0.8 if scheme == "light" else background < 0.05
    for name, (back, fore) in styles.items():
        assert contrast(rgb(back), rgb(fore)) >= 4.5, (scheme, name, back, fore)


def focus_ring(page) -> dict:
    return page.evaluate(
        """() => {
            const element = document.activeElement;
            const style = getComputedStyle(element);
            return { what: element.id || element.className || element.tagName, style: style.outlineStyle,
                     width: parseFloat(style.outlineWidth), color: style.outlineColor };
        }"""
    )


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_control_shows_its_focus_and_works_by_keyboard(browser, dev_stack: DevStack, scheme: str) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = page_in(browser, dev_stack, scheme, None)
    # Sign in by keyboard alone, checking the ring on every stop on the way.
    page.get_by_label("Username").focus()
    page.keyboard.type("andrewbrown")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    assert focus_ring(page)["style"] != "none"
    page.keyboard.press("Enter")
    page.get_by_text("Signed in as andrewbrown").wait_for()

    # Walk the whole app by Tab: every stop is drawn with a visible ring in the theme's focus colour.
    open_bayko(page)
    page.get_by_role("heading", name="Cruddur Messages").click()  # Tab starts from the top of the page
    seen: list[str] = []
    while "send" not in seen and len(seen) < 30:
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        seen.append(ring["what"])
        assert ring["style"] != "none", ring
        assert ring["width"] >= 2, ring
        background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        assert contrast(rgb(ring["color"]), rgb(background)) >= 3, ring  # WCAG 1.4.11 for the ring itself
    for stop in ["sign-out", "new-conversation-open", "messages-scroll", "composer-text", "send"]:
        assert stop in seen, seen
    assert any("group" in what for what in seen), seen

    # The list of messages is walked with the arrow keys, the dialog opens and closes from the keyboard.
    page.locator("#messages-scroll").focus()
    page.keyboard.press("ArrowUp")
    assert focus_ring(page)["style"] != "none"
    expect(page.locator("#messages .message").last).to_be_focused()
    page.get_by_role("button", name="New message").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="New message")).to_be_visible()
    assert focus_ring(page)["style"] != "none"
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="New message")).to_be_hidden()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots(browser, dev_stack: DevStack, width: int, scheme: str) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    size = {"width": width, "height": 760 if width < 700 else 800}
    page = page_in(browser, dev_stack, scheme, None, viewport=size)
    page.screenshot(path=SCREENSHOTS / f"sign-in-{width}px-{scheme}.png")
    page.get_by_label("Username").fill("andrewbrown")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=BAYKO)).to_be_visible()
    page.screenshot(path=SCREENSHOTS / f"list-{width}px-{scheme}.png")
    open_bayko(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
    page.screenshot(path=SCREENSHOTS / f"conversation-{width}px-{scheme}.png")
    for name in ["sign-in", "list", "conversation"]:
        assert (SCREENSHOTS / f"{name}-{width}px-{scheme}.png").stat().st_size > 5_000


def test_docs_screenshot(browser, dev_stack: DevStack) -> None:
    """The README's picture: written to docs/ only when asked (UPDATE_DOCS_SCREENSHOT=1), so runs leave git clean."""
    for handle, words in [("londo", "Dinner at eight? The Centauri way."), ("worf", "Today is a good day to ship.")]:
        result = call(
            "POST",
            f"{dev_stack.api_url}/api/message_groups",
            token=dev_stack.token(handle),
            body={"handle": "andrewbrown", "message": words},
        )
        assert result.status in {200, 201}, result.body
        # The picture shows conversations, not message requests (accepting is idempotent).
        accept(dev_stack.api_url, dev_stack.token("andrewbrown"), result.body["message_group_uuid"])
    page = page_in(browser, dev_stack, "light", viewport={"width": 1280, "height": 720})
    open_bayko(page)
    page.locator("body").click(position={"x": 5, "y": 5})  # no focus ring or hover in the picture
    page.locator("#messages-scroll").evaluate("(s) => { s.scrollTop = s.scrollHeight; }")
    target = DOCS_SCREENSHOT if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1" else SCREENSHOTS / "docs.png"
    page.screenshot(path=target)
    assert 20_000 < target.stat().st_size < 300_000
