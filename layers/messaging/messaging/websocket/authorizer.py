"""The WebSocket API's $connect authorizer: the Cognito access token of ``?token=`` to a Cruddur user.

The token is checked by the layer's one verifier, with the HTTP API JWT authorizer's rules (browsers cannot set
an Authorization header on a WebSocket, so it travels in the query string). Its ``sub`` is mapped to a user
through PostgreSQL, cached as for the HTTP routes. API Gateway then answers the upgrade itself: 401 for a bad
token (the authorizer fails with "Unauthorized"), 403 for a valid token without a Cruddur profile (a Deny).
The admitted user's uuid travels in the authorizer context to $connect and every later route.
"""

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging.access_token import AccessTokenVerifier, verifier_from_environment
from messaging.config import settings
from messaging.errors import Unauthenticated, UserNotRegistered
from messaging.logic.participants import caller
from messaging.observability import logger

type LambdaHandler = Callable[[Mapping[str, Any], LambdaContext], dict[str, Any]]


class Unauthorized(Exception):
    """API Gateway answers 401 when a Lambda authorizer fails with exactly this message."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def authorizer_handler() -> LambdaHandler:
    settings()
    # At cold start: a deployment that cannot check tokens fails here rather than refusing everyone.
    verifier = verifier_from_environment()

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        return authorize(event, verifier)

    return handler


def authorize(event: Mapping[str, Any], verifier: AccessTokenVerifier) -> dict[str, Any]:
    token = (event.get("queryStringParameters") or {}).get("token") or ""
    try:
        claims = verifier.claims(token)
    except Unauthenticated as refusal:
        logger.info("connection refused", extra={"reason": refusal.message})
        raise Unauthorized from None
    try:
        user = caller(claims["sub"])
    except UserNotRegistered:
        logger.info("connection refused", extra={"reason": "no profile for this sign-in"})
        return _policy("Deny", str(claims["sub"]), event["methodArn"])
    return _policy("Allow", user.uuid, event["methodArn"], {"user_uuid": user.uuid})


def _policy(effect: str, principal: str, method_arn: str, context: dict[str, str] | None = None) -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn}
    policy: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
    }
    if context:
        policy["context"] = context
    return policy
