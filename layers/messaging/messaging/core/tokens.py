"""Cognito access tokens, checked exactly as the HTTP API JWT authorizer checks them: the one implementation.

API Gateway runs these checks itself in AWS. This code runs them where nothing else does: under
``sam local start-api`` (SAM CLI does not emulate JWT authorizers), in the ``make dev`` gateway, and in the
WebSocket API's ``$connect`` authorizer (browsers cannot send headers on a WebSocket).

The rules, as AWS applies them to a Cognito access token: an RS256 signature by a key of the pool's JWKS;
``iss`` is the pool; ``client_id`` is one of the audience (access tokens carry no ``aud``); ``token_use`` is
``access``; ``exp``, ``nbf`` and ``iat`` hold; and the token carries at least one of the route's authorization
scopes (``scope`` or ``scp``), which the HTTP API authorizer asks for because the rest of its rules cannot tell
an ID token (``aud`` = the app client) from an access token. The JWKS URL is configurable because moto's tokens
name the AWS issuer even locally.
"""

from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

import jwt

from messaging.core.config import Cognito, settings
from messaging.core.errors import Unauthenticated

_ALGORITHMS = ["RS256"]  # Cognito signs with RS256 only; anything else (none, HS256) is refused outright
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "token_use", "client_id"]


class AccessTokenVerifier:
    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        client_ids: Collection[str],
        leeway_seconds: int = 0,
        scopes: Collection[str] = (),
    ) -> None:
        self.issuer = issuer
        self.client_ids = frozenset(client_ids)
        self.leeway = leeway_seconds
        self.scopes = frozenset(scopes)
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
        require_scope(claims, self.scopes)
        return claims


def require_scope(claims: Mapping[str, Any], scopes: Collection[str]) -> None:
    """API Gateway's scope rule: with scopes configured, the token must carry at least one of them."""
    if scopes and not token_scopes(claims) & frozenset(scopes):
        raise Unauthenticated("token without the required scope")


def token_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """The scopes of ``scope`` or ``scp``: space-separated text (Cognito's form) or a list."""
    found: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            found.update(value.split())
        elif isinstance(value, list):
            found.update(item for item in value if isinstance(item, str))
    return frozenset(found)


def bearer_token(headers: Mapping[str, str]) -> str:
    """The token of an ``Authorization`` header; API Gateway also accepts it without ``Bearer``."""
    authorization = next((value for name, value in headers.items() if name.lower() == "authorization"), "")
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else authorization.strip()


def configured_verifier() -> AccessTokenVerifier:
    """The verifier of this deployment's pool (``Settings.cognito``: the template, or ``env.local.json`` under
    ``sam local``); ``ConfigurationError`` when the environment names none, a deployment fault and not a 401."""
    return verifier_for(settings().cognito)


@cache
def verifier_for(pool: Cognito) -> AccessTokenVerifier:
    # One per pool and container: its JWKS is fetched once, not once per request.
    return AccessTokenVerifier(pool.jwks_url, pool.issuer, pool.client_ids, scopes=pool.scopes)
