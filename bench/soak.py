"""`make soak`: a bounded load on a fresh local stack (127.0.0.1 only), then figures and a consistency verdict.

Clients are the seed users posting into their conversations and reading them back, for a fixed time and at most a
fixed number of requests. A probe measures stream lag: from a 201 to the other member's list showing the message.
"""

import argparse
import random
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench.routes import percentile
from tests.dev_process import DevStack, start_dev_stack
from tooling.http_client import call

USERS = ["andrewbrown", "bayko", "londo", "worf", "garek"]


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    requests: int = 0

    def record(self, route: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[route].append(seconds)
            self.statuses[status] += 1
            self.requests += 1


def run(seconds: float, clients: int, max_requests: int) -> int:
    with tempfile.TemporaryDirectory(prefix="cruddur-soak-") as state_dir:
        stack = start_dev_stack(Path(state_dir))
        try:
            return soak(stack, seconds, clients, max_requests)
        finally:
            stack.stop()


def soak(stack: DevStack, seconds: float, clients: int, max_requests: int) -> int:
    if not stack.api_url.startswith("http://127.0.0.1:"):
        raise SystemExit("soak runs against 127.0.0.1 only")
    tokens = {user: stack.token(user) for user in USERS}
    groups = conversations(stack, tokens)
    tally, lags = Tally(), []
    deadline = time.monotonic() + seconds
    stop = threading.Event()

    def timed(route: str, method: str, path: str, token: str, body: dict | None = None):
        started = time.perf_counter()
        result = call(method, stack.api_url + path, token=token, body=body)
        tally.record(route, time.perf_counter() - started, result.status)
        return result

    def client(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set() and time.monotonic() < deadline and tally.requests < max_requests:
            user = rng.choice(USERS)
            group, _ = rng.choice(groups[user])
            roll = rng.random()
            if roll < 0.6:
                body = {"message_group_uuid": group, "message": f"soak {seed} {rng.random():.6f}"}
                timed("C POST /api/messages", "POST", "/api/messages", tokens[user], body)
            elif roll < 0.9:
                timed("A GET /api/messages/{id}", "GET", f"/api/messages/{group}?limit=20", tokens[user])
            else:
                timed("B GET /api/message_groups", "GET", "/api/message_groups", tokens[user])

    def lag_probe() -> None:
        user = USERS[0]
        group, other = groups[user][0]
        while not stop.is_set() and time.monotonic() < deadline:
            sent = call(
                "POST",
                f"{stack.api_url}/api/messages",
                token=tokens[user],
                body={"message_group_uuid": group, "message": "lag probe"},
            )
            acknowledged = time.perf_counter()
            while sent.status == 201 and time.monotonic() < deadline + 30:
                listed = call("GET", f"{stack.api_url}/api/message_groups?limit=100", token=tokens[other]).body
                if any(g["uuid"] == group and g["created_at"] >= sent.body["created_at"] for g in listed):
                    lags.append(time.perf_counter() - acknowledged)
                    break
                time.sleep(0.02)
            stop.wait(1.0)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=lag_probe))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started

    problems = stack.consistency_problems(timeout=60)
    errors = report(tally, lags, elapsed, problems)
    return 0 if not problems and not errors else 1


def conversations(stack: DevStack, tokens: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Every pair of seed users gets a conversation; returns user -> [(group, other member)]."""
    mine: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for i, me in enumerate(USERS):
        for other in USERS[i + 1 :]:
            result = call(
                "POST",
                f"{stack.api_url}/api/message_groups",
                token=tokens[me],
                body={"handle": other, "message": f"hello {other}"},
            )
            group = result.body["message_group_uuid"]
            if result.status == 201:  # the other accepts: a request's starter may send only a few messages
                accepted = call("PUT", f"{stack.api_url}/api/message_groups/{group}/accept", token=tokens[other])
                assert accepted.status == 200, accepted.body
            mine[me].append((group, other))
            mine[other].append((group, me))
    return mine


def report(tally: Tally, lags: list[float], elapsed: float, problems: list[str]) -> int:
    """Prints the figures; returns the number of error responses."""
    errors = sum(n for status, n in tally.statuses.items() if status >= 400)
    print(
        f"\nsoak: {tally.requests} requests in {elapsed:.1f} s = {tally.requests / elapsed:.1f} req/s, "
        f"error rate {errors / max(tally.requests, 1):.2%} (statuses {dict(sorted(tally.statuses.items()))})"
    )
    print(f"{'route':<28} {'count':>7} {'p50 ms':>8} {'p99 ms':>8}")
    everything = [x for values in tally.latencies.values() for x in values]
    for route, values in [*sorted(tally.latencies.items()), ("all", everything)]:
        print(
            f"{route:<28} {len(values):>7} {percentile(values, 50) * 1000:>8.1f} {percentile(values, 99) * 1000:>8.1f}"
        )
    if lags:
        print(
            f"stream lag (201 -> other member's list): p50 {percentile(lags, 50) * 1000:.0f} ms, "
            f"p99 {percentile(lags, 99) * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms over {len(lags)} probes"
        )
    verdict = "CONSISTENT" if not problems else f"INCONSISTENT ({len(problems)} problems)"
    print(f"consistency: {verdict}")
    for problem in problems[:20]:
        print(f"  {problem}")
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="how long the load runs (default 180)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="a hard bound on requests")
    args = parser.parse_args()
    return run(args.seconds, args.clients, args.max_requests)


if __name__ == "__main__":
    raise SystemExit(main())
