"""The safety controls in the web client (issue 24), in a real browser over the `make dev` stack: block and unblock
from the conversation's menu (the composer disabled on both sides, the messages still readable), mute (no tab-title
badge and no announcement for a muted conversation, while another one still badges), who may start a conversation
with me (the settings dialog), reporting the other person's message, and the accessibility scan of the menu, the
dialogs and the settings in both themes.

Members of their own per test and `?poll=off` pages (what a page shows it learnt from the socket or its own reads),
with the helpers of test_web_realtime.py.
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
from tooling.http_client import call

pytestmark = NEEDS_CHROMIUM

BLOCKED = "You can't send messages in this conversation"
NOT_ACCEPTING = "This person is not accepting new conversations."
REPORTED = "Reported. Thank you: the moderators will look at it."
ALREADY_REPORTED = "You have already reported this message."
PUSHED = PUSH_SECONDS * 1000

browser, member = test_web_realtime.browser, test_web_realtime.member  # the fixtures, shared


def opened(page, other: Member) -> None:
    """The conversation with `other` open, its first page shown (and so marked read)."""
    from playwright.sync_api import expect  # noqa: PLC0415

    page.get_by_role("button", name=other.item).click()
    socket_up(page)
    expect(page.locator("#conversation-title")).to_contain_text(other.display_name)
    expect(page.locator("#messages .message").first).to_be_visible()


def menu_button(page):
    return page.get_by_role("button", name="Conversation options")


def choose(page, item: str | re.Pattern[str]) -> None:
    """The open conversation's menu, by the pointer: opened, and one of its items chosen."""
    menu_button(page).click()
    page.get_by_role("menuitem", name=item).click()


def composer(page):
    return page.get_by_label("Message", exact=True)


def blocked_list(stack, who: Member) -> list[str]:
    result = call("GET", f"{stack.api_url}/api/blocks", token=who.token)
    assert result.status == 200, result.body
    return [entry["handle"] for entry in result.body]


def settings_of(stack, who: Member) -> str:
    result = call("GET", f"{stack.api_url}/api/settings", token=who.token)
    assert result.status == 200, result.body
    return result.body["new_conversations"]


def bubble(page, text: str):
    return page.locator("#messages .message", has=page.locator(".message-text", has_text=text))


# A sent message's status while the other member has the conversation open in front: their page reads it as it
# arrives, so "Sent" may already have become "Seen" (CI met it).
DELIVERED = re.compile(r"^(Sent|Seen)$")


