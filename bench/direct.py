"""The direct push beside the stream's (issue 25), over real sockets on two `make dev` stacks in one run: one as
deployed (C pushes the new message itself before answering, the stream's push follows) and one with the direct
push off (``DirectPushBudgetMs=0``: the stream's push alone, as before). For each: C's latency (request to
answer, from the client) and the push's (C's answer to the frame's arrival, and C's request to it). A frame the
direct push sends usually arrives before C's answer: its "answer to frame" figure is then below zero."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from bench.routes import WARMUP, percentile
from tests.dev_process import DevStack, start_dev_stack
from tooling.http_client import call
from tooling.seed import SEED_GROUP_UUID

_FRAME_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class PathLatency:
    path: str  # "direct" or "stream"
    messages: int
    c_p50_ms: float  # C's request to its answer, at the client
    c_p99_ms: float
    answer_to_frame_p50_ms: float  # below zero: the frame came first
    answer_to_frame_p99_ms: float
    request_to_frame_p50_ms: float
    request_to_frame_p99_ms: float


class _Arrivals:
    """Reads a socket in a thread of its own and notes when each message uuid first arrived: a frame that comes
    before C's answer is timed when it came, not when the benchmark gets round to reading it."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._first: dict[str, float] = {}
        self._copies: dict[str, int] = {}
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self._socket:
                arrived = time.monotonic()
                frame = json.loads(raw)
                with self._changed:
                    for message in frame.get("messages", []):
                        self._first.setdefault(message["uuid"], arrived)
                        self._copies[message["uuid"]] = self._copies.get(message["uuid"], 0) + 1
                    self._changed.notify_all()
        except ConnectionClosed:
            return

    def first(self, message_uuid: str, copies: int) -> float:
        """When the first frame carrying it came, once ``copies`` frames have carried it."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._copies.get(message_uuid, 0) >= copies, _FRAME_TIMEOUT_SECONDS):
                raise RuntimeError(
                    f"{copies} frames did not carry {message_uuid} within {_FRAME_TIMEOUT_SECONDS:.0f} s"
                )
            return self._first[message_uuid]


def measure(stack: DevStack, path: str, messages: int, copies: int) -> PathLatency:
    """andrewbrown sends with C, one message at a time; bayko listens. The next message goes once ``copies``
    frames have carried the last one (the direct push's and the stream's): the local stack runs one function at a
    time, so a C sent while the stream's consumers still work on the last message would wait for them, which
    Lambda's separate containers never do."""
    sender = stack.token("andrewbrown")
    c_ms: list[float] = []
    after_answer: list[float] = []
    after_request: list[float] = []
    with connect(f"{stack.websocket_url}?token={stack.token('bayko')}", max_queue=None) as socket:
        arrivals = _Arrivals(socket)
        for n in range(WARMUP + messages):
            body = {"message_group_uuid": SEED_GROUP_UUID, "message": f"{path} push bench {n}"}
            requested = time.monotonic()
            response = call("POST", f"{stack.api_url}/api/messages", token=sender, body=body)
            answered = time.monotonic()
            if response.status != 201:
                raise RuntimeError(f"C answered {response.status}: {response.body}")
            arrived = arrivals.first(response.body["uuid"], copies)
            if n >= WARMUP:  # the warm-up also creates the management client and drains the stream
                c_ms.append((answered - requested) * 1000)
                after_answer.append((arrived - answered) * 1000)
                after_request.append((arrived - requested) * 1000)
    return PathLatency(
        path,
        messages,
        percentile(c_ms, 50),
        percentile(c_ms, 99),
        percentile(after_answer, 50),
        percentile(after_answer, 99),
        percentile(after_request, 50),
        percentile(after_request, 99),
    )


@contextmanager
def _stack(state_dir: Path, overrides: tuple[str, ...]) -> Iterator[DevStack]:
    stack = start_dev_stack(state_dir, extra_args=("--parameter-overrides", *overrides))
    try:
        yield stack
    finally:
        stack.stop()


def direct_and_stream(scratch: Path, messages: int, overrides: tuple[str, ...]) -> list[PathLatency]:
    """Both paths, one stack after the other (never side by side: they would share the machine's two cores)."""
    with _stack(scratch / "direct", overrides) as stack:
        direct = measure(stack, "direct", messages, copies=2)
    with _stack(scratch / "stream", (*overrides, "DirectPushBudgetMs=0")) as stack:
        stream = measure(stack, "stream", messages, copies=1)
    return [direct, stream]


def print_direct(paths: list[dict]) -> None:
    print(
        "\nDirect push beside the stream's (bayko's socket, andrewbrown sending with C, one message at a time, "
        f"{paths[0]['messages']} messages):"
    )
    print(f"  {'path':<40}{'C p50/p99 ms':>16}{'answer->frame p50/p99':>24}{'request->frame p50/p99':>25}")
    labels = {"direct": "direct (C posts, then the stream again)", "stream": "stream only (DirectPushBudgetMs=0)"}
    for p in paths:
        print(
            f"  {labels[p['path']]:<40}{p['c_p50_ms']:>8.0f}/{p['c_p99_ms']:<7.0f}"
            f"{p['answer_to_frame_p50_ms']:>13.0f}/{p['answer_to_frame_p99_ms']:<10.0f}"
            f"{p['request_to_frame_p50_ms']:>14.0f}/{p['request_to_frame_p99_ms']:<10.0f}"
        )
    print("  answer->frame below 0: the frame arrived before C's answer did.")
