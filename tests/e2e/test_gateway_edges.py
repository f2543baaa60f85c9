"""The local gateway answers the edges of HTTP as an HTTP API does: 4xx with API Gateway's JSON, never a 5xx.

Spoken over raw sockets: these are the requests client libraries refuse to send (bad framing, odd methods,
bodies over the payload quota).
"""

import http.client
from urllib.parse import urlsplit

import pytest

from tests.dev_process import DevStack
from tests.e2e.raw_http import RawResponse, connect, exchange, head_bytes, read_response
from tooling.seed import SEED_GROUP_UUID

NOT_FOUND = {"message": "Not Found"}
LIMIT = 10 * 1024 * 1024  # API Gateway's payload quota, 10485760 bytes
GET_ROUTES = ["/api/message_groups", f"/api/messages/{SEED_GROUP_UUID}"]


@pytest.fixture(scope="module")
def auth(dev_stack: DevStack) -> tuple[str, str]:
    return ("Authorization", f"Bearer {dev_stack.token('andrewbrown')}")


def http_call(stack: DevStack, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(stack.api_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def still_serving(stack: DevStack, auth: tuple[str, str]) -> bool:
    status, _, _ = http_call(stack, "GET", "/api/message_groups", dict([auth]))
    return status == 200


def api_gateway_answer(response: RawResponse, status: int, message: str) -> bool:
    return (response.status, response.headers.get("content-type"), response.json()) == (
        status,
        "application/json",
        {"message": message},
    )


@pytest.mark.parametrize("path", GET_ROUTES)
def test_head_on_a_get_route_is_404_as_an_http_api_route_matches_its_method_only(
    dev_stack: DevStack, auth: tuple[str, str], path: str
) -> None:
    status, headers, body = http_call(dev_stack, "HEAD", path, dict([auth]))
    assert (status, headers["content-type"], body) == (404, "application/json", b"")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/message_groups"),
        ("DELETE", "/api/messages"),
        ("PATCH", f"/api/messages/{SEED_GROUP_UUID}"),
        ("BREW", "/api/message_groups"),  # not even an HTTP method
        ("PUT", "/"),  # the web client's page is GET only
    ],
)
def test_a_method_the_template_does_not_declare_is_404_like_an_unknown_path(
    dev_stack: DevStack, auth: tuple[str, str], method: str, path: str
) -> None:
    for headers in ({}, dict([auth])):
        status, response_headers, body = http_call(dev_stack, method, path, headers)
        assert (status, response_headers["content-type"]) == (404, "application/json")
        assert body == b'{"message": "Not Found"}'


def test_cors_preflight_still_answers_for_the_declared_routes(dev_stack: DevStack) -> None:
    status, headers, _ = http_call(
        dev_stack,
        "OPTIONS",
        "/api/messages",
        {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
    )
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]


def post(chunked_or_length: list[tuple[str, str]], body: bytes, *extra: tuple[str, str]) -> bytes:
    headers = [("Content-Type", "application/json"), *chunked_or_length, *extra]
    return head_bytes("POST", "/api/messages", headers) + body


CHUNKED = [("Transfer-Encoding", "chunked")]


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\n{}\r\n0\r\n\r\n",  # a chunk size that is not hexadecimal
        b"2\r\n{}XX0\r\n\r\n",  # a chunk without its CRLF
        b"10\r\n{}",  # the body ends inside a chunk
        b"FFFFFFFFFFFFFFFF\r\n{}",  # ... of an enormous chunk (this one crashed the whole stack)
        b"-2\r\n{}\r\n0\r\n\r\n",  # a negative size
        b"2\r\n{}\r\n",  # no last chunk
    ],
)
def test_a_malformed_chunked_body_is_400_before_the_authorizer(
    dev_stack: DevStack, auth: tuple[str, str], body: bytes
) -> None:
    for headers in (CHUNKED, [*CHUNKED, auth]):
        assert api_gateway_answer(exchange(dev_stack.api_url, post(headers, body)), 400, "Bad Request")
    assert still_serving(dev_stack, auth)


