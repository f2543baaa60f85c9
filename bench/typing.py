"""Typing relay figures (issue 25): from a typing frame sent on andrewbrown's socket to its arrival on bayko's, over
real sockets on the `make dev` stack (the seeded conversation, an accepted one).

The relay allows one frame per connection per group per 2 s, so the frames go round a few of the sender's
connections, each used no more often than that: every frame measured is one that is relayed.
"""

import json
import time
from contextlib import ExitStack
from dataclasses import dataclass

from websockets.sync.client import ClientConnection, connect

from bench.routes import WARMUP, percentile
from tests.dev_process import DevStack
from tooling.seed import SEED_GROUP_UUID

_SENDER_SOCKETS = 12
# The relay counts its 2 s per connection on its own clock, between the limiter's reads of two frames. A frame's
# read comes before its relay arrives, so a socket that waits 2 s (and a little for the clocks) from its last
# frame's arrival, not its sending, is never throttled however the latency varies (a relay that waited behind a
# stream batch for the invocation lock, then one that did not, are nearer than their sending).
_WINDOW_SECONDS = 2.05
_FRAME_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class TypingLatency:
    frames: int
    p50_ms: float
    p99_ms: float


def typing_latency(stack: DevStack, frames: int) -> TypingLatency:
    """andrewbrown types in the seeded conversation, bayko listens: from the frame sent to the frame received."""
    frame = json.dumps({"action": "typing", "message_group_uuid": SEED_GROUP_UUID})
    latencies: list[float] = []
    with ExitStack() as opened:
        listener = opened.enter_context(connect(f"{stack.websocket_url}?token={stack.token('bayko')}"))
        sender_token = stack.token("andrewbrown")
        senders = [
            opened.enter_context(connect(f"{stack.websocket_url}?token={sender_token}")) for _ in range(_SENDER_SOCKETS)
        ]
        last_arrival = [0.0] * len(senders)
        for n in range(WARMUP + frames):
            index = n % len(senders)
            time.sleep(max(0.0, last_arrival[index] + _WINDOW_SECONDS - time.monotonic()))
            sent = time.monotonic()
            senders[index].send(frame)
            try:
                arrived = last_arrival[index] = _arrival(listener)
            except TimeoutError:
                raise RuntimeError(f"typing frame {n} (socket {index}) never arrived") from None
            if n >= WARMUP:
                latencies.append((arrived - sent) * 1000)
    return TypingLatency(frames, percentile(latencies, 50), percentile(latencies, 99))


def _arrival(socket: ClientConnection) -> float:
    """When the next typing frame of the seeded conversation arrived (other frames are skipped)."""
    deadline = time.monotonic() + _FRAME_TIMEOUT_SECONDS
    while True:
        received = json.loads(socket.recv(timeout=max(0.0, deadline - time.monotonic())))
        if received.get("type") == "typing" and received.get("message_group_uuid") == SEED_GROUP_UUID:
            return time.monotonic()


def print_typing(latency: dict) -> None:
    print(
        f"\nTyping: a typing frame sent to its arrival at the other member over the local stack, "
        f"{latency['frames']} frames: p50 {latency['p50_ms']:.0f} ms, p99 {latency['p99_ms']:.0f} ms"
    )
