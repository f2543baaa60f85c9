"""Pattern E without a server: records read as messages at the edge, per group only the newest is applied, and
failures are reported per record."""

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from msgspec.structs import replace

from messaging.activity.batches import group_batches
from messaging.activity.stream_handler import stream_handler
from messaging.core.config import settings
from messaging.core.domain import Message, User
from messaging.table.items import message_item
from messaging.table.records import is_change, is_message_record, message_of
from messaging.unread.rules import member_activities
from tooling.message_keys import fixed_message_uuid

_START = datetime(2026, 1, 1, tzinfo=UTC)


def key(second: int, name: str = "m") -> str:
    """A message uuid sent ``second`` seconds into 2026."""
    return fixed_message_uuid(_START + timedelta(seconds=second), name)


def sent_message(group: str, second: int, name: str = "m", text: str = "text") -> Message:
    return Message(
        group_uuid=group,
        uuid=key(second, name),
        text=text,
        sender=_SENDER,
        recipient_uuid="recipient",
    )


_SENDER = User("sender", "Sender", "sender")


def record(sequence: str, message: Message, event: str = "INSERT") -> dict:
    image = message_item(message)
    return {
        "eventID": f"event-{sequence}",
        "eventName": event,
        "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image, "SequenceNumber": sequence},
    }


def insert(sequence: str, group: str, second: int, name: str = "m") -> dict:
    return record(sequence, sent_message(group, second, name, text=f"text {sequence}"))


def messages(*records: dict) -> list[Message]:
    return [message_of(record) for record in records]


def sent_uuids(batches: dict) -> dict[str, list[str]]:
    return {group: [m.uuid for m in batch.sent] for group, batch in batches.items()}


def test_a_group_s_messages_are_counted_once_and_oldest_first() -> None:
    batch = group_batches(
        messages(
            insert("1", "g1", 2, "b"),
            insert("2", "g1", 3, "c"),
            insert("3", "g2", 1, "d"),
            insert("4", "g1", 1, "a"),  # older, delivered late
            insert("2", "g1", 3, "c"),  # the same record again
        )
    )
    assert sent_uuids(batch) == {"g1": [key(1, "a"), key(2, "b"), key(3, "c")], "g2": [key(1, "d")]}


def test_the_same_millisecond_is_ordered_by_the_rest_of_the_uuid() -> None:
    same_time = [sent_message("g", 0, name) for name in ("a", "b", "c", "d")]
    (batch,) = group_batches(reversed(same_time)).values()
    assert [m.uuid for m in batch.sent] == sorted(m.uuid for m in same_time)
    assert len({m.created_at for m in batch.sent}) == 1


def test_a_message_s_latest_state_wins_whatever_order_its_records_come_in() -> None:
    original = sent_message("g", 1, text="helo")
    edited = replace(original, text="hello", edited_at="2026-01-01T00:00:05.000000+00:00", version=1)
    deleted = replace(original, text=None, deleted_at="2026-01-01T00:00:09.000000+00:00", version=2)
    (batch,) = group_batches([original], [deleted, edited]).values()
    assert batch.sent == [deleted]
    assert batch.changes == []
    (changes_only,) = group_batches([], [deleted, edited, deleted]).values()
    assert changes_only.sent == []
    assert changes_only.changes == [deleted]


def test_an_edit_or_deletion_is_a_change_record_and_both_are_applied() -> None:
    message = sent_message("g", 1)
    edit = record("2", replace(message, text="new", version=1), event="MODIFY")
    group_item = {"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": {"S": "GRP#u"}}, "SequenceNumber": "3"}}
    assert is_message_record(record("1", message))
    assert not is_change(record("1", message))
    assert is_message_record(edit)
    assert is_change(edit)
    assert not is_message_record(group_item)
    assert message_of(edit).text == "new"
    assert message_of(edit).version == 1


def test_a_deleted_message_has_no_text_in_its_item_or_its_record() -> None:
    message = replace(sent_message("g", 1, text="secret"), text=None, deleted_at="2026-01-01T00:01:00+00:00", version=1)
    item = message_item(message)
    assert "message" not in item
    assert "secret" not in repr(item)
    assert message_of(record("1", message, event="MODIFY")).is_deleted


def test_each_member_reads_up_to_their_own_newest_message_and_counts_what_came_after() -> None:
    def sent(by: str, to: str, at: str, uuid: str) -> Message:
        (message,) = messages(insert(at, "g", int(at), uuid))
        return replace(message, sender=replace(message.sender, uuid=by), recipient_uuid=to)

    batch = [sent("ann", "bob", "1", "m1"), sent("bob", "ann", "2", "m2"), sent("ann", "bob", "3", "m3")]
    ann, bob = member_activities(batch)
    assert (ann.owner_uuid, ann.read_through, ann.incoming) == ("ann", batch[2].sort_key, 0)
    assert (bob.owner_uuid, bob.read_through, bob.incoming) == ("bob", batch[1].sort_key, 1)
    assert ann.newest == bob.newest == batch[2]
    assert ann.oldest_sort_key == bob.oldest_sort_key == batch[0].sort_key


def test_a_deleted_message_counts_as_nobody_s_unread_message() -> None:
    def sent(by: str, to: str, second: int, deleted: bool = False) -> Message:
        message = replace(sent_message("g", second, str(second)), recipient_uuid=to)
        message = replace(message, sender=replace(message.sender, uuid=by))
        return (
            replace(message, text=None, deleted_at="2026-01-02T00:00:00.000000+00:00", version=1)
            if deleted
            else message
        )

    batch = [sent("bob", "ann", 1), sent("bob", "ann", 2, deleted=True), sent("bob", "ann", 3)]
    ann, bob = (activity for activity in sorted(member_activities(batch), key=lambda a: a.owner_uuid))
    assert ann.incoming == 2
    assert ann.read_through is None
    assert bob.read_through == batch[2].sort_key
    assert bob.incoming == 0


def test_a_message_names_both_members() -> None:
    (message,) = messages(insert("1", "g", 0))
    assert message.member_uuids == ("sender", "recipient")


class Recorder:
    def __init__(self, failing_groups: set[str]) -> None:
        self.failing_groups = failing_groups
        self.applied: list[Message] = []

    def __call__(
        self, sent: Iterable[Message], changed: Iterable[Message]
    ) -> Mapping[str, Mapping[str, BaseException]]:
        self.applied = list(sent)
        self.changed = list(changed)
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
        insert("1", "g1", 1),
        insert("2", "g2", 2),
        insert("3", "g1", 3),
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
    assert handle(Recorder(set()), [insert("1", "g", 1)]) == {"batchItemFailures": []}


@pytest.mark.usefixtures("configured")
def test_edits_and_deletions_are_applied_as_changes_and_fail_with_their_group() -> None:
    message = sent_message("g1", 1)
    edit = record("2", replace(message, text="new", version=1), event="MODIFY")
    apply = Recorder(failing_groups={"g1"})
    response = handle(apply, [insert("1", "g2", 1), edit])
    assert response == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert [m.group_uuid for m in apply.applied] == ["g2"]
    assert [(m.uuid, m.text) for m in apply.changed] == [(message.uuid, "new")]
