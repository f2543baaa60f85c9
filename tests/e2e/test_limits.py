"""A signed-in attacker over the `make dev` stack, with the template's default limits and real sockets: whatever
one user does with their sockets and sends, other users are served, and no socket outlives its token.

The bounds are functional ("another user's push within 2 s"), generous for a loaded 2-core machine, never a
benchmark: `make bench` measures.
"""

import base64
import json
import threading
import time
from collections.abc import Callable

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.dev_process import DevStack
from tests.e2e import test_realtime
from tests.e2e.test_realtime import MakeMember, Member, pushed, send, start, stored_connections
from tests.e2e.test_tokens import moto_signing_key, sign
from tooling.http_client import call
from tooling.template import Template

member, sockets = test_realtime.member, test_realtime.sockets  # the fixtures, shared

OTHERS_BOUND_SECONDS = 2.0  # the issue's: another user's push, or answer, while one user misbehaves
DEFAULTS = Template().parameters


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _until_closed(socket: ClientConnection) -> tuple[list[dict], int | None]:
    """The frames a socket gets until the server closes it, and the close code the server sent."""
    frames = []
    try:
        while True:
            frames.append(json.loads(socket.recv(timeout=10)))
    except ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd is not None else None


def _timed_list(dev_stack: DevStack, who: Member) -> float:
    began = time.monotonic()
    response = call("GET", f"{dev_stack.api_url}/api/message_groups", token=who.token)
    assert response.status == 200, response.body
    return time.monotonic() - began


def test_a_user_holding_120_sockets_keeps_only_the_cap_while_others_are_pushed_to_and_served(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    hoarder, alice, bob, carol = member("Hoarder"), member("Alice"), member("Bob"), member("Carol")
    cap = int(DEFAULTS["MaxConnectionsPerUser"])
    bobs = sockets(bob)
    group = start(dev_stack, alice, bob, "are you there?")["message_group_uuid"]
    pushed(bobs, timeout=10)
    hoarder_group = start(dev_stack, carol, hoarder, "hello hoarder")["message_group_uuid"]
    hoarded = [sockets(hoarder) for _ in range(120)]

    sent = send(dev_stack, alice, group, "while someone hoards sockets")
    assert [m["uuid"] for m in pushed(bobs, timeout=OTHERS_BOUND_SECONDS)] == [sent["uuid"]]
    assert _timed_list(dev_stack, carol) < OTHERS_BOUND_SECONDS

    # The newest `cap` are the ones left open and stored; the older were closed by the server.
    assert len(stored_connections(dev_stack, hoarder)) == cap
    to_hoarder = send(dev_stack, carol, hoarder_group, "which of you gets this?")
    for socket in hoarded[-cap:]:
        received: list[str] = []
        while to_hoarder["uuid"] not in received:  # after the conversation's first message, maybe
            received += [m["uuid"] for m in pushed(socket, timeout=10)]
    for socket in hoarded[:-cap]:
        frames, code = _until_closed(socket)
        assert code == 1000  # a normal close, by the server
        assert to_hoarder["uuid"] not in [m["uuid"] for frame in frames for m in frame.get("messages", [])]


def test_a_socket_s_stored_expiry_is_its_token_s(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    alice = member("Alice")
    sockets(alice)
    items = dev_stack.client("dynamodb").query(
        TableName=dev_stack.state["connections_table"],
        KeyConditionExpression="user_uuid = :u",
        ExpressionAttributeValues={":u": {"S": alice.uuid}},
        ConsistentRead=True,
    )["Items"]
    (item,) = items
    assert int(item["expires_at"]["N"]) <= _claims(alice.token)["exp"]
    assert int(item["expires_at"]["N"]) >= _claims(alice.token)["exp"] - 1


def test_a_flooding_socket_gets_error_frames_then_is_closed_while_others_pings_are_answered(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    flooder, alice = member("Flooder"), member("Alice")
    flooding, calm = sockets(flooder), sockets(alice)
    answers: list[str] = []
    closed_with: list[int | None] = []

    def flood() -> None:
        try:
            for _ in range(200):
                flooding.send(json.dumps({"action": "ping"}))
            while True:
                answers.append(json.loads(flooding.recv(timeout=30)).get("error", "pong"))
        except ConnectionClosed as closed:
            closed_with.append(closed.rcvd.code if closed.rcvd is not None else None)

    thread = threading.Thread(target=flood)
    thread.start()
    calm.send(json.dumps({"action": "ping"}))
    assert json.loads(calm.recv(timeout=OTHERS_BOUND_SECONDS)) == {"type": "pong"}
    thread.join(timeout=60)

    assert not thread.is_alive()
    assert closed_with  # the server closed the flooding connection
    assert answers[:10] == ["pong"] * 10  # a burst of frames is fine
    assert "rate_limited" in answers[10:]
    assert len(answers) < 200  # it was closed long before its flood was answered
    calm.send(json.dumps({"action": "ping"}))
    assert json.loads(calm.recv(timeout=OTHERS_BOUND_SECONDS)) == {"type": "pong"}


def test_a_socket_whose_token_has_expired_is_closed_at_its_next_frame(dev_stack: DevStack, member: MakeMember) -> None:
    """A token that expires while its socket is open: signed as moto signs them, and short-lived."""
    alice = member("Alice")
    claims = {**_claims(alice.token), "exp": int(time.time()) + 3}
    token = sign(claims, moto_signing_key().key)
    with connect(f"{dev_stack.websocket_url}?token={token}") as socket:
        socket.send(json.dumps({"action": "ping"}))
        assert json.loads(socket.recv(timeout=10)) == {"type": "pong"}
        time.sleep(3.5)
        socket.send(json.dumps({"action": "ping"}))
        answers, code = _until_closed(socket)
        assert code is not None  # closed by the server
        assert {"type": "pong"} not in answers
