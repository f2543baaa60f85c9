"""Calls the functions in-process the way API Gateway would: route match from template.yaml, a v2 event, and
the claims the JWT authorizer would have verified (tests and benchmarks; no token checks here)."""

import json
from dataclasses import dataclass
from typing import Any, Protocol

from local.stack import EmulatedStack
from tests.http_api_events import http_api_event


class Caller(Protocol):
    sub: str


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def error(self) -> str | None:
        return self.body.get("error") if isinstance(self.body, dict) else None


class ApiClient:
    def __init__(self, stack: EmulatedStack) -> None:
        self.stack = stack

    def get(self, path: str, caller: Caller | None, query: dict[str, str] | None = None) -> ApiResponse:
        return self.request("GET", path, caller, query=query)

    def post(self, path: str, caller: Caller | None, body: Any, headers: dict[str, str] | None = None) -> ApiResponse:
        raw = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.request(
            "POST", path, caller, body=raw, headers={"content-type": "application/json", **(headers or {})}
        )

    def request(
        self,
        method: str,
        path: str,
        caller: Caller | None,
        *,
        query: dict[str, str] | None = None,
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        for function in self.stack.template.functions.values():
            for route in function.http_routes:
                params = route.match(method, path)
                if params is not None:
                    claims = None if caller is None else access_token_claims(caller.sub)
                    event = http_api_event(route, path, params, query=query, headers=headers, body=body, claims=claims)
                    result = self.stack.functions.invoke(function.logical_id, event)
                    return ApiResponse(result["statusCode"], result.get("headers", {}), json.loads(result["body"]))
        raise AssertionError(f"no route in template.yaml for {method} {path}")


def access_token_claims(sub: str) -> dict[str, str]:
    """What the JWT authorizer hands a function for a Cognito access token of ``sub`` (claims as strings)."""
    return {
        "sub": sub,
        "client_id": "testclient",
        "token_use": "access",
        "username": sub,
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_testpool",
        "scope": "aws.cognito.signin.user.admin",
    }
