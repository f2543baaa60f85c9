"""Per-route costs in-process (handler time, DynamoDB and PostgreSQL calls, capacity units) and latency through
the local gateway over HTTP."""

import json
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg2

from bench.calls import CallCounter
from local.stack import EmulatedStack
from messaging.conversations import service
from tests.api_client import ApiClient, ApiResponse
from tests.dev_process import DevStack
from tooling.http_client import call
from tooling.seed import SEED_GROUP_UUID

WARMUP = 5
METERED_REQUESTS = 20
JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Caller:
    sub: str


@dataclass(frozen=True)
class RouteFigures:
    route: str
    requests: int
    handler_p50_ms: float
    handler_p99_ms: float
    dynamodb_calls: dict[str, float]  # per request, by operation
    refused_calls: dict[str, float]  # per request, by operation: of dynamodb_calls, conditional writes refused
    postgres_calls: float  # per request
    # Capacity units per request, by AWS's rules (bench.capacity), over METERED_REQUESTS requests.
    write_units: float
    read_units: float


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def route_scenarios(stack: EmulatedStack, andrew: Caller, requests: int) -> dict[str, Callable[[], ApiResponse]]:
    """One request of each route, as the frontend makes them: D starts a new conversation (its contract's cheapest
    path is the common one) and goes into an existing pair; C and D also with an Idempotency-Key (a new key each
    time, as a client sends it), and C retried with a key already answered. Edit and Delete each change a message
    of andrew's of their own, sent just before (within the edit window); Delete again deletes a tombstone."""
    api = ApiClient(stack)
    calls = WARMUP + requests + METERED_REQUESTS
    new_pair, new_pair_once = iter(new_users(stack.connection_url, calls)), iter(new_users(stack.connection_url, calls))
    post = {"message_group_uuid": SEED_GROUP_UUID, "message": "bench"}
    retried_key = str(uuid.uuid4())
    seen = _seen_messages(stack, api, andrew)
    to_edit, to_delete, deleted = (_OwnMessages(stack, andrew, count) for count in (calls, calls, 1))

    def once(key: str) -> dict[str, str]:
        return {"Idempotency-Key": key}

    # Measured in this order, printed by name: moto copies the whole table on every transaction, so the
    # transactional routes go first, while it is small; D into the seed pair then leaves pattern A a full page.
    return {
        "D POST /api/message_groups (new)": lambda: api.post(
            "/api/message_groups", andrew, {"handle": next(new_pair), "message": "bench"}
        ),
        "D new, with Idempotency-Key": lambda: api.post(
            "/api/message_groups",
            andrew,
            {"handle": next(new_pair_once), "message": "bench"},
            headers=once(str(uuid.uuid4())),
        ),
        "D POST /api/message_groups (existing)": lambda: api.post(
            "/api/message_groups", andrew, {"handle": "bayko", "message": "bench"}
        ),
        "A GET /api/messages/{id}": lambda: api.get(f"/api/messages/{SEED_GROUP_UUID}", andrew, {"limit": "20"}),
        "B GET /api/message_groups": lambda: api.get("/api/message_groups", andrew),
        "C POST /api/messages": lambda: api.post("/api/messages", andrew, post),
        "C with Idempotency-Key": lambda: api.post("/api/messages", andrew, post, headers=once(str(uuid.uuid4()))),
        "C retried (key already answered)": lambda: api.post("/api/messages", andrew, post, headers=once(retried_key)),
        # After C and before the markers, whose drain then applies their changes too, unmeasured. Each in a
        # conversation of its own, so the seed conversation's page the markers name stays as C left it.
        "Edit PATCH /api/messages/{id}/{message}": lambda: api.request(
            "PATCH", to_edit.next_path(), andrew, body=json.dumps({"message": "bench, edited"}), headers=JSON
        ),
        "Delete DELETE /api/messages/{id}/{message}": lambda: api.request("DELETE", to_delete.next_path(), andrew),
        "Delete again (the tombstone)": lambda: api.request("DELETE", deleted.tombstone_path(), andrew),
        # Last: the markers name messages C's posts are done adding, and pattern E has applied (a drain first).
        "Read marker (the newest message)": lambda: _mark_read(api, andrew, seen(-1)),
        "Read marker (an older message)": lambda: _mark_read(api, andrew, seen(0)),
    }


def _seen_messages(stack: EmulatedStack, api: ApiClient, andrew: Caller) -> Callable[[int], dict[str, str]]:
    """The page of the seed conversation andrew sees once the stream has caught up, read once on first use."""
    page: list[dict[str, str]] = []

    def message(index: int) -> dict[str, str]:
        if not page:
            stack.stream.drain()
            page.extend(api.get(f"/api/messages/{SEED_GROUP_UUID}", andrew, {"limit": "20"}).body)
        return page[index]

    return message


class _OwnMessages:
    """``count`` messages of andrew's in a conversation of their own, sent on first use (so within the edit window
    of the requests that change them: each changes its own message, as a client changes one once)."""

    def __init__(self, stack: EmulatedStack, andrew: Caller, count: int) -> None:
        self.stack, self.andrew, self.count = stack, andrew, count
        self.paths: list[str] = []
        self.tombstone: str | None = None

    def next_path(self) -> str:
        if not self.paths:
            self.paths = self._send()[::-1]
        return self.paths.pop()

    def tombstone_path(self) -> str:
        """One message, deleted once before its first use: every request deletes it again."""
        if self.tombstone is None:
            self.tombstone = self.next_path()
            _expect_success(ApiClient(self.stack).request("DELETE", self.tombstone, self.andrew))
        return self.tombstone

    def _send(self) -> list[str]:
        (handle,) = new_users(self.stack.connection_url, 1)
        first, _ = service.start_message_group(self.andrew.sub, handle, "bench")
        group = first.group_uuid
        sent = [first, *(service.post_message(self.andrew.sub, group, "bench") for _ in range(self.count - 1))]
        return [f"/api/messages/{group}/{message.uuid}" for message in sent]


