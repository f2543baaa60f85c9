"""A hostile signed-in client of the WebSocket API over the `make dev` stack: it costs only its own connection.

A client that never reads its socket, frames the gateway's own route selection cannot parse, a flood of frames,
handshakes that never finish. Each time the test also shows another member (or user) being served meanwhile;
the time bounds are functional ("within 2 s while X happens"), not measurements.
"""

import base64
import contextlib
import json
import os
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.dev_process import DevStack
from tests.e2e import test_realtime
from tests.e2e.raw_http import READ_TIMEOUT_SECONDS, read_response
from tests.e2e.test_realtime import (
    SETTLE_SECONDS,
    MakeMember,
    Member,
    pushed,
    send,
    start,
    stored_connections,
    wait_until_stored,
)
from tooling.http_client import call

member, sockets = test_realtime.member, test_realtime.sockets  # the fixtures, shared

PROMPT_SECONDS = 2.0  # "served promptly" while the hostile client does its worst: a push, a handshake
# An HTTP request: above a loaded 2-core machine's ~2.5 s, below what a stalled stack took (5 s a post, retried).
HTTP_PROMPT_SECONDS = 4.0
WIDE_TEXT = "\N{GRINNING FACE}" * 1000  # a ~4 KB push frame (four bytes a character)
HALF_OPEN = 300


def ws_address(dev_stack: DevStack) -> tuple[str, int]:
    parts = urlsplit(dev_stack.websocket_url)
    return str(parts.hostname), int(parts.port or 80)


