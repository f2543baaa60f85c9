"""The HTTP edge: API Gateway HTTP API (payload v2) events in, JSON responses out."""

from messaging.api.handler import http_handler
from messaging.api.request import HttpRequest
from messaging.api.response import HttpResponse

# Idempotency is imported by the creating routes only (messaging.api.idempotency): reads do not pay for it.
__all__ = ["HttpRequest", "HttpResponse", "http_handler"]
