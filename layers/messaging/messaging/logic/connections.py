"""A user's WebSocket connections over their lifetime: opened under a cap, closed when expired or past it.

A connection lives no longer than the access token it was opened with (the authorizer hands on the token's
``exp``): it is stored with that expiry, a push closes it instead of posting once it has passed, and $default
closes it at its next frame. A user holds at most MaxConnectionsPerUser connections: opening one more closes the
user's oldest (a forgotten tab, most likely), which is friendlier than refusing the newest (the one in front of
the person) and bounds what one user's sockets cost every push.
"""

import time

from botocore.exceptions import BotoCoreError, ClientError

from messaging.config import settings
from messaging.dal import connections, management_api
from messaging.observability import logger


def open_connection(user_uuid: str, connection_id: str, connected_at: float, token_expires_at: float | None) -> None:
    """Stores the connection, then closes the user's expired connections and the oldest past the cap."""
    connections.add_connection(user_uuid, connection_id, connected_at, token_expires_at)
    cap = settings().max_connections_per_user
    now = time.time()
    stored = connections.connections_of(user_uuid)  # oldest first
    expired = [c for c in stored if c.expired(now) and c.connection_id != connection_id]
    live = [c for c in stored if not c.expired(now) or c.connection_id == connection_id]
    others = [c for c in live if c.connection_id != connection_id]
    past_cap = others[: max(0, len(live) - cap)]
    for connection in expired:
        close_connection(user_uuid, connection.connection_id, reason="token expired")
    for connection in past_cap:
        close_connection(user_uuid, connection.connection_id, reason="over the user's connection limit")


def close_connection(user_uuid: str, connection_id: str, *, reason: str) -> None:
    """Closes a connection on purpose and forgets it; best effort (a miss goes with the item's TTL or a 410)."""
    delivery = management_api.close(connection_id)
    logger.info("connection closed", extra={"connection": connection_id, "reason": reason, "delivery": delivery.value})
    try:
        connections.forget_connection(user_uuid, connection_id)
    except (ClientError, BotoCoreError) as error:
        logger.warning(
            "closed connection not forgotten", extra={"connection": connection_id, "error": type(error).__name__}
        )
