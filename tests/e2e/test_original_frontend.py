"""The original Cruddur frontend (omenking/aws-bootcamp-cruddur-2023 at b69e198, `frontend-react-js/`) with
docs/frontend/cruddur-frontend.patch, in Chromium against `make dev`'s stack: signed in through its own Amplify
sign-in page against the local Cognito, it lists and opens conversations, sends from its form (shown at once, the
form cleared), starts a conversation by handle, and says why a send was refused (keeping the text).

Its source is another project's, so these tests need a build of it: `make frontend-check FRONTEND_SRC=...` makes
one and runs them (docs/frontend.md). Elsewhere, CI included, they are skipped. The build carries the placeholder
settings of docs/frontend/check.env, which the server here replaces with this stack's addresses in the files it
serves: CRA inlines each REACT_APP_* value as a string, so that is the same as building with the real values.
"""

import contextlib
import http.server
import mimetypes
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest

from tests.dev_process import DevStack, start_dev_stack
from tests.e2e.test_tokens import moto_signing_key, sign
from tests.e2e.test_web_client import NEEDS_CHROMIUM, SCREENSHOTS, launch_browser
from tests.e2e.test_web_realtime import Member, new_member, send, start
from tooling.cognito import LOCAL_PASSWORD
from tooling.http_client import call
from tooling.paths import PROJECT_ROOT
from tooling.ports import free_port

BUILD = os.environ.get("CRUDDUR_FRONTEND_BUILD")
CHECK_ENV = PROJECT_ROOT / "docs" / "frontend" / "check.env"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
    pytest.mark.may_skip_in_ci(reason="needs a build of another repository's frontend: make frontend-check"),
    pytest.mark.skipif(
        not (BUILD and Path(BUILD, "index.html").is_file()),
        reason="no build of the original frontend (CRUDDUR_FRONTEND_BUILD): run make frontend-check",
    ),
]


def check_settings() -> dict[str, str]:
    """docs/frontend/check.env: the placeholder value of each REACT_APP_* setting of the build."""
    lines = CHECK_ENV.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def replacements(stack: DevStack) -> list[tuple[bytes, bytes]]:
    """Each placeholder and this stack's value for it. The rest of Cruddur's backend (backend-flask) is not here:
    its URL is a closed loopback port, so its calls fail at once, as they would with that backend down."""
    settings = check_settings()
    real = {
        "REACT_APP_MESSAGES_BACKEND_URL": stack.api_url,
        "REACT_APP_BACKEND_URL": f"http://127.0.0.1:{free_port()}",
        "REACT_APP_AWS_COGNITO_ENDPOINT": f"{stack.state['aws_endpoint_url']}/",
        "REACT_APP_AWS_USER_POOLS_ID": stack.pool.pool_id,
        "REACT_APP_CLIENT_ID": stack.pool.client_id,
    }
    return [(settings[name].encode(), value.encode()) for name, value in real.items()]


class BuildHandler(http.server.BaseHTTPRequestHandler):
    """A static host for a single-page app: files as they are (settings replaced), index.html for any other path."""

    def __init__(self, *args: object, root: Path, swaps: list[tuple[bytes, bytes]], **kwargs: object) -> None:
        self.root, self.swaps = root, swaps
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        wanted = (self.root / urlsplit(self.path).path.lstrip("/")).resolve()
        path = wanted if wanted.is_file() and self.root in wanted.parents else self.root / "index.html"
        body = path.read_bytes()
        if path.suffix in {".js", ".html"}:
            for placeholder, value in self.swaps:
                body = body.replace(placeholder, value)
        self.send_response(200)
        self.send_header("Content-Type", mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the tests' output is pytest's


@contextlib.contextmanager
def serve_build(stack: DevStack) -> Iterator[str]:
    assert BUILD is not None
    handler = partial(BuildHandler, root=Path(BUILD).resolve(), swaps=replacements(stack))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch_browser() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def frontend(dev_stack: DevStack) -> Iterator[str]:
    with serve_build(dev_stack) as url:
        yield url


def signed_in(browser, frontend: str, who: Member):
    """A page signed in through the frontend's own sign-in page (Amplify, against the local Cognito)."""
    page = browser.new_context(locale="en-US").new_page()
    page.errors = []  # uncaught exceptions in the page
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{frontend}/signin")
    # The field says Email; Amplify passes it to Cognito as the username, and the local pool's are the handles.
    page.locator(".signin_form .username input").fill(who.handle)
    page.locator(".signin_form .password input").fill(LOCAL_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{frontend}/")
    return page


def stored_token(page) -> str:
    return page.evaluate("localStorage.getItem('access_token')")


def texts(stack: DevStack, who: Member, group_uuid: str) -> list[str]:
    result = call("GET", f"{stack.api_url}/api/messages/{group_uuid}", token=who.token)
    assert result.status == 200, result.body
    return [message["message"] for message in result.body]


def groups_with(stack: DevStack, who: Member, other: Member) -> list[str]:
    result = call("GET", f"{stack.api_url}/api/message_groups?limit=100", token=who.token)
    assert result.status == 200, result.body
    return [group["uuid"] for group in result.body if group["handle"] == other.handle]


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"original-frontend-{name}.png"))


