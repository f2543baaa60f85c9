"""API Gateway's management API for the local WebSocket API: ``POST|GET|DELETE /{stage}/@connections/{id}``.

The push function's botocore ``apigatewaymanagementapi`` client talks to it unchanged, pointed here by
``WEBSOCKET_MANAGEMENT_URL``. It answers as API Gateway does: 410 GoneException for a connection that is not
open, 413 PayloadTooLargeException above 128 KB, errors named in ``x-amzn-ErrorType``. No signature is checked.
"""

import json
import logging
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import unquote, urlsplit

from local.websocket_connections import ConnectionGone, ConnectionRegistry

logger = logging.getLogger(__name__)

MAX_POST_BYTES = 128 * 1024  # API Gateway's limit on one PostToConnection
_CONNECTION_PATH = re.compile(r"(?:/[^/]+)?/@connections/([^/]+)")
_ISO_MILLISECONDS = "%Y-%m-%dT%H:%M:%S.%f"


class ManagementApi:
    """The management API on its own loopback port, served from a background thread."""

    def __init__(self, registry: ConnectionRegistry, stage: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.registry, self.stage = registry, stage
        handler = type("Handler", (_Handler,), {"registry": registry})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
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


class _Handler(BaseHTTPRequestHandler):
    registry: ConnectionRegistry
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects

    def do_POST(self) -> None:
        connection_id = self._connection_id()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._error(HTTPStatus.BAD_REQUEST, "BadRequestException", "Bad Content-Length")
            return
        data = self.rfile.read(length)
        if connection_id is None:
            return
        if length > MAX_POST_BYTES:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PayloadTooLargeException", "Payload too large")
            return
        try:
            self.registry.send(connection_id, data)
        except ConnectionGone:
            self._gone()
            return
        except TimeoutError:  # the client does not read: API Gateway says its buffer is full
            self._error(HTTPStatus.TOO_MANY_REQUESTS, "LimitExceededException", "Limit exceeded")
            return
        self._answer(HTTPStatus.OK, None)

    def do_GET(self) -> None:
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
        connection_id = self._connection_id()
        if connection_id is None:
            return
        try:
            self.registry.close(connection_id)
        except ConnectionGone:
            self._gone()
            return
        self._answer(HTTPStatus.NO_CONTENT, None)

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
