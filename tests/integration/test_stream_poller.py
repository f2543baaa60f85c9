"""The local event source mapping delivers each message INSERT once, cancelled transactions included."""

from collections import Counter

import pytest

from local.stack import STREAM_FUNCTION, EmulatedStack
from tests.api_client import ApiClient


@pytest.fixture
def delivered(stack: EmulatedStack, monkeypatch: pytest.MonkeyPatch) -> Counter:
    """(pk, sequence number) of every record the poller hands to the stream function."""
    seen: Counter = Counter()
    real = stack.functions.invoke

    def recording(logical_id: str, event: dict) -> object:
        if logical_id == STREAM_FUNCTION:
            seen.update((r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["SequenceNumber"]) for r in event["Records"])
        return real(logical_id, event)

    monkeypatch.setattr(stack.functions, "invoke", recording)
    return seen


def test_a_cancelled_transaction_neither_hides_nor_invents_records(
    api: ApiClient, stack: EmulatedStack, new_user, delivered: Counter
) -> None:
    me, them = new_user(), new_user()
    stack.stream.drain()
    delivered.clear()

    first = api.post("/api/message_groups", me, {"handle": them.handle, "message": "one"})
    again = api.post("/api/message_groups", them, {"handle": me.handle, "message": "two"})  # cancelled, then a put
    group = first.body["message_group_uuid"]
    third = api.post("/api/messages", me, {"message_group_uuid": group, "message": "three"})
    assert (first.status, again.status, third.status) == (201, 200, 201)

    stack.stream.drain()

    assert set(delivered.values()) == {1}  # nothing delivered twice
    assert [pk for pk, _ in delivered] == [f"MSG#{group}"] * 3  # only message inserts, all three of them
    shown = {g["message"] for user in (me, them) for g in api.get("/api/message_groups", user).body}
    assert shown == {"three"}
