"""The WebSocket API's $connect authorizer: the Cognito access token of ``?token=``, checked, nothing more.

The token is checked by the layer's one verifier, with the HTTP API JWT authorizer's rules (browsers cannot set
an Authorization header on a WebSocket, so it travels in the query string). A bad or missing token fails with
"Unauthorized", which API Gateway answers 401 at the upgrade; a valid one is allowed, its ``sub`` the principal
and the context (``{"sub": ..., "exp": ...}``, the token's expiry in seconds since the epoch) that API Gateway hands
to $connect and every later route of the connection.

Whether that sign-in has a Cruddur profile is $connect's question (``realtime/connect.py``: 403 without one),
not this function's: the authorizer reads no database and builds no AWS client (none of botocore's modules
loads), so its cold start is little more than PyJWT and cryptography.
"""

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging.core.config import Need
from messaging.core.entry import Kind, LambdaHandler, lambda_entry
from messaging.core.errors import Unauthenticated
from messaging.core.observability import logger
from messaging.core.tokens import AccessTokenVerifier, configured_verifier


class Unauthorized(Exception):
    """API Gateway answers 401 when a Lambda authorizer fails with exactly this message."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


# A refusal is the exception Unauthorized, which API Gateway answers 401; any other failure is a 500 of its own.
AUTHORIZER = Kind(correlation_id_path=correlation_paths.API_GATEWAY_REST, needs=(Need.COGNITO,))


def authorizer_handler() -> LambdaHandler:
    # The pool is required at cold start: a deployment that cannot check tokens fails there, not as everyone's 401.
    def serve(event: Mapping[str, Any], _context: LambdaContext) -> dict[str, Any]:
        return authorize(event, configured_verifier())

    return lambda_entry(serve, AUTHORIZER)


def authorize(event: Mapping[str, Any], verifier: AccessTokenVerifier) -> dict[str, Any]:
    """An Allow policy for a valid token, its ``sub`` the principal and the context; ``Unauthorized`` otherwise."""
    token = (event.get("queryStringParameters") or {}).get("token") or ""
    try:
        claims = verifier.claims(token)
    except Unauthenticated as refusal:
        logger.info("connection refused", extra={"reason": refusal.message})
        raise Unauthorized from None
    sub = str(claims["sub"])
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
    return {
        "principalId": sub,
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        # The token's expiry travels with the connection: it must not outlive its sign-in (realtime/connect.py).
        "context": {"sub": sub, "exp": int(claims["exp"])},
    }