def send_from_form(page, text: str) -> None:
    page.locator(".message_form textarea").fill(text)
    page.get_by_role("button", name="Message").click()


def test_signs_in_lists_opens_and_sends_without_a_reload(browser, dev_stack: DevStack, frontend: str) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415 - only where a browser exists

    alice, bob = new_member(dev_stack, "Alice"), new_member(dev_stack, "Bob")
    group = start(dev_stack, bob, alice, "Hello Alice")["message_group_uuid"]
    send(dev_stack, bob, group, "Are you there?")

    page = signed_in(browser, frontend, alice)
    # The sign-in page keeps the access token, the one the API takes (an ID token is a 401).
    assert jwt.decode(stored_token(page), options={"verify_signature": False})["token_use"] == "access"
    page.get_by_role("link", name="Messages").click()
    item = page.locator(".message_group_item", has_text=f"@{bob.handle}")
    expect(item).to_contain_text(bob.display_name)
    expect(item).to_contain_text("Are you there?")
    shot(page, "1-conversations")

    item.click()
    expect(page).to_have_url(f"{frontend}/messages/{group}")
    shown = page.locator(".message_feed .message_item .message")
    expect(shown).to_have_text(["Hello Alice", "Are you there?"])

    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    send_from_form(page, "Yes, here.")
    expect(shown).to_have_text(["Hello Alice", "Are you there?", "Yes, here."])
    expect(page.locator(".message_form textarea")).to_have_value("")
    expect(page.locator(".message_form .count")).to_have_text("1024")
    assert page.evaluate("window.sameDocument === true"), "the message was shown by reloading the page"
    assert page.locator(".message_form .errors").count() == 0
    shot(page, "2-sent")
    assert texts(dev_stack, bob, group) == ["Hello Alice", "Are you there?", "Yes, here."]  # sent once
    assert page.errors == []


def test_starts_a_conversation_by_handle_and_finds_it_again(browser, dev_stack: DevStack, frontend: str) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    carol, dave = new_member(dev_stack, "Carol"), new_member(dev_stack, "Dave")
    page = signed_in(browser, frontend, carol)

    page.goto(f"{frontend}/messages/new/{dave.handle}")
    expect(page.locator(".message_group_item.active")).to_contain_text(f"@{dave.handle}")
    shot(page, "3-new")
    send_from_form(page, "Hi Dave")  # a new conversation: 201
    page.wait_for_url(re.compile(rf"^{re.escape(frontend)}/messages/{UUID}$"))
    group = page.url.rsplit("/", 1)[1]
    shown = page.locator(".message_feed .message_item .message")
    expect(shown).to_have_text(["Hi Dave"])
    assert groups_with(dev_stack, dave, carol) == [group]
    assert texts(dev_stack, dave, group) == ["Hi Dave"]

    page.goto(f"{frontend}/messages/new/{dave.handle}")
    send_from_form(page, "Me again")  # the pair's conversation exists: 200, into the same one
    page.wait_for_url(f"{frontend}/messages/{group}")
    expect(shown).to_have_text(["Hi Dave", "Me again"])
    expect(page.locator(".message_group_feed .message_group_item", has_text=f"@{dave.handle}")).to_have_count(1)
    assert groups_with(dev_stack, carol, dave) == [group]
    assert page.errors == []


