"""JSON responses in the Lambda proxy format, with the pagination ``Link`` header."""

# Annotations stay unevaluated: the request is only named here, so the error mapping (which builds responses)
# loads without it, e.g. in the WebSocket functions.
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlencode

import msgspec

if TYPE_CHECKING:
    from collections.abc import Callable

    from messaging.api.request import HttpRequest
    from messaging.core.domain import Page, ReadReceipt


class HttpResponse(msgspec.Struct, frozen=True):
    status: int
    body: Any
    headers: dict[str, str] = msgspec.field(default_factory=dict)

    @classmethod
    def json(cls, status: int, model: msgspec.Struct) -> Self:
        return cls(status, msgspec.to_builtins(model))

    @classmethod
    def page[T](cls, request: HttpRequest, page: Page[T], view: Callable[[T], msgspec.Struct]) -> Self:
        body = [msgspec.to_builtins(view(item)) for item in page.items]
        headers = {}
        if page.next_cursor is not None:
            query = urlencode({"limit": request.page_query.limit, "cursor": page.next_cursor})
            headers["link"] = f'<{request.path}?{query}>; rel="next"'
        return cls(200, body, headers)

    def with_headers(self, headers: dict[str, str]) -> Self:
        return msgspec.structs.replace(self, headers={**self.headers, **headers})

    def to_lambda(self) -> dict[str, Any]:
        return {
            "statusCode": self.status,
            "headers": {"content-type": "application/json", **self.headers},
            "body": json.dumps(self.body, ensure_ascii=False, separators=(",", ":")),
        }


def read_receipt_headers(receipt: ReadReceipt | None) -> dict[str, str]:
    """Pattern A's "Seen": the other member's read marker, in headers because the answer's body is the messages'
    array (docs/openapi.yaml); none when it may not be shown."""
    if receipt is None:
        return {}
    return {"other-last-read-uuid": receipt.last_read_uuid, "other-last-read-at": receipt.last_read_at}
