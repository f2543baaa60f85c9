"""Open WebSocket connections (``CONNECTIONS_TABLE``): ``user_uuid`` (pk), ``connection_id`` (sk), ``connected_at``,
``expires_at`` (TTL).

A user has one item per open connection (a phone and a laptop, two tabs), so a push finds all of a member's
connections with one Query on the member's partition. $disconnect knows only the connection's id (the authorizer's
context names a Cognito sign-in, not a user), so the KEYS_ONLY GSI ``connection-id-index`` (HASH connection_id)
finds the item's keys for it. A connection expires with the access token it was opened with (or API Gateway's
2 hours, if sooner): push skips and closes an expired one, so a socket never outlives its sign-in.
"""

import time
from contextlib import AbstractContextManager

import msgspec
from botocore.exceptions import ClientError

from messaging.core.aws import dynamodb, error_code, store_call
from messaging.core.config import settings
from messaging.core.errors import DependencyUnavailable

# API Gateway closes every WebSocket connection after 2 hours: no item outlives its connection by more than
# DynamoDB's TTL sweep, even when $disconnect never ran (it is best effort).
CONNECTION_LIFETIME_SECONDS = 2 * 60 * 60
# A post to a connection still inside its $connect answers 410 like a closed one; a connection this young is
# never deleted for a 410, so a push racing the connect cannot unsubscribe it.
_CONNECTING_GRACE_SECONDS = 30
# template.yaml's GSI of ConnectionsTable: connection_id -> the item's keys.
CONNECTION_ID_INDEX = "connection-id-index"


class ConnectionStoreRefused(Exception):
    """DynamoDB refused a call on the connections table (a misconfiguration or a bug: retrying gets the same).

    Not a ``MessagingError``: where it reaches an answer ($connect, $disconnect) it is a 500, as any bug is.
    """


# What a call to the connections table fails with, once botocore's errors are read: busy or unreachable
# (``DependencyUnavailable``, a 503 where it reaches an answer: a retry may pass) or refused. Best-effort callers
# (push, closing a connection) catch these and nothing else.
STORE_FAILURES = (DependencyUnavailable, ConnectionStoreRefused)


def _table_call() -> AbstractContextManager[None]:
    return store_call("connection store", ConnectionStoreRefused)


class OpenConnection(msgspec.Struct, frozen=True):
    connection_id: str
    connected_at: float  # seconds since the epoch, to the millisecond: which of a burst of connects came first
    expires_at: int  # likewise: the token's expiry, or the 2 hours, whichever comes first
    # The client's name for the page or app that opened it (``?session=``): a page renewing its connection opens
    # the new one before it closes the old, and both carry the same session.
    client_session: str | None = None

    def expired(self, now: float) -> bool:
        return self.expires_at <= now


def add_connection(
    user_uuid: str,
    connection_id: str,
    connected_at: float,
    token_expires_at: float | None,
    client_session: str | None = None,
) -> int:
    """Stores a connection (times in seconds since the epoch); returns when it expires."""
    expires_at = int(connected_at) + CONNECTION_LIFETIME_SECONDS
    if token_expires_at is not None:
        expires_at = min(expires_at, int(token_expires_at))
    item = {
        "user_uuid": {"S": user_uuid},
        "connection_id": {"S": connection_id},
        "connected_at": {"N": f"{connected_at:.3f}"},
        "expires_at": {"N": str(expires_at)},
    }
    if client_session is not None:
        item["client_session"] = {"S": client_session}
    with _table_call():
        dynamodb().put_item(TableName=settings().connections_table, Item=item)
    return expires_at


def remove_connection(connection_id: str) -> int:
    """Forgets a connection by its id alone ($disconnect): one Query on ``connection-id-index``, then a DeleteItem
    of each item found (normally one; ids are unique). Returns how many were deleted.

    A GSI is eventually consistent: a disconnect within moments of its connect may not find the item yet. It then
    goes as when $disconnect never runs: with its TTL, or when a push finds the connection gone (410).
    """
    table = settings().connections_table
    with _table_call():
        found = dynamodb().query(
            TableName=table,
            IndexName=CONNECTION_ID_INDEX,
            KeyConditionExpression="connection_id = :connection",
            ExpressionAttributeValues={":connection": {"S": connection_id}},
        )
        items = found.get("Items", [])
        for item in items:
            dynamodb().delete_item(
                TableName=table,
                Key={"user_uuid": item["user_uuid"], "connection_id": item["connection_id"]},
            )
    return len(items)


def user_of_connection(connection_id: str) -> str | None:
    """The uuid of the user whose connection this is (one Query on ``connection-id-index``); None if not stored.

    What a route after $connect knows of its caller: the authorizer's context names a sign-in, and only $connect
    (which reads PostgreSQL) maps it to a user, storing the result as the item's partition. Eventually
    consistent, as for $disconnect: a frame within moments of its connect may find nothing yet.
    """
    with _table_call():
        found = dynamodb().query(
            TableName=settings().connections_table,
            IndexName=CONNECTION_ID_INDEX,
            KeyConditionExpression="connection_id = :connection",
            ExpressionAttributeValues={":connection": {"S": connection_id}},
            Limit=1,
        )
    items = found.get("Items", [])
    return str(items[0]["user_uuid"]["S"]) if items else None


def remove_gone_connection(user_uuid: str, connection_id: str, now: float | None = None) -> bool:
    """Deletes a connection the management API called gone, unless it is young enough to be still connecting.

    Returns whether it was deleted. One conditional DeleteItem, no read.
    """
    cutoff = int(time.time() if now is None else now) - _CONNECTING_GRACE_SECONDS
    with _table_call():
        try:
            dynamodb().delete_item(
                TableName=settings().connections_table,
                Key={"user_uuid": {"S": user_uuid}, "connection_id": {"S": connection_id}},
                ConditionExpression="attribute_not_exists(connected_at) OR connected_at < :cutoff",
                ExpressionAttributeValues={":cutoff": {"N": str(cutoff)}},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
    return True


def forget_connection(user_uuid: str, connection_id: str) -> None:
    """Deletes a connection's item (one closed on purpose: expired, or past the user's cap)."""
    with _table_call():
        dynamodb().delete_item(
            TableName=settings().connections_table,
            Key={"user_uuid": {"S": user_uuid}, "connection_id": {"S": connection_id}},
        )


def connections_of(user_uuid: str) -> list[OpenConnection]:
    """The user's stored connections, expired ones included (whoever reads them closes those): one Query (more
    only past 1 MB of them), oldest first."""
    request = {
        "TableName": settings().connections_table,
        "KeyConditionExpression": "user_uuid = :user",
        "ProjectionExpression": "connection_id, connected_at, expires_at, client_session",
        "ExpressionAttributeValues": {":user": {"S": user_uuid}},
    }
    found: list[OpenConnection] = []
    while True:
        with _table_call():
            page = dynamodb().query(**request)
        found += [_open_connection(item) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return sorted(found, key=lambda connection: (connection.connected_at, connection.connection_id))
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _open_connection(item: dict[str, dict[str, str]]) -> OpenConnection:
    # Items written before connected_at existed count as old as can be (first to go past the cap).
    connected_at = float(item.get("connected_at", {}).get("N", "0"))
    expires_at = int(item.get("expires_at", {}).get("N", str(int(connected_at) + CONNECTION_LIFETIME_SECONDS)))
    session = item.get("client_session", {}).get("S")
    return OpenConnection(item["connection_id"]["S"], connected_at, expires_at, session)
