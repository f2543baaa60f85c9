"""Events exactly as API Gateway's WebSocket API delivers them: the REQUEST authorizer's input and the
CONNECT, MESSAGE and DISCONNECT proxy events (see the API Gateway developer guide's examples)."""

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

LOCAL_ACCOUNT = "000000000000"


@dataclass(frozen=True)
class Connection:
    """What API Gateway knows of a connection from its upgrade request on."""

    connection_id: str
    api_id: str
    stage: str
    domain_name: str
    region: str
    source_ip: str
    user_agent: str
    connected_at_ms: int
    headers: tuple[tuple[str, str], ...]  # as the client sent them, repeats included
    query: tuple[tuple[str, str], ...]
    authorizer: dict[str, Any] = field(default_factory=dict)  # the authorizer's context, once admitted

    @property
    def method_arn(self) -> str:
        return f"arn:aws:execute-api:{self.region}:{LOCAL_ACCOUNT}:{self.api_id}/{self.stage}/$connect"


def authorizer_event(connection: Connection) -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": connection.method_arn,
        **_request_parts(connection),
        "stageVariables": {},
        "requestContext": _context(connection, "$connect", "CONNECT"),
    }


def connect_event(connection: Connection) -> dict[str, Any]:
    return {
        **_request_parts(connection),
        "requestContext": _context(connection, "$connect", "CONNECT"),
        "isBase64Encoded": False,
    }


def message_event(connection: Connection, route_key: str, body: str | bytes) -> dict[str, Any]:
    binary = isinstance(body, bytes)
    context = _context(connection, route_key, "MESSAGE")
    context["messageId"] = base64.urlsafe_b64encode(uuid.uuid4().bytes[:10]).decode()
    return {
        "requestContext": context,
        "body": base64.b64encode(body).decode() if binary else body,
        "isBase64Encoded": binary,
    }


def disconnect_event(connection: Connection, status_code: int, reason: str) -> dict[str, Any]:
    context = _context(connection, "$disconnect", "DISCONNECT")
    context.update(disconnectStatusCode=status_code, disconnectReason=reason)
    return {
        "headers": {"Host": connection.domain_name, "x-api-key": ""},
        "multiValueHeaders": {"Host": [connection.domain_name], "x-api-key": [""]},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def _request_parts(connection: Connection) -> dict[str, Any]:
    parts: dict[str, Any] = {"headers": _single(connection.headers), "multiValueHeaders": _multi(connection.headers)}
    if connection.query:  # API Gateway leaves both out when the URL has no query string
        parts["queryStringParameters"] = _single(connection.query)
        parts["multiValueQueryStringParameters"] = _multi(connection.query)
    return parts


def _context(connection: Connection, route_key: str, event_type: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": base64.urlsafe_b64encode(uuid.uuid4().bytes[:10]).decode(),
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "messageDirection": "IN",
        "stage": connection.stage,
        "connectedAt": connection.connected_at_ms,
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
        "requestId": base64.urlsafe_b64encode(uuid.uuid4().bytes[:10]).decode(),
        "domainName": connection.domain_name,
        "connectionId": connection.connection_id,
        "apiId": connection.api_id,
    }
    if connection.authorizer:
        context["authorizer"] = dict(connection.authorizer)
    return context


def _single(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    # The last of repeated values, as API Gateway's single-value maps hold.
    return {name: value for name, value in pairs}


def _multi(pairs: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return multi
