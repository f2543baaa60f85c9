"""The local stack holds up under repeated writes: moto's memory stays flat (it once grew to 24 GB)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dev_process import DevStack, start_dev_stack
from tests.e2e.message_requests import accept
from tests.process_memory import resident_megabytes
from tooling.http_client import call

REQUESTS = 1000


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[DevStack]:
    # A stack of its own: a thousand messages between two seed users would crowd the other tests' lists. They go
    # as fast as the stack answers: the per-user send limit is not what this measures (tests/e2e/test_limits.py).
    overrides = ("--parameter-overrides", "SendRateLimit=1000", "SendBurstLimit=100000")
    stack = start_dev_stack(tmp_path, extra_args=overrides)
    yield stack
    stack.stop()


def test_a_thousand_messages_into_an_existing_pair_keep_moto_flat(own_stack: DevStack) -> None:
    token = own_stack.token("garek")
    url = f"{own_stack.api_url}/api/message_groups"

    def send(text: str) -> int:
        return call("POST", url, token=token, body={"handle": "worf", "message": text}).status

    warm_up = call("POST", url, token=token, body={"handle": "worf", "message": "warm-up"})
    assert warm_up.status in {200, 201}  # the pair exists from here on
    if warm_up.status == 201:  # worf accepts: the starter of a request may send only a few messages
        accept(own_stack.api_url, own_stack.token("worf"), warm_up.body["message_group_uuid"])
    before = resident_megabytes(own_stack.state["moto_pid"])
    statuses = {send(f"message {n}") for n in range(REQUESTS)}
    growth = resident_megabytes(own_stack.state["moto_pid"]) - before

    assert statuses == {200}
    assert growth < 50, f"moto grew by {growth} MB over {REQUESTS} requests"
