"""A parsed API Gateway WebSocket event ($connect, $disconnect or a client's frame)."""

import base64
import math
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any

_SESSION = re.compile(r"[A-Za-z0-9_-]{1,64}")


class WebSocketRequest:
    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event

    @cached_property
    def _context(self) -> Mapping[str, Any]:
        return self.event.get("requestContext") or {}

    @property
    def route_key(self) -> str:
        return str(self._context.get("routeKey", ""))

    @property
    def connection_id(self) -> str:
        return str(self._context.get("connectionId", ""))

    @property
    def connected_at(self) -> float:
        """When the connection opened, in seconds since the epoch (API Gateway gives milliseconds)."""
        return float(self._context.get("connectedAt", 0)) / 1000

    @property
    def sub(self) -> str | None:
        """The Cognito ``sub`` of the token the $connect authorizer checked (its context, which API Gateway hands
        to $connect and every route after it). Which Cruddur user it is, $connect looks up."""
        value = (self._context.get("authorizer") or {}).get("sub")
        return value if isinstance(value, str) and value else None

    @property
    def token_expires_at(self) -> float | None:
        """When the token the connection was opened with expires (seconds since the epoch); None if not told.

        API Gateway may hand the authorizer's context values on as strings, so a number in text is read too.
        """
        value = (self._context.get("authorizer") or {}).get("exp")
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return None
        try:
            seconds = float(value)
        except ValueError:
            return None
        return seconds if math.isfinite(seconds) else None

    @property
    def client_session(self) -> str | None:
        """The client's name for the page or app opening the connection (``?session=``, 1 to 64 of A-Z a-z 0-9 _ -);
        None when it gives none, or one that is not such a name."""
        value = (self.event.get("queryStringParameters") or {}).get("session")
        return value if isinstance(value, str) and _SESSION.fullmatch(value) else None

    def body_bytes(self) -> bytes:
        body = self.event.get("body") or ""
        if self.event.get("isBase64Encoded"):
            try:
                return base64.b64decode(body, validate=True)
            except ValueError:
                return b""
        return body.encode("utf-8", errors="surrogatepass")
