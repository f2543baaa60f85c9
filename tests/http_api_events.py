"""API Gateway HTTP API (payload 2.0) request events, as API Gateway builds them for a route: what the in-process
API client (tests/api_client.py) hands the functions. The local gateway itself takes SAM CLI's."""

import base64
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from tooling.template import HttpRoute


def http_api_event(
    route: HttpRoute,
    path: str,
    path_parameters: Mapping[str, str],
    *,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: str | bytes | None = None,
    claims: Mapping[str, Any] | None = None,
    stage: str = "$default",
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """A v2 proxy event; ``claims`` are what the JWT authorizer verified (None when the route had none)."""
    raw_query = urlencode(query or {})
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": lowered.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": route.method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": stage,
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if raw_query:
        # API Gateway joins repeated keys with commas.
        params: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        event["queryStringParameters"] = params
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if claims is not None:
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": {k: str(v) for k, v in claims.items()}, "scopes": None}
        }
    if body is not None:
        if isinstance(body, bytes):
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
        else:
            event["body"] = body
    return event
