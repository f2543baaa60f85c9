"""The HTTP edge: API Gateway HTTP API (payload v2) events in, JSON responses out."""

from messaging.api.handler import http_handler
from messaging.api.idempotency import idempotently
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse

__all__ = ["HttpRequest", "HttpResponse", "http_handler", "idempotently"]
