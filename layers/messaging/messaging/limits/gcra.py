"""Per-user and per-connection limits that hold across every Lambda container: GCRA over one DynamoDB item a key.

The generic cell rate algorithm keeps one number per key, its theoretical arrival time (TAT): each allowed request
moves it one interval (1 / rate) past ``max(TAT, now)``, and a request is refused while the TAT is more than the
burst's tolerance ahead of now. So a quiet key allows ``burst`` requests at once, then ``rate`` a second; and
``TAT - tolerance - now`` is exactly when the next one passes (``Retry-After``). State in DynamoDB, not memory:
a flood spread over many warm containers meets the same limit.

Sends (patterns C and D) are limited per Cognito sub, before any input is parsed or PostgreSQL is asked, so a
flood costs the service a read and nothing else. Frames on a WebSocket are limited per connection; a refused frame
still counts, so a connection that keeps flooding runs ever further ahead and is then closed.
"""

import math
import time

import msgspec

from messaging.core.config import settings
from messaging.core.errors import RateLimited
from messaging.limits import store

_ATTEMPTS = 3  # concurrent requests of one key retry on a moved TAT; past that, the key is busy by definition
_EXPIRY_SLACK_SECONDS = 60  # items outlive their TAT a little (TTL sweeps lazily; a stale TAT reads as quiet)


class Limit(msgspec.Struct, frozen=True):
    per_second: float
    burst: int

    @property
    def interval_ms(self) -> float:
        return 1000 / self.per_second

    @property
    def tolerance_ms(self) -> float:
        return (self.burst - 1) * self.interval_ms


class Verdict(msgspec.Struct, frozen=True):
    allowed: bool
    retry_after_ms: int  # 0 when allowed
    ahead_ms: int  # how far the key's TAT is ahead of now after this request: what a flood is judged by


# A WebSocket client pings every few minutes; 10 frames at once and one a second after that is generous.
FRAME_LIMIT = Limit(per_second=1, burst=10)
# A connection whose TAT runs this far past the frame limit's tolerance (about 10 refused frames) is closed.
FRAME_FLOOD_CLOSE_MS = 10_000


def send_limit() -> Limit:
    return Limit(per_second=settings().send_rate_limit, burst=settings().send_burst_limit)


def check_send(caller_sub: str) -> None:
    """Spends one of the caller's sends (C and D share them); ``RateLimited`` (429, Retry-After) if none is left."""
    _check_user(f"send#{caller_sub}", "You are sending messages too fast; wait a moment and try again.")


def check_read_marker(caller_sub: str) -> None:
    """The read marker's own allowance, at the send limit's rate: each move is a write and a push to every device."""
    _check_user(f"read#{caller_sub}", "You are marking conversations read too fast; wait a moment and try again.")


def _check_user(key: str, message: str) -> None:
    verdict = take(key, send_limit())
    if not verdict.allowed:
        raise RateLimited(message, retry_after=math.ceil(verdict.retry_after_ms / 1000))


def check_frame(connection_id: str) -> Verdict:
    """Counts one client frame of a connection, refused ones included (see the module's docstring)."""
    return take(f"frames#{connection_id}", FRAME_LIMIT, charge_refused=True)


def take(key: str, limit: Limit, *, charge_refused: bool = False, now_ms: int | None = None) -> Verdict:
    for _ in range(_ATTEMPTS):
        now = int(time.time() * 1000) if now_ms is None else now_ms
        read = store.arrival_time(key)
        start = max(read or 0, now)
        allowed = start - now <= limit.tolerance_ms
        retry_after = 0 if allowed else math.ceil(start - now - limit.tolerance_ms)
        if not allowed and not charge_refused:
            return Verdict(False, retry_after, start - now)  # a refused send costs no write
        new = math.ceil(start + limit.interval_ms)
        expires_at = new // 1000 + _EXPIRY_SLACK_SECONDS
        if store.move_arrival_time(key, read, new, expires_at):
            return Verdict(allowed, retry_after, new - now)
    interval = math.ceil(limit.interval_ms)
    return Verdict(False, interval, interval)
