"""The local HTTP servers' own refusals and limits, answered as API Gateway answers: a 4xx with a JSON ``{"message"}``.

Before any WSGI code runs, Python's http.server refuses what it cannot parse (a bad request line, an absurd header,
too many headers) with an HTML page, and a request line naming HTTP/2 or later with 505. A client can send any of
these, and no input a client sends may yield a 5xx: a version we cannot speak is a bad request like the others.

Both servers (SAM's werkzeug server for the HTTP API, http.server for the management API) run a thread per
connection; ``ConnectionLimits`` bounds what a client that never finishes its request can hold:

- a connection on which nothing arrives for ``IDLE_SECONDS`` (5 s: before a request, or inside one) is closed;
- a request must arrive whole, head and body, within ``REQUEST_SECONDS`` (10 s) of its first byte, however
  slowly it trickles in, or the connection is closed (a body cut short answers 408 where the body is read);
- at most ``max_connections`` connections are served at once (512 for the HTTP API); one more is answered
  429 ``{"message": "Too Many Requests"}`` at once, unread, and closed, as API Gateway throttles.
"""

import contextlib
import io
import json
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

from werkzeug.serving import WSGIRequestHandler

IDLE_SECONDS = 5.0
REQUEST_SECONDS = 10.0
MAX_HTTP_CONNECTIONS = 512


class _DeadlineReader(io.RawIOBase):
    """A socket's bytes, each read bounded by the idle timeout and by the current request's deadline."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._deadline: float | None = None

    def readable(self) -> bool:
        return True

    def next_request(self) -> None:
        """The next request's clock starts with its first byte."""
        self._deadline = None

    def readinto(self, buffer: Any) -> int:
        timeout = IDLE_SECONDS
        if self._deadline is not None:
            timeout = min(timeout, self._deadline - time.monotonic())
            if timeout <= 0:
                raise TimeoutError("the request did not arrive in time")
        self._connection.settimeout(timeout)
        try:
            count = self._connection.recv_into(buffer)
        finally:
            self._connection.settimeout(IDLE_SECONDS)  # what writes are bounded by
        if count and self._deadline is None:
            self._deadline = time.monotonic() + REQUEST_SECONDS
        return count


class ConnectionLimits(BaseHTTPRequestHandler):
    """Timeouts and a bound on concurrent connections for a threaded http.server handler (see the module)."""

    timeout = IDLE_SECONDS  # StreamRequestHandler applies it to the socket; every read goes through the reader
    max_connections: ClassVar[int] = MAX_HTTP_CONNECTIONS
    _slots: ClassVar[threading.BoundedSemaphore]
    _reader: _DeadlineReader

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._slots = threading.BoundedSemaphore(cls.max_connections)

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the socket's own file: it would keep the socket open after the server closes it
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle(self) -> None:
        if not self._slots.acquire(blocking=False):
            self.refuse_busy()
            return
        try:
            super().handle()
        finally:
            self._slots.release()

    def handle_one_request(self) -> None:
        self._reader.next_request()
        super().handle_one_request()

    def refuse_busy(self) -> None:
        """429, written before anything is read, and the connection closed."""
        body = self.busy_body()
        head = (
            "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
            f"{''.join(f'{name}: {value}\r\n' for name, value in self.busy_headers().items())}"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):  # the client left first
            self.wfile.write(head.encode("latin-1") + body)
        self.close_connection = True

    def busy_body(self) -> bytes:
        return json.dumps({"message": "Too Many Requests"}).encode()

    def busy_headers(self) -> dict[str, str]:
        return {}

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        status = HTTPStatus(code) if code < HTTPStatus.INTERNAL_SERVER_ERROR else HTTPStatus.BAD_REQUEST
        self.log_error("code %d, message %s", code, message or status.phrase)  # the log formatter escapes it
        body = json.dumps({"message": status.phrase}).encode()
        if self.request_version == "HTTP/0.9":
            # http.server's default until it has read a valid version: it would send the body alone, no status line.
            self.request_version = "HTTP/1.1"
        self.close_connection = True
        self.send_response(status, status.phrase)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class GatewayRequestHandler(ConnectionLimits, WSGIRequestHandler):
    pass
