"""A user's WebSocket connections over their lifetime: opened under a cap, closed when expired or past it.

A connection lives no longer than the access token it was opened with (the authorizer hands on the token's
``exp``): it is stored with that expiry, a push closes it instead of posting once it has passed, and $default
closes it at its next frame. A user holds at most MaxConnectionsPerUser connections: opening one more closes the
user's oldest (a forgotten tab, most likely), which is friendlier than refusing the newest (the one in front of
the person) and bounds what one user's sockets cost every push.
"""

import time
from collections.abc import Sequence

from messaging.core.config import settings
from messaging.core.observability import logger
from messaging.realtime import connections, management
from messaging.realtime.connections import OpenConnection


def open_connection(
    user_uuid: str,
    connection_id: str,
    connected_at: float,
    token_expires_at: float | None,
    client_session: str | None = None,
) -> None:
    """Stores the connection, then closes the user's expired connections and, past the cap, older ones."""
    connections.add_connection(user_uuid, connection_id, connected_at, token_expires_at, client_session)
    now = time.time()
    stored = connections.connections_of(user_uuid)  # oldest first
    for connection in stored:
        if connection.expired(now) and connection.connection_id != connection_id:
            close_connection(user_uuid, connection.connection_id, reason="token expired")
    live = [c for c in stored if not c.expired(now) or c.connection_id == connection_id]
    for connection in past_the_cap(live, connection_id, client_session, settings().max_connections_per_user):
        close_connection(user_uuid, connection.connection_id, reason="over the user's connection limit")


def past_the_cap(
    live: Sequence[OpenConnection], new_connection_id: str, client_session: str | None, cap: int
) -> list[OpenConnection]:
    """Which of a user's live connections (oldest first) to close so that ``cap`` remain, the new one among them.

    The new connection's own predecessors go first: a page renewing its connection (its token is about to expire)
    opens the new one before it closes the old, and closing another page's connection for that overlap would make
    a user with ``cap`` pages close one page's connection at every renewal, that page then another's, and so on.
    Then the oldest of the others: most likely a forgotten tab.
    """
    excess = len(live) - cap
    if excess <= 0:
        return []
    others = [c for c in live if c.connection_id != new_connection_id]
    same_page = [c for c in others if client_session is not None and c.client_session == client_session]
    return (same_page + [c for c in others if c not in same_page])[:excess]


def close_connection(user_uuid: str, connection_id: str, *, reason: str) -> None:
    """Closes a connection on purpose and forgets it; best effort (a miss goes with the item's TTL or a 410)."""
    delivery = management.close(connection_id)
    logger.info("connection closed", extra={"connection": connection_id, "reason": reason, "delivery": delivery.value})
    try:
        connections.forget_connection(user_uuid, connection_id)
    except connections.STORE_FAILURES as error:
        logger.warning(
            "closed connection not forgotten", extra={"connection": connection_id, "error": type(error).__name__}
        )
