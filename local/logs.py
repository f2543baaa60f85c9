"""The dev stack's log: one JSON object per line, whatever a client puts into the values that get logged.

Requests carry untrusted text into log messages: a token's ``kid`` in the authorizer's refusal, a path with
``%0A`` in Flask's exception line, a header in a traceback. Written as plain text, a newline in such a value starts
a line that reads like one of ours. ``json.dumps`` escapes it, and with ``ensure_ascii`` every other character a
reader might break lines on (``\\x85``, ``\\u2028``) too, so each record stays exactly one line.
"""

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

# The attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged as a field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")  # werkzeug colours its request lines for a terminal


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES}
        entry.update(
            time=datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            level=record.levelname,
            logger=record.name,
            message=_ANSI_STYLE.sub("", record.getMessage()),
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)  # ensure_ascii stays on: see the module docstring


def configure_dev_logging(level: int = logging.WARNING, stream: TextIO | None = None) -> None:
    """Every record of the process, as JSON lines on ``stream`` (stderr by default), from ``level`` up."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Python's warnings otherwise go straight to stderr, several lines each.
    logging.captureWarnings(True)
