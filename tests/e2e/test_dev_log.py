"""`make dev`'s log is one JSON record per line: no client can write a line of its own into it."""

import base64
import json
import time
import uuid

from tests.dev_process import DevStack
from tests.e2e.raw_http import exchange, head_bytes

FORGED = "2026-01-01 FAKE cruddur.dev INFO forged line"
# Bounds the wait for the stack to write what it logs about our requests; nothing is timed.
LOG_WAIT_SECONDS = 30


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_with_kid(kid: str) -> str:
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{b64url(b'{}')}.{b64url(b'not a signature')}"


def log_lines_after(stack: DevStack, offset: int, marker: str) -> list[str]:
    """The complete lines the stack wrote from ``offset`` on, once a line mentioning ``marker`` is among them."""
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    while True:
        with stack.log_path.open("rb") as log:
            log.seek(offset)
            written = log.read().decode()
        complete = written[: written.rfind("\n") + 1]
        if marker in complete or time.monotonic() > deadline:
            return complete.splitlines()
        time.sleep(0.2)


def test_untrusted_values_cannot_forge_log_lines(dev_stack: DevStack) -> None:
    offset = dev_stack.log_path.stat().st_size
    forged_path = "/api/messages/x%0A" + FORGED.replace(" ", "%20")
    sent = [
        # The authorizer's refusal quotes the token's kid.
        head_bytes("GET", "/api/message_groups", [("Authorization", f"Bearer {token_with_kid(f'x\n{FORGED}')}")]),
        head_bytes("GET", "/api/message_groups", [("Authorization", f"Bearer {token_with_kid(f'x\r{FORGED}')}")]),
        # The request line is logged: an encoded newline, and a raw CR the server refuses.
        head_bytes("GET", forged_path),
        f"GET /x\r{FORGED} HTTP/1.1\r\n\r\n".encode(),
    ]
    for raw in sent:
        assert 400 <= exchange(dev_stack.api_url, raw).status < 500
    marker = f"/log-window-ends-{uuid.uuid4()}"
    exchange(dev_stack.api_url, head_bytes("GET", marker))

    lines = log_lines_after(dev_stack, offset, marker)
    assert any(marker in line for line in lines), "the stack did not log our requests"
    records = []
    for line in lines:
        assert not line.startswith(FORGED.split(" ", 1)[0]), f"a forged line: {line!r}"
        records.append(json.loads(line))  # every line is one whole record
        assert isinstance(records[-1], dict), line
    # The kid did reach the log, escaped inside a record.
    assert any(f"x\n{FORGED}" in str(record.get("message")) for record in records)
