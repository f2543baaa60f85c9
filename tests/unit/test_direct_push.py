"""The direct push's budget and manners, without a server (realtime/direct.py): the answer never waits past the
budget whatever the push does, a failure never reaches the answer, and the push does only what C and D may do
(post; never close an expired connection nor forget a gone one)."""

import threading
import time
from collections.abc import Iterator

import pytest

from messaging.core.config import settings
from messaging.core.domain import Message, User
from messaging.realtime import connections, direct, lifecycle, push
from messaging.realtime.connections import OpenConnection
from messaging.realtime.management import Delivery

ALICE = User("alice-uuid", "Alice", "alice")
BOB = User("bob-uuid", "Bob", "bob")
FAR_FUTURE = int(time.time()) + 3600


@pytest.fixture
def budget(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("DIRECT_PUSH_BUDGET_MS", "150")
    monkeypatch.setenv("DIRECT_PUSH_MANAGEMENT_URL", "http://127.0.0.1:9/dev")
    settings.cache_clear()
    yield monkeypatch
    settings.cache_clear()


def test_work_that_ends_in_time_gives_its_result() -> None:
    assert direct.run_within(lambda: 42, 5.0) == 42


def test_work_past_the_budget_is_left_running_and_the_caller_goes_on() -> None:
    release, finished = threading.Event(), threading.Event()

    def stuck() -> int:
        release.wait()  # held until the caller has gone on: only a bounded wait can return first
        finished.set()
        return 1

    assert direct.run_within(stuck, 0.01) is None
    assert not finished.is_set()
    release.set()
    assert finished.wait(5)  # it ended in the background, harmlessly


def test_work_that_fails_is_none_and_raises_nothing() -> None:
    def broken() -> int:
        raise RuntimeError("boom")

    assert direct.run_within(broken, 5.0) is None


def test_a_budget_of_zero_turns_the_direct_push_off(budget: pytest.MonkeyPatch) -> None:
    budget.setenv("DIRECT_PUSH_BUDGET_MS", "0")
    settings.cache_clear()
    called: list[object] = []
    budget.setattr(push, "deliver", lambda *args, **kwargs: called.append(args))
    direct.push_sent(Message.new("g", ALICE, BOB.uuid, "hi"))
    assert called == []


def test_a_push_that_fails_or_hangs_never_reaches_the_answer(budget: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def hangs(*_: object, **__: object) -> push.PushReport:
        release.wait()
        return push.PushReport()

    def fails(*_: object, **__: object) -> push.PushReport:
        raise RuntimeError("management endpoint on fire")

    for deliver in (hangs, fails):
        budget.setattr(push, "deliver", deliver)
        assert direct.push_sent(Message.new("g", ALICE, BOB.uuid, "hi")) is None
    release.set()


def test_both_members_get_the_message_in_the_stream_s_frame_through_the_bounded_post(
    budget: pytest.MonkeyPatch,
) -> None:
    budget.setattr(
        connections,
        "connections_of",
        lambda user: [OpenConnection(f"{user}-1", 1.0, FAR_FUTURE), OpenConnection(f"{user}-2", 2.0, FAR_FUTURE)],
    )
    posted: dict[str, bytes] = {}
    bounds: set[float | None] = set()

    def post(connection_id: str, data: bytes, *, within: float | None = None) -> Delivery:
        posted[connection_id] = data
        bounds.add(within)
        return Delivery.SENT

    budget.setattr("messaging.realtime.management.post", post)
    message = Message.new("g", ALICE, BOB.uuid, "hi")
    direct.push_sent(message)

    assert sorted(posted) == ["alice-uuid-1", "alice-uuid-2", "bob-uuid-1", "bob-uuid-2"]  # the sender's too
    from messaging.realtime.frames import frames_of  # noqa: PLC0415

    assert set(posted.values()) == {frames_of([message])[0][0]}
    assert bounds == {0.15}


def test_expired_connections_are_skipped_and_gone_ones_left_to_the_stream_s_push(
    budget: pytest.MonkeyPatch,
) -> None:
    stored = {
        ALICE.uuid: [OpenConnection("expired", 1.0, 10)],
        BOB.uuid: [OpenConnection("gone", 1.0, FAR_FUTURE), OpenConnection("open", 2.0, FAR_FUTURE)],
    }
    budget.setattr(connections, "connections_of", lambda user: stored[user])
    tidied: list[str] = []
    budget.setattr(lifecycle, "close_connection", lambda user, connection, reason: tidied.append(connection))
    budget.setattr(connections, "remove_gone_connection", lambda user, connection: tidied.append(connection))
    posted: list[str] = []

    def post(connection_id: str, data: bytes, *, within: float | None = None) -> Delivery:
        posted.append(connection_id)
        return Delivery.GONE if connection_id == "gone" else Delivery.SENT

    budget.setattr("messaging.realtime.management.post", post)
    direct.push_sent(Message.new("g", ALICE, BOB.uuid, "hi"))

    assert sorted(posted) == ["gone", "open"]
    assert tidied == []  # neither closed nor deleted: C and D may do neither (the stream's push does)


def test_the_stream_s_push_still_tidies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connections, "connections_of", lambda user: [OpenConnection("gone", 1.0, FAR_FUTURE)])
    forgotten: list[str] = []
    monkeypatch.setattr(connections, "remove_gone_connection", lambda user, connection: forgotten.append(connection))
    pushes = [push.MemberPush(BOB.uuid, lambda: [(b"{}", ["m"])], ["m"])]
    report = push.deliver(pushes, push.Deadline.never(), lambda connection_id, data: Delivery.GONE)
    assert (report.gone, forgotten) == (1, ["gone"])
