"""The local WebSocket API: API Gateway's WebSocket API from template.yaml, on the ``websockets`` library.

The upgrade request runs the $connect authorizer and the $connect function in-process with WebSocket-shaped
events, before the handshake completes: no token is 401 without the authorizer (its identity source is
missing), a failing authorizer 401, a Deny 403, a $connect answer other than 2xx that status, all before any
upgrade. Each client message is routed by the template's route selection expression (``$request.body.action``)
to its route or ``$default``; a two-way route's body is sent back. A close, by either side, runs $disconnect.
Limits as API Gateway's: 128 KB messages and 32 KB frames (bigger ones close the connection, code 1009), no
compression. Pushes reach clients through the management API (``local/websocket/management_api.py``).

A hostile client costs only its own connection:

- Whatever it sends, the gateway itself never raises: a frame its route selection cannot parse (not JSON, nested
  past the parser's depth, binary, an ``action`` that is not a string) goes to ``$default``, whose function
  answers an error frame. Text that is not UTF-8 is refused by websockets itself (close 1007), as the RFC says.
- Everything sent to a connection (pushes and route answers) goes through its own outbox: a post is queued and
  answered at once, never waiting on the socket. Up to ``MAX_QUEUED_BYTES`` (256 KB, two of API Gateway's
  largest messages) may wait, on top of websockets' 32 KB write buffer and the socket's own (fixed at 64 KB,
  which Linux doubles); a client that lets more pile up is not reading, and is closed with 1008 (policy
  violation). AWS answers such posts 429
  LimitExceededException ("the WebSocket client side buffer is full") and the client is eventually dropped;
  here the post that overflows and every later one are 410 GoneException, the answer the push function acts
  on (it forgets the connection).
- The opening handshake, the authorizer and $connect included, must be done within ``OPEN_TIMEOUT_SECONDS``
  (5 s), or the TCP connection is dropped; a close is given ``CLOSE_TIMEOUT_SECONDS`` (3 s) for the client's
  answer before the connection is aborted, a client that does not read included. Up to 16 received frames wait
  for their route while one runs (websockets' ``max_queue``), then the socket is not read until one is done.
"""

import asyncio
import base64
import contextlib
import fnmatch
import json
import logging
import os
import socket
import threading
import time
from collections import deque
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from local.runtime.lambdas import LocalFunctions
from local.websocket.api import Authorizer, WebSocketApi
from local.websocket.connections import ConnectionGone, ConnectionIdentity, ConnectionRegistry
from local.websocket.events import Connection, authorizer_event, connect_event, disconnect_event, message_event

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 128 * 1024
MAX_FRAME_BYTES = 32 * 1024
MAX_QUEUED_BYTES = 256 * 1024  # per connection, waiting for the socket; past it the client is not reading
# The socket's own send buffer, fixed (the kernel doubles it): Linux would otherwise grow it to megabytes for a
# client that never reads, and the queue's bound would never be reached.
SOCKET_SEND_BUFFER_BYTES = 64 * 1024
WRITE_LIMIT_BYTES = 32 * 1024  # websockets' write buffer (its default), on top of the queue
MAX_RECEIVED_FRAMES = 16  # websockets' max_queue (its default): frames read ahead of their route
OPEN_TIMEOUT_SECONDS = 5.0
CLOSE_TIMEOUT_SECONDS = 3.0
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
            # websockets' own close of each connection would wait forever on one whose client does not read.
            await asyncio.gather(
                *(_close_within(connection, CloseCode.GOING_AWAY, "") for connection in server.connections)
            )
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
            max_queue=MAX_RECEIVED_FRAMES,
            write_limit=WRITE_LIMIT_BYTES,
            open_timeout=OPEN_TIMEOUT_SECONDS,
            close_timeout=CLOSE_TIMEOUT_SECONDS,
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
        raw_socket = websocket.transport.get_extra_info("socket")
        if raw_socket is not None:
            raw_socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_SEND_BUFFER_BYTES)
        link = _Link(websocket, self._loop)
        writer = asyncio.create_task(link.write())
        self.registry.add(connection.connection_id, link, identity)
        try:
            async for message in websocket:
                self.registry.touch(connection.connection_id)
                await self._route_message(link, connection, message)
        except ConnectionClosed:
            pass  # a close other than 1000/1001, e.g. 1009 for a message over the limit
        finally:
            self.registry.remove(connection.connection_id)
            link.closed()
            writer.cancel()
            await self._disconnected(websocket, connection)

    async def _route_message(self, link: "_Link", connection: Connection, message: str | bytes) -> None:
        route = self.api.routes.get(self._route_key(message)) or self.api.routes.get("$default")
        answer: str | None = None
        if route is None:
            answer = json.dumps({"message": "Forbidden", "connectionId": connection.connection_id})
        else:
            try:
                result = await self._invoke(route.function, message_event(connection, route.key, message))
            except Exception:
                logger.exception("%s function failed", route.key)
                answer = json.dumps({"message": "Internal server error", "connectionId": connection.connection_id})
            else:
                if route.two_way and isinstance(result, dict) and result.get("body") is not None:
                    answer = str(result["body"])
        if answer is not None:
            # Closed meanwhile, or for not reading: the loop ends with the connection.
            with contextlib.suppress(ConnectionGone):
                link.send(answer.encode())  # behind any pushes queued before it, within the same bound

    def _route_key(self, message: str | bytes) -> str:
        """The route selection expression (``$request.body.<field>``) applied to a message; "" if none applies."""
        expression = self.api.route_selection_expression
        if isinstance(message, bytes) or not expression.startswith("$request.body."):
            return ""
        try:
            document = json.loads(message)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth: $default answers
            return ""
        for name in expression.removeprefix("$request.body.").split("."):
            document = document.get(name) if isinstance(document, dict) else None
        # The $-routes are not selectable by a message.
        return document if isinstance(document, str) and not document.startswith("$") else ""

    async def _disconnected(self, websocket: ServerConnection, connection: Connection) -> None:
        route = self.api.routes.get("$disconnect")
        if route is None:
            return
        try:
            await self._invoke(route.function, disconnect_event(connection, *_close_status(websocket)))
        except Exception:
            logger.exception("$disconnect function failed")  # best effort, as in API Gateway

    async def _invoke(self, function: str, event: dict[str, Any]) -> Any:
        # The functions are synchronous and take the stack's invocation lock: never on the event loop.
        return await asyncio.to_thread(self.functions.invoke, function, event)


