"""A function's environment: every variable the layer reads is named, typed and checked here, and only here.

Each function's entry wrapper (``core/entry.py``) asks at cold start for what that function needs (``Need``), so a
deployment missing a variable fails there with a message naming it, not later with a default that quietly points
at the wrong table, nor as a client's 401. A value is read once per container, the first time it is asked for
(what a function never needs is never required of it); a test that changes a variable calls
``settings.cache_clear()`` so that the next invocation reads it again.
"""

import math
import os
from collections.abc import Callable, Iterable
from enum import Enum
from functools import cache, cached_property

import msgspec


class ConfigurationError(RuntimeError):
    """The function's environment lacks what it needs: a deployment fault, never the client's."""


class Cognito(msgspec.Struct, frozen=True):
    """The pool whose access tokens are accepted, for the code that checks tokens itself: the WebSocket
    authorizer, and any function under ``sam local`` (which emulates no JWT authorizer)."""

    jwks_url: str  # configurable: moto's tokens name the AWS issuer even locally
    issuer: str
    client_ids: tuple[str, ...]
    scopes: tuple[str, ...]  # the HTTP API authorizer's AuthorizationScopes; none: no scope is asked for


class Postgres(msgspec.Struct, frozen=True):
    # Local stacks and tests pass the URL itself; in AWS it lives in SSM Parameter Store (a SecureString).
    connection_url: str | None
    connection_url_parameter: str | None


class Settings:
    """This container's environment, one typed value per need, each read and checked on first use."""

    @cached_property
    def messages_table(self) -> str:
        return _required("MESSAGES_TABLE")

    @cached_property
    def idempotency_table(self) -> str:
        # Only the creating routes use it.
        return _required("IDEMPOTENCY_TABLE")

    @cached_property
    def connections_table(self) -> str:
        # Real-time delivery only: the WebSocket routes and the push function.
        return _required("CONNECTIONS_TABLE")

    @cached_property
    def reports_table(self) -> str:
        # The moderation store: the report route writes it, the operator scripts read and resolve it.
        return _required("REPORTS_TABLE")

    @cached_property
    def rate_limits_table(self) -> str:
        # The sending routes, the read marker and the WebSocket $default route only.
        return _required("RATE_LIMITS_TABLE")

    @cached_property
    def send_rate_limit(self) -> float:
        """Messages a user may send per second, sustained (template parameter SendRateLimit)."""
        return _positive_number("SEND_RATE_LIMIT")

    @cached_property
    def send_burst_limit(self) -> int:
        """Messages a user may send at once after a quiet spell (template parameter SendBurstLimit)."""
        return int(_positive_number("SEND_BURST_LIMIT"))

    @cached_property
    def message_edit_window_seconds(self) -> float:
        """How long after sending its sender may edit a message (template parameter MessageEditWindowSeconds)."""
        return _positive_number("MESSAGE_EDIT_WINDOW_SECONDS")

    @cached_property
    def message_request_limit(self) -> int:
        """Messages the starter of a conversation may send before the other accepts (MessageRequestLimit)."""
        return int(_positive_number("MESSAGE_REQUEST_LIMIT"))

    @cached_property
    def max_connections_per_user(self) -> int:
        """Open WebSocket connections a user may hold; a newer one closes the oldest (MaxConnectionsPerUser)."""
        return int(_positive_number("MAX_CONNECTIONS_PER_USER"))

    @cached_property
    def websocket_management_url(self) -> str:
        """The WebSocket API stage's management endpoint (``https://{api}.execute-api.{region}.{suffix}/{stage}``).

        The push function learns it from its environment: a stream event names no API.
        """
        return _required("WEBSOCKET_MANAGEMENT_URL")

    @cached_property
    def direct_push_management_url(self) -> str:
        """The management endpoint C and D post a new message through before they answer (the direct push).

        The same stage as ``WEBSOCKET_MANAGEMENT_URL`` in AWS; a name of its own so that the local stack can give
        the direct push a failing endpoint while the stream's push keeps the working one (one process hosts both).
        """
        return _required("DIRECT_PUSH_MANAGEMENT_URL")

    @cached_property
    def direct_push_budget_seconds(self) -> float:
        """How long C and D may spend pushing a new message before they answer (template parameter
        DirectPushBudgetMs, in milliseconds); 0 turns the direct push off (the stream's push alone delivers)."""
        return _non_negative_number("DIRECT_PUSH_BUDGET_MS") / 1000

    @cached_property
    def postgres(self) -> Postgres:
        config = Postgres(_optional("CONNECTION_URL"), _optional("CONNECTION_URL_PARAMETER"))
        if config.connection_url is None and config.connection_url_parameter is None:
            raise ConfigurationError(
                "no PostgreSQL is configured: set CONNECTION_URL_PARAMETER (the template does) or CONNECTION_URL"
            )
        return config

    @cached_property
    def cognito(self) -> Cognito:
        jwks_url, issuer = _optional("COGNITO_JWKS_URL"), _optional("COGNITO_ISSUER")
        client_ids = tuple(client for client in (_optional("COGNITO_CLIENT_ID") or "").split(",") if client)
        if jwks_url is None or issuer is None or not client_ids:
            found = {"COGNITO_JWKS_URL": jwks_url, "COGNITO_ISSUER": issuer, "COGNITO_CLIENT_ID": client_ids}
            missing = ", ".join(name for name, value in found.items() if not value)
            raise ConfigurationError(
                f"tokens cannot be checked here: {missing} not set (template.yaml's Globals set them)"
            )
        # Space-separated, as the template writes AuthorizationScopes; unset, no scope is asked for.
        scopes = tuple((_optional("COGNITO_SCOPES") or "").split())
        return Cognito(jwks_url=jwks_url, issuer=issuer, client_ids=client_ids, scopes=scopes)

    @cached_property
    def sam_local(self) -> bool:
        """Whether SAM CLI runs the function: it sets this in its containers; AWS never does."""
        return os.environ.get("AWS_SAM_LOCAL") == "true"

    @cached_property
    def metrics_namespace(self) -> str:
        # Powertools reads its other variables (service name, log level) itself.
        return _optional("POWERTOOLS_METRICS_NAMESPACE") or "CruddurMessages"

    def require(self, needs: Iterable["Need"]) -> None:
        """Reads what ``needs`` name; one ``ConfigurationError`` naming everything missing or malformed."""
        problems: list[str] = []
        for need in dict.fromkeys(needs):
            for read in _READ[need]:
                try:
                    read(self)
                except ConfigurationError as error:
                    problems.append(f"{need.value}: {error}")
        if problems:
            raise ConfigurationError("; ".join(dict.fromkeys(problems)))


