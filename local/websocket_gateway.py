"""The local WebSocket API: API Gateway's WebSocket API from template.yaml, on the ``websockets`` library.

The upgrade request runs the $connect authorizer and the $connect function in-process with WebSocket-shaped
events, before the handshake completes: no token is 401 without the authorizer (its identity source is
missing), a failing authorizer 401, a Deny 403, a $connect answer other than 2xx that status, all before any
upgrade. Each client message is routed by the template's route selection expression (``$request.body.action``)
to its route or ``$default``; a two-way route's body is sent back. A close, by either side, runs $disconnect.
Limits as API Gateway's: 128 KB messages and 32 KB frames (bigger ones close the connection, code 1009), no
compression. Pushes reach clients through the management API (``local/management_api.py``).
"""

import asyncio
import base64
import fnmatch
import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from local.lambdas import LocalFunctions
from local.websocket_api import Authorizer, WebSocketApi
from local.websocket_connections import ConnectionGone, ConnectionIdentity, ConnectionRegistry
from local.websocket_events import Connection, authorizer_event, connect_event, disconnect_event, message_event

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 128 * 1024
MAX_FRAME_BYTES = 32 * 1024
_SEND_TIMEOUT_SECONDS = 5.0
_STOP_TIMEOUT_SECONDS = 15.0
_IDENTITY_PREFIXES = {"route.request.querystring.": "query", "route.request.header.": "header"}


class WebSocketGateway:
    def __init__(
        self,
        api: WebSocketApi,
        functions: LocalFunctions,
        registry: ConnectionRegistry,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
    ) -> None:
        self.api, self.functions, self.registry = api, functions, registry
        self.host, self.port, self.region = host, port, region
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="websocket-gateway", daemon=True)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/{self.api.stage}"

    def start(self) -> Self:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Closes every connection (code 1001, each running $disconnect), then the listening socket."""
        if self._server is None:
            return
        server, self._server = self._server, None

        async def close() -> None:
            server.close()
            await server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=_STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            logger.warning("WebSocket connections still closing after %.0f s", _STOP_TIMEOUT_SECONDS)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _listen(self) -> Server:
        return await serve(
            self._serve_connection,
            self.host,
            self.port,
            process_request=self._upgrade,
            compression=None,  # API Gateway offers no permessage-deflate
            max_size=(MAX_MESSAGE_BYTES, MAX_FRAME_BYTES),
            ping_interval=None,  # API Gateway answers pings but sends none
            server_header=None,
        )

    # -------------------------------------------------------------------------------------------------------
    # The upgrade: authorizer, then $connect
    # -------------------------------------------------------------------------------------------------------
    async def _upgrade(self, websocket: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        if url.path.rstrip("/") != f"/{self.api.stage}":
            return _refusal(websocket, HTTPStatus.FORBIDDEN, "Forbidden")
        # websockets checks the upgrade only after this hook: a plain GET must not reach the authorizer or $connect.
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return _refusal(websocket, HTTPStatus.UPGRADE_REQUIRED, "Upgrade Required")
        connection = Connection(
            connection_id=_connection_id(),
            api_id=self.api.logical_id,
            stage=self.api.stage,
            domain_name=request.headers.get("Host", f"{self.host}:{self.port}"),
            region=self.region,
            source_ip=str(websocket.remote_address[0]),
            user_agent=request.headers.get("User-Agent", ""),
            connected_at_ms=int(time.time() * 1000),
            headers=tuple(request.headers.raw_items()),
            query=tuple(parse_qsl(url.query, keep_blank_values=True)),
        )
        route = self.api.routes.get("$connect")
        if route is not None and route.authorizer is not None:
            admitted = await self._authorize(websocket, route.authorizer, connection)
            if isinstance(admitted, Response):
                return admitted
            connection = admitted
        if route is not None:
            try:
                result = await self._invoke(route.function, connect_event(connection))
            except Exception:
                logger.exception("$connect function failed")
                return _refusal(websocket, HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")
            status = int((result or {}).get("statusCode", 200))
            if not 200 <= status < 300:  # noqa: PLR2004
                return _refusal(websocket, HTTPStatus(status), HTTPStatus(status).phrase)
        websocket.gateway_connection = connection  # type: ignore[attr-defined] - read by _serve_connection
        return None

    async def _authorize(
        self, websocket: ServerConnection, authorizer: Authorizer, connection: Connection
    ) -> Connection | Response:
        """The connection with the authorizer's context, or API Gateway's refusal."""
        if not all(_has_identity(source, connection) for source in authorizer.identity_sources):
            # API Gateway refuses a request without its identity sources before invoking the authorizer.
            return _refusal(websocket, HTTPStatus.UNAUTHORIZED, "Unauthorized")
        try:
            result = await self._invoke(authorizer.function, authorizer_event(connection))
        except Exception as error:
            if str(error) == "Unauthorized":
                return _refusal(websocket, HTTPStatus.UNAUTHORIZED, "Unauthorized")
            logger.exception("authorizer failed")
            return _refusal(websocket, HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error")
        if not _allows(result, connection.method_arn):
            return _refusal(websocket, HTTPStatus.FORBIDDEN, "Forbidden")
        context = {**(result.get("context") or {}), "principalId": result.get("principalId")}
        return Connection(**{**vars(connection), "authorizer": context})

    # -------------------------------------------------------------------------------------------------------
    # An open connection: messages to routes, and $disconnect at the end
    # -------------------------------------------------------------------------------------------------------
    async def _serve_connection(self, websocket: ServerConnection) -> None:
        connection: Connection = websocket.gateway_connection  # type: ignore[attr-defined]
        identity = ConnectionIdentity(
            datetime.fromtimestamp(connection.connected_at_ms / 1000, UTC), connection.source_ip, connection.user_agent
        )
        self.registry.add(connection.connection_id, _Link(websocket, self._loop), identity)
        try:
            async for message in websocket:
                self.registry.touch(connection.connection_id)
                await self._route_message(websocket, connection, message)
        except ConnectionClosed:
            pass  # a close other than 1000/1001, e.g. 1009 for a message over the limit
        finally:
            self.registry.remove(connection.connection_id)
            await self._disconnected(websocket, connection)

    async def _route_message(self, websocket: ServerConnection, connection: Connection, message: str | bytes) -> None:
        route = self.api.routes.get(self._route_key(message)) or self.api.routes.get("$default")
        if route is None:
            await websocket.send(json.dumps({"message": "Forbidden", "connectionId": connection.connection_id}))
            return
        try:
            result = await self._invoke(route.function, message_event(connection, route.key, message))
        except Exception:
            logger.exception("%s function failed", route.key)
            await websocket.send(
                json.dumps({"message": "Internal server error", "connectionId": connection.connection_id})
            )
            return
        if route.two_way and isinstance(result, dict) and result.get("body") is not None:
            await websocket.send(str(result["body"]))

    def _route_key(self, message: str | bytes) -> str:
        """The route selection expression (``$request.body.<field>``) applied to a message; "" if none applies."""
        expression = self.api.route_selection_expression
        if isinstance(message, bytes) or not expression.startswith("$request.body."):
            return ""
        try:
            document = json.loads(message)
        except ValueError:
            return ""
        for name in expression.removeprefix("$request.body.").split("."):
            document = document.get(name) if isinstance(document, dict) else None
        # The $-routes are not selectable by a message.
        return document if isinstance(document, str) and not document.startswith("$") else ""

    async def _disconnected(self, websocket: ServerConnection, connection: Connection) -> None:
        route = self.api.routes.get("$disconnect")
        if route is None:
            return
        code = websocket.close_code if websocket.close_code is not None else 1006
        try:
            await self._invoke(route.function, disconnect_event(connection, code, websocket.close_reason or ""))
        except Exception:
            logger.exception("$disconnect function failed")  # best effort, as in API Gateway

    async def _invoke(self, function: str, event: dict[str, Any]) -> Any:
        # The functions are synchronous and take the stack's invocation lock: never on the event loop.
        return await asyncio.to_thread(self.functions.invoke, function, event)


class _Link:
    """A connection as the management API sees it: send from any thread, onto the gateway's event loop."""

    def __init__(self, websocket: ServerConnection, loop: asyncio.AbstractEventLoop) -> None:
        self.websocket, self.loop = websocket, loop

    def send(self, data: bytes) -> None:
        try:
            message: str | bytes = data.decode("utf-8")
        except UnicodeDecodeError:
            message = data
        future = asyncio.run_coroutine_threadsafe(self.websocket.send(message), self.loop)
        try:
            future.result(timeout=_SEND_TIMEOUT_SECONDS)
        except ConnectionClosed:
            raise ConnectionGone(self.websocket.id.hex) from None

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.websocket.close(), self.loop).result(timeout=_SEND_TIMEOUT_SECONDS)