def test_refused_sends_say_why_and_keep_the_text(browser, dev_stack: DevStack, frontend: str) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    erin, frank = new_member(dev_stack, "Erin"), new_member(dev_stack, "Frank")
    group = start(dev_stack, frank, erin, "Hello Erin")["message_group_uuid"]
    page = signed_in(browser, frontend, erin)
    alert, textarea = page.get_by_role("alert"), page.locator(".message_form textarea")

    nobody = f"nobody{uuid.uuid4().hex[:8]}"
    page.goto(f"{frontend}/messages/new/{nobody}")
    send_from_form(page, "Anyone?")  # 404 user_not_found
    expect(alert).to_have_text(f"No user has the handle '{nobody}'.")
    expect(textarea).to_have_value("Anyone?")
    assert page.url == f"{frontend}/messages/new/{nobody}"

    page.goto(f"{frontend}/messages/{group}")
    expect(page.locator(".message_feed .message_item")).to_have_count(1)
    send_from_form(page, "   ")  # 422 validation_error, with details
    expect(alert).to_contain_text("Some fields are invalid. message: must contain a character that is not")
    expect(textarea).to_have_value("   ")

    # A token that has expired, as the stored one does an hour after signing in: API Gateway's own 401.
    claims = jwt.decode(stored_token(page), options={"verify_signature": False})
    expired = sign({**claims, "iat": claims["iat"] - 7200, "exp": int(time.time()) - 60}, moto_signing_key())
    page.evaluate("token => localStorage.setItem('access_token', token)", expired)
    send_from_form(page, "Still there?")
    expect(alert).to_have_text("Your session has expired: sign in again.")
    expect(textarea).to_have_value("Still there?")
    shot(page, "4-refused")
    assert texts(dev_stack, frank, group) == ["Hello Erin"]
    assert page.errors == []


@pytest.fixture(scope="module")
def limited_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """A stack of its own with the lowest send limit: one message a second, no burst."""
    overrides = ("--parameter-overrides", "SendRateLimit=1", "SendBurstLimit=1")
    stack = start_dev_stack(tmp_path_factory.mktemp("fe-limited"), extra_args=overrides)
    yield stack
    stack.stop()


# The form shows an error, or has cleared itself after a send that went through.
SEND_ANSWERED = (
    "() => document.querySelector('.message_form .errors') || !document.querySelector('.message_form textarea').value"
)


@contextlib.contextmanager
def flooding(stack: DevStack, who: Member, group_uuid: str) -> Iterator[Callable[[], int]]:
    """Sends as `who` without pause, so their send allowance stays spent; yields how many sends went through."""
    stop, passed = threading.Event(), []

    def flood() -> None:
        body = {"message_group_uuid": group_uuid, "message": "flood"}
        while not stop.is_set():
            if call("POST", f"{stack.api_url}/api/messages", token=who.token, body=body).status == 201:
                passed.append(1)

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    yield lambda: len(passed)
    stop.set()
    thread.join()


def test_a_send_over_the_limit_says_when_to_try_again(browser, limited_stack: DevStack) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    gina, hank = new_member(limited_stack, "Gina"), new_member(limited_stack, "Hank")
    group = start(limited_stack, gina, hank, "Hello Hank")["message_group_uuid"]
    with serve_build(limited_stack) as frontend:
        page = signed_in(browser, frontend, gina)
        page.goto(f"{frontend}/messages/{group}")
        expect(page.locator(".message_feed .message_item").first).to_be_visible()
        alert, textarea = page.get_by_role("alert"), page.locator(".message_form textarea")
        with flooding(limited_stack, gina, group):
            # The flood takes each second's one send as it comes, so the form's send meets the limit: 429 with
            # Retry-After. Should the form win a second's send, it clears and tries again.
            for attempt in range(5):
                send_from_form(page, f"Over the limit {attempt}")
                page.wait_for_function(SEND_ANSWERED)
                if alert.count():
                    break
        expect(alert).to_have_text(re.compile(r"^.+ Try again in [1-9][0-9]* s\.$"))
        expect(textarea).to_have_value(f"Over the limit {attempt}")
        shot(page, "5-rate-limited")
        assert page.errors == []
