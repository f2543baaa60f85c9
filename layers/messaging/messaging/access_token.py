"""Cognito access tokens, checked exactly as the HTTP API JWT authorizer checks them: the one implementation.

API Gateway runs these checks itself in AWS. This code runs them where nothing else does: under
``sam local start-api`` (SAM CLI does not emulate JWT authorizers), in the ``make dev`` gateway, and in the
WebSocket API's ``$connect`` authorizer (browsers cannot send headers on a WebSocket).

The rules, as AWS applies them to a Cognito access token: an RS256 signature by a key of the pool's JWKS;
``iss`` is the pool; ``client_id`` is one of the audience (access tokens carry no ``aud``); ``token_use`` is
``access``; ``exp``, ``nbf`` and ``iat`` hold. The JWKS URL is configurable because moto's tokens name the AWS
issuer even locally.
"""

import os
from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

import jwt

from messaging.errors import Unauthenticated

_ALGORITHMS = ["RS256"]  # Cognito signs with RS256 only; anything else (none, HS256) is refused outright
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "token_use", "client_id"]


class AccessTokenVerifier:
    def __init__(self, jwks_url: str, issuer: str, client_ids: Collection[str], leeway_seconds: int = 0) -> None:
        self.issuer = issuer
        self.client_ids = frozenset(client_ids)
        self.leeway = leeway_seconds
        # Keys are cached per warm container: one JWKS fetch, not one per request.
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims of ``token``; ``Unauthenticated`` for anything API Gateway would refuse."""
        if not token:
            raise Unauthenticated("no token")
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=_ALGORITHMS,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": _REQUIRED_CLAIMS, "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise Unauthenticated(f"invalid token: {error}") from error
        if claims.get("token_use") != "access":
            raise Unauthenticated("not an access token")
        if claims.get("client_id") not in self.client_ids:
            raise Unauthenticated("token of another app client")
        return claims


def bearer_token(headers: Mapping[str, str]) -> str:
    """The token of an ``Authorization`` header; API Gateway also accepts it without ``Bearer``."""
    authorization = next((value for name, value in headers.items() if name.lower() == "authorization"), "")
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else authorization.strip()


@cache
def verifier_from_environment() -> AccessTokenVerifier:
    """The pool of this deployment, as the template (or ``env.local.json`` under ``sam local``) names it."""
    names = ("COGNITO_JWKS_URL", "COGNITO_ISSUER", "COGNITO_CLIENT_ID")
    values = {name: os.environ.get(name, "") for name in names}
    if missing := [name for name, value in values.items() if not value]:
        raise Unauthenticated(f"tokens cannot be checked here: {', '.join(missing)} not set")
    return AccessTokenVerifier(
        values["COGNITO_JWKS_URL"], values["COGNITO_ISSUER"], values["COGNITO_CLIENT_ID"].split(",")
    )
