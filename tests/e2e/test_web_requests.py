"""Message requests in the web client, in a real browser over the `make dev` stack: a conversation someone starts
with me is listed apart (its own section, Accept and Block on its row) and counts in no unread total nor alert;
opening it shows a banner above the composer; accepting or replying moves it to my conversations; its starter sees
that it waits and, past the request's limit, the server's refusal with the typed text kept; and the accessibility
scan of the section, the banner and the starter's view in both themes.

Members of their own per test and `?poll=off` pages (what a page shows it learnt from the socket or its own reads),
with the helpers of test_web_realtime.py and test_web_safety.py.
"""

import re

import pytest

from tests.e2e import test_web_realtime
from tests.e2e.test_web_client import NEEDS_CHROMIUM, SCREENSHOTS
from tests.e2e.test_web_look import SCHEMES, serious_violations
from tests.e2e.test_web_realtime import (
    PUSH_SECONDS,
    TITLE,
    Member,
    group_items,
    listed,
    open_page,
    send,
    socket_up,
    start,
)
from tests.e2e.test_web_safety import DELIVERED, blocked_list, bubble, composer, opened
from tooling.http_client import call
from tooling.template import Template

pytestmark = NEEDS_CHROMIUM

PUSHED = PUSH_SECONDS * 1000
LIMIT = int(Template().parameters["MessageRequestLimit"])  # `make dev` runs the template's default
REFUSED = f"They have not accepted your message request yet: you can send {LIMIT} messages until they reply or accept."
CREATE_MESSAGE = re.compile(r"/api/messages$")

browser, member = test_web_realtime.browser, test_web_realtime.member  # the fixtures, shared


def requests_section(page):
    return page.get_by_role("region", name=re.compile(r"^Message requests"))


def request_items(page):
    return page.locator("#requests li")


def banner(page):
    return page.locator("#request-banner")


def waiting_note(page):
    return page.locator("#awaiting-note")


def request_from(stack, sender: Member, to: Member, text: str) -> str:
    """A new conversation `to` has not accepted: a message request to them; returns its uuid."""
    return start(stack, sender, to, text, accepted=False)["message_group_uuid"]


def stored_texts(stack, who: Member, group_uuid: str) -> list[str]:
    result = call("GET", f"{stack.api_url}/api/messages/{group_uuid}?limit=50", token=who.token)
    assert result.status == 200, result.body
    return sorted(m["message"] for m in result.body)


