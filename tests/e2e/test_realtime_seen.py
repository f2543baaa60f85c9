"""Read receipts and blocks over the `make dev` stack with real WebSocket clients (issues 25 and 24).

A member's read marker reaches the other member's sockets as `{"type": "read", ...}` and pattern A's first page
carries it (`Other-Last-Read-*` headers); neither when either member has read receipts off, across a block, or
in an unaccepted message request. An edit or a deletion reaches only the sender's sockets while the conversation
is blocked. What must not arrive is proven by what arrives next: the stack's stream is one shard, pushed batch by
batch in order, so a frame written later arriving first means the earlier one never will.
"""

from collections.abc import Callable
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from tests.dev_process import DevStack
from tests.e2e.message_requests import accept
from tests.e2e.test_realtime import (  # noqa: F401 - member and sockets: the fixtures
    SETTLE_SECONDS,
    MakeMember,
    Member,
    collect,
    member,
    next_other_frame,
    send,
    sockets,
    start,
)
from tooling.http_client import call


def next_frame(socket: ClientConnection) -> dict[str, Any]:
    """The next frame but the stream's copies of messages the direct push already brought (a client drops them)."""
    return next_other_frame(socket, SETTLE_SECONDS)


def frames_until(socket: ClientConnection, last: dict[str, Any], most: int = 3) -> list[dict[str, Any]]:
    """The next frames up to and including ``last``; at most ``most`` of them (then what came is returned)."""
    frames = [next_frame(socket)]
    while frames[-1] != last and len(frames) < most:
        frames.append(next_frame(socket))
    return frames


def mark_read(stack: DevStack, reader: Member, group: str, message_uuid: str) -> dict:
    result = call(
        "PUT", f"{stack.api_url}/api/message_groups/{group}/read", token=reader.token, body={"uuid": message_uuid}
    )
    assert result.status == 200, result.body
    return result.body


def seen_by_other(stack: DevStack, caller: Member, group: str) -> dict[str, str]:
    """Pattern A's first page's headers: where the other member has read up to, as the caller may see it."""
    result = call("GET", f"{stack.api_url}/api/messages/{group}", token=caller.token)
    assert result.status == 200, result.body
    return {name: value for name, value in result.headers.items() if name.lower().startswith("other-last-read-")}


def put(stack: DevStack, who: Member, path: str, body: dict | None = None) -> None:
    result = call("PUT", f"{stack.api_url}{path}", token=who.token, body=body)
    assert result.status == 200, result.body


def change(stack: DevStack, sender: Member, group: str, message_uuid: str, text: str | None = None) -> dict:
    method, body = ("DELETE", None) if text is None else ("PATCH", {"message": text})
    result = call(method, f"{stack.api_url}/api/messages/{group}/{message_uuid}", token=sender.token, body=body)
    assert result.status == 200, result.body
    return result.body


def test_a_read_reaches_the_other_member_s_sockets_and_pattern_a_carries_it(
    dev_stack: DevStack,
    member: MakeMember,  # noqa: F811 - the imported fixture
    sockets: Callable[..., ClientConnection],  # noqa: F811 - the imported fixture
) -> None:
    alice, bob = member("Alice"), member("Bob")
    alices, bobs = sockets(alice), sockets(bob)
    first = start(dev_stack, alice, bob, "are you there?")
    group = first["message_group_uuid"]
    assert [m["uuid"] for m in collect(alices, 1)] == [m["uuid"] for m in collect(bobs, 1)] == [first["uuid"]]

    marker = mark_read(dev_stack, bob, group, first["uuid"])

    assert next_frame(alices) == {
        "type": "read",
        "message_group_uuid": group,
        "last_read_at": marker["last_read_at"],
        "last_read_uuid": first["uuid"],
    }
    assert next_frame(bobs)["type"] == "unread"  # his own devices hear of his marker as before
    assert {k.lower(): v for k, v in seen_by_other(dev_stack, alice, group).items()} == {
        "other-last-read-uuid": first["uuid"],
        "other-last-read-at": first["created_at"],
    }


