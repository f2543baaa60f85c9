"""Real-time delivery over the `make dev` stack with a real WebSocket client: what a signed-in browser sees.

Each test makes members of its own (a profile in PostgreSQL, a user in the local Cognito), so traffic of other
tests never reaches its sockets. The one time bound is the issue's: a message reaches the other member within
1 s of the sender's response.
"""

import http.client
import json
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import jwt
import psycopg2
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.dev_process import DevStack
from tests.e2e.message_requests import accept
from tests.e2e.test_tokens import moto_signing_key, sign
from tooling.cognito import LOCAL_PASSWORD, access_token, ensure_user_pool, ensure_users, sync_cognito_user_ids
from tooling.http_client import call

DELIVERY_BOUND_SECONDS = 1.0  # the promise, from the sender's response to the frame
SETTLE_SECONDS = 30.0  # generous ceilings for what has no promised bound (a burst, a cleanup)


@dataclass(frozen=True)
class Member:
    uuid: str
    handle: str
    display_name: str
    token: str


type MakeMember = Callable[[str], Member]


@pytest.fixture
def member(dev_stack: DevStack) -> MakeMember:
    def make(display_name: str) -> Member:
        handle = f"rt_{uuid.uuid4().hex[:10]}"
        email = f"{handle}@test.example"
        with psycopg2.connect(dev_stack.state["connection_url"]) as connection, connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO users (display_name, handle, email) VALUES (%s, %s, %s) RETURNING uuid::text",
                (display_name, handle, email),
            )
            (user_uuid,) = cursor.fetchone()
        connection.close()
        cognito = dev_stack.cognito()
        ensure_users(cognito, dev_stack.pool, [(handle, email)], LOCAL_PASSWORD)
        sync_cognito_user_ids(cognito, dev_stack.pool.pool_id, dev_stack.state["connection_url"])
        return Member(user_uuid, handle, display_name, dev_stack.token(handle))

    return make


@pytest.fixture
def sockets(dev_stack: DevStack) -> Iterator[Callable[..., ClientConnection]]:
    """Opens a member's WebSocket as the web client does (token in the query string); all closed after."""
    with ExitStack() as opened:

        def open_(who: Member, **options: Any) -> ClientConnection:
            return opened.enter_context(connect(f"{dev_stack.websocket_url}?token={who.token}", **options))

        yield open_


def start(dev_stack: DevStack, sender: Member, to: Member, text: str) -> dict:
    response = call(
        "POST",
        f"{dev_stack.api_url}/api/message_groups",
        token=sender.token,
        body={"handle": to.handle, "message": text},
    )
    assert response.status == 201, response.body
    accept(dev_stack.api_url, to.token, response.body["message_group_uuid"])  # an ordinary conversation, no request
    return response.body


def send(dev_stack: DevStack, sender: Member, group_uuid: str, text: str) -> dict:
    """Posts as a well-behaved client does: past the sender's limit (429, nothing stored) it waits as told."""
    body = {"message_group_uuid": group_uuid, "message": text}
    while True:
        response = call("POST", f"{dev_stack.api_url}/api/messages", token=sender.token, body=body)
        if response.status != 429:
            break
        time.sleep(int(response.headers["retry-after"]))
    assert response.status == 201, response.body
    return {**response.body, "message_group_uuid": group_uuid}


# What each socket has been pushed, by message uuid: a message comes twice, by C's direct push and again by the
# stream's (the backstop), and a client keeps the first (docs/architecture.md, "Push").
_SEEN: "weakref.WeakKeyDictionary[ClientConnection, set[str]]" = weakref.WeakKeyDictionary()


def pushed(socket: ClientConnection, timeout: float = DELIVERY_BOUND_SECONDS) -> list[dict]:
    """The messages new to this socket of the next frame that has any, which must come within ``timeout``; frames
    carrying only messages it already got (the backstop's copies) are passed over, as a client de-duplicates."""
    seen = _SEEN.setdefault(socket, set())
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(socket.recv(timeout=max(0.0, deadline - time.monotonic())))
        assert frame["type"] == "messages", frame
        new = [message for message in frame["messages"] if message["uuid"] not in seen]
        seen.update(message["uuid"] for message in new)
        if new:
            return new


