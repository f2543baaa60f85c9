"""API Gateway's management API for the local WebSocket API: ``POST|GET|DELETE /{stage}/@connections/{id}``.

The push function's botocore ``apigatewaymanagementapi`` client talks to it unchanged, pointed here by
``WEBSOCKET_MANAGEMENT_URL``. It answers as API Gateway does: 410 GoneException for a connection that is not
open, 413 PayloadTooLargeException above 128 KB, errors named in ``x-amzn-ErrorType``. No signature is checked.

A post is answered at once: the gateway queues it on the connection (``local/websocket/gateway.py``), so one
client that does not read never holds up the push function. Its callers are the functions, but its input is
checked as any server's: a Content-Length that is not one decimal number, a chunked or otherwise framed body, or
a POST without a length is 400 BadRequestException and the connection closed; a length over 128 KB is 413
unread; a body that does not arrive within the limits of ``local/http_api/request_handler.py`` (5 s idle, 10 s whole) is
408; at most ``MAX_CONNECTIONS`` (64) connections are served at once, one more is 429 LimitExceededException.
"""

import json
import logging
import re
import threading
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import unquote, urlsplit

from local.http_api.request_handler import ConnectionLimits
from local.websocket.connections import ConnectionGone, ConnectionRegistry

logger = logging.getLogger(__name__)

MAX_POST_BYTES = 128 * 1024  # API Gateway's limit on one PostToConnection
MAX_CONNECTIONS = 64  # the push function's botocore pool holds 10
_CONNECTION_PATH = re.compile(r"(?:/[^/]+)?/@connections/([^/]+)")
_ISO_MILLISECONDS = "%Y-%m-%dT%H:%M:%S.%f"
_DIGITS = re.compile(r"[0-9]+")  # not str.isdigit: that also accepts "²", which int() refuses


class ManagementApi:
    """The management API on its own loopback port, served from a background thread."""

    def __init__(self, registry: ConnectionRegistry, stage: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.registry, self.stage = registry, stage
        handler = type("Handler", (_Handler,), {"registry": registry})
        self._server = _Server((host, port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="websocket-management", daemon=True)

    @property
    def url(self) -> str:
        """The endpoint a management API client is given: the stage's URL, as in AWS."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{self.stage}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's 5 would refuse connections in a burst before any is looked at


class _Handler(ConnectionLimits):
    registry: ConnectionRegistry
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    max_connections = MAX_CONNECTIONS
    # The answer's head and body go out in two writes: with Nagle's algorithm the body waits for the client's
    # delayed ACK of the head (up to 40 ms on Linux) on a kept-alive connection. API Gateway answers at once.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        length = self._content_length()
        if length is None:
            return
        try:
            data = self.rfile.read(length)
        except TimeoutError:
            self._refuse(HTTPStatus.REQUEST_TIMEOUT, "RequestTimeoutException", "Request Timeout")
            return
        if len(data) < length:
            return  # the client left inside its body: nobody to answer
        connection_id = self._connection_id()
        if connection_id is None:
            return
        try:
            self.registry.send(connection_id, data)
        except ConnectionGone:
            self._gone()
            return
        except TimeoutError:  # a connection reporting its client's buffer full, as AWS does: 429
            self._error(HTTPStatus.TOO_MANY_REQUESTS, "LimitExceededException", "Limit exceeded")
            return
        self._answer(HTTPStatus.OK, None)

    def _content_length(self) -> int | None:
        """The body's length, or None once a request whose body cannot (or must not) be read is answered."""
        if "Transfer-Encoding" in self.headers:
            self._refuse(HTTPStatus.BAD_REQUEST, "BadRequestException", "Bad Request")
            return None
        announced = {value.strip(" \t") for value in self.headers.get_all("Content-Length") or []}
        if len(announced) != 1 or not _DIGITS.fullmatch(digits := announced.pop()):
            # None (where its body would end is unknown), several, or not one decimal number.
            self._refuse(HTTPStatus.BAD_REQUEST, "BadRequestException", "Bad Request")
            return None
        digits = digits.lstrip("0") or "0"
        # Compared as text first: int() refuses over 4300 digits (CPython's guard), and all such are over the limit.
        if len(digits) > len(str(MAX_POST_BYTES)) or int(digits) > MAX_POST_BYTES:
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PayloadTooLargeException", "Payload too large")
            return None
        return int(digits)

    def _refuse(self, status: HTTPStatus, error_type: str, message: str) -> None:
        """An answer before the body is read: what is left of it cannot be told from a next request."""
        self.close_connection = True
        self._answer(status, {"message": message}, {"x-amzn-ErrorType": error_type, "Connection": "close"})

    def do_GET(self) -> None:
        self._refuse_body()
        connection_id = self._connection_id()
        if connection_id is None:
            return
        try:
            identity, last_active = self.registry.identity(connection_id)
        except ConnectionGone:
            self._gone()
            return
        self._answer(
            HTTPStatus.OK,
            {
                "ConnectedAt": identity.connected_at.strftime(_ISO_MILLISECONDS)[:-3] + "Z",
                "Identity": {"SourceIp": identity.source_ip, "UserAgent": identity.user_agent},
                "LastActiveAt": last_active.strftime(_ISO_MILLISECONDS)[:-3] + "Z",
            },
        )

    def do_DELETE(self) -> None:
        self._refuse_body()
        connection_id = self._connection_id()
        if connection_id is None:
            return
        try:
            self.registry.close(connection_id)
        except ConnectionGone:
            self._gone()
            return
        self._answer(HTTPStatus.NO_CONTENT, None)

    def _refuse_body(self) -> None:
        """GET and DELETE take no body: one sent anyway is left unread, and the connection closed after the answer."""
        if "Transfer-Encoding" in self.headers or (self.headers.get("Content-Length") or "0").strip() != "0":
            self.close_connection = True

    def busy_body(self) -> bytes:
        return json.dumps({"message": "Limit exceeded"}).encode()

    def busy_headers(self) -> dict[str, str]:
        return {"x-amzn-ErrorType": "LimitExceededException"}

    def _connection_id(self) -> str | None:
        found = _CONNECTION_PATH.fullmatch(urlsplit(self.path).path)
        if found is None:
            self._error(HTTPStatus.FORBIDDEN, "ForbiddenException", "Forbidden")
            return None
        return unquote(found.group(1))

    def _gone(self) -> None:
        self._error(HTTPStatus.GONE, "GoneException", "The connection no longer exists")

    def _error(self, status: HTTPStatus, error_type: str, message: str) -> None:
        self._answer(status, {"message": message}, {"x-amzn-ErrorType": error_type})

    def _answer(self, status: HTTPStatus, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("management API: " + format, *args)
