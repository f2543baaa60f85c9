"""Turns an endpoint ``(HttpRequest) -> HttpResponse`` into a Lambda handler of the HTTP API (``core/entry.py``)."""

import functools
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging.api.error_table import error_response
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.core.config import Need, settings
from messaging.core.entry import Kind, LambdaHandler, lambda_entry
from messaging.core.observability import logger

type Endpoint = Callable[[HttpRequest], HttpResponse]


def _served(event: Mapping[str, Any], answer: dict[str, Any]) -> None:
    logger.info("request served", extra={"route": event.get("routeKey"), "status": answer["statusCode"]})


# Every route reads the messages table and maps its caller to a profile in PostgreSQL.
HTTP = Kind(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
    needs=(Need.MESSAGES, Need.POSTGRES),
    answer_error=lambda error: error_response(error).to_lambda(),
    served=_served,
)


def http_handler(endpoint: Endpoint, *needs: Need) -> LambdaHandler:
    """The route's handler; ``needs``: what the endpoint needs beyond every route's (``HTTP.needs``)."""
    if settings().sam_local:
        # SAM CLI emulates no JWT authorizer: the layer checks tokens itself, so it needs the pool.
        needs = (*needs, Need.COGNITO)

    @functools.wraps(endpoint)
    def serve(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        request = HttpRequest(event, context)
        _ = request.caller_id  # authenticate before reading any input
        return endpoint(request).to_lambda()

    return lambda_entry(serve, HTTP, needs)
