"""A hostile client of the `make dev` stack's HTTP servers: the HTTP API (SAM's emulator on werkzeug) and the
WebSocket API's management API. Half-open connections, requests that trickle in or stop half way, lengths
that lie: each is cut off or refused with API Gateway's JSON, never a 5xx, while other clients are served.

The time bounds are functional ("answered within 2 s while X happens") or generous ceilings over the servers'
own timeouts (5 s idle, 10 s for a whole request: local/http_api/request_handler.py).
"""

import socket
import time

import pytest

from tests.dev_process import DevStack
from tests.e2e.raw_http import RawResponse, connect, exchange, head_bytes, read_response
from tests.e2e.test_gateway_edges import api_gateway_answer
from tests.e2e.test_hostile_realtime import (
    HTTP_PROMPT_SECONDS,
    PROMPT_SECONDS,
    closed_by_server,
    still_open_after,
    timed,
)
from tooling.http_client import call

HALF_OPEN = 300
SERVER_TIMEOUT_CEILING = 30.0  # far above the servers' 5 s / 10 s, far below "forever"
MANAGEMENT_CONNECTIONS = 64  # local/websocket/management_api.py MAX_CONNECTIONS
OVER_128_KB = str(128 * 1024 + 1)


@pytest.fixture(scope="module")
def token(dev_stack: DevStack) -> str:
    return dev_stack.token("andrewbrown")


@pytest.fixture(scope="module")
def management_url(dev_stack: DevStack) -> str:
    return dev_stack.state["websocket_management_url"]


def answer_within(sock: socket.socket, seconds: float) -> RawResponse:
    sock.settimeout(seconds)
    return read_response(sock)


def management_error(response: RawResponse, status: int, error_type: str) -> tuple[int, str | None, bool]:
    return (response.status, response.headers.get("x-amzn-errortype"), "message" in response.json()) == (
        status,
        error_type,
        True,
    )


# -----------------------------------------------------------------------------------------------------------------
# The HTTP API
# -----------------------------------------------------------------------------------------------------------------
def test_half_open_connections_are_cut_off_while_others_are_served(dev_stack: DevStack, token: str) -> None:
    head = head_bytes("GET", "/api/message_groups", [("Authorization", f"Bearer {token}")])
    half_open = []
    try:
        for n in range(HALF_OPEN):
            sock = connect(dev_stack.api_url)
            # Nothing, half a request line, everything but the blank line, or a body announced and never sent.
            sock.sendall(
                [b"", head[:8], head[:-2], head_bytes("POST", "/api/messages", [("Content-Length", "9")])][n % 4]
            )
            half_open.append(sock)
        listed, took = timed(lambda: call("GET", f"{dev_stack.api_url}/api/message_groups", token=token))
        assert (listed.status, took < HTTP_PROMPT_SECONDS) == (200, True), took
        assert still_open_after(half_open, SERVER_TIMEOUT_CEILING) == []
    finally:
        for sock in half_open:
            sock.close()


def test_a_request_trickled_in_is_cut_off_at_the_whole_request_timeout(dev_stack: DevStack, token: str) -> None:
    head = head_bytes("GET", "/api/message_groups", [("Authorization", f"Bearer {token}")])
    with connect(dev_stack.api_url) as sock:
        began = time.monotonic()
        sent = 0
        try:
            while sent < len(head) and time.monotonic() - began < SERVER_TIMEOUT_CEILING:
                sock.sendall(head[sent : sent + 1])  # one byte a second: never idle, never done
                sent += 1
                time.sleep(1)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed while we were still sending
        else:
            assert closed_by_server(sock, within=0.1), f"the server still reads after {sent} bytes"
        assert sent < len(head)


