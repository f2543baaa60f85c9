"""The web client in a real browser (Playwright driving Debian's Chromium) against `make dev`'s stack.

Skipped, loudly, where Chromium is absent; .ci/run installs it. Screenshots go to .local/screenshots/.
"""

import contextlib
import re
import shutil
import uuid
import warnings
from collections.abc import Iterator

import pytest

from tests.dev_process import DevStack
from tests.e2e.message_requests import accept
from tooling.http_client import call
from tooling.paths import PROJECT_ROOT
from tooling.seed import SEED_GROUP_UUID

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = PROJECT_ROOT / ".local" / "screenshots"
PASSWORD = "Cruddur!Local1"
BAYKO = "Andrew Bayko (@bayko)"  # andrewbrown's seeded conversation: 101 messages, several pages
LONDO = "Londo Mollari (@londo)"
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
NEEDS_CHROMIUM = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
pytestmark = NEEDS_CHROMIUM


@contextlib.contextmanager
def launch_browser() -> Iterator[object]:
    """Debian's Chromium under Playwright; the other test_web_*.py files launch theirs with this too."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only where a browser exists

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch_browser() as chromium:
        yield chromium


def signed_in(browser, stack: DevStack, username: str, *, socket: bool = True, **context_options):
    """A page signed in as `username`; `socket=False`: its WebSocket is refused, so it polls (the fallback)."""
    page = browser.new_context(**context_options).new_page()
    if not socket:
        page.route_web_socket(re.compile(r"^wss?://"), lambda ws: ws.close())
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.errors = []  # uncaught exceptions and unhandled rejections in the page
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{stack.api_url}/")
    sign_in(page, username)
    return page


def sign_in(page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {username}").wait_for()


def conversation_with(stack: DevStack, handle: str) -> str:
    """andrewbrown's conversation with `handle` (started if new), one message longer; returns its uuid."""
    result = call(
        "POST",
        f"{stack.api_url}/api/message_groups",
        token=stack.token("andrewbrown"),
        body={"handle": handle, "message": f"hello {handle} {uuid.uuid4().hex[:6]}"},
    )
    assert result.status in {200, 201}, result.body
    # An ordinary conversation, never a message request holding andrewbrown to its limit, whoever started it
    # earlier on this shared stack (the fuzzer starts some): accepting is idempotent.
    accept(stack.api_url, stack.token(handle), result.body["message_group_uuid"])
    return result.body["message_group_uuid"]


def message_ids(stack: DevStack, group_uuid: str) -> list[str]:
    """The uuids of a short conversation's messages, oldest first, as the API has them."""
    result = call("GET", f"{stack.api_url}/api/messages/{group_uuid}?limit=100", token=stack.token("andrewbrown"))
    assert result.status == 200, result.body
    assert "link" not in result.headers  # one page: the whole conversation
    return [message["uuid"] for message in result.body]


def shown_ids(page) -> list[str]:
    return page.locator("#messages .message").evaluate_all("items => items.map((item) => item.dataset.message)")


def open_londo_after_bayko(page, stack: DevStack, londo_group: str) -> list[str]:
    """Opens bayko's conversation and then londo's; returns londo's message uuids once they are shown."""
    page.get_by_role("button", name=BAYKO).click()
    page.get_by_role("button", name=LONDO).click()
    return wait_for_londo(page, stack, londo_group)


def wait_for_londo(page, stack: DevStack, londo_group: str) -> list[str]:
    from playwright.sync_api import expect  # noqa: PLC0415

    expect(page.locator("#conversation-title")).to_have_text(LONDO)
    expected = message_ids(stack, londo_group)
    expect(page.locator("#messages .message")).to_have_count(len(expected))
    return expected


def settle(page) -> None:
    """Room for a stray answer (a stale page of messages) to arrive and be drawn, if the page would draw it."""
    page.wait_for_timeout(1000)


