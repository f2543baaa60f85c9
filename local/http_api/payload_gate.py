"""API Gateway's front door for request bodies, as WSGI middleware around SAM's Flask app.

API Gateway reads a request's whole payload before it routes or authorizes anything, and refuses what it cannot
read: a payload over the HTTP API quota (10 MB, not adjustable) is a 413, a body whose framing is broken (a bogus
Content-Length, a malformed chunked encoding, fewer bytes than announced) is a 400, each a JSON ``{"message"}`` like
its other answers. Both come before the JWT authorizer, so a client without a token gets them too. SAM's emulator
would read any body whole first, and answer 502 (or crash, see ``_chunked``) on broken framing; this gate answers
first and never holds an oversized body: a Content-Length over the limit is refused unread, a chunked body is read
in blocks and refused as soon as it passes the limit. A body that stops arriving (the server's idle and whole-
request timeouts, ``local/http_api/request_handler.py``) is 408 ``{"message": "Request Timeout"}``, never a 500.
"""

import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

type Environ = dict[str, Any]
type StartResponse = Callable[..., Any]
type WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024  # "Payload size: 10 MB" in the HTTP API quotas; AWS reports 10485760 bytes
_BLOCK_BYTES = 64 * 1024
_DIGITS = re.compile(r"[0-9]+")  # not str.isdigit: that also accepts "²", which int() refuses


class _Refused(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


_TOO_LARGE = ("413 Request Entity Too Large", "Request Entity Too Large")
_BAD_REQUEST = ("400 Bad Request", "Bad Request")
_TIMEOUT = ("408 Request Timeout", "Request Timeout")


class PayloadGate:
    """Hands the app a request whose body is whole, framed correctly and within the limit; answers otherwise."""

    def __init__(self, app: WsgiApp, limit_bytes: int = PAYLOAD_LIMIT_BYTES) -> None:
        self.app = app
        self.limit = limit_bytes

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            body = self._body(environ)
        except _Refused as refusal:
            payload = json.dumps({"message": refusal.message}).encode()
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
            # What is left of a refused body cannot be told from a next request.
            start_response(refusal.status, [*headers, ("Connection", "close")])
            return [payload]
        if body is not None:
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    def _body(self, environ: Environ) -> bytes | None:
        # werkzeug's server marks a chunked request's input as self-terminating and dechunks it as it is read.
        if environ.get("wsgi.input_terminated"):
            return self._chunked(environ["wsgi.input"])
        if environ.get("HTTP_TRANSFER_ENCODING"):
            raise _Refused(*_BAD_REQUEST)  # a coding other than chunked: where its body ends is unknowable
        announced = environ.get("CONTENT_LENGTH")
        if announced is None:
            return None
        announced = announced.strip(" \t")
        if not _DIGITS.fullmatch(announced):
            raise _Refused(*_BAD_REQUEST)
        digits = announced.lstrip("0") or "0"
        # Compared as text first: int() refuses over 4300 digits (CPython's guard), and all such are over the limit.
        if len(digits) > len(str(self.limit)) or int(digits) > self.limit:
            raise _Refused(*_TOO_LARGE)
        return _exactly(environ["wsgi.input"], int(digits))

    def _chunked(self, stream: Any) -> bytes:
        blocks: list[bytes] = []
        total = 0
        while True:
            # readinto a memoryview, never read(): werkzeug's dechunker writes a short chunk into the buffer by
            # slice assignment, which shrinks the bytearray read() hands it and then makes CPython copy past its
            # end (a crash of the whole stack for a chunk announced larger than the bytes that follow). A
            # memoryview cannot shrink: the same short chunk is a ValueError, i.e. a 400.
            buffer = memoryview(bytearray(_BLOCK_BYTES))
            try:
                count = stream.readinto(buffer)
            except ConnectionError:
                raise  # the client left: werkzeug drops the connection quietly
            except TimeoutError as error:
                raise _Refused(*_TIMEOUT) from error
            except (OSError, ValueError) as error:
                # OSError: a bad chunk-size line or a missing terminator; ValueError: the body ends inside a chunk.
                raise _Refused(*_BAD_REQUEST) from error
            if not count:
                return b"".join(blocks)
            total += count
            if total > self.limit:
                raise _Refused(*_TOO_LARGE)
            blocks.append(bytes(buffer[:count]))


def _exactly(stream: Any, length: int) -> bytes:
    """The ``length`` bytes the client announced; a body that ends before them is a 400."""
    blocks: list[bytes] = []
    remaining = length
    while remaining:
        try:
            block = stream.read(min(remaining, _BLOCK_BYTES))
        except TimeoutError as error:
            raise _Refused(*_TIMEOUT) from error
        if not block:
            raise _Refused(*_BAD_REQUEST)
        blocks.append(block)
        remaining -= len(block)
    return b"".join(blocks)
