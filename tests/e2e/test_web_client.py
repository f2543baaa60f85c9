"""The web client in a real browser (Playwright driving Debian's Chromium) against `make dev`'s stack.

Skipped, loudly, where Chromium is absent; .ci/run installs it. Screenshots go to .local/screenshots/.
"""

import shutil
import uuid
import warnings
from collections.abc import Iterator

import pytest

from local.dev_process import DevStack
from local.http_client import call
from local.template import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = PROJECT_ROOT / ".local" / "screenshots"
PASSWORD = "Cruddur!Local1"
# The closed network here refuses Chromium's background connections; these keep it quiet and fast.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]

if CHROMIUM is None:
    warnings.warn("BROWSER TESTS SKIPPED: no Chromium here (apt-get install chromium; .ci/run does)", stacklevel=1)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only where a browser exists

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in(browser, stack: DevStack, username: str, **context_options):
    page = browser.new_context(**context_options).new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{stack.api_url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {username}").wait_for()
    return page


def shot(page, name: str) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_a_message_reaches_the_other_window_and_moves_its_conversation_to_the_top(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    # bayko's most recent conversation is with londo, so andrewbrown's message has somewhere to move up from.
    call(
        "POST",
        f"{dev_stack.api_url}/api/message_groups",
        token=dev_stack.token("bayko"),
        body={"handle": "londo", "message": f"fresh news {uuid.uuid4().hex[:6]}"},
    )
    bayko = signed_in(browser, dev_stack, "bayko")
    conversations = bayko.locator("#groups li")
    expect(conversations.first).to_contain_text("@londo")

    andrew = signed_in(browser, dev_stack, "andrewbrown")
    andrew.get_by_role("button", name="Andrew Bayko (@bayko)").click()
    text = f"Hello from the browser {uuid.uuid4().hex[:8]}"
    andrew.get_by_label("Message", exact=True).fill(text)
    andrew.keyboard.press("Enter")
    expect(andrew.locator(".message-text").last).to_have_text(text)

    expect(conversations.first).to_contain_text("@andrewbrown", timeout=15_000)
    expect(conversations.first).to_contain_text(text)
    conversations.first.get_by_role("button").click()
    expect(bayko.locator(".message-text").last).to_have_text(text, timeout=10_000)
    shot(andrew, "andrewbrown-sent")
    shot(bayko, "bayko-received")


def test_other_peoples_markup_shows_as_text(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    hostile = "<img src=x onerror=alert(1)>"
    andrew = signed_in(browser, dev_stack, "andrewbrown")
    andrew.get_by_role("button", name="Andrew Bayko (@bayko)").click()
    andrew.get_by_label("Message", exact=True).fill(hostile)
    andrew.get_by_role("button", name="Send").click()

    bayko = signed_in(browser, dev_stack, "bayko")
    bayko.get_by_role("button", name="Andrew Brown (@andrewbrown)").click()
    expect(bayko.locator(".message-text").last).to_have_text(hostile, timeout=10_000)
    assert bayko.locator("#messages img").count() == 0
    bayko.wait_for_timeout(500)
    assert bayko.dialogs == []
    assert andrew.dialogs == []
    shot(bayko, "markup-as-text")


def test_a_wrong_password_is_explained(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = browser.new_context().new_page()
    page.goto(f"{dev_stack.api_url}/")
    page.get_by_label("Username").fill("andrewbrown")
    page.get_by_label("Password").fill("not the password")
    page.keyboard.press("Enter")
    expect(page.locator("#sign-in-error")).to_have_text("Wrong username or password.")
    expect(page.locator("#app-view")).to_be_hidden()
    shot(page, "wrong-password")


def test_keyboard_only_and_a_narrow_screen(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = signed_in(browser, dev_stack, "andrewbrown", viewport={"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # nothing overflows sideways
    page.get_by_role("button", name="Andrew Bayko (@bayko)").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#groups-pane")).to_be_hidden()  # one pane at a time on a phone
    expect(page.get_by_role("button", name="Back to conversations")).to_be_visible()

    box = page.get_by_label("Message", exact=True)
    expect(box).to_be_focused()
    before = page.locator(".message").count()
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    assert box.input_value() == "first line\nsecond line"
    assert page.locator(".message").count() == before  # Shift+Enter did not send
    page.keyboard.press("Enter")
    expect(page.locator(".message-text").last).to_have_text("first line\nsecond line")
    shot(page, "narrow-320px")


def test_an_expired_session_asks_to_sign_in_again(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = signed_in(browser, dev_stack, "andrewbrown")
    # The API refuses every token from now on, as it would once the session and its refresh token expired.
    page.route("**/api/**", lambda route: route.fulfill(status=401, json={"message": "Unauthorized"}))
    page.route(
        "**/127.0.0.1:*/",
        lambda route: (
            route.fulfill(
                status=400,
                json={"__type": "NotAuthorizedException", "message": "Refresh Token has expired"},
            )
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    page.get_by_role("button", name="Andrew Bayko (@bayko)").click()
    expect(page.locator("#notice")).to_have_text("Your session has expired. Please sign in again.")
    expect(page.get_by_label("Username")).to_be_visible()
    shot(page, "session-expired")


def test_api_errors_are_shown_in_plain_words(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = signed_in(browser, dev_stack, "worf")
    for handle, words in [
        ("nobody_at_all", "Nobody has that handle. Check the spelling and try again."),
        ("worf", "You cannot start a conversation with yourself."),
    ]:
        page.get_by_label("New conversation with (handle)").fill(handle)
        page.get_by_label("First message").fill("Qapla'")
        page.get_by_role("button", name="Start conversation").click()
        expect(page.locator("#notice")).to_have_text(words)
    shot(page, "plain-word-errors")


def test_the_access_token_is_refreshed_before_it_expires(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = browser.new_context().new_page()
    page.clock.install()  # the page's timers and clock, fast-forwarded below
    flows = []
    page.on(
        "request",
        lambda r: (
            flows.append((r.post_data_json or {}).get("AuthFlow"))
            if r.headers.get("x-amz-target", "").endswith("InitiateAuth")
            else None
        ),
    )
    page.goto(f"{dev_stack.api_url}/")
    page.get_by_label("Username").fill("bayko")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as bayko").wait_for()

    page.clock.run_for("59:30")  # Cognito access tokens live an hour; the page refreshes a minute early
    page.wait_for_timeout(1000)

    assert flows == ["USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"]
    page.get_by_role("button", name="Andrew Brown (@andrewbrown)").click()
    expect(page.locator(".message").first).to_be_visible()
    expect(page.locator("#notice")).to_be_hidden()