def wait_until(page, condition, what: str) -> None:
    for _ in range(100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


def hold_requests(page, url: str, wanted) -> list:
    """Holds the requests to `url` for which `wanted(request, nth)` is true until the test releases them."""
    held, seen = [], []

    def handle(route) -> None:
        seen.append(route.request)
        if wanted(route.request, len(seen)):
            held.append(route)
        else:
            route.continue_()

    page.route(url, handle)
    return held


def release(route) -> None:
    from playwright.sync_api import Error  # noqa: PLC0415

    # The page may have cancelled the request when the conversation changed: then there is nothing to answer.
    with contextlib.suppress(Error):
        route.continue_()


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
    # Once the socket is up and the page has read what it missed meanwhile, the API is asked nothing until the click.
    expect(page.locator("#app-view")).to_have_attribute("data-live", "up")
    settle(page)
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
    page.get_by_role("button", name="New message").click()
    dialog = page.get_by_role("dialog", name="New message")
    for handle, words in [
        ("nobody_at_all", "Nobody has that handle. Check the spelling and try again."),
        ("worf", "You cannot start a conversation with yourself."),
    ]:
        dialog.get_by_label("To", exact=True).fill(handle)
        dialog.get_by_label("First message").fill("Qapla'")
        dialog.get_by_role("button", name="Start conversation").click()
        expect(dialog.get_by_role("alert")).to_have_text(words)  # said in the dialog, next to the handle
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


def test_switching_conversations_shows_only_the_new_persons_messages(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    londo_group = conversation_with(dev_stack, "londo")
    page = signed_in(browser, dev_stack, "andrewbrown")
    page.get_by_role("button", name=BAYKO).click()
    expect(page.get_by_role("button", name="Load older messages")).to_be_visible()  # bayko's has older pages

    page.get_by_role("button", name=LONDO).click()
    expected = wait_for_londo(page, dev_stack, londo_group)
    page.locator("#messages-scroll").evaluate("(scroller) => { scroller.scrollTop = 0; }")  # where older ones load
    settle(page)
    assert shown_ids(page) == expected
    expect(page.locator("#messages .message", has_text="Andrew Bayko")).to_have_count(0)
    expect(page.get_by_role("button", name="Load older messages")).to_be_hidden()
    assert page.errors == []
    shot(page, "switched-to-londo")


def first_page(request, nth: int) -> bool:
    return nth == 1


def older_page(request, nth: int) -> bool:
    return "cursor=" in request.url


def poll(request, nth: int) -> bool:
    return nth == 2 and "cursor=" not in request.url  # the first page, then the first poll


@pytest.mark.parametrize("stale", [first_page, older_page, poll], ids=["first page", "older page", "poll"])
def test_an_answer_for_the_previous_conversation_is_dropped(browser, dev_stack: DevStack, stale) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    londo_group = conversation_with(dev_stack, "londo")
    page = signed_in(browser, dev_stack, "andrewbrown", socket=False)  # and so it polls
    held = hold_requests(page, f"**/api/messages/{SEED_GROUP_UUID}?*", stale)
    page.get_by_role("button", name=BAYKO).click()
    if stale is older_page:
        page.get_by_role("button", name="Load older messages").click()
    wait_until(page, lambda: held, "the request to hold")

    page.get_by_role("button", name=LONDO).click()
    expected = wait_for_londo(page, dev_stack, londo_group)
    release(held[0])  # bayko's answer arrives now, after the switch
    settle(page)
    assert shown_ids(page) == expected
    expect(page.locator("#conversation-title")).to_have_text(LONDO)

    page.unroute_all()
    page.get_by_role("button", name=BAYKO).click()  # bayko's conversation still loads as usual
    expect(page.locator("#messages .message")).to_have_count(20)
    page.get_by_role("button", name="Load older messages").click()
    expect(page.locator("#messages .message")).to_have_count(40)
    expect(page.locator("#notice")).to_be_hidden()  # a cancelled read is not a connection problem
    assert page.errors == []


def test_a_draft_stays_with_its_conversation(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    londo_group = conversation_with(dev_stack, "londo")
    page = signed_in(browser, dev_stack, "andrewbrown")
    box = page.get_by_label("Message", exact=True)
    for_bayko, for_londo = (f"only for {name} {uuid.uuid4().hex[:6]}" for name in ("bayko", "londo"))
    page.get_by_role("button", name=BAYKO).click()
    box.fill(for_bayko)

    page.get_by_role("button", name=LONDO).click()
    wait_for_londo(page, dev_stack, londo_group)
    expect(box).to_have_value("")
    box.fill(for_londo)
    box.press("Enter")
    expect(page.locator(".message-text").last).to_have_text(for_londo)
    expect(page.locator(".message-text", has_text=for_bayko)).to_have_count(0)

    page.get_by_role("button", name=BAYKO).click()
    expect(box).to_have_value(for_bayko)
    box.press("Enter")
    expect(page.locator(".message-text").last).to_have_text(for_bayko)
    assert for_bayko not in [m["message"] for m in call_messages(dev_stack, londo_group)]


def call_messages(stack: DevStack, group_uuid: str) -> list[dict]:
    result = call("GET", f"{stack.api_url}/api/messages/{group_uuid}?limit=100", token=stack.token("andrewbrown"))
    assert result.status == 200, result.body
    return result.body


def test_a_message_still_sending_after_a_switch_leaves_the_new_conversation_alone(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    londo_group = conversation_with(dev_stack, "londo")
    page = signed_in(browser, dev_stack, "andrewbrown")
    held = hold_requests(page, "**/api/messages", lambda request, nth: request.method == "POST")
    box = page.get_by_label("Message", exact=True)
    text = f"slow news for bayko {uuid.uuid4().hex[:6]}"
    page.get_by_role("button", name=BAYKO).click()
    box.fill(text)
    box.press("Enter")
    wait_until(page, lambda: held, "the message to be on its way")

    page.get_by_role("button", name=LONDO).click()
    expected = wait_for_londo(page, dev_stack, londo_group)
    expect(page.get_by_role("button", name="Send")).to_be_enabled()  # bayko's message does not block londo's
    box.fill("still typing to londo")
    with page.expect_response("**/api/messages"):
        release(held[0])
    settle(page)
    expect(box).to_have_value("still typing to londo")
    assert shown_ids(page) == expected

    page.get_by_role("button", name=BAYKO).click()
    expect(page.locator(".message-text").last).to_have_text(text)
    expect(box).to_have_value("")  # sent, so no longer a draft
    assert page.errors == []


def test_signing_out_leaves_nothing_of_the_conversation_behind(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    page = signed_in(browser, dev_stack, "andrewbrown", viewport={"width": 360, "height": 640})
    page.get_by_role("button", name=BAYKO).click()
    expect(page.locator("#messages .message")).to_have_count(20)
    page.get_by_label("Message", exact=True).fill("a private draft")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "worf")
    expect(page.locator("#groups-pane")).to_be_visible()  # the list, not andrewbrown's conversation
    expect(page.locator("#conversation-title")).to_have_text("Select a conversation")
    expect(page.locator("#messages .message")).to_have_count(0)
    expect(page.locator("#composer")).to_be_hidden()
    settle(page)
    expect(page.locator("#messages .message")).to_have_count(0)  # nor does its polling bring it back


def document_scrolls(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollHeight > innerHeight")


@pytest.mark.parametrize("size", [(360, 640), (1280, 800)], ids=["phone", "desktop"])
def test_only_the_message_list_scrolls(browser, dev_stack: DevStack, size: tuple[int, int]) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    width, height = size
    page = signed_in(browser, dev_stack, "andrewbrown", viewport={"width": width, "height": height})
    page.get_by_role("button", name=BAYKO).click()
    messages = page.locator("#messages .message")
    expect(messages).to_have_count(20)
    scroller = page.locator("#messages-scroll")
    assert scroller.evaluate("(s) => s.scrollHeight > s.clientHeight")  # a long conversation: the list scrolls
    assert not document_scrolls(page)
    header = (
        page.get_by_role("button", name="Back to conversations")
        if width < 700
        else page.get_by_role("heading", name=BAYKO)
    )
    composer = page.get_by_label("Message", exact=True)
    expect(header).to_be_in_viewport(ratio=1)
    expect(composer).to_be_in_viewport(ratio=1)

    scroller.hover()
    page.mouse.wheel(0, -20_000)  # the reader scrolls up through the list, to its top
    page.wait_for_function("document.querySelectorAll('#messages .message').length > 20")
    assert not document_scrolls(page)
    expect(header).to_be_in_viewport(ratio=1)
    expect(composer).to_be_in_viewport(ratio=1)
    shot(page, f"only-the-list-scrolls-{width}px")


def test_a_send_given_up_on_does_not_hold_up_the_next_conversation(browser, dev_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    londo_group = conversation_with(dev_stack, "londo")
    page = signed_in(browser, dev_stack, "andrewbrown", socket=False)  # no push of the message either

    def written_but_unanswered(route) -> None:
        route.fetch()  # the server writes the message, and the answer is lost on the way back
        route.fulfill(status=503, json={"error": "service_unavailable", "message": "busy"})

    page.route("**/api/messages", written_but_unanswered)
    # Nor does bayko's conversation get read again meanwhile: the page cannot learn the message got there.
    hold_requests(page, f"**/api/messages/{SEED_GROUP_UUID}?*", lambda request, nth: nth > 1)
    box = page.get_by_label("Message", exact=True)
    text = f"lost answer for bayko {uuid.uuid4().hex[:6]}"
    page.get_by_role("button", name=BAYKO).click()
    expect(page.locator("#messages .message")).to_have_count(20)
    box.fill(text)
    box.press("Enter")
    failed = page.locator("#messages .message", has_text=text)
    expect(failed.get_by_role("button", name="Retry")).to_be_visible(timeout=20_000)  # every retry failed
    expect(failed).to_contain_text("Not sent")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    page.unroute_all()

    page.get_by_role("button", name=LONDO).click()
    wait_for_londo(page, dev_stack, londo_group)
    for_londo = f"for londo {uuid.uuid4().hex[:6]}"
    box.fill(for_londo)
    box.press("Enter")
    expect(page.locator(".message-text").last).to_have_text(for_londo)
    expect(page.locator("#messages .message").last).to_contain_text("Sent")
    expect(page.locator("#notice")).to_be_hidden()

    page.get_by_role("button", name=BAYKO).click()
    # Read again, the conversation has the message once, delivered: nothing is left to retry, nothing doubled.
    expect(page.locator(".message-text").last).to_have_text(text)
    # Delivered: "Sent", or "Seen" if bayko has read it meanwhile (the seed conversation is every test's; a page
    # of bayko's another test left open reads what arrives).
    expect(page.locator("#messages .message").last).to_contain_text(re.compile("Sent|Seen"))
    expect(page.locator(".message-text", has_text=text)).to_have_count(1)
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    assert [m["message"] for m in call_messages(dev_stack, SEED_GROUP_UUID)].count(text) == 1
    assert page.errors == []
