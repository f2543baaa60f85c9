"""A tiny HTTP client (stdlib only) for driving the local API: status, headers and the decoded JSON body."""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: dict[str, str]
    body: Any


def call(
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> HttpResult:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=sent)  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return _result(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return _result(error.code, error.headers, error.read())


def _result(status: int, headers: Any, raw: bytes) -> HttpResult:
    return HttpResult(status, {k.lower(): v for k, v in headers.items()}, json.loads(raw) if raw else None)
