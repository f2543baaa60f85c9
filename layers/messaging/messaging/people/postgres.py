"""One PostgreSQL connection per warm container, reconnected after a drop; queries are named SQL files."""

import contextlib
from functools import cache
from importlib import resources
from typing import Any

import psycopg2
import psycopg2.extensions

from messaging.core.config import settings
from messaging.core.errors import DependencyUnavailable
from messaging.core.observability import logger
from messaging.people import parameters

_CONNECT_TIMEOUT_SECONDS = 3
_STATEMENT_TIMEOUT_MS = 3000
_connection: psycopg2.extensions.connection | None = None


@cache
def named_query(name: str) -> str:
    return resources.files("messaging.people").joinpath("sql", f"{name}.sql").read_text()


def fetch_one(query_name: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """Runs a named query with bound parameters; one reconnect covers a connection dropped while warm."""
    sql = named_query(query_name)
    for attempt in (1, 2):
        try:
            with _connect().cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
            _forget_connection()
            if attempt == 2:  # noqa: PLR2004
                logger.warning("PostgreSQL unavailable", extra={"error": type(error).__name__})
                raise DependencyUnavailable("The user directory is unavailable; retry shortly.") from error
    return None  # unreachable: the loop returns or raises


def _connect() -> psycopg2.extensions.connection:
    global _connection  # noqa: PLW0603 - the per-container connection is module state by design
    if _connection is None or _connection.closed:
        _connection = psycopg2.connect(
            _connection_url(),
            connect_timeout=_CONNECT_TIMEOUT_SECONDS,
            options=f"-c statement_timeout={_STATEMENT_TIMEOUT_MS}",
            application_name="cruddur-messages",
        )
        # Reads only: autocommit keeps the connection out of an idle open transaction between invocations.
        _connection.autocommit = True
    return _connection


def _forget_connection() -> None:
    global _connection  # noqa: PLW0603
    if _connection is not None:
        with contextlib.suppress(psycopg2.Error):
            _connection.close()
    _connection = None


def _connection_url() -> str:
    config = settings().postgres  # one of the two, or a ConfigurationError (at cold start, for the functions)
    if config.connection_url:
        return config.connection_url
    assert config.connection_url_parameter is not None  # Settings.postgres requires one of the two
    return parameters.secure_string(config.connection_url_parameter)
