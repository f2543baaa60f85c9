"""Read receipts ("Seen", issue 25): a member's moved read marker reaches the other member's connections as a
``read`` frame, and pattern A's first page carries it in its ``Other-Last-Read-*`` headers; neither when either
member has ``read_receipts`` off, while the conversation is blocked, nor while it is an unaccepted request.

Connections as in tests/integration/test_push.py (its fixtures); real sockets in tests/e2e/test_realtime_seen.py.
"""

from collections.abc import Callable

import pytest

from local.stack import EmulatedStack
from tests.api_client import ApiClient
from tests.conftest import TestUser
from tests.integration.conftest import Conversation
from tests.integration.test_push import Opener, Socket, open_connection, post  # noqa: F401 - open_connection: a fixture
from tests.integration.test_safety import put


def mark_read(api: ApiClient, reader: TestUser, group: str, message_uuid: str) -> dict:
    response = put(api, reader, f"/api/message_groups/{group}/read", {"uuid": message_uuid})
    assert response.status == 200, response.body
    return response.body


def receipts(socket: Socket) -> list[dict]:
    return [frame for frame in socket.frames if frame["type"] == "read"]


def seen_headers(api: ApiClient, caller: TestUser, group: str, query: dict[str, str] | None = None) -> dict:
    response = api.get(f"/api/messages/{group}", caller, query)
    assert response.status == 200, response.body
    return {name: value for name, value in response.headers.items() if name.startswith("other-last-read-")}


def put_settings(api: ApiClient, who: TestUser, body: dict) -> None:
    response = put(api, who, "/api/settings", body)
    assert response.status == 200, response.body


def test_a_read_reaches_the_other_member_as_a_read_frame_and_pattern_a_shows_it(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    open_connection: Opener,  # noqa: F811 - the imported fixture
    new_user: Callable[..., TestUser],
) -> None:
    sender, reader, group = conversation.starter, conversation.other, conversation.group_uuid
    sent = [post(api, sender, group, f"n {n}") for n in range(2)]
    stack.stream.drain()
    senders, readers_other_tab = open_connection(sender)[1], open_connection(reader)[1]
    outsider = open_connection(new_user())[1]

    marker = mark_read(api, reader, group, sent[-1])
    stack.stream.drain()

    expected = {"message_group_uuid": group, "last_read_at": marker["last_read_at"], "last_read_uuid": sent[-1]}
    assert receipts(senders) == [{"type": "read", **expected}]
    assert receipts(readers_other_tab) == []  # the reader's own devices get their `unread` frame
    assert [frame["type"] for frame in readers_other_tab.frames] == ["unread"]
    assert outsider.raw == []
    assert seen_headers(api, sender, group) == {
        "other-last-read-uuid": sent[-1],
        "other-last-read-at": marker["last_read_at"],
    }
    # Sending reads everything before: the sender's own marker is at their last message, and the reader sees it.
    assert seen_headers(api, reader, group)["other-last-read-uuid"] == sent[-1]


def test_pattern_a_shows_no_marker_before_the_other_member_read_anything_nor_on_later_pages(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    sender, reader, group = conversation.starter, conversation.other, conversation.group_uuid
    sent = [post(api, sender, group, f"n {n}") for n in range(3)]
    stack.stream.drain()
    assert seen_headers(api, sender, group) == {}  # the reader has not read anything yet
    mark_read(api, reader, group, sent[-1])
    first = api.get(f"/api/messages/{group}", sender, {"limit": "2"})
    assert first.headers["other-last-read-uuid"] == sent[-1]
    cursor = first.headers["link"].split("cursor=")[1].split(">")[0]
    assert seen_headers(api, sender, group, {"limit": "2", "cursor": cursor}) == {}


@pytest.mark.parametrize("who_hides", ["reader", "sender"])
def test_receipts_off_on_either_side_hide_reads_both_ways(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    open_connection: Opener,  # noqa: F811 - the imported fixture
    who_hides: str,
) -> None:
    sender, reader, group = conversation.starter, conversation.other, conversation.group_uuid
    sent = post(api, sender, group, "did you see it?")
    stack.stream.drain()
    put_settings(api, reader if who_hides == "reader" else sender, {"read_receipts": False})
    senders, readers = open_connection(sender)[1], open_connection(reader)[1]

    mark_read(api, reader, group, sent)
    reply = post(api, reader, group, "yes")
    stack.stream.drain()
    mark_read(api, sender, group, reply)
    stack.stream.drain()

    assert receipts(senders) == receipts(readers) == []
    assert seen_headers(api, sender, group) == seen_headers(api, reader, group) == {}

    put_settings(api, reader if who_hides == "reader" else sender, {"read_receipts": True})
    assert seen_headers(api, sender, group)["other-last-read-uuid"] == reply  # the reader's reply read up to it
    assert seen_headers(api, reader, group)["other-last-read-uuid"] == reply


def test_no_read_crosses_a_block_and_reads_show_again_once_unblocked(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    open_connection: Opener,  # noqa: F811 - the imported fixture
) -> None:
    sender, reader, group = conversation.starter, conversation.other, conversation.group_uuid
    first, second = post(api, sender, group, "one"), post(api, sender, group, "two")
    stack.stream.drain()
    assert api.request("PUT", f"/api/blocks/{sender.handle}", reader).status == 200
    senders = open_connection(sender)[1]

    mark_read(api, reader, group, first)
    stack.stream.drain()
    assert receipts(senders) == []
    assert seen_headers(api, sender, group) == seen_headers(api, reader, group) == {}

    assert api.request("DELETE", f"/api/blocks/{sender.handle}", reader).status == 200
    assert seen_headers(api, sender, group)["other-last-read-uuid"] == first
    mark_read(api, reader, group, second)
    stack.stream.drain()
    assert [frame["last_read_uuid"] for frame in receipts(senders)] == [second]


def test_reading_an_unaccepted_request_tells_its_starter_nothing(
    api: ApiClient,
    stack: EmulatedStack,
    start_conversation: Callable[..., Conversation],
    open_connection: Opener,  # noqa: F811 - the imported fixture
) -> None:
    request = start_conversation("hi, it's me", accepted=False)
    starter, recipient, group = request.starter, request.other, request.group_uuid
    stack.stream.drain()
    (first,) = [m["uuid"] for m in api.get(f"/api/messages/{group}", recipient).body]
    starters = open_connection(starter)[1]

    mark_read(api, recipient, group, first)
    stack.stream.drain()

    assert receipts(starters) == []
    assert seen_headers(api, starter, group) == seen_headers(api, recipient, group) == {}
    assert api.request("PUT", f"/api/message_groups/{group}/accept", recipient).status == 200
    assert seen_headers(api, starter, group)["other-last-read-uuid"] == first  # accepted: an ordinary conversation