class Need(Enum):
    """What a function needs of its environment; its entry wrapper requires each at cold start."""

    MESSAGES = "the messages table"
    IDEMPOTENCY = "the Idempotency-Key records' table"
    POSTGRES = "PostgreSQL (profiles)"
    SEND_LIMITS = "the per-user send limits and their table"
    FRAME_LIMITS = "the limits table (frames per connection)"
    EDIT_WINDOW = "the message edit window"
    REQUEST_LIMIT = "the message request limit"
    CONNECTIONS = "the connections table"
    CONNECTION_CAP = "the per-user connection cap"
    MANAGEMENT = "the WebSocket API's management endpoint"
    DIRECT_PUSH = "the direct push of a new message (its management endpoint and time budget)"
    COGNITO = "the Cognito pool whose tokens are checked"
    REPORTS = "the moderation store (reports table)"


# What each need reads: every value on its own, so that one error names all that is wrong.
_READ: dict[Need, tuple[Callable[[Settings], object], ...]] = {
    Need.MESSAGES: (lambda config: config.messages_table,),
    Need.IDEMPOTENCY: (lambda config: config.idempotency_table,),
    Need.POSTGRES: (lambda config: config.postgres,),
    Need.SEND_LIMITS: (
        lambda config: config.rate_limits_table,
        lambda config: config.send_rate_limit,
        lambda config: config.send_burst_limit,
    ),
    Need.FRAME_LIMITS: (lambda config: config.rate_limits_table,),
    Need.EDIT_WINDOW: (lambda config: config.message_edit_window_seconds,),
    Need.REQUEST_LIMIT: (lambda config: config.message_request_limit,),
    Need.CONNECTIONS: (lambda config: config.connections_table,),
    Need.CONNECTION_CAP: (lambda config: config.max_connections_per_user,),
    Need.MANAGEMENT: (lambda config: config.websocket_management_url,),
    Need.DIRECT_PUSH: (
        lambda config: config.direct_push_management_url,
        lambda config: config.direct_push_budget_seconds,
    ),
    Need.COGNITO: (lambda config: config.cognito,),
    Need.REPORTS: (lambda config: config.reports_table,),
}


@cache
def settings() -> Settings:
    return Settings()


def _optional(name: str) -> str | None:
    # The template declares some variables empty (so that ``sam local --env-vars`` may set them): empty is unset.
    return os.environ.get(name) or None


def _required(name: str) -> str:
    value = _optional(name)
    if value is None:
        raise ConfigurationError(f"the environment variable {name} is not set (template.yaml sets it)")
    return value


def _non_negative_number(name: str) -> float:
    text = _required(name)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise ConfigurationError(f"the environment variable {name} must be a number of at least 0, not {text!r}")
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
