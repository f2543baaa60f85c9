"""Settings read from the environment, the one place that knows the variable names.

Read and checked once, at a function's cold start: a deployment missing a variable fails there with a message
naming it, not later with a default that quietly points at the wrong table.
"""

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
