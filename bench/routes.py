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

from bench.accepted import start_accepted
from bench.calls import CallCounter
from local.stack import EmulatedStack
from messaging.conversations import service
from messaging.safety import service as safety_service
from messaging.safety.state import NewConversations, SettingsChange
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
    reads: dict[str, float]  # per request, by what they read (bench.calls.read_target)


@dataclass(frozen=True)
class Refused:
    """A request the route must refuse with ``error``: its row is what that refusal costs."""

    request: Callable[[], ApiResponse]
    error: str

    def __call__(self) -> ApiResponse:
        return self.request()


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def route_scenarios(stack: EmulatedStack, andrew: Caller, requests: int) -> dict[str, Callable[[], ApiResponse]]:
    """One request of each route, as the frontend makes them: D starts a new conversation (its contract's cheapest
    path is the common one) and goes into an existing pair; C and D also with an Idempotency-Key (a new key each
    time, as a client sends it), and C retried with a key already answered. Edit and Delete each change a message
    of andrew's of their own, sent just before (within the edit window); Delete again deletes a tombstone. The
    safety routes and the refusals their rules make (``safety_scenarios``) are another user's."""
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
        # Blocking is a transaction too; the safety routes are another user's, so andrew's A and B stay as they were.
        **safety_scenarios(stack, calls),
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


def safety_scenarios(stack: EmulatedStack, calls: int) -> dict[str, Callable[[], ApiResponse]]:
    """The safety routes (issue 24), ``calls`` requests each, by a user of their own: blocks of people they talk
    to (then unblocked) and of people they never talked to, their block list (a full page by then), settings read
    and changed (back and forth), mute changed (back and forth), a report of each of the other person's messages.
    And the refusals the rules make: C into a conversation the other person blocked, D to people who take no new
    conversations."""
    api = ApiClient(stack)
    ((me_handle, me),) = (_signed_in_callers(stack, 1)).items()
    with_conversation = _Conversations(
        lambda: new_users(stack.connection_url, calls),
        lambda handle: service.start_message_group(me.sub, handle, "bench")[0].group_uuid,
    )
    blocked: list[str] = []
    never_talked = iter(new_users(stack.connection_url, calls))
    muted = _BackAndForth()
    kind = _BackAndForth()
    refusing = _Refusing(stack, calls)
    reported = _TheirMessages(stack, me, calls)
    blocked_by_them = _BlockedBy(stack, me, me_handle)
    requests_to_me = _Requests(lambda: _started_by_others(stack, me_handle, calls))
    my_requests = _Requests(
        lambda: [
            service.start_message_group(me.sub, handle, "bench")[0].group_uuid
            for handle in new_users(stack.connection_url, calls)
        ]
    )

    def block(handle: str) -> ApiResponse:
        blocked.append(handle)
        return api.request("PUT", f"/api/blocks/{handle}", me)

    def put(path: str, body: dict[str, Any]) -> ApiResponse:
        return api.request("PUT", path, me, body=json.dumps(body), headers=JSON)

    return {
        "Block PUT /api/blocks/{handle}": lambda: block(with_conversation.next_handle()),
        "Block, no conversation yet": lambda: api.request("PUT", f"/api/blocks/{next(never_talked)}", me),
        # The users blocked above, a conversation each: the transaction's four items again.
        "Unblock DELETE /api/blocks/{handle}": lambda: api.request("DELETE", f"/api/blocks/{blocked.pop()}", me),
        "List blocks GET /api/blocks (full page)": lambda: api.get("/api/blocks", me),
        # Message requests, before the settings change below ("nobody" would refuse the requests to this user):
        # each accept takes a request someone new started with this user; each C goes into a request this user
        # started (one message each, so none meets MessageRequestLimit).
        "Accept PUT /api/message_groups/{id}/accept": lambda: api.request(
            "PUT", f"/api/message_groups/{requests_to_me.next_group()}/accept", me
        ),
        "C into my request (awaiting acceptance)": lambda: api.post(
            "/api/messages", me, {"message_group_uuid": my_requests.next_group(), "message": "bench"}
        ),
        "Settings GET /api/settings": lambda: api.get("/api/settings", me),
        "Settings PUT /api/settings": lambda: put(
            "/api/settings", {"new_conversations": "nobody" if kind.next() else "everyone"}
        ),
        "Mute PUT /api/message_groups/{id}/mute": lambda: put(
            f"/api/message_groups/{with_conversation.first_group()}/mute", {"muted": muted.next()}
        ),
        "Report POST /api/messages/{id}/{m}/report": lambda: api.post(
            f"{reported.next_path()}/report", me, {"reason": "spam", "note": "bench"}
        ),
        "C refused: they block me (403)": Refused(
            lambda: api.post("/api/messages", me, {"message_group_uuid": blocked_by_them.group(), "message": "b"}),
            "blocked",
        ),
        "D new refused: they take none (403)": Refused(
            lambda: api.post("/api/message_groups", me, {"handle": refusing.next_handle(), "message": "bench"}),
            "not_accepting_messages",
        ),
    }