def _connection_id() -> str:
    # API Gateway's ids look like "L0SM9cOFvHcCIhw=": 10 random bytes, base64 (URL-safe, so a path can hold it).
    return base64.urlsafe_b64encode(os.urandom(10)).decode()


def _has_identity(source: str, connection: Connection) -> bool:
    """Whether the request carries a non-empty value for an identity source such as route.request.querystring.token."""
    for prefix, where in _IDENTITY_PREFIXES.items():
        if not source.startswith(prefix):
            continue
        name = source.removeprefix(prefix)
        if where == "header":  # header names are case-insensitive, query parameter names are not
            return any(key.lower() == name.lower() and value for key, value in connection.headers)
        return any(key == name and value for key, value in connection.query)
    return False


def _allows(result: Any, method_arn: str) -> bool:
    """An IAM policy allowing execute-api:Invoke on the $connect method, and denying nothing."""
    if not isinstance(result, dict):
        return False
    statements = (result.get("policyDocument") or {}).get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        actions = statement.get("Action")
        resources = statement.get("Resource")
        actions = actions if isinstance(actions, list) else [actions]
        resources = resources if isinstance(resources, list) else [resources]
        applies = any(action in {"execute-api:Invoke", "execute-api:*", "*"} for action in actions) and any(
            _arn_matches(resource, method_arn) for resource in resources
        )
        if applies and statement.get("Effect") == "Deny":
            return False
        allowed = allowed or (applies and statement.get("Effect") == "Allow")
    return allowed


def _arn_matches(pattern: Any, arn: str) -> bool:
    return isinstance(pattern, str) and fnmatch.fnmatchcase(arn, pattern)


def _refusal(websocket: ServerConnection, status: HTTPStatus, message: str) -> Response:
    """API Gateway's answer to a refused upgrade: the status and ``{"message": ...}`` as JSON."""
    response = websocket.respond(status, json.dumps({"message": message}))
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "application/json"
    return response