def next_other_frame(socket: ClientConnection, timeout: float) -> dict:
    """The next frame that is no copy of messages the socket already got (a messages frame's are then got)."""
    seen = _SEEN.setdefault(socket, set())
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(socket.recv(timeout=max(0.0, deadline - time.monotonic())))
        if frame["type"] != "messages":
            return frame
        if any(m["uuid"] not in seen for m in frame["messages"]):
            seen.update(m["uuid"] for m in frame["messages"])
            return frame


def collect(socket: ClientConnection, count: int) -> list[dict]:
    messages: list[dict] = []
    deadline = time.monotonic() + SETTLE_SECONDS
    while len(messages) < count:
        messages += pushed(socket, timeout=max(0.0, deadline - time.monotonic()))
    return messages


def upgrade_status(url: str) -> tuple[int, Any]:
    try:
        with connect(url, open_timeout=10):
            return 101, None
    except InvalidStatus as refusal:
        return refusal.response.status_code, json.loads(refusal.response.body or b"null")


def stored_connections(dev_stack: DevStack, who: Member) -> list[str]:
    items = dev_stack.client("dynamodb").query(
        TableName=dev_stack.state["connections_table"],
        KeyConditionExpression="user_uuid = :u",
        ExpressionAttributeValues={":u": {"S": who.uuid}},
    )["Items"]
    return [item["connection_id"]["S"] for item in items]