class _BackAndForth:
    """True, False, True, ...: a setting changed each time, as a person toggles it."""

    def __init__(self) -> None:
        self.state = False

    def next(self) -> bool:
        self.state = not self.state
        return self.state


class _Conversations:
    """A conversation started with each of the users ``handles()`` makes, all on first use; ``start(handle)``
    starts one and answers its group's uuid."""

    def __init__(self, handles: Callable[[], list[str]], start: Callable[[str], str]) -> None:
        self.make_handles, self.start = handles, start
        self.handles: list[str] = []
        self.groups: list[str] = []

    def next_handle(self) -> str:
        self._made()
        return self.handles.pop()

    def first_group(self) -> str:
        self._made()
        return self.groups[0]

    def _made(self) -> None:
        if not self.groups:
            self.handles = self.make_handles()
            self.groups = [self.start(handle) for handle in self.handles]


class _TheirMessages:
    """``count`` messages to ``me`` from someone ``me`` started a conversation with, sent on first use (``me``
    starts it: their settings may refuse new conversations by then)."""

    def __init__(self, stack: EmulatedStack, me: Caller, count: int) -> None:
        self.stack, self.me, self.count = stack, me, count
        self.paths: list[str] = []

    def next_path(self) -> str:
        if not self.paths:
            ((handle, sender),) = _signed_in_callers(self.stack, 1).items()
            group = service.start_message_group(self.me.sub, handle, "bench")[0].group_uuid
            sent = [service.post_message(sender.sub, group, "bench") for _ in range(self.count)]
            self.paths = [f"/api/messages/{group}/{message.uuid}" for message in sent]
        return self.paths.pop()


class _BlockedBy:
    """A conversation of ``me``'s whose other member blocks ``me``, made on first use."""

    def __init__(self, stack: EmulatedStack, me: Caller, me_handle: str) -> None:
        self.stack, self.me, self.me_handle = stack, me, me_handle
        self.group_uuid: str | None = None

    def group(self) -> str:
        if self.group_uuid is None:
            ((handle, them),) = _signed_in_callers(self.stack, 1).items()
            self.group_uuid = service.start_message_group(self.me.sub, handle, "bench")[0].group_uuid
            safety_service.set_block(them.sub, self.me_handle, blocked=True)
        return self.group_uuid


class _Requests:
    """Message requests not accepted yet, one group each, all made on first use by ``start()``."""

    def __init__(self, start: Callable[[], list[str]]) -> None:
        self.start = start
        self.groups: list[str] | None = None

    def next_group(self) -> str:
        if self.groups is None:
            self.groups = self.start()
        return self.groups.pop()


def _started_by_others(stack: EmulatedStack, me_handle: str, count: int) -> list[str]:
    """``count`` requests to ``me_handle``, each from a new user."""
    callers = _signed_in_callers(stack, count).values()
    return [service.start_message_group(them.sub, me_handle, "bench")[0].group_uuid for them in callers]


class _Refusing:
    """``count`` users who take no new conversations, made on first use."""

    def __init__(self, stack: EmulatedStack, count: int) -> None:
        self.stack, self.count = stack, count
        self.handles: list[str] = []

    def next_handle(self) -> str:
        if not self.handles:
            for handle, user in _signed_in_callers(self.stack, self.count).items():
                safety_service.change_settings(user.sub, SettingsChange(new_conversations=NewConversations.NOBODY))
                self.handles.append(handle)
        return self.handles.pop()


def _signed_in_callers(stack: EmulatedStack, count: int) -> dict[str, Caller]:
    """``count`` new users, each with a Cognito sub of its own, by handle."""
    return {handle: Caller(sub) for handle, sub in signed_in(stack, new_users(stack.connection_url, count)).items()}