def test_a_body_that_stops_arriving_is_408(dev_stack: DevStack, token: str) -> None:
    head = head_bytes(
        "POST",
        "/api/messages",
        [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"), ("Content-Length", "100")],
    )
    with connect(dev_stack.api_url) as sock:
        sock.sendall(head + b'{"message": ')
        answer = answer_within(sock, SERVER_TIMEOUT_CEILING)
    assert api_gateway_answer(answer, 408, "Request Timeout")


# -----------------------------------------------------------------------------------------------------------------
# The management API
# -----------------------------------------------------------------------------------------------------------------
def post_head(length_headers: list[tuple[str, str]]) -> bytes:
    return head_bytes("POST", "/dev/@connections/nobody%3D", [("Content-Type", "application/json"), *length_headers])


@pytest.mark.parametrize(
    "length_headers",
    [
        [("Content-Length", "-1")],
        [("Content-Length", "abc")],
        [("Content-Length", "1, 2")],
        [("Content-Length", "\N{SUPERSCRIPT TWO}")],
        [("Content-Length", "2"), ("Content-Length", "3")],
        [("Transfer-Encoding", "chunked")],
        [],  # a body with no length: where it ends is unknowable
    ],
    ids=["negative", "not digits", "a list", "superscript", "two lengths", "chunked", "missing"],
)
def test_a_post_whose_length_is_not_one_number_is_400_at_once(management_url: str, length_headers: list) -> None:
    with connect(management_url) as sock:
        sock.sendall(post_head(length_headers) + b"{}")  # no end of stream: an answer cannot wait for one
        answer, took = timed(lambda: answer_within(sock, SERVER_TIMEOUT_CEILING))
    assert management_error(answer, 400, "BadRequestException"), answer
    assert (answer.headers.get("connection"), took < PROMPT_SECONDS) == ("close", True), took


@pytest.mark.parametrize("length", [OVER_128_KB, "9" * 5000])
def test_a_post_over_128_kb_is_413_before_its_body_is_sent(management_url: str, length: str) -> None:
    with connect(management_url) as sock:
        sock.sendall(post_head([("Content-Length", length)]))
        answer, took = timed(lambda: answer_within(sock, SERVER_TIMEOUT_CEILING))
    assert management_error(answer, 413, "PayloadTooLargeException"), answer
    assert took < PROMPT_SECONDS, took


def test_a_post_whose_body_stops_arriving_is_408(management_url: str) -> None:
    with connect(management_url) as sock:
        sock.sendall(post_head([("Content-Length", "10")]) + b"abc")
        answer = answer_within(sock, SERVER_TIMEOUT_CEILING)
    assert management_error(answer, 408, "RequestTimeoutException"), answer


@pytest.mark.parametrize(
    "raw",
    [
        head_bytes("PUT", "/dev/@connections/x"),  # http.server would say 501
        b"GET /dev/@connections/x HTTP/2.0\r\n\r\n",  # and 505
        b"NOT A REQUEST LINE\r\n\r\n",
    ],
    ids=["method", "version", "request line"],
)
def test_what_http_server_refuses_itself_is_a_json_4xx(management_url: str, raw: bytes) -> None:
    answer = exchange(management_url, raw)
    assert answer_is_json_4xx(answer), answer


def answer_is_json_4xx(answer: RawResponse) -> bool:
    return 400 <= answer.status < 500 and answer.headers.get("content-type") == "application/json"


def test_connections_past_the_bound_are_429_at_once_and_the_bound_frees_up(management_url: str) -> None:
    held = [connect(management_url) for _ in range(MANAGEMENT_CONNECTIONS)]
    try:
        time.sleep(0.5)  # each is being served (idle, waiting for its request)
        with connect(management_url) as one_more:
            answer, took = timed(lambda: answer_within(one_more, SERVER_TIMEOUT_CEILING))
        assert management_error(answer, 429, "LimitExceededException"), answer
        assert took < PROMPT_SECONDS
        # The idle ones are cut off after the idle timeout; then there is room again.
        assert still_open_after(held, SERVER_TIMEOUT_CEILING) == []
    finally:
        for sock in held:
            sock.close()
    answer = exchange(management_url, head_bytes("GET", "/dev/@connections/nobody%3D"))
    assert management_error(answer, 410, "GoneException"), answer