@pytest.mark.parametrize("who_hides", ["reader", "sender"])
def test_read_receipts_off_on_either_side_send_no_frame_and_show_no_marker_either_way(
    dev_stack: DevStack,
    member: MakeMember,  # noqa: F811 - the imported fixture
    sockets: Callable[..., ClientConnection],  # noqa: F811 - the imported fixture
    who_hides: str,
) -> None:
    alice, bob = member("Alice"), member("Bob")
    put(dev_stack, bob if who_hides == "reader" else alice, "/api/settings", {"read_receipts": False})
    alices, bobs = sockets(alice), sockets(bob)
    first = start(dev_stack, alice, bob, "are you there?")
    group = first["message_group_uuid"]
    collect(alices, 1), collect(bobs, 1)

    mark_read(dev_stack, bob, group, first["uuid"])
    assert next_frame(bobs)["type"] == "unread"  # his marker's record is pushed: a read frame would be in it
    reply = send(dev_stack, bob, group, "yes")  # a later batch
    mark_read(dev_stack, alice, group, reply["uuid"])
    assert next_frame(alices)["type"] == "messages"  # his reply, not a read frame before it
    assert next_frame(alices)["type"] == "unread"  # her own marker
    sentinel = send(dev_stack, alice, group, "sentinel")
    assert next_frame(bobs)["type"] == "messages"  # his own reply
    frame = next_frame(bobs)
    assert (frame["type"], frame["messages"][0]["uuid"]) == ("messages", sentinel["uuid"])  # no read frame first

    assert seen_by_other(dev_stack, alice, group) == seen_by_other(dev_stack, bob, group) == {}


def test_no_edit_deletion_or_read_crosses_a_block_and_they_do_again_once_unblocked(
    dev_stack: DevStack,
    member: MakeMember,  # noqa: F811 - the imported fixture
    sockets: Callable[..., ClientConnection],  # noqa: F811 - the imported fixture
) -> None:
    alice, bob = member("Alice"), member("Bob")
    alices_laptop, alices_phone, bobs = sockets(alice), sockets(alice), sockets(bob)
    first = start(dev_stack, alice, bob, "one")
    group = first["message_group_uuid"]
    second = send(dev_stack, alice, group, "two")
    for socket in (alices_laptop, alices_phone, bobs):
        assert len(collect(socket, 2)) == 2
    put(dev_stack, bob, f"/api/blocks/{alice.handle}")

    edited = change(dev_stack, alice, group, first["uuid"], "one, fixed")
    deleted = change(dev_stack, alice, group, first["uuid"])
    edit_frame, deletion_frame = ({"type": "message_updated", "message": m} for m in (edited, deleted))
    for socket in (alices_laptop, alices_phone):  # the sender's other session too
        # A batch that carries both pushes only the latest change, so the edit's frame may not come.
        assert frames_until(socket, deletion_frame) in ([edit_frame, deletion_frame], [deletion_frame])
    mark_read(dev_stack, bob, group, second["uuid"])
    assert next_frame(bobs)["type"] == "unread"  # his own marker, and nothing of Alice's changes before it
    assert seen_by_other(dev_stack, alice, group) == {}

    unblocked = call("DELETE", f"{dev_stack.api_url}/api/blocks/{alice.handle}", token=bob.token)
    assert unblocked.status == 200, unblocked.body
    again = change(dev_stack, alice, group, second["uuid"], "two, fixed")
    assert next_frame(bobs) == {"type": "message_updated", "message": again}  # nothing before it
    for socket in (alices_laptop, alices_phone):
        assert next_frame(socket) == {"type": "message_updated", "message": again}  # no read frame before it
    assert seen_by_other(dev_stack, alice, group)["other-last-read-uuid"] == second["uuid"]


def test_reading_an_unaccepted_request_tells_its_starter_nothing(
    dev_stack: DevStack,
    member: MakeMember,  # noqa: F811 - the imported fixture
    sockets: Callable[..., ClientConnection],  # noqa: F811 - the imported fixture
) -> None:
    alice, bob = member("Alice"), member("Bob")
    alices, bobs = sockets(alice), sockets(bob)
    body = {"handle": bob.handle, "message": "hi"}
    result = call("POST", f"{dev_stack.api_url}/api/message_groups", token=alice.token, body=body)
    assert result.status == 201, result.body
    first, group = result.body, result.body["message_group_uuid"]
    collect(alices, 1), collect(bobs, 1)

    mark_read(dev_stack, bob, group, first["uuid"])
    assert next_frame(bobs)["type"] == "unread"
    assert seen_by_other(dev_stack, alice, group) == {}

    accept(dev_stack.api_url, bob.token, group)
    sentinel = send(dev_stack, bob, group, "hello back")
    frame = next_frame(alices)
    assert (frame["type"], frame["messages"][0]["uuid"]) == ("messages", sentinel["uuid"])  # no read frame first
    assert seen_by_other(dev_stack, alice, group)["other-last-read-uuid"] >= first["uuid"]  # accepted: shown