def signed_in(stack: EmulatedStack, handles: list[str]) -> dict[str, str]:
    """Each handle's Cognito sub, linked here, by handle: for users who act themselves, as signed-in callers."""
    with stack.postgres_connection() as connection, connection.cursor() as cursor:
        cursor.execute(
            "UPDATE users SET cognito_user_id = gen_random_uuid()::text WHERE handle = ANY(%s)"
            " RETURNING handle, cognito_user_id",
            (handles,),
        )
        found = dict(cursor.fetchall())
    connection.close()
    return {handle: found[handle] for handle in handles}


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
        first = start_accepted(self.andrew.sub, handle, "bench")
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
            _expect(request, request())
        counter.reset()
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = request()
            timings.append((time.perf_counter() - started) * 1000)
            _expect(request, response)
        calls, refused, postgres_calls = dict(counter.dynamodb), dict(counter.refused), counter.postgres
        reads = dict(counter.reads)
        counter.reset()
        with counter.metered():
            for _ in range(METERED_REQUESTS):
                _expect(request, request())
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
                reads={target: n / requests for target, n in sorted(reads.items())},
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
    to_edit, to_delete = (_SentOverHttp(url, token, requests + WARMUP).next_path for _ in range(2))
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
        **_safety_over_http(stack, requests + WARMUP),
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


def _safety_over_http(stack: DevStack, count: int) -> dict[str, Callable[[], Any]]:
    """The safety routes through the gateway, andrew's, ``count`` requests each, as ``safety_scenarios`` makes them
    in-process; measured after A to D (the reported messages are bayko's, into the seed conversation)."""
    token, url = stack.token("andrewbrown"), stack.api_url
    handles = new_users(stack.state["connection_url"], count)
    talked_to = _Conversations(lambda: handles, _started_over_http(url, token))
    never_talked = new_users(stack.state["connection_url"], count)
    blocked: list[str] = []
    muted = _BackAndForth()
    reported = _SentOverHttp(url, stack.token("bayko"), count)

    def block(handle: str) -> Any:
        blocked.append(handle)
        return call("PUT", f"{url}/api/blocks/{handle}", token=token)

    return {
        "Block PUT /api/blocks/{handle}": lambda: block(talked_to.next_handle()),
        "Block, no conversation yet": lambda: call("PUT", f"{url}/api/blocks/{never_talked.pop()}", token=token),
        "List blocks GET /api/blocks (full page)": lambda: call("GET", f"{url}/api/blocks", token=token),
        "Unblock DELETE /api/blocks/{handle}": lambda: call("DELETE", f"{url}/api/blocks/{blocked.pop()}", token=token),
        "Settings GET /api/settings": lambda: call("GET", f"{url}/api/settings", token=token),
        # Always "everyone": andrew stays open to new conversations for what runs next on this stack (a change
        # costs the same PutItem whichever way it goes).
        "Settings PUT /api/settings": lambda: call(
            "PUT", f"{url}/api/settings", token=token, body={"new_conversations": "everyone"}
        ),
        "Mute PUT /api/message_groups/{id}/mute": lambda: call(
            "PUT", f"{url}/api/message_groups/{talked_to.first_group()}/mute", token=token, body={"muted": muted.next()}
        ),
        "Report POST /api/messages/{id}/{m}/report": lambda: call(
            "POST", f"{url}{reported.next_path()}/report", token=token, body={"reason": "spam", "note": "bench"}
        ),
    }


def _started_over_http(url: str, token: str) -> Callable[[str], str]:
    def start(handle: str) -> str:
        started = call("POST", f"{url}/api/message_groups", token=token, body={"handle": handle, "message": "b"})
        if started.status >= 400:
            raise RuntimeError(f"starting a conversation: {started.status} {started.body}")
        return started.body["message_group_uuid"]

    return start


class _SentOverHttp:
    """The paths of ``count`` messages of the token's user into the seed conversation, sent on first use."""

    def __init__(self, url: str, token: str, count: int) -> None:
        self.url, self.token, self.count = url, token, count
        self.paths: list[str] = []

    def next_path(self) -> str:
        if not self.paths:
            for _ in range(self.count):
                sent = call(
                    "POST",
                    f"{self.url}/api/messages",
                    token=self.token,
                    body={"message_group_uuid": SEED_GROUP_UUID, "message": "b"},
                )
                if sent.status >= 400:
                    raise RuntimeError(f"sending a message: {sent.status} {sent.body}")
                self.paths.append(f"/api/messages/{SEED_GROUP_UUID}/{sent.body['uuid']}")
        return self.paths.pop()


def _expect(request: Callable[[], ApiResponse], response: ApiResponse) -> None:
    if isinstance(request, Refused):
        if response.error != request.error:
            raise RuntimeError(f"expected {request.error}, got {response.status} {response.body}")
        return
    _expect_success(response)


def _expect_success(response: ApiResponse) -> None:
    if response.status >= 400:
        raise RuntimeError(f"benchmark request failed: {response.status} {response.body}")