def test_a_request_is_listed_apart_and_counts_in_no_total_nor_alert(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben, cat = member("Ann"), member("Ben"), member("Cat")
    with_ben = request_from(dev_stack, ben, ann, "Hello Ann, from Ben")
    with_cat = start(dev_stack, cat, ann, "Hello Ann, from Cat")["message_group_uuid"]  # accepted: ordinary
    assert listed(dev_stack, ann)[with_ben]["request"] is True
    assert listed(dev_stack, ben)[with_ben]["awaiting_acceptance"] is True
    page = open_page(browser, dev_stack, ann)
    socket_up(page)

    section = requests_section(page)
    expect(section).to_be_visible()
    expect(section.get_by_role("heading")).to_have_text("Message requests (1)")
    expect(request_items(page)).to_have_count(1)
    row = request_items(page).first
    expect(row.get_by_role("button", name=ben.item)).to_contain_text("Hello Ann, from Ben")
    expect(row.get_by_role("button", name=f"Accept {ben.display_name}")).to_be_visible()
    expect(row.get_by_role("button", name=f"Block {ben.display_name}")).to_be_visible()
    expect(group_items(page)).to_have_count(1)  # the conversations: Cat's alone
    expect(group_items(page).first).to_contain_text(cat.item)
    expect(page).to_have_title(f"(1) {TITLE}")  # Cat's unread message; the request's is not counted

    # A request's new message updates its row, silently: no title badge, no announcement.
    send(dev_stack, ben, with_ben, "Are you there?")
    expect(row.locator(".group-preview")).to_have_text("Are you there?", timeout=PUSHED)
    expect(row.locator(".unread-badge")).to_contain_text("2")  # its own count stays on its row
    expect(page).to_have_title(f"(1) {TITLE}")
    expect(page.locator("#live")).not_to_contain_text("New message")
    send(dev_stack, cat, with_cat, "Cat again")
    expect(group_items(page).first.locator(".group-preview")).to_have_text("Cat again", timeout=PUSHED)
    expect(page).to_have_title(f"(2) {TITLE}")
    expect(page.locator("#live")).to_have_text(f"New message from {cat.display_name}")

    # With no request left, the section goes.
    fresh_dan = member("Dan")
    page_dan = open_page(browser, dev_stack, fresh_dan)
    expect(requests_section(page_dan)).to_be_hidden()
    assert page.errors == page_dan.errors == []


def test_accept_by_keyboard_moves_the_request_to_the_conversations(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = request_from(dev_stack, ben, ann, "Hello Ann")
    page = open_page(browser, dev_stack, ann)
    row = request_items(page).first
    row.get_by_role("button", name=ben.item).focus()
    page.keyboard.press("Tab")
    accept = row.get_by_role("button", name=f"Accept {ben.display_name}")
    expect(accept).to_be_focused()
    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name=f"Block {ben.display_name}")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")

    expect(requests_section(page)).to_be_hidden()
    moved = group_items(page).filter(has_text=ben.item)
    expect(moved).to_have_count(1)
    expect(moved.get_by_role("button")).to_be_focused()  # the keyboard goes on from where the request went
    expect(page.locator("#live")).to_have_text(f"Accepted: {ben.display_name} is in your conversations now")
    expect(page).to_have_title(f"(1) {TITLE}")  # an ordinary conversation: its unread message counts now
    assert listed(dev_stack, ann)[group]["request"] is False
    assert listed(dev_stack, ben)[group]["awaiting_acceptance"] is False

    # A fresh page has it from the list; the starter may now write past the request's limit.
    fresh = open_page(browser, dev_stack, ann)
    expect(group_items(fresh).filter(has_text=ben.item)).to_have_count(1)
    expect(requests_section(fresh)).to_be_hidden()
    for n in range(LIMIT + 1):
        send(dev_stack, ben, group, f"Freely {n}")
    assert page.errors == fresh.errors == []


def test_on_a_phone_back_from_a_request_returns_to_its_row(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    request_from(dev_stack, ben, ann, "Hello Ann")
    page = open_page(browser, dev_stack, ann, viewport={"width": 360, "height": 740})
    row = request_items(page).first.get_by_role("button", name=ben.item)
    row.focus()
    page.keyboard.press("Enter")
    expect(banner(page)).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "requests-banner-360.png")
    page.get_by_role("button", name="Back to conversations").click()
    expect(row).to_be_focused()
    page.screenshot(path=SCREENSHOTS / "requests-section-360.png")
    assert page.errors == []


def test_an_open_request_shows_a_banner_and_a_reply_accepts_it(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = request_from(dev_stack, ben, ann, "Hello Ann")
    page_ben = open_page(browser, dev_stack, ben)
    opened(page_ben, ann)
    expect(waiting_note(page_ben)).to_have_text(f"Waiting for {ann.display_name} to accept your message request")
    expect(banner(page_ben)).to_be_hidden()  # the starter has nothing to accept

    page = open_page(browser, dev_stack, ann)
    opened(page, ben)
    region = page.get_by_role("region", name=f"{ben.display_name} wants to message you")
    expect(region).to_be_visible()
    expect(region).to_contain_text("Replying accepts their message request.")
    expect(region.get_by_role("button", name="Accept")).to_be_visible()
    expect(region.get_by_role("button", name="Block")).to_be_visible()
    expect(composer(page)).to_be_focused()
    expect(composer(page)).to_have_accessible_description(re.compile(f"{ben.display_name} wants to message you"))
    expect(waiting_note(page)).to_be_hidden()

    composer(page).fill("Hi Ben")
    composer(page).press("Enter")
    expect(bubble(page, "Hi Ben").locator(".message-status")).to_have_text(DELIVERED)
    expect(banner(page)).to_be_hidden()
    expect(composer(page)).to_be_focused()
    expect(requests_section(page)).to_be_hidden()
    expect(group_items(page).filter(has_text=ben.item)).to_have_count(1)
    assert listed(dev_stack, ann)[group]["request"] is False

    # Ben's page learns it from the reply's push: the note goes, and he writes on past the limit.
    expect(bubble(page_ben, "Hi Ben")).to_be_visible(timeout=PUSHED)
    expect(waiting_note(page_ben)).to_be_hidden()
    for n in range(LIMIT):
        composer(page_ben).fill(f"Thanks {n}")
        composer(page_ben).press("Enter")
        expect(bubble(page_ben, f"Thanks {n}").locator(".message-status")).to_have_text(DELIVERED)
    assert page.errors == page_ben.errors == []


def test_accept_on_the_banner(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = request_from(dev_stack, ben, ann, "Hello Ann")
    page = open_page(browser, dev_stack, ann)
    opened(page, ben)
    banner(page).get_by_role("button", name="Accept").focus()
    page.keyboard.press("Enter")
    expect(banner(page)).to_be_hidden()
    expect(composer(page)).to_be_focused()  # not left on a button that went away
    expect(requests_section(page)).to_be_hidden()
    expect(group_items(page).filter(has_text=ben.item).get_by_role("button")).to_have_attribute("aria-current", "true")
    assert listed(dev_stack, ann)[group]["request"] is False
    assert page.errors == []


def test_the_starter_waits_and_past_the_limit_is_refused_with_the_text_kept(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    page = open_page(browser, dev_stack, ben)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and CREATE_MESSAGE.search(r.url) else None)
    page.get_by_role("button", name="New message").click()
    dialog = page.get_by_role("dialog", name="New message")
    dialog.get_by_label("To", exact=True).fill(f"@{ann.handle}")
    dialog.get_by_label("First message", exact=True).fill("Hello Ann, I am Ben")
    dialog.get_by_role("button", name="Start conversation").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#conversation-title")).to_contain_text(ann.display_name)
    note = waiting_note(page)
    expect(note).to_have_text(f"Waiting for {ann.display_name} to accept your message request")
    expect(composer(page)).to_have_accessible_description(re.compile("Waiting for"))

    for n in range(1, LIMIT):  # the first message was the first of the limit
        composer(page).fill(f"Message {n + 1}")
        composer(page).press("Enter")
        expect(bubble(page, f"Message {n + 1}").locator(".message-status")).to_have_text("Sent")
    composer(page).fill("One too many")
    composer(page).press("Enter")
    expect(page.locator("#notice")).to_have_text(REFUSED)  # the server's words, with its limit
    expect(composer(page)).to_have_value("One too many")  # given back, to send once she accepts
    expect(bubble(page, "One too many")).to_have_count(0)  # nothing left "Not sent" to retry
    expect(note).to_be_visible()
    page.wait_for_timeout(1500)  # time enough for a retry, if there were one
    assert len(posts) == LIMIT  # two sent, one refused, none tried again
    group = listed(dev_stack, ben)
    [(group_uuid, item)] = group.items()
    assert item["awaiting_acceptance"] is True
    assert stored_texts(dev_stack, ben, group_uuid) == sorted(
        ["Hello Ann, I am Ben"] + [f"Message {n + 1}" for n in range(1, LIMIT)]
    )

    # Starting the conversation again is refused the same, in the dialog, with what was typed kept there.
    page.get_by_role("button", name="New message").click()
    dialog.get_by_label("To", exact=True).fill(ann.handle)
    dialog.get_by_label("First message", exact=True).fill("Please answer")
    dialog.get_by_role("button", name="Start conversation").click()
    expect(dialog.get_by_role("alert")).to_have_text(REFUSED)
    expect(dialog.get_by_label("First message", exact=True)).to_have_value("Please answer")
    page.keyboard.press("Escape")

    # Ann accepts: reopened, Ben's conversation reads the list again and the note goes; what was kept goes out.
    test_web_realtime.accept(dev_stack, ann, group_uuid)
    page.get_by_role("button", name=ann.item).click()
    expect(note).to_be_hidden()
    expect(composer(page)).to_have_value("One too many")
    composer(page).press("Enter")
    expect(bubble(page, "One too many").locator(".message-status")).to_have_text("Sent")
    expect(page.locator("#notice")).to_be_hidden()
    assert page.errors == []


def test_block_from_a_request(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben, cat = member("Ann"), member("Ben"), member("Cat")
    with_ben = request_from(dev_stack, ben, ann, "Buy cheap watches")
    with_cat = request_from(dev_stack, cat, ann, "Buy cheap shoes")
    page = open_page(browser, dev_stack, ann)
    row = request_items(page).filter(has_text=ben.item)
    block = row.get_by_role("button", name=f"Block {ben.display_name}")

    # From the row: the block dialog asks first; Cancel changes nothing and gives the focus back.
    block.click()
    dialog = page.get_by_role("dialog", name=f"Block {ben.display_name}?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(block).to_be_focused()
    assert blocked_list(dev_stack, ann) == []
    page.keyboard.press("Enter")
    dialog.get_by_role("button", name="Block", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(row.locator(".group-flag")).to_have_text("Blocked")  # it keeps its place, with nothing more to do here
    expect(row.get_by_role("button", name=re.compile("^(Accept|Block) "))).to_have_count(0)
    expect(row.get_by_role("button", name=ben.item)).to_be_focused()
    expect(page.locator("#live")).to_have_text(f"You blocked {ben.display_name}")
    assert blocked_list(dev_stack, ann) == [ben.handle]
    result = call(
        "POST",
        f"{dev_stack.api_url}/api/messages",
        token=ben.token,
        body={"message_group_uuid": with_ben, "message": "Hello?"},
    )
    assert (result.status, result.body["error"]) == (403, "blocked")

    # From the banner of the open request: the banner goes, the note that replaces the composer has the focus.
    opened(page, cat)
    banner(page).get_by_role("button", name="Block").click()
    page.get_by_role("dialog", name=f"Block {cat.display_name}?").get_by_role(
        "button", name="Block", exact=True
    ).click()
    expect(banner(page)).to_be_hidden()
    expect(page.locator("#blocked-note")).to_be_focused()
    expect(page.locator("#blocked-note")).to_contain_text("you blocked this person")
    expect(composer(page)).to_be_disabled()
    assert sorted(blocked_list(dev_stack, ann)) == sorted([ben.handle, cat.handle])  # listed by user id
    assert listed(dev_stack, ann)[with_cat]["blocked"] is True
    assert page.errors == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_requests_pass_the_accessibility_scan(browser, dev_stack, member, scheme) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben, cat = member("Ann"), member("Ben"), member("Cat")
    group = request_from(dev_stack, ben, ann, "Hello Ann")
    send(dev_stack, ben, group, "Are you there?")
    start(dev_stack, cat, ann, "Hi from Cat")
    size = {"width": 1280, "height": 800}
    page = open_page(browser, dev_stack, ann, color_scheme=scheme, viewport=size)
    page_ben = open_page(browser, dev_stack, ben, color_scheme=scheme, viewport=size)

    def scanned(on, name: str) -> None:
        assert serious_violations(on) == [], name
        on.screenshot(path=SCREENSHOTS / f"requests-{name}-{scheme}.png")

    expect(requests_section(page)).to_be_visible()
    request_items(page).first.get_by_role("button", name=f"Accept {ben.display_name}").focus()
    scanned(page, "section")
    opened(page, ben)
    expect(banner(page)).to_be_visible()
    scanned(page, "banner")

    opened(page_ben, ann)
    expect(waiting_note(page_ben)).to_be_visible()
    scanned(page_ben, "waiting")
    send(dev_stack, ben, group, "The third and last")
    composer(page_ben).fill("One too many")
    composer(page_ben).press("Enter")
    expect(page_ben.locator("#notice")).to_have_text(REFUSED)
    scanned(page_ben, "refused")
    assert page.errors == page_ben.errors == []
