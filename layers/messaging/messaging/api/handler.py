"""Turns an endpoint ``(HttpRequest) -> HttpResponse`` into a Lambda handler with logging, metrics and errors."""

import functools
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging.api.error_table import error_response
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse
from messaging.core.config import settings
from messaging.core.observability import logger, metrics

type Endpoint = Callable[[HttpRequest], HttpResponse]
type LambdaHandler = Callable[[Mapping[str, Any], LambdaContext], dict[str, Any]]


def http_handler(endpoint: Endpoint) -> LambdaHandler:
    settings()  # at cold start: a deployment missing its configuration fails here, naming what is missing

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @metrics.log_metrics
    @functools.wraps(endpoint)
    def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        request = HttpRequest(event, context)
        try:
            _ = request.caller_id  # authenticate before reading any input
            response = endpoint(request)
        except Exception as error:
            response = error_response(error)
        logger.info("request served", extra={"route": event.get("routeKey"), "status": response.status})
        return response.to_lambda()

    return handler