def test_a_well_formed_chunked_body_reaches_the_function(dev_stack: DevStack, auth: tuple[str, str]) -> None:
    response = exchange(dev_stack.api_url, post([*CHUNKED, auth], b"2\r\n{}\r\n0\r\n\r\n"))
    assert (response.status, response.json()["error"]) == (422, "validation_error")


@pytest.mark.parametrize(
    ("framing", "body"),
    [
        ([("Content-Length", "abc")], b"{}"),
        ([("Content-Length", "-2")], b"{}"),
        ([("Content-Length", "")], b"{}"),
        ([("Content-Length", "0x2")], b"{}"),
        ([("Content-Length", "\xb2")], b"{}"),  # a superscript two: a digit to str.isdigit, not to int()
        ([("Content-Length", "100")], b"{}"),  # fewer bytes than announced, then the client stops sending
        ([("Transfer-Encoding", "gzip")], b"{}"),  # a coding whose end nobody can find
    ],
)
def test_a_body_whose_framing_is_broken_is_400_before_the_authorizer(
    dev_stack: DevStack, auth: tuple[str, str], framing: list[tuple[str, str]], body: bytes
) -> None:
    for headers in (framing, [*framing, auth]):
        assert api_gateway_answer(exchange(dev_stack.api_url, post(headers, body)), 400, "Bad Request")


def test_a_content_length_over_the_payload_limit_is_413_before_any_byte_of_the_body(dev_stack: DevStack) -> None:
    # The body never comes and the connection stays open: only a gateway that refuses unread can answer.
    with connect(dev_stack.api_url) as sock:
        sock.sendall(post([("Content-Length", str(LIMIT + 1))], b""))
        assert api_gateway_answer(read_response(sock), 413, "Request Entity Too Large")


def test_a_content_length_of_thousands_of_digits_is_judged_by_its_value(dev_stack: DevStack) -> None:
    # Python's int() refuses strings of over 4300 digits: those are a 413, never a 500.
    huge = exchange(dev_stack.api_url, post([("Content-Length", "9" * 5000)], b""), half_close=False)
    assert api_gateway_answer(huge, 413, "Request Entity Too Large")
    padded = exchange(dev_stack.api_url, post([("Content-Length", "0" * 5000 + "2")], b"{}"))
    assert api_gateway_answer(padded, 401, "Unauthorized")


