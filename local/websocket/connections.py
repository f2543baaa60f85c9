"""The open WebSocket connections of the local API, by connection id: what the management API posts to.

The gateway adds a connection once its $connect succeeded and removes it when it closes; the management API
(another thread) sends through it. A connection not (or no longer) here is gone, as API Gateway says with 410.
"""

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class ConnectionGone(Exception):
    pass


class LiveConnection(Protocol):
    def send(self, data: bytes) -> None:
        """Delivers one message to the client; raises ``ConnectionGone`` if it closed meanwhile."""

    def close(self) -> None:
        """Closes the connection from the server's side (its $disconnect then runs)."""


@dataclass(frozen=True)
class ConnectionIdentity:
    connected_at: datetime
    source_ip: str
    user_agent: str


class ConnectionRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: dict[str, tuple[LiveConnection, ConnectionIdentity]] = {}
        self._last_active: dict[str, datetime] = {}
        # Successful posts per connection: what the push tests and the benchmark count.
        self.posts: Counter[str] = Counter()

    def add(self, connection_id: str, connection: LiveConnection, identity: ConnectionIdentity) -> None:
        with self._lock:
            self._connections[connection_id] = (connection, identity)
            self._last_active[connection_id] = identity.connected_at

    def remove(self, connection_id: str) -> None:
        with self._lock:
            self._connections.pop(connection_id, None)
            self._last_active.pop(connection_id, None)

    def touch(self, connection_id: str) -> None:
        """The client sent something (API Gateway's LastActiveAt)."""
        with self._lock:
            if connection_id in self._last_active:
                self._last_active[connection_id] = datetime.now(UTC)

    def identity(self, connection_id: str) -> tuple[ConnectionIdentity, datetime]:
        """When and from where the connection opened, and when the client last sent something."""
        with self._lock:
            if connection_id not in self._connections:
                raise ConnectionGone(connection_id)
            return self._connections[connection_id][1], self._last_active[connection_id]

    def send(self, connection_id: str, data: bytes) -> None:
        with self._lock:
            found = self._connections.get(connection_id)
        if found is None:
            raise ConnectionGone(connection_id)
        found[0].send(data)
        with self._lock:
            self.posts[connection_id] += 1

    def close(self, connection_id: str) -> None:
        with self._lock:
            found = self._connections.get(connection_id)
        if found is None:
            raise ConnectionGone(connection_id)
        found[0].close()
