"""What a WebSocket route answers: a status (it decides a $connect) and, for two-way routes, a frame."""

import json
from typing import Any, Self

import msgspec

from messaging.api.error_table import error_response


class WebSocketReply(msgspec.Struct, frozen=True):
    status: int
    frame: dict[str, Any] | None = None

    @classmethod
    def ok(cls, frame: dict[str, Any] | None = None) -> Self:
        return cls(200, frame)

    @classmethod
    def of_error(cls, error: Exception) -> Self:
        """The one error table's answer, as a frame: ``{"type": "error", "error": code, "message": text}``."""
        answer = error_response(error)
        return cls(answer.status, {"type": "error", **answer.body})

    def to_lambda(self) -> dict[str, Any]:
        result: dict[str, Any] = {"statusCode": self.status}
        if self.frame is not None:
            result["body"] = json.dumps(self.frame, ensure_ascii=False, separators=(",", ":"))
        return result
