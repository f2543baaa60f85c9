"""The WebSocket routes: the handler every route function wraps, $disconnect, $default and ``typing``.

$connect (the sub the authorizer admitted, to a user, then the connection stored) is ``realtime/connect.py``:
it alone reads PostgreSQL, and $disconnect and $default must not load its driver. $disconnect forgets the
connection by its id alone, as the authorizer's context names a sign-in, not the user whose partition holds it.

Clients only listen (pushes arrive as ``{"type": "messages", ...}`` frames); the one frame they may send is
``{"action": "ping"}``, answered ``{"type": "pong"}``, to keep an idle connection open (API Gateway closes it
after 10 idle minutes). Anything else is answered with an error frame, never a failure. Each connection may send
10 frames at once and one a second after that; a connection that floods is answered ``rate_limited``, then closed.

``{"action": "typing", "message_group_uuid": ...}`` has a route of its own (``answer_typing``): relayed to the
other member (``presence.py``), answered with nothing unless refused. It meets the same expiry and frame limit
first, so typing cannot go round $default's flood rules.
"""

import functools
import math
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging.core.config import Need
from messaging.core.entry import Kind, LambdaHandler, lambda_entry
from messaging.core.errors import (
    InvalidJson,
    InvalidRequest,
    NotAMember,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
)
from messaging.core.json_input import NotJson, parse_json
from messaging.core.observability import logger, metrics
from messaging.limits import gcra
from messaging.realtime import connections, management, presence
from messaging.realtime.event import WebSocketRequest
from messaging.realtime.reply import WebSocketReply

# A ping is a few bytes; API Gateway itself stops frames at 128 KB.
MAX_FRAME_BYTES = 4 * 1024

type Route = Callable[[WebSocketRequest], WebSocketReply]


def _served(event: Mapping[str, Any], answer: dict[str, Any]) -> None:
    request = WebSocketRequest(event)
    logger.info(
        "websocket route served",
        extra={"route": request.route_key, "connection": request.connection_id, "status": answer["statusCode"]},
    )


# API Gateway's WebSocket events carry their request id where REST events do.
WEBSOCKET_ROUTE = Kind(
    correlation_id_path=correlation_paths.API_GATEWAY_REST,
    answer_error=lambda error: WebSocketReply.of_error(error).to_lambda(),
    served=_served,
)


def websocket_handler(route: Route, *needs: Need) -> LambdaHandler:
    """The route's handler; ``needs``: what the route needs of the environment (each route its own)."""

    @functools.wraps(route)
    def serve(event: Mapping[str, Any], _context: LambdaContext) -> dict[str, Any]:
        return route(WebSocketRequest(event)).to_lambda()

    return lambda_entry(serve, WEBSOCKET_ROUTE, needs)


def disconnect(request: WebSocketRequest) -> WebSocketReply:
    """$disconnect: best effort, as API Gateway runs it (a missed one leaves the item to its TTL)."""
    connections.remove_connection(request.connection_id)
    metrics.add_metric(name="WebSocketDisconnections", unit=MetricUnit.Count, value=1)
    return WebSocketReply.ok()


def answer_frame(request: WebSocketRequest) -> WebSocketReply:
    """$default: every frame a client sends. Status 200 always: the frame says what went wrong.

    A connection whose token has expired is closed; every frame, refused ones too, counts against the
    connection's frame limit: past it the frame is answered ``rate_limited``, and a connection that keeps
    flooding is closed (``limits/gcra.py``). Both before the frame is parsed: a flood costs no parsing.
    """
    refused = _admit(request)
    if refused is not None:
        return refused
    try:
        action = _document(request).get("action")
        if action != "ping":
            raise InvalidRequest("The only action is ping.", details=[{"field": "action", "message": 'must be "ping"'}])
    except (InvalidJson, InvalidRequest, PayloadTooLarge) as error:
        return WebSocketReply(200, WebSocketReply.of_error(error).frame)
    return WebSocketReply.ok({"type": "pong"})


def answer_typing(request: WebSocketRequest) -> WebSocketReply:
    """``typing``: the caller is typing in a conversation; relayed to its other member (``presence.py``).

    Admitted as $default admits a frame (expiry, the frame limit), then answered with nothing, whether relayed or
    dropped (throttled, blocked, a message request): only a refusal gets a frame, an error frame as $default's.
    """
    refused = _admit(request)
    if refused is not None:
        return refused
    try:
        group_uuid = _group_uuid(_document(request))
        relay = presence.relay_typing(request.connection_id, group_uuid)
    except (InvalidJson, InvalidRequest, PayloadTooLarge, NotAMember) as error:
        return WebSocketReply(200, WebSocketReply.of_error(error).frame)
    logger.info("typing frame", extra={"connection": request.connection_id, "relay": relay.value})
    if relay is presence.Relay.RELAYED:
        metrics.add_metric(name="TypingRelayed", unit=MetricUnit.Count, value=1)
    return WebSocketReply.ok()


def _admit(request: WebSocketRequest) -> WebSocketReply | None:
    """None when the frame may be looked at; otherwise the answer: the token expired, or past the frame limit."""
    expires_at = request.token_expires_at
    if expires_at is not None and expires_at <= time.time():
        management.close(request.connection_id)  # its $disconnect forgets it
        return WebSocketReply(200, WebSocketReply.of_error(Unauthenticated("Your sign-in has expired.")).frame)
    verdict = gcra.check_frame(request.connection_id)
    if not verdict.allowed:
        if verdict.ahead_ms > gcra.FRAME_LIMIT.tolerance_ms + gcra.FRAME_FLOOD_CLOSE_MS:
            logger.warning("flooding connection closed", extra={"connection": request.connection_id})
            management.close(request.connection_id)
        limited = RateLimited("Too many frames; slow down.", retry_after=math.ceil(verdict.retry_after_ms / 1000))
        return WebSocketReply(200, WebSocketReply.of_error(limited).frame)
    return None


def _document(request: WebSocketRequest) -> dict[str, Any]:
    if request.event.get("isBase64Encoded"):
        raise InvalidJson("Frames must be JSON text, not binary.")
    raw = request.body_bytes()
    if len(raw) > MAX_FRAME_BYTES:
        raise PayloadTooLarge(f"A frame may carry at most {MAX_FRAME_BYTES} bytes.")
    try:
        document = parse_json(raw.decode("utf-8"))
    except (NotJson, UnicodeDecodeError):
        raise InvalidJson('A frame must be a JSON object such as {"action": "ping"}.') from None
    if not isinstance(document, dict):
        raise InvalidJson('A frame must be a JSON object such as {"action": "ping"}.')
    return document


def _group_uuid(document: dict[str, Any]) -> str:
    value = document.get("message_group_uuid")
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidRequest(
            "message_group_uuid must be a UUID.",
            details=[{"field": "message_group_uuid", "message": "must be a UUID"}],
        ) from None
