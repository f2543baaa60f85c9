"""A send flood over a `make dev` stack of its own, started with lower limits (``--parameter-overrides``, as a user
would to try them): this machine's local stack serves fewer requests a second than the default limit allows, so
with the defaults a flood from here could never outrun it. The limit is the same code whatever its numbers.
"""

import threading
import time
from collections.abc import Iterator

import pytest

from tests.dev_process import DevStack, start_dev_stack
from tests.e2e import test_realtime
from tests.e2e.test_realtime import MakeMember, send, start
from tooling.http_client import call

member = test_realtime.member  # the fixture, shared; it makes members of this module's stack

RATE, BURST = 2, 10


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = start_dev_stack(
        tmp_path_factory.mktemp("limited"),
        extra_args=("--parameter-overrides", f"SendRateLimit={RATE}", f"SendBurstLimit={BURST}"),
    )
    yield stack
    stack.stop()


def test_a_send_flood_meets_429_with_retry_after_while_another_user_s_sends_go_through(
    dev_stack: DevStack, member: MakeMember
) -> None:
    flooder, victim, alice, bob = member("Flooder"), member("Victim"), member("Alice"), member("Bob")
    flood_group = start(dev_stack, flooder, victim, "first")["message_group_uuid"]
    calm_group = start(dev_stack, alice, bob, "hi bob")["message_group_uuid"]
    statuses: list[int] = []
    retry_afters: list[str] = []

    def flood() -> None:
        body = {"message_group_uuid": flood_group, "message": "flood"}
        while len(statuses) < BURST + 30:
            response = call("POST", f"{dev_stack.api_url}/api/messages", token=flooder.token, body=body)
            statuses.append(response.status)
            if response.status == 429:
                assert response.body["error"] == "rate_limited"
                retry_afters.append(response.headers["retry-after"])

    flooders = [threading.Thread(target=flood) for _ in range(3)]
    began = time.monotonic()
    for thread in flooders:
        thread.start()
    calm = [send(dev_stack, alice, calm_group, f"calm {n}") for n in range(3)]
    for thread in flooders:
        thread.join()
    flood_seconds = time.monotonic() - began

    # Alice's sends went through while the flood ran: send() fails on anything but 201 once a 429 is waited out.
    assert len(calm) == 3
    assert 429 in statuses
    assert set(statuses) <= {201, 429}
    # The flooder's first send started the conversation; then the burst, and what the rate refilled meanwhile.
    assert statuses.count(201) <= BURST - 1 + RATE * flood_seconds + 1
    assert all(value.isdigit() and int(value) >= 1 for value in retry_afters)
    listed = call("GET", f"{dev_stack.api_url}/api/messages/{flood_group}?limit=100", token=victim.token)
    assert listed.status == 200
    assert len(listed.body) == statuses.count(201) + 1  # only what was accepted was stored


def test_a_client_that_waits_as_told_gets_every_message_through(dev_stack: DevStack, member: MakeMember) -> None:
    sender, reader = member("Patient"), member("Reader")
    group = start(dev_stack, sender, reader, "one")["message_group_uuid"]
    sent = [send(dev_stack, sender, group, f"message {n}")["uuid"] for n in range(BURST + 5)]  # past the burst
    listed = call("GET", f"{dev_stack.api_url}/api/messages/{group}?limit=100", token=reader.token)
    assert [message["uuid"] for message in listed.body][1:] == sent