# -----------------------------------------------------------------------------------------------------------------
# Delivery
# -----------------------------------------------------------------------------------------------------------------
def test_the_other_member_receives_a_message_within_a_second_of_its_sending(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    alice, bob = member("Alice"), member("Bob")
    bobs = sockets(bob)

    first = start(dev_stack, alice, bob, "Hello Bob")  # pattern D
    assert pushed(bobs) == [first]

    reply = send(dev_stack, alice, first["message_group_uuid"], "Are you there?")  # pattern C
    assert pushed(bobs) == [reply]
    assert reply == {
        "uuid": reply["uuid"],
        "display_name": "Alice",
        "handle": alice.handle,
        "message": "Are you there?",
        "created_at": reply["created_at"],
        "edited_at": None,
        "deleted_at": None,
        "message_group_uuid": first["message_group_uuid"],
    }


def test_the_sender_s_other_sessions_receive_it_too(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    alice, bob = member("Alice"), member("Bob")
    laptop, phone, bobs = sockets(alice), sockets(alice), sockets(bob)

    first = start(dev_stack, alice, bob, "From my laptop")
    assert [pushed(s) for s in (laptop, phone, bobs)] == [[first]] * 3

    answer = send(dev_stack, bob, first["message_group_uuid"], "Got it")
    assert [pushed(s) for s in (laptop, phone, bobs)] == [[answer]] * 3


def test_a_non_member_never_receives_a_conversation_s_messages(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    alice, bob, carol = member("Alice"), member("Bob"), member("Carol")
    bobs, carols = sockets(bob), sockets(carol)

    with_bob = start(dev_stack, alice, bob, "Only for Bob")
    secret = send(dev_stack, alice, with_bob["message_group_uuid"], "Still only for Bob")
    assert collect(bobs, 2) == [with_bob, secret]

    # Carol's first frame is her own conversation's, pushed after Bob's: nothing of Bob's came before it or in it.
    with_carol = start(dev_stack, alice, carol, "Hi Carol")
    assert pushed(carols) == [with_carol]


def test_a_burst_of_200_messages_arrives_complete_and_in_order_per_conversation(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    alice, bob, carol = member("Alice"), member("Bob"), member("Carol")
    # No flow control on the client: a browser reads as frames come; this test reads after sending.
    alices, bobs, carols = (sockets(who, max_queue=None) for who in (alice, bob, carol))
    sent: dict[str, list[dict]] = {}
    for other in (bob, carol):
        first = start(dev_stack, alice, other, "burst begins")
        sent[first["message_group_uuid"]] = [first]
    groups = list(sent)
    for n in range(200):
        group = groups[n % 2]
        sent[group].append(send(dev_stack, alice, group, f"burst {n}"))

    received = {"alice": collect(alices, 202), "bob": collect(bobs, 101), "carol": collect(carols, 101)}

    assert received["bob"] == sent[groups[0]]
    assert received["carol"] == sent[groups[1]]
    for group in groups:
        assert [m for m in received["alice"] if m["message_group_uuid"] == group] == sent[group]
    assert len(received["alice"]) == 202


# -----------------------------------------------------------------------------------------------------------------
# Who may connect
# -----------------------------------------------------------------------------------------------------------------
def _foreign_pool_token(dev_stack: DevStack, username: str) -> str:
    cognito = dev_stack.cognito()
    pool = ensure_user_pool(cognito, dev_stack.pool.region, pool_name="someone-elses-pool")
    ensure_users(cognito, pool, [(username, f"{username}@elsewhere.example")], LOCAL_PASSWORD)
    return access_token(cognito, pool, username, LOCAL_PASSWORD)["AccessToken"]


def test_only_a_valid_access_token_connects(dev_stack: DevStack, member: MakeMember) -> None:
    alice = member("Alice")
    valid = jwt.decode(alice.token, options={"verify_signature": False})
    now = int(time.time())
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused = {
        "no token": "",
        "an empty token": "?token=",
        "not a token": "?token=not.a.jwt",
        "a forged signature": f"?token={sign(valid, impostor)}",
        "an expired token": f"?token={sign({**valid, 'iat': now - 7200, 'exp': now - 3600}, moto_signing_key().key)}",
        "another app client": f"?token={sign({**valid, 'client_id': 'someone-else'}, moto_signing_key().key)}",
        "an ID token": f"?token={dev_stack.tokens(alice.handle)['IdToken']}",
        "another user pool": f"?token={_foreign_pool_token(dev_stack, alice.handle)}",
    }
    for kind, query in refused.items():
        assert upgrade_status(f"{dev_stack.websocket_url}{query}") == (401, {"message": "Unauthorized"}), kind
    still_valid = sign({**valid, "iat": now, "exp": now + 600}, moto_signing_key().key)
    assert upgrade_status(f"{dev_stack.websocket_url}?token={still_valid}")[0] == 101  # the same minting, in date


def test_a_valid_token_without_a_profile_is_forbidden(dev_stack: DevStack) -> None:
    cognito = dev_stack.cognito()
    ensure_users(cognito, dev_stack.pool, [("rt_ghost", "rt_ghost@cruddur.example")], LOCAL_PASSWORD)
    ghost = dev_stack.token("rt_ghost")
    assert upgrade_status(f"{dev_stack.websocket_url}?token={ghost}") == (403, {"message": "Forbidden"})


# -----------------------------------------------------------------------------------------------------------------
# Connections come and go
# -----------------------------------------------------------------------------------------------------------------
def wait_until_stored(dev_stack: DevStack, who: Member, expected: int) -> list[str]:
    deadline = time.monotonic() + SETTLE_SECONDS
    while (stored := stored_connections(dev_stack, who)) and len(stored) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return stored


def test_a_closed_connection_is_forgotten_and_only_it(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    # $disconnect knows only the connection's id: it must find that connection, not its user's others.
    alice, bob = member("Alice"), member("Bob")
    staying = sockets(alice)
    leaving = sockets(alice)
    bobs = sockets(bob)
    assert len(stored_connections(dev_stack, alice)) == 2

    leaving.close()

    assert len(wait_until_stored(dev_stack, alice, 1)) == 1
    assert len(stored_connections(dev_stack, bob)) == 1
    staying.send(json.dumps({"action": "ping"}))
    assert json.loads(staying.recv(timeout=SETTLE_SECONDS)) == {"type": "pong"}
    # The connection still stored is the open one: pushes reach it, and Bob's.
    hello = start(dev_stack, bob, alice, "still there?")
    assert pushed(staying) == [hello]
    assert pushed(bobs) == [hello]


# -----------------------------------------------------------------------------------------------------------------
# What a client may send: a ping, answered; anything else, an error frame or a clean close, never a 5xx
# -----------------------------------------------------------------------------------------------------------------
def test_a_ping_is_answered_and_anything_else_gets_an_error_frame(
    member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    socket = sockets(member("Alice"))
    for frame, error in [
        ('{"action": "sendmessage", "message": "hi"}', "validation_error"),
        ("not json", "invalid_json"),
        ("[]", "invalid_json"),
        (b"\x00\x01binary", "invalid_json"),
        (json.dumps({"action": "ping", "pad": "x" * 10_000}), "payload_too_large"),
    ]:
        socket.send(frame)
        answer = json.loads(socket.recv(timeout=SETTLE_SECONDS))
        assert (answer["type"], answer["error"]) == ("error", error), frame[:40]
    socket.send(json.dumps({"action": "ping"}))
    assert json.loads(socket.recv(timeout=SETTLE_SECONDS)) == {"type": "pong"}


def test_a_message_over_128_kb_closes_the_connection_cleanly(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    alice = member("Alice")
    socket = sockets(alice)
    socket.send("x" * (128 * 1024 + 1))
    with pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=SETTLE_SECONDS)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009  # message too big
    assert wait_until_stored(dev_stack, alice, 0) == []


def test_requests_that_are_not_a_websocket_upgrade_are_refused_without_a_5xx(
    dev_stack: DevStack, member: MakeMember
) -> None:
    alice = member("Alice")
    http_url = f"{dev_stack.websocket_url.replace('ws://', 'http://')}?token={alice.token}"
    assert call("GET", http_url).status == 426  # Upgrade Required, before any authorizer or $connect
    assert stored_connections(dev_stack, alice) == []
    elsewhere = f"{dev_stack.websocket_url.rsplit('/', 1)[0]}/another-stage?token={alice.token}"
    assert upgrade_status(elsewhere) == (403, {"message": "Forbidden"})
    # Another method is no handshake at all: the connection is closed without an answer, never with a 5xx.
    with pytest.raises(http.client.RemoteDisconnected):
        call("POST", http_url, body={"action": "ping"})


def test_a_conversation_read_on_one_device_is_read_on_the_others(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    alice, bob = member("Alice"), member("Bob")
    laptop, phone = sockets(bob), sockets(bob)
    first = start(dev_stack, alice, bob, "one")
    latest = send(dev_stack, alice, first["message_group_uuid"], "two")
    for device in (laptop, phone):
        assert [m["uuid"] for m in collect(device, 2)] == [first["uuid"], latest["uuid"]]

    group = first["message_group_uuid"]
    read = call(
        "PUT",
        f"{dev_stack.api_url}/api/message_groups/{group}/read",
        token=bob.token,
        body={"created_at": latest["created_at"], "uuid": latest["uuid"]},
    )
    assert read.status == 200, read.body

    frame = next_other_frame(laptop, SETTLE_SECONDS)
    assert frame == {
        "type": "unread",
        "message_group_uuid": group,
        "unread_count": 0,
        "last_read_at": latest["created_at"],
    }


def test_unread_counts_hold_over_http_after_a_burst(dev_stack: DevStack, member: MakeMember) -> None:
    alice, bob = member("Alice"), member("Bob")
    group = start(dev_stack, alice, bob, "first")["message_group_uuid"]
    burst = [send(dev_stack, alice, group, f"burst {n}") for n in range(30)]
    send(dev_stack, bob, group, "a reply reads everything before it")
    late = [send(dev_stack, alice, group, f"after the reply {n}") for n in range(3)]

    def unread(who: Member) -> int:
        groups = call("GET", f"{dev_stack.api_url}/api/message_groups", token=who.token).body
        (entry,) = [g for g in groups if g["uuid"] == group]
        return int(entry["unread_count"])

    deadline = time.monotonic() + SETTLE_SECONDS
    while (unread(bob), unread(alice)) != (len(late), 0) and time.monotonic() < deadline:
        time.sleep(0.2)
    # Bob's reply read the burst; alice's later messages read bob's reply; bob has what came after his reply.
    assert (unread(bob), unread(alice)) == (len(late), 0)
    assert len(burst) > len(late)

    newest = late[-1]
    body = {"created_at": newest["created_at"], "uuid": newest["uuid"]}
    marked = call("PUT", f"{dev_stack.api_url}/api/message_groups/{group}/read", token=bob.token, body=body)
    assert (marked.status, marked.body["unread_count"]) == (200, 0)
    assert unread(bob) == 0
    assert dev_stack.consistency_problems(timeout=SETTLE_SECONDS) == []
