"""The HTTP edge: API Gateway HTTP API (payload v2) events in, JSON responses out.

The names below load on first use (PEP 562): importing one module of this package (the error mapping, the token
checks) runs this file, and must not pull in the request models with it. Idempotency is imported by
the creating routes only (messaging.api.operations): reads do not pay for it.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from messaging.api.handler import http_handler
    from messaging.api.request import HttpRequest
    from messaging.api.response import HttpResponse

__all__ = ["HttpRequest", "HttpResponse", "http_handler"]

_HOMES = {
    "HttpRequest": "messaging.api.request",
    "HttpResponse": "messaging.api.response",
    "http_handler": "messaging.api.handler",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        # Also how `from messaging.api import operations` finds a submodule: the import system then loads it.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value
