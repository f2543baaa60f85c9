"""Settings read from the environment, the one place that knows the variable names.

Read and checked once, at a function's cold start: a deployment missing a variable fails there with a message
naming it, not later with a default that quietly points at the wrong table.
"""

import math
import os
from functools import cache

import msgspec


class ConfigurationError(RuntimeError):
    """The function's environment lacks what it needs: a deployment fault, never the client's."""


class Settings(msgspec.Struct, frozen=True):
    messages_table: str
    # Local stacks and tests pass the URL itself; in AWS it lives in SSM Parameter Store (a SecureString).
    connection_url: str | None
    connection_url_parameter: str | None

    @property
    def idempotency_table(self) -> str:
        # Only the creating routes use it: required when they are, not by every function.
        return _required("IDEMPOTENCY_TABLE")

    @property
    def connections_table(self) -> str:
        # Real-time delivery only: the WebSocket routes and the push function.
        return _required("CONNECTIONS_TABLE")

    @property
    def rate_limits_table(self) -> str:
        # The sending routes and the WebSocket $default route only.
        return _required("RATE_LIMITS_TABLE")

    @property
    def send_rate_limit(self) -> float:
        """Messages a user may send per second, sustained (template parameter SendRateLimit)."""
        return _positive_number("SEND_RATE_LIMIT")

    @property
    def send_burst_limit(self) -> int:
        """Messages a user may send at once after a quiet spell (template parameter SendBurstLimit)."""
        return int(_positive_number("SEND_BURST_LIMIT"))

    @property
    def max_connections_per_user(self) -> int:
        """Open WebSocket connections a user may hold; a newer one closes the oldest (MaxConnectionsPerUser)."""
        return int(_positive_number("MAX_CONNECTIONS_PER_USER"))

    @property
    def websocket_management_url(self) -> str:
        """The WebSocket API stage's management endpoint (``https://{api}.execute-api.{region}.{suffix}/{stage}``).

        The push function learns it from its environment: a stream event names no API.
        """
        return _required("WEBSOCKET_MANAGEMENT_URL")


@cache
def settings() -> Settings:
    return Settings(
        messages_table=_required("MESSAGES_TABLE"),
        connection_url=os.environ.get("CONNECTION_URL") or None,
        connection_url_parameter=os.environ.get("CONNECTION_URL_PARAMETER") or None,
    )


def running_under_sam_local() -> bool:
    """SAM CLI sets this in its containers; AWS never does."""
    return os.environ.get("AWS_SAM_LOCAL") == "true"


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ConfigurationError(
            f"the environment variable {name} is not set (template.yaml sets it for every function)"
        )
    return value


def _positive_number(name: str) -> float:
    text = _required(name)
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (math.isfinite(value) and value > 0):
        raise ConfigurationError(f"the environment variable {name} must be a positive number, not {text!r}")
    return value