class _Link:
    """A connection as the management API sees it: a bounded outbox, filled from any thread, emptied by one task.

    ``send`` never waits on the socket: it queues the message (or refuses it, ``ConnectionGone``, once the
    connection is closing) and returns. ``write`` runs on the gateway's loop for as long as the connection lives.
    """

    def __init__(self, websocket: ServerConnection, loop: asyncio.AbstractEventLoop) -> None:
        self.websocket, self.loop = websocket, loop
        self._lock = threading.Lock()  # send runs on the management API's threads, write on the loop
        self._queue: deque[tuple[str | bytes, int]] = deque()
        self._queued_bytes = 0  # including the message being written
        self._open = True
        self._ready = asyncio.Event()

    def send(self, data: bytes) -> None:
        try:
            message: str | bytes = data.decode("utf-8")
        except UnicodeDecodeError:
            message = data
        with self._lock:
            if not self._open:
                raise ConnectionGone(self.websocket.id.hex)
            overflow = self._queued_bytes > 0 and self._queued_bytes + len(data) > MAX_QUEUED_BYTES
            if overflow:
                self._open = False
            else:
                self._queue.append((message, len(data)))
                self._queued_bytes += len(data)
        if overflow:
            logger.warning("a WebSocket client is not reading (%d bytes waiting): closing it", self._queued_bytes)
            self._on_loop(self._close, CloseCode.POLICY_VIOLATION, "Client does not read")
            raise ConnectionGone(self.websocket.id.hex)
        self._on_loop(self._ready.set)

    def close(self) -> None:
        """DeleteConnection: answered at once; the close handshake follows, bounded like any other."""
        with self._lock:
            if not self._open:
                raise ConnectionGone(self.websocket.id.hex)
            self._open = False
        self._on_loop(self._close, CloseCode.NORMAL_CLOSURE, "")

    def closed(self) -> None:
        """The connection is over: later posts are 410."""
        with self._lock:
            self._open = False

    async def write(self) -> None:
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                while True:
                    with self._lock:
                        if not self._queue:
                            break
                        message, size = self._queue[0]
                    await self.websocket.send(message)  # waits while websockets' write buffer is full
                    with self._lock:
                        self._queue.popleft()
                        self._queued_bytes -= size
        except ConnectionClosed:
            self.closed()

    def _close(self, code: CloseCode, reason: str) -> None:
        self.loop.create_task(_close_within(self.websocket, code, reason))

    def _on_loop(self, callback: Any, *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the gateway's loop has stopped: every connection is gone
            self.loop.call_soon_threadsafe(callback, *args)


async def _close_within(websocket: ServerConnection, code: CloseCode, reason: str) -> None:
    """The close handshake, or, if the client does not take part within the close timeout, the socket dropped.

    websockets' own close first waits for its write buffer to drain, which never happens with a client that
    does not read.
    """
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
            await websocket.close(code, reason)
    except TimeoutError:
        websocket.transport.abort()


def _close_status(websocket: ServerConnection) -> tuple[int, str]:
    """The close code and reason $disconnect reports: the client's, else ours (its socket dropped), else 1006."""
    frame = websocket.protocol.close_rcvd or websocket.protocol.close_sent
    return (frame.code, frame.reason) if frame is not None else (CloseCode.ABNORMAL_CLOSURE, "")


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
