"""Pattern E without a server: records read as messages at the edge, per group only the newest is applied, and
failures are reported per record."""

from collections.abc import Iterable, Iterator, Mapping

import pytest
from msgspec.structs import replace

from messaging.activity.batches import messages_per_group
from messaging.activity.stream_handler import stream_handler
from messaging.core.config import settings
from messaging.core.domain import Message
from messaging.table.records import is_message_insert, message_of
from messaging.unread.rules import member_activities


def insert(sequence: str, group: str, created_at: str, message_uuid: str = "m") -> dict:
    sk = f"{created_at}#{message_uuid}"
    image = {
        "pk": {"S": f"MSG#{group}"},
        "sk": {"S": sk},
        "message_uuid": {"S": message_uuid},
        "message": {"S": f"text {sequence}"},
        "created_at": {"S": created_at},
        "user_uuid": {"S": "sender"},
        "user_display_name": {"S": "Sender"},
        "user_handle": {"S": "sender"},
        "recipient_uuid": {"S": "recipient"},
    }
    return {
        "eventID": f"event-{sequence}",
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image, "SequenceNumber": sequence},
    }


def messages(*records: dict) -> list[Message]:
    return [message_of(record) for record in records]


def test_a_group_s_messages_are_counted_once_and_oldest_first() -> None:
    batch = messages_per_group(
        messages(
            insert("1", "g1", "2026-01-01T00:00:02.000000+00:00", "b"),
            insert("2", "g1", "2026-01-01T00:00:03.000000+00:00", "c"),
            insert("3", "g2", "2026-01-01T00:00:01.000000+00:00", "d"),
            insert("4", "g1", "2026-01-01T00:00:01.000000+00:00", "a"),  # older, delivered late
            insert("2", "g1", "2026-01-01T00:00:03.000000+00:00", "c"),  # the same record again
        )
    )
    assert {group: [m.uuid for m in ms] for group, ms in batch.items()} == {"g1": ["a", "b", "c"], "g2": ["d"]}


def test_the_same_microsecond_is_ordered_by_message_uuid() -> None:
    at = "2026-01-01T00:00:00.000000+00:00"
    (batch,) = messages_per_group(messages(insert("1", "g", at, "b"), insert("2", "g", at, "a"))).values()
    assert [m.uuid for m in batch] == ["a", "b"]


def test_each_member_reads_up_to_their_own_newest_message_and_counts_what_came_after() -> None:
    def sent(by: str, to: str, at: str, uuid: str) -> Message:
        (message,) = messages(insert(at, "g", f"2026-01-01T00:00:0{at}.000000+00:00", uuid))
        return replace(message, sender=replace(message.sender, uuid=by), recipient_uuid=to)

    batch = [sent("ann", "bob", "1", "m1"), sent("bob", "ann", "2", "m2"), sent("ann", "bob", "3", "m3")]
    ann, bob = member_activities(batch)
    assert (ann.owner_uuid, ann.read_through, ann.incoming) == ("ann", batch[2].sort_key, 0)
    assert (bob.owner_uuid, bob.read_through, bob.incoming) == ("bob", batch[1].sort_key, 1)
    assert ann.newest == bob.newest == batch[2]
    assert ann.oldest_sort_key == bob.oldest_sort_key == batch[0].sort_key


def test_a_message_names_both_members() -> None:
    (message,) = messages(insert("1", "g", "2026-01-01T00:00:00.000000+00:00"))
    assert message.member_uuids == ("sender", "recipient")


def test_only_message_inserts_are_applied() -> None:
    modify = {**insert("1", "g", "2026"), "eventName": "MODIFY"}
    group_item = {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "GRP#u"}}, "SequenceNumber": "2"}}
    assert not is_message_insert(modify)
    assert not is_message_insert(group_item)
    assert is_message_insert(insert("3", "g", "2026"))


class Recorder:
    def __init__(self, failing_groups: set[str]) -> None:
        self.failing_groups = failing_groups
        self.applied: list[Message] = []

    def __call__(self, batch: Iterable[Message]) -> Mapping[str, Mapping[str, BaseException]]:
        self.applied = list(batch)
        return {group: {"recipient": RuntimeError("down")} for group in self.failing_groups}


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Settings are read once per process (a cold start): keep this test's from leaking into later ones.
    monkeypatch.setenv("MESSAGES_TABLE", "cruddur-messages")
    settings.cache_clear()
    yield
    settings.cache_clear()


def handle(apply: Recorder, records: list[dict]) -> dict:
    return stream_handler(apply)({"Records": records}, LambdaContextStub())


class LambdaContextStub:
    function_name = "MessageStreamFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:MessageStreamFunction"
    aws_request_id = "request"


@pytest.mark.usefixtures("configured")
def test_every_record_of_a_failed_group_is_reported_and_a_broken_record_fails_alone() -> None:
    broken = {
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"pk": {"S": "MSG#g3"}}, "NewImage": {}, "SequenceNumber": "9"},
    }
    records = [
        insert("1", "g1", "2026-01-01T00:00:01.000000+00:00"),
        insert("2", "g2", "2026-01-01T00:00:02.000000+00:00"),
        insert("3", "g1", "2026-01-01T00:00:03.000000+00:00"),
        broken,
    ]
    apply = Recorder(failing_groups={"g1"})
    response = handle(apply, records)
    assert response == {
        "batchItemFailures": [{"itemIdentifier": "9"}, {"itemIdentifier": "1"}, {"itemIdentifier": "3"}]
    }
    assert [m.group_uuid for m in apply.applied] == ["g1", "g2", "g1"]


@pytest.mark.usefixtures("configured")
def test_a_batch_that_succeeds_reports_nothing() -> None:
    assert handle(Recorder(set()), [insert("1", "g", "2026-01-01T00:00:01.000000+00:00")]) == {"batchItemFailures": []}
