"""Posting to WebSocket connections through API Gateway's management API, and what its answers mean for a push."""

from collections.abc import Callable
from enum import Enum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from messaging.core.aws import is_transient, websocket_management, websocket_management_within
from messaging.core.config import settings

# API Gateway's limit on one PostToConnection (and on one WebSocket message).
MAX_POST_BYTES = 128 * 1024
_TOO_MANY_REQUESTS = 429


class Delivery(Enum):
    SENT = "sent"
    GONE = "gone"  # 410: the connection is closed; its item should go
    RETRY = "retry"  # throttled, 5xx or unreachable after the client's own retries: a later attempt may succeed
    REFUSED = "refused"  # any other answer (403, 413, 400): retrying would get the same


def post(connection_id: str, data: bytes, *, within: float | None = None) -> Delivery:
    """Posts one frame. ``within``: through the direct push's endpoint (``DIRECT_PUSH_MANAGEMENT_URL``), with a
    client that gives up within that many seconds to connect and as many to read, never retrying."""
    if within is None:
        return _delivery(lambda: _stage().post_to_connection(ConnectionId=connection_id, Data=data))
    client = websocket_management_within(settings().direct_push_management_url, within)
    return _delivery(lambda: client.post_to_connection(ConnectionId=connection_id, Data=data))


def close(connection_id: str) -> Delivery:
    """Closes a connection from the server's side (DeleteConnection); its $disconnect then runs. GONE if it was."""
    return _delivery(lambda: _stage().delete_connection(ConnectionId=connection_id))


def _stage() -> Any:
    return websocket_management(settings().websocket_management_url)


def _delivery(call: Callable[[], object]) -> Delivery:
    try:
        call()
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if error.response.get("Error", {}).get("Code") == "GoneException" or status == 410:  # noqa: PLR2004
            return Delivery.GONE
        if status == _TOO_MANY_REQUESTS or is_transient(error):
            return Delivery.RETRY
        return Delivery.REFUSED
    except BotoCoreError:
        return Delivery.RETRY
    return Delivery.SENT
