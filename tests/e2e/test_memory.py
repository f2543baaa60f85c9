"""The local stack holds up under repeated writes: moto's memory stays flat (it once grew to 24 GB)."""

from local.dev_process import DevStack
from tests.process_memory import resident_megabytes
from tooling.http_client import call

REQUESTS = 1000


def test_a_thousand_messages_into_an_existing_pair_keep_moto_flat(dev_stack: DevStack) -> None:
    token = dev_stack.token("garek")
    url = f"{dev_stack.api_url}/api/message_groups"

    def send(text: str) -> int:
        return call("POST", url, token=token, body={"handle": "worf", "message": text}).status

    assert send("warm-up") in {200, 201}  # the pair exists from here on
    before = resident_megabytes(dev_stack.state["moto_pid"])
    statuses = {send(f"message {n}") for n in range(REQUESTS)}
    growth = resident_megabytes(dev_stack.state["moto_pid"]) - before

    assert statuses == {200}
    assert growth < 50, f"moto grew by {growth} MB over {REQUESTS} requests"