def upgrade_head(dev_stack: DevStack, token: str) -> bytes:
    path = f"{urlsplit(dev_stack.websocket_url).path}?token={token}"
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def never_reading_socket(dev_stack: DevStack, who: Member) -> socket.socket:
    """A WebSocket that completes its handshake and then never reads a byte (its $connect has run)."""
    sock = socket.create_connection(ws_address(dev_stack), timeout=READ_TIMEOUT_SECONDS)
    sock.sendall(upgrade_head(dev_stack, who.token))
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(1)  # byte by byte: nothing after the handshake's answer is read
        assert chunk, answer
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server ends the connection within ``within`` seconds (whatever it sent first is skipped)."""
    deadline = time.monotonic() + within
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            if not sock.recv(65536):
                return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
    return False


def still_open_after(socks: list[socket.socket], seconds: float) -> list[socket.socket]:
    """Those of ``socks`` the server has not closed ``seconds`` from now (one deadline for all of them)."""
    deadline = time.monotonic() + seconds
    return [sock for sock in socks if not closed_by_server(sock, deadline - time.monotonic())]


def frames_until_closed(socket_: ClientConnection) -> list[dict]:
    """What the server sends until it closes the connection (a recv that times out fails the test)."""
    answers = []
    with contextlib.suppress(ConnectionClosed):
        while True:
            answers.append(json.loads(socket_.recv(timeout=SETTLE_SECONDS)))
    return answers


def timed[T](action: Callable[[], T]) -> tuple[T, float]:
    began = time.monotonic()
    result = action()
    return result, time.monotonic() - began


# -----------------------------------------------------------------------------------------------------------------
# A client that never reads
# -----------------------------------------------------------------------------------------------------------------
def test_a_client_that_never_reads_costs_only_its_own_connection(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    bob, carol, dave, erin = member("Bob"), member("Carol"), member("Dave"), member("Erin")
    # Several senders, each within the send rate limit's burst, so that nothing but Bob's socket holds them up.
    senders = [member(f"Sender {n}") for n in range(5)]
    stuck = never_reading_socket(dev_stack, bob)
    carols = sockets(carol)
    to_bob = [start(dev_stack, sender, bob, "the first of many")["message_group_uuid"] for sender in senders]
    to_carol = start(dev_stack, erin, carol, "hello Carol")
    assert pushed(carols, timeout=PROMPT_SECONDS) == [to_carol]
    assert len(stored_connections(dev_stack, bob)) == 1

    sent_to_bob = set()
    for n in range(200):  # ~800 KB for Bob, who reads none of it
        sent_to_bob.add(send(dev_stack, senders[n % 5], to_bob[n % 5], f"{n} {WIDE_TEXT}")["uuid"])
        if n % 20 == 19:
            # Carol's messages keep arriving, and Dave's requests keep being answered, while Bob's pile up.
            reply = send(dev_stack, erin, to_carol["message_group_uuid"], f"still there, Carol? {n}")
            assert pushed(carols, timeout=PROMPT_SECONDS) == [reply], n
            listed, took = timed(lambda: call("GET", f"{dev_stack.api_url}/api/message_groups", token=dave.token))
            assert (listed.status, took < HTTP_PROMPT_SECONDS) == (200, True), (n, took)

    # Bob's connection is closed for not reading, and forgotten: its item is gone.
    assert wait_until_stored(dev_stack, bob, 0) == []
    assert closed_by_server(stuck, within=SETTLE_SECONDS)
    stuck.close()
    # Bob's next connection works like any other.
    bobs = sockets(bob)
    hello = send(dev_stack, senders[0], to_bob[0], "welcome back")
    arrived: list[dict] = []
    deadline = time.monotonic() + PROMPT_SECONDS
    while hello not in arrived:
        arrived += pushed(bobs, timeout=max(0.0, deadline - time.monotonic()))
    # Before it, at most the stream's push of the last messages sent to him, still draining when he came back: a
    # connection gets what is pushed once it is open (his client also reads them with pattern A).
    assert arrived[-1] == hello
    assert {m["uuid"] for m in arrived[:-1]} <= sent_to_bob


# -----------------------------------------------------------------------------------------------------------------
# Frames the gateway's route selection cannot parse
# -----------------------------------------------------------------------------------------------------------------
def test_frames_the_route_selection_cannot_parse_get_an_error_frame_on_a_socket_that_stays_usable(
    dev_stack: DevStack, member: MakeMember
) -> None:
    alice = member("Alice")
    # The gateway's json.loads gives up past ~1,000 levels; $default takes frames of up to 4 KB.
    for frame, error in [
        ("[" * 30000, "payload_too_large"),
        ("[" * 4000, "invalid_json"),
        ('{"action": ' + "[" * 4000, "invalid_json"),
        ("{" + '"a":{' * 800, "invalid_json"),
        ('{"action": ' + "9" * 5000 + "}", "payload_too_large"),
        ('{"action": ' + "9" * 4000 + "}", "validation_error"),
        ('{"action": 1e400}', "invalid_json"),  # infinity: not strict JSON
        ('{"action": {"ping": true}}', "validation_error"),
        ('{"action": "\\ud800"}', "validation_error"),  # a lone surrogate, escaped: valid JSON
        ('{"action": "$connect"}', "validation_error"),  # the $-routes are not selectable
    ]:
        # A socket each: every connection may send only a few frames at once (the $default frame limit).
        with connect(f"{dev_stack.websocket_url}?token={alice.token}", open_timeout=SETTLE_SECONDS) as socket_:
            socket_.send(frame)
            answer = json.loads(socket_.recv(timeout=SETTLE_SECONDS))
            assert (answer["type"], answer["error"]) == ("error", error), frame[:40]
            socket_.send(json.dumps({"action": "ping"}))
            assert json.loads(socket_.recv(timeout=SETTLE_SECONDS)) == {"type": "pong"}, frame[:40]


def test_a_flood_of_frames_is_answered_then_closed_and_only_that_connection(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    alice = member("Alice")
    flooding, calm = sockets(alice, max_queue=None), sockets(alice)
    for n in range(200):
        with contextlib.suppress(ConnectionClosed):  # closed for flooding while we still send
            flooding.send(json.dumps({"action": "ping"}) if n % 2 else "[" * 4000)
    answers = frames_until_closed(flooding)
    assert answers, "no frame was answered"
    assert {answer["type"] for answer in answers} <= {"pong", "error"}
    calm.send(json.dumps({"action": "ping"}))
    assert json.loads(calm.recv(timeout=PROMPT_SECONDS)) == {"type": "pong"}


# -----------------------------------------------------------------------------------------------------------------
# Handshakes that never finish
# -----------------------------------------------------------------------------------------------------------------
def test_half_open_handshakes_are_dropped_and_do_not_lock_others_out(
    dev_stack: DevStack, member: MakeMember, sockets: Callable[..., ClientConnection]
) -> None:
    alice = member("Alice")
    head = upgrade_head(dev_stack, alice.token)
    half_open = []
    for n in range(HALF_OPEN):
        sock = socket.create_connection(ws_address(dev_stack), timeout=READ_TIMEOUT_SECONDS)
        # Nothing at all, half a request line, or everything but the blank line that ends the head.
        sock.sendall([b"", head[:10], head[:-2]][n % 3])
        half_open.append(sock)
    try:
        opened, took = timed(lambda: sockets(alice, open_timeout=PROMPT_SECONDS))
        opened.send(json.dumps({"action": "ping"}))
        assert json.loads(opened.recv(timeout=PROMPT_SECONDS)) == {"type": "pong"}
        assert took < PROMPT_SECONDS
        assert still_open_after(half_open, SETTLE_SECONDS) == []
    finally:
        for sock in half_open:
            sock.close()
    # None of them reached $connect: only the one real connection is stored.
    assert len(stored_connections(dev_stack, alice)) == 1


def test_the_upgrade_answer_is_still_http_for_a_half_open_handshake_that_finishes(dev_stack: DevStack) -> None:
    # A head that arrives slowly, but within the open timeout, is answered as any other (here: no token).
    with socket.create_connection(ws_address(dev_stack), timeout=READ_TIMEOUT_SECONDS) as sock:
        head = upgrade_head(dev_stack, "").replace(b"?token=", b"")
        for part in (head[:20], head[20:]):
            sock.sendall(part)
            time.sleep(1)
        answer = read_response(sock)
    assert (answer.status, answer.json()) == (401, {"message": "Unauthorized"})