def _mark_read(api: ApiClient, andrew: Caller, message: dict[str, str]) -> ApiResponse:
    # The uuid alone names the message (created_at is still accepted, from clients of the first API).
    return api.request(
        "PUT",
        f"/api/message_groups/{SEED_GROUP_UUID}/read",
        andrew,
        body=json.dumps({"uuid": message["uuid"]}),
        headers=JSON,
    )


def measure_in_process(
    scenarios: dict[str, Callable[[], ApiResponse]], counter: CallCounter, requests: int
) -> list[RouteFigures]:
    """Times ``requests`` requests per route with calls counted, then meters METERED_REQUESTS more for capacity
    (metering reads items through a second client, which would distort the timings)."""
    figures = []
    for route, request in scenarios.items():
        for _ in range(WARMUP):
            _expect_success(request())
        counter.reset()
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            _expect_success(request())
            timings.append((time.perf_counter() - started) * 1000)
        calls, refused, postgres_calls = dict(counter.dynamodb), dict(counter.refused), counter.postgres
        counter.reset()
        with counter.metered():
            for _ in range(METERED_REQUESTS):
                _expect_success(request())
        capacity = counter.capacity
        figures.append(
            RouteFigures(
                route=route,
                requests=requests,
                handler_p50_ms=percentile(timings, 50),
                handler_p99_ms=percentile(timings, 99),
                dynamodb_calls={op: n / requests for op, n in sorted(calls.items())},
                refused_calls={op: n / requests for op, n in sorted(refused.items())},
                postgres_calls=postgres_calls / requests,
                write_units=capacity.write_units / METERED_REQUESTS,
                read_units=capacity.read_units / METERED_REQUESTS,
            )
        )
    return sorted(figures, key=lambda figure: figure.route)


def new_users(connection_url: str, count: int) -> list[str]:
    """Handles of users nobody has talked to, so each D starts a new conversation."""
    handles = [f"bench_{uuid.uuid4().hex[:10]}" for _ in range(count)]
    with psycopg2.connect(connection_url) as connection, connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO users (display_name, handle, email) VALUES ('Bench', %s, %s)",
            [(h, f"{h}@bench.example") for h in handles],
        )
    connection.close()
    return handles


def gateway_latency(stack: DevStack, requests: int) -> dict[str, tuple[float, float]]:
    """p50/p99 in ms through the local gateway (token check, SAM's emulator, HTTP) per route."""
    token = stack.token("andrewbrown")
    url = stack.api_url
    handles = new_users(stack.state["connection_url"], requests + WARMUP)
    to_edit, to_delete = _sent_over_http(url, token, requests + WARMUP), _sent_over_http(url, token, requests + WARMUP)
    routes: dict[str, Callable[[], Any]] = {
        "A GET /api/messages/{id}": lambda: call("GET", f"{url}/api/messages/{SEED_GROUP_UUID}?limit=20", token=token),
        "B GET /api/message_groups": lambda: call("GET", f"{url}/api/message_groups", token=token),
        "C POST /api/messages": lambda: call(
            "POST", f"{url}/api/messages", token=token, body={"message_group_uuid": SEED_GROUP_UUID, "message": "b"}
        ),
        "D POST /api/message_groups (new)": lambda: call(
            "POST", f"{url}/api/message_groups", token=token, body={"handle": handles.pop(), "message": "b"}
        ),
        # Measured after A to D, so their messages (sent on first use) leave A's page as it was.
        "Edit PATCH /api/messages/{id}/{message}": lambda: call(
            "PATCH", f"{url}{to_edit()}", token=token, body={"message": "b, edited"}
        ),
        "Delete DELETE /api/messages/{id}/{message}": lambda: call("DELETE", f"{url}{to_delete()}", token=token),
    }
    results = {}
    for route, request in routes.items():
        for _ in range(WARMUP):
            request()
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = request()
            timings.append((time.perf_counter() - started) * 1000)
            if response.status >= 400:
                raise RuntimeError(f"{route}: {response.status} {response.body}")
        results[route] = (percentile(timings, 50), percentile(timings, 99))
    return results


def _sent_over_http(url: str, token: str, count: int) -> Callable[[], str]:
    """The paths of ``count`` messages of the caller's into the seed conversation, sent on first use (within the
    edit window of the requests that change them), one a call."""
    paths: list[str] = []

    def next_path() -> str:
        if not paths:
            for _ in range(count):
                sent = call(
                    "POST",
                    f"{url}/api/messages",
                    token=token,
                    body={"message_group_uuid": SEED_GROUP_UUID, "message": "b"},
                )
                if sent.status >= 400:
                    raise RuntimeError(f"sending a message to change: {sent.status} {sent.body}")
                paths.append(f"/api/messages/{SEED_GROUP_UUID}/{sent.body['uuid']}")
        return paths.pop()

    return next_path


def _expect_success(response: ApiResponse) -> None:
    if response.status >= 400:
        raise RuntimeError(f"benchmark request failed: {response.status} {response.body}")
