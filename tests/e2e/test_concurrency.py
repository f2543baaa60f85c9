"""Concurrency over HTTP: racing conversation starts and 20 clients posting 50 messages each into shared groups."""

import itertools
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.dev_process import DevStack, start_dev_stack
from tooling.http_client import HttpResult, call
from tooling.seed import SEED_GROUP_UUID

USERS = ["andrewbrown", "bayko", "londo", "worf", "garek"]
CLIENTS, MESSAGES_PER_CLIENT = 20, 50


@pytest.fixture(scope="module")
def busy_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = start_dev_stack(tmp_path_factory.mktemp("busy"))
    yield stack
    stack.stop()


def post_until_acknowledged(stack: DevStack, token: str, path: str, body: dict) -> HttpResult:
    """A well-behaved client: retries 409/429/503 with the same Idempotency-Key until it gets an answer."""
    key = {"Idempotency-Key": str(uuid.uuid4())}
    for _ in range(20):
        result = call("POST", f"{stack.api_url}{path}", token=token, body=body, headers=key)
        if result.status not in {409, 429, 503}:
            return result
        time.sleep(0.1)
    return result


def all_messages(stack: DevStack, token: str, group: str) -> list[dict]:
    messages, path = [], f"/api/messages/{group}?limit=100"
    while path:
        page = call("GET", stack.api_url + path, token=token)
        assert page.status == 200, page.body
        messages.extend(page.body)
        link = page.headers.get("link")
        path = link[1 : link.index(">")] if link else None
    return messages


def test_many_clients_lose_nothing_and_duplicate_nothing(busy_stack: DevStack) -> None:
    tokens = {user: busy_stack.token(user) for user in USERS}
    pairs = [(a, b) for a, b in itertools.combinations(USERS, 2) if {a, b} != {"andrewbrown", "bayko"}]

    # Both members start the same conversation at the same moment, for every pair at once.
    barrier = threading.Barrier(2 * len(pairs))

    def start(me: str, other: str) -> HttpResult:
        barrier.wait()
        return post_until_acknowledged(
            busy_stack, tokens[me], "/api/message_groups", {"handle": other, "message": f"hi {other}"}
        )

    with ThreadPoolExecutor(max_workers=2 * len(pairs)) as pool:
        starts = {(a, b): (pool.submit(start, a, b), pool.submit(start, b, a)) for a, b in pairs}
    groups = {}
    for pair, (first, second) in starts.items():
        answers = [first.result(), second.result()]
        assert sorted(a.status for a in answers) == [200, 201], [a.body for a in answers]
        assert answers[0].body["message_group_uuid"] == answers[1].body["message_group_uuid"]
        groups[pair] = answers[0].body["message_group_uuid"]

    groups[("andrewbrown", "bayko")] = SEED_GROUP_UUID  # the seeded pair already has its conversation

    # 20 clients, each a member posting 50 messages into a group it shares with another client.
    memberships = [(user, group) for pair, group in groups.items() for user in pair][:CLIENTS]
    assert len(memberships) == CLIENTS

    def client(user: str, group: str) -> list[str]:
        acknowledged = []
        for n in range(MESSAGES_PER_CLIENT):
            body = {"message_group_uuid": group, "message": f"{user} #{n}"}
            result = post_until_acknowledged(busy_stack, tokens[user], "/api/messages", body)
            assert result.status == 201, result.body
            acknowledged.append(result.body["uuid"])
        return acknowledged

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [(group, pool.submit(client, user, group)) for user, group in memberships]
    acknowledged = Counter()
    for group, future in futures:
        acknowledged.update((group, message_uuid) for message_uuid in future.result())
    assert sum(acknowledged.values()) == CLIENTS * MESSAGES_PER_CLIENT

    # Every acknowledged message is stored exactly once.
    stored = Counter()
    for (a, _), group in groups.items():
        stored.update((group, m["uuid"]) for m in all_messages(busy_stack, tokens[a], group))
    assert all(count == 1 for count in stored.values())
    assert set(acknowledged) <= set(stored)

    # Once pattern E drains, every conversation item shows its group's newest message; one group per pair.
    assert busy_stack.consistency_problems(timeout=60) == []
    for user in USERS:
        listed = call("GET", f"{busy_stack.api_url}/api/message_groups", token=tokens[user]).body
        assert len(listed) == len({g["uuid"] for g in listed}) == len(USERS) - 1