def block_with_the_dialog(page, other: Member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    choose(page, f"Block {other.display_name}")
    dialog = page.get_by_role("dialog", name=f"Block {other.display_name}?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the choice that changes nothing
    dialog.get_by_role("button", name="Block", exact=True).click()
    expect(dialog).to_be_hidden()


def test_the_menu_works_by_keyboard(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    start(dev_stack, ben, ann, "Hello Ann")
    page = open_page(browser, dev_stack, ann)
    expect(menu_button(page)).to_be_hidden()  # no conversation open: nothing to act on
    opened(page, ben)
    button = menu_button(page)
    menu = page.get_by_role("menu")
    items = page.get_by_role("menuitem")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_attribute("aria-haspopup", "menu")

    button.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(items).to_have_text(["Mute conversation", f"Block {ben.display_name}"])
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.last).to_be_focused()
    page.keyboard.press("ArrowDown")  # round to the first again
    expect(items.first).to_be_focused()
    page.keyboard.press("End")
    expect(items.last).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("ArrowUp")  # opens it on its last item
    expect(items.last).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    expect(items.first).to_be_focused()
    page.keyboard.press("Enter")  # Mute, by keyboard
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(page.locator("#conversation-muted")).to_be_visible()
    expect(page.locator("#live")).to_have_text(f"Muted: no alerts for {ben.display_name}")
    button.click()
    expect(items.first).to_have_text("Unmute conversation")
    page.mouse.click(5, 400)  # a click elsewhere closes it
    expect(menu).to_be_hidden()
    assert page.errors == []


def test_a_mute_held_back_by_the_send_limit_goes_through_after_retry_after(browser, dev_stack, member) -> None:
    """Muting spends the send allowance: the server's 429 is waited out (its Retry-After), calmly, then sent again."""
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    page = open_page(browser, dev_stack, ann)
    opened(page, ben)
    asked: list[str] = []

    def first_one_refused(route) -> None:
        asked.append(route.request.method)
        if len(asked) == 1:
            body = '{"error": "rate_limited", "message": "Too many writes"}'
            route.fulfill(status=429, headers={"Retry-After": "2", "Content-Type": "application/json"}, body=body)
        else:
            route.continue_()

    page.route(re.compile(r"/mute$"), first_one_refused)
    choose(page, "Mute conversation")
    expect(page.locator("#send-status")).to_contain_text("Sending slowed down")
    expect(page.locator("#conversation-muted")).to_be_visible(timeout=10_000)
    expect(page.locator("#send-status")).to_have_text("")
    assert asked == ["PUT", "PUT"]
    assert listed(dev_stack, ann)[group]["muted"] is True
    assert page.errors == []


def refused_as_blocked(page, other: Member) -> None:
    """A page opened before the block learns it when its send is refused: said, and the composer disabled; it never
    says who blocked whom, and its menu offers Block (this member does not block the other)."""
    from playwright.sync_api import expect  # noqa: PLC0415

    composer(page).fill("Are you there?")
    composer(page).press("Enter")
    expect(bubble(page, "Are you there?").locator(".message-status")).to_have_text("Not sent")
    expect(page.locator("#notice")).to_have_text("You can't send messages to this person.")
    expect(page.locator("#blocked-note")).to_contain_text(BLOCKED)
    expect(composer(page)).to_be_disabled()
    expect(page.locator("#blocked-note")).not_to_contain_text("you blocked")
    menu_button(page).click()
    expect(page.get_by_role("menuitem", name=re.compile("block", re.I))).to_have_text(f"Block {other.display_name}")
    page.keyboard.press("Escape")


def test_a_block_disables_the_composer_on_both_sides_and_unblocking_restores_it(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    send(dev_stack, ann, group, "Hello Ben")
    page_ann = open_page(browser, dev_stack, ann)
    page_ben = open_page(browser, dev_stack, ben)
    opened(page_ann, ben)
    opened(page_ben, ann)
    expect(composer(page_ann)).to_be_enabled()

    # Cancel changes nothing.
    choose(page_ann, f"Block {ben.display_name}")
    page_ann.keyboard.press("Escape")
    expect(page_ann.get_by_role("dialog")).to_have_count(0)
    expect(menu_button(page_ann)).to_be_focused()
    assert blocked_list(dev_stack, ann) == []

    block_with_the_dialog(page_ann, ben)
    expect(page_ann.locator("#blocked-note")).to_contain_text(BLOCKED)
    expect(composer(page_ann)).to_be_disabled()
    expect(page_ann.get_by_role("button", name="Send")).to_be_disabled()
    expect(page_ann.locator(".message-text")).to_have_text(["Hello Ann", "Hello Ben"])  # still readable
    expect(menu_button(page_ann)).to_be_focused()
    assert blocked_list(dev_stack, ann) == [ben.handle]

    refused_as_blocked(page_ben, ann)

    # A fresh page of Ben's knows from the list (pattern B's `blocked`).
    fresh_ben = open_page(browser, dev_stack, ben)
    opened(fresh_ben, ann)
    expect(fresh_ben.locator(".message-text")).to_have_text(["Hello Ann", "Hello Ben"])
    expect(fresh_ben.locator("#blocked-note")).to_contain_text(BLOCKED)
    expect(composer(fresh_ben)).to_be_disabled()
    assert listed(dev_stack, ben)[group]["blocked"] is True

    # Ann unblocks (the menu says Unblock: she is the one who blocks): both sides may write again.
    choose(page_ann, f"Unblock {ben.display_name}")
    expect(page_ann.locator("#blocked-note")).to_be_hidden()
    expect(composer(page_ann)).to_be_enabled()
    assert blocked_list(dev_stack, ann) == []
    composer(page_ann).fill("All is well")
    composer(page_ann).press("Enter")
    expect(bubble(page_ann, "All is well").locator(".message-status")).to_have_text(DELIVERED)
    expect(bubble(fresh_ben, "All is well")).to_be_visible(timeout=PUSHED)  # pushes cross again

    again = open_page(browser, dev_stack, ben)
    opened(again, ann)
    expect(composer(again)).to_be_enabled()
    expect(again.locator("#blocked-note")).to_be_hidden()
    # The page that saw the refusal reads the list again when the conversation is opened again.
    page_ben.get_by_role("button", name=ann.item).click()
    expect(composer(page_ben)).to_be_enabled()
    composer(page_ben).fill("Good to hear")
    composer(page_ben).press("Enter")
    expect(bubble(page_ben, "Good to hear").locator(".message-status")).to_have_text(DELIVERED)
    assert page_ann.errors == page_ben.errors == fresh_ben.errors == again.errors == []


def test_a_muted_conversation_never_badges_the_title_while_another_still_does(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben, cat, dan = member("Ann"), member("Ben"), member("Cat"), member("Dan")
    with_ben = start(dev_stack, ben, ann, "Hello Ann, from Ben")["message_group_uuid"]
    with_dan = start(dev_stack, dan, ann, "Hello Ann, from Dan")["message_group_uuid"]
    start(dev_stack, ann, cat, "Hello Cat")
    page = open_page(browser, dev_stack, ann)
    opened(page, ben)  # read: nothing unread anywhere but Dan's
    opened(page, dan)
    expect(page).to_have_title(TITLE)
    opened(page, ben)
    choose(page, "Mute conversation")
    row_ben = group_items(page).filter(has_text=ben.item)
    expect(row_ben.locator(".group-muted")).to_be_visible()
    expect(row_ben.get_by_role("button")).to_contain_text("(muted)")  # its name says so to screen readers
    opened(page, cat)  # Ann reads Cat's conversation meanwhile
    assert listed(dev_stack, ann)[with_ben]["muted"] is True

    send(dev_stack, ben, with_ben, "Muted news")
    # It still updates live: its row moves up with the preview and its own count, but the title stays.
    expect(group_items(page).first.locator(".group-preview")).to_have_text("Muted news", timeout=PUSHED)
    expect(row_ben.locator(".unread-badge")).to_contain_text("1")
    expect(page).to_have_title(TITLE)
    expect(page.locator("#live")).not_to_contain_text("New message")  # said with the preview, had it been said

    send(dev_stack, dan, with_dan, "Unmuted news")
    expect(group_items(page).first.locator(".group-preview")).to_have_text("Unmuted news", timeout=PUSHED)
    expect(page).to_have_title(f"(1) {TITLE}")
    expect(page.locator("#live")).to_have_text(f"New message from {dan.display_name}")
    send(dev_stack, ben, with_ben, "More muted news")
    expect(group_items(page).first.locator(".group-preview")).to_have_text("More muted news", timeout=PUSHED)
    expect(row_ben.locator(".unread-badge")).to_contain_text("2")
    expect(page).to_have_title(f"(1) {TITLE}")
    expect(page.locator("#live")).to_have_text(f"New message from {dan.display_name}")

    # A fresh page has it from the list: muted, counted on its row only.
    fresh = open_page(browser, dev_stack, ann)
    expect(group_items(fresh).filter(has_text=ben.item).locator(".group-muted")).to_be_visible()
    expect(fresh).to_have_title(f"(1) {TITLE}")

    # Unmuted: it counts again.
    opened(page, ben)
    choose(page, "Unmute conversation")
    expect(row_ben.locator(".group-muted")).to_have_count(0)
    opened(page, cat)
    send(dev_stack, ben, with_ben, "Loud news")
    expect(group_items(page).first.locator(".group-preview")).to_have_text("Loud news", timeout=PUSHED)
    expect(page).to_have_title(f"(2) {TITLE}")
    assert listed(dev_stack, ann)[with_ben]["muted"] is False
    assert page.errors == fresh.errors == []


def test_nobody_may_start_a_conversation_once_the_setting_says_so(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben, cat = member("Ann"), member("Ben"), member("Cat")
    with_cat = start(dev_stack, cat, ann, "Hello Ann")["message_group_uuid"]
    page_ann = open_page(browser, dev_stack, ann)
    page_ann.get_by_role("button", name="Settings").click()
    dialog = page_ann.get_by_role("dialog", name="Settings")
    expect(dialog).to_be_visible()
    group = dialog.get_by_role("group", name="Who can start a conversation with you")
    everyone = group.get_by_role("radio", name="Everyone")
    nobody = group.get_by_role("radio", name="Nobody")
    expect(everyone).to_be_checked()  # the default, as the API answered
    expect(everyone).to_be_focused()
    page_ann.keyboard.press("ArrowDown")  # a radio group: the arrow keys choose
    expect(nobody).to_be_checked()
    expect(dialog.get_by_role("status")).to_have_text("Saved: only people you already talk to can write to you.")
    assert settings_of(dev_stack, ann) == "nobody"
    page_ann.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Ben, in another window, shares no conversation with Ann: refused, in plain words, in the dialog.
    page_ben = open_page(browser, dev_stack, ben)
    page_ben.get_by_role("button", name="New message").click()
    new = page_ben.get_by_role("dialog", name="New message")
    new.get_by_label("To", exact=True).fill(f"@{ann.handle}")
    new.get_by_label("First message", exact=True).fill("Hi, I am new here")
    new.get_by_role("button", name="Start conversation").click()
    expect(new.get_by_role("alert")).to_have_text(NOT_ACCEPTING)
    expect(new.get_by_label("To", exact=True)).to_be_focused()
    expect(group_items(page_ben)).to_have_count(0)
    # Cat already has a conversation with Ann: unaffected.
    send(dev_stack, cat, with_cat, "Still here")

    # Opened again, the dialog reads the setting afresh; Everyone lets Ben in.
    page_ann.get_by_role("button", name="Settings").click()
    expect(nobody).to_be_checked()
    everyone.check()
    expect(dialog.get_by_role("status")).to_have_text("Saved: anyone can start a conversation with you.")
    assert settings_of(dev_stack, ann) == "everyone"
    page_ben.get_by_role("button", name="Start conversation").click()
    expect(page_ben.get_by_role("dialog", name="New message")).to_be_hidden()
    expect(page_ben.locator("#conversation-title")).to_contain_text(ann.display_name)
    assert page_ann.errors == page_ben.errors == []


def test_reporting_the_other_person_s_message(browser, dev_stack, member) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben = member("Ann"), member("Ben")
    group = start(dev_stack, ben, ann, "Buy cheap watches")["message_group_uuid"]
    mine = send(dev_stack, ann, group, "No thanks")
    page = open_page(browser, dev_stack, ann)
    opened(page, ben)

    own = bubble(page, "No thanks")
    own.hover()
    expect(own.get_by_role("button", name="Report message")).to_have_count(0)  # never on one's own
    theirs = bubble(page, "Buy cheap watches")
    theirs.hover()
    theirs.get_by_role("button", name="Report message").click()
    dialog = page.get_by_role("dialog", name="Report message")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Buy cheap watches")
    reasons = dialog.get_by_role("group", name="Why are you reporting it?")
    expect(reasons.get_by_role("radio")).to_have_count(3)
    expect(reasons.get_by_role("radio", name="Spam")).to_be_focused()

    # Escape: nothing is sent, and the focus is back on the message's Report button.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(theirs.get_by_role("button", name="Report message")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Report", exact=True).click()  # no reason chosen yet
    expect(dialog.get_by_role("alert")).to_have_text("Choose why you are reporting it.")
    reasons.get_by_role("radio", name="Spam").check()
    dialog.get_by_label("Anything to add? (optional)").fill("Every day since Monday")
    dialog.get_by_role("button", name="Report", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#live")).to_have_text(REPORTED)
    expect(theirs.locator(".message-reported")).to_have_text("Reported")
    expect(theirs).to_be_focused()
    theirs.hover()
    expect(theirs.get_by_role("button", name="Report message")).to_have_count(0)

    # The report is stored: once per message, so the API refuses a second, and so does another page of Ann's.
    again = call(
        "POST",
        f"{dev_stack.api_url}/api/messages/{group}/{_uuid_of(dev_stack, ann, group, 'Buy cheap watches')}/report",
        token=ann.token,
        body={"reason": "spam"},
    )
    assert (again.status, again.body["error"]) == (409, "already_reported")
    other = open_page(browser, dev_stack, ann)
    opened(other, ben)
    message = bubble(other, "Buy cheap watches")
    message.hover()
    message.get_by_role("button", name="Report message").click()
    other.get_by_role("dialog", name="Report message").get_by_role("radio", name="Harassment").check()
    other.get_by_role("dialog", name="Report message").get_by_role("button", name="Report", exact=True).click()
    expect(other.get_by_role("dialog", name="Report message")).to_be_hidden()
    expect(other.locator("#live")).to_have_text(ALREADY_REPORTED)
    # Ben may report Ann's message on his own.
    theirs_for_ben = call(
        "POST",
        f"{dev_stack.api_url}/api/messages/{group}/{mine['uuid']}/report",
        token=ben.token,
        body={"reason": "other"},
    )
    assert theirs_for_ben.status == 202, theirs_for_ben.body
    assert page.errors == other.errors == []


def _uuid_of(stack, who: Member, group_uuid: str, text: str) -> str:
    result = call("GET", f"{stack.api_url}/api/messages/{group_uuid}?limit=50", token=who.token)
    assert result.status == 200, result.body
    return next(m["uuid"] for m in result.body if m["message"] == text)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_safety_controls_pass_the_accessibility_scan(browser, dev_stack, member, scheme) -> None:
    from playwright.sync_api import expect  # noqa: PLC0415

    ann, ben, cat = member("Ann"), member("Ben"), member("Cat")
    group = start(dev_stack, ben, ann, "Hello Ann")["message_group_uuid"]
    send(dev_stack, ben, group, "Are you coming?")
    start(dev_stack, cat, ann, "Hi from Cat")
    page = open_page(browser, dev_stack, ann, color_scheme=scheme, viewport={"width": 1280, "height": 800})
    opened(page, cat)

    def scanned(name: str) -> None:
        assert serious_violations(page) == [], name
        page.screenshot(path=SCREENSHOTS / f"safety-{name}-{scheme}.png")

    opened(page, ben)
    menu_button(page).click()
    expect(page.get_by_role("menu")).to_be_visible()
    scanned("menu")
    page.get_by_role("menuitem", name="Mute conversation").click()
    opened(page, cat)
    send(dev_stack, ben, group, "Muted while away")
    expect(group_items(page).filter(has_text=ben.item).locator(".unread-badge")).to_be_visible(timeout=PUSHED)
    scanned("muted-row")

    opened(page, ben)
    choose(page, f"Block {ben.display_name}")
    expect(page.get_by_role("dialog", name=f"Block {ben.display_name}?")).to_be_visible()
    scanned("block-dialog")
    page.get_by_role("button", name="Block", exact=True).click()
    expect(composer(page)).to_be_disabled()
    scanned("blocked")

    message = bubble(page, "Are you coming?")
    message.hover()
    message.get_by_role("button", name="Report message").click()
    dialog = page.get_by_role("dialog", name="Report message")
    expect(dialog).to_be_visible()
    scanned("report-dialog")
    dialog.get_by_role("button", name="Report", exact=True).click()
    expect(dialog.get_by_role("alert")).to_be_visible()
    scanned("report-dialog-error")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Settings").click()
    settings = page.get_by_role("dialog", name="Settings")
    expect(settings.get_by_role("radio", name="Everyone")).to_be_checked()
    scanned("settings")
    settings.get_by_role("radio", name="Nobody").check()
    expect(settings.get_by_role("status")).to_contain_text("Saved")
    scanned("settings-saved")
    assert page.errors == []