def test_a_chunked_body_is_413_as_soon_as_it_passes_the_payload_limit(dev_stack: DevStack) -> None:
    block = b"x" * (1024 * 1024)
    with connect(dev_stack.api_url) as sock:
        sock.sendall(post(CHUNKED, b""))
        for _ in range(LIMIT // len(block) + 1):
            sock.sendall(b"%x\r\n%s\r\n" % (len(block), block))
        # No last chunk: the body has not ended, yet it is already too large.
        assert api_gateway_answer(read_response(sock), 413, "Request Entity Too Large")


def test_a_body_of_exactly_the_payload_limit_reaches_the_authorizer(dev_stack: DevStack) -> None:
    response = exchange(dev_stack.api_url, post([("Content-Length", str(LIMIT))], b"x" * LIMIT))
    assert api_gateway_answer(response, 401, "Unauthorized")


def test_a_path_parameter_with_an_encoded_slash_is_404(dev_stack: DevStack, auth: tuple[str, str]) -> None:
    # API Gateway decodes the path before matching: a%2Fb is two segments, and no route has that many.
    response = exchange(dev_stack.api_url, head_bytes("GET", f"/api/messages/{SEED_GROUP_UUID}%2Fx", [auth]))
    assert (response.status, response.json()) == (404, NOT_FOUND)


type Request = tuple[str, str, list[tuple[str, str]], bytes]


@pytest.mark.parametrize(
    "request_parts",
    [
        ("GET", "/api/messages/%ZZ%", [], b""),  # percent signs that encode nothing
        ("GET", "/api/messages/%00", [], b""),
        ("GET", "/api/messages/a%0Ab%0D", [], b""),
        ("GET", "/api/messages/%ff%fe", [], b""),  # not UTF-8 once decoded
        ("GET", "/api/messages/\xff\xfe", [], b""),  # not even encoded
        ("GET", "/api/messages/%ed%a0%80", [], b""),  # a lone surrogate
        ("GET", "/api/message_groups?limit=%ff&cursor=%00&%ZZ", [], b""),
        ("GET", "/api/message_groups?limit=\xff", [], b""),
        ("GET", "//api//message_groups", [], b""),
        ("GET", "/api/../api/message_groups", [], b""),
        ("GET", "/api/messages/" + "a" * 8000, [], b""),
        ("GET", "/api/message_groups", [("X-Latin", "\xff\xfe")], b""),
        ("GET", "/api/message_groups", [("Cookie", "=; ;;a=\xff")], b""),
        ("GET", "/api/message_groups", [("Content-Length", "2")], b"\xff\xfe"),  # a GET with a binary body
        ("POST", "/api/messages", [("Content-Length", "2")], b"\xff\xfe"),
        ("POST", "/api/messages", [("Content-Length", "2"), ("Content-Type", "application/json; charset=x")], b"{}"),
        ("POST", "/api/messages", [("Content-Length", "5"), ("Content-Type", "multipart/form-data")], b"a=%ZZ"),
        ("POST", "/api/messages", [("Content-Length", "2"), ("Expect", "100-continue")], b"{}"),
        ("POST", "/api/messages", [("Content-Length", "2"), ("Idempotency-Key", "\x01" * 3000)], b"{}"),
        ("OPTIONS", "*", [], b""),
        ("GET", "http://127.0.0.1/api/message_groups", [], b""),  # an absolute URI
    ],
)
def test_no_request_a_client_can_send_yields_a_5xx(
    dev_stack: DevStack, auth: tuple[str, str], request_parts: Request
) -> None:
    method, path, headers, body = request_parts
    for sent in (headers, [*headers, auth]):
        response = exchange(dev_stack.api_url, head_bytes(method, path, sent) + body)
        assert 400 <= response.status < 500 or response.status in {200, 201}, response
    assert still_serving(dev_stack, auth)


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"GET /api/message_groups HTTP/9.9\r\n\r\n", 400, "Bad Request"),  # http.server: 505
        (b"GET /api/message_groups HTTP/2.0\r\n\r\n", 400, "Bad Request"),
        (b"GET /api/message_groups HTTP/x\r\n\r\n", 400, "Bad Request"),
        (b"\x00\x01\x02 garbage\r\n\r\n", 400, "Bad Request"),
        (b"GET /api/a b HTTP/1.1\r\n\r\n", 400, "Bad Request"),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "Request-URI Too Long"),
        (head_bytes("GET", "/api/message_groups", [("X-Big", "a" * 70_000)]), 431, "Request Header Fields Too Large"),
        (
            head_bytes("GET", "/api/message_groups", [(f"X-{n}", "v") for n in range(120)]),
            431,
            "Request Header Fields Too Large",
        ),
    ],
)
def test_a_request_the_server_cannot_parse_is_a_4xx_in_api_gateways_json(
    dev_stack: DevStack, auth: tuple[str, str], raw: bytes, status: int, message: str
) -> None:
    assert api_gateway_answer(exchange(dev_stack.api_url, raw), status, message)
    assert still_serving(dev_stack, auth)


def test_a_client_that_connects_and_leaves_changes_nothing(dev_stack: DevStack, auth: tuple[str, str]) -> None:
    for raw in (b"", b"\r\n\r\n", b"POST /api/messages HTTP/1.1\r\nContent-Length: 5\r\n\r\n{"):
        with connect(dev_stack.api_url) as sock:
            sock.sendall(raw)  # and closes without reading
    assert still_serving(dev_stack, auth)
