"""The HTTP API JWT authorizer, locally: what API Gateway checks before any handler runs.

Checks as AWS does for a Cognito access token: RS256 signature by a key of the pool's JWKS, ``iss`` is the pool,
``client_id`` is one of the audience (access tokens carry no ``aud``), ``token_use`` is ``access``, and ``exp``
/ ``nbf`` / ``iat`` hold. The JWKS URL is configurable because moto's tokens name the AWS issuer even locally.
"""

from collections.abc import Collection, Mapping
from typing import Any

import jwt

_ALGORITHMS = ["RS256"]  # Cognito signs with RS256 only; anything else (none, HS256) is refused outright


class Unauthorized(Exception):
    pass


class JwtAuthorizer:
    def __init__(self, jwks_url: str, issuer: str, audience: Collection[str], leeway_seconds: int = 0) -> None:
        self.issuer = issuer
        self.audience = frozenset(audience)
        self.leeway = leeway_seconds
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)

    def claims(self, headers: Mapping[str, str]) -> dict[str, Any]:
        """The verified claims of the request's bearer token; ``Unauthorized`` otherwise."""
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, token = authorization.partition(" ")
        # API Gateway also accepts the bare token, without "Bearer ".
        token = token.strip() if scheme.lower() == "bearer" else authorization.strip()
        if not token:
            raise Unauthorized("no token")
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=_ALGORITHMS,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "sub", "token_use", "client_id"], "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise Unauthorized(str(error)) from error
        if claims.get("token_use") != "access":
            raise Unauthorized("not an access token")
        if claims.get("client_id") not in self.audience:
            raise Unauthorized("token of another app client")
        return claims
