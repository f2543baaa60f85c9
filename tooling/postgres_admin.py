"""Database-level operations (create, drop, load SQL) for the local stack and the bin/db scripts."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

LOCAL_DATABASE = "cruddur"


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise ValueError(f"the connection URL names no database: {redact(url)}")
    return name


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def create_database(url: str) -> bool:
    """Creates the URL's database unless it exists; returns whether it was created."""
    name = database_name(url)
    with _maintenance(url) as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cursor.fetchone():
            return False
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def drop_database(url: str) -> bool:
    """Drops the URL's database, closing its connections first; returns whether it existed."""
    name = database_name(url)
    with _maintenance(url) as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if not cursor.fetchone():
            return False
        cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    return True


def run_sql_files(url: str, *paths: Path) -> None:
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            for path in paths:
                cursor.execute(path.read_text())
    finally:
        connection.close()


@contextmanager
def _maintenance(url: str) -> Iterator[psycopg2.extensions.cursor]:
    """An autocommit cursor on the server's ``postgres`` database (CREATE/DROP DATABASE cannot run elsewhere)."""
    connection = psycopg2.connect(with_database(url, "postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()
