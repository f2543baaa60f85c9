"""The unread rules (``unread/rules.py``, pure) and the store's conditional writes (``unread/store.py``) say the
same thing, against a real DynamoDB (moto server): for any member item and any batch, pattern E's one conditional
write applies exactly when ``rules.after_batch`` says the batch's own counts are exact, and leaves the item as it
says; otherwise it writes nothing and hands back the item as it was, typed. A recount's write goes through only on
the item it was computed from, and otherwise hands back the item as it now is."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from local.stack import EmulatedStack
from messaging.core.domain import Message, User
from messaging.core.errors import MessageGroupItemMissing
from messaging.unread import rules, store
from messaging.unread.state import MemberActivity, MemberItem, ReadState
from tooling.message_keys import fixed_message_uuid

OTHER = User("other-member", "Other", "other")
_START = datetime(2026, 1, 1, tzinfo=UTC)


def at(second: int) -> str:
    return f"2026-01-01T00:00:{second:02d}.000000+00:00"


def sort_key(second: int) -> str:
    """The key of the message sent ``second`` seconds into 2026 (its UUIDv7)."""
    return fixed_message_uuid(_START + timedelta(seconds=second), f"m{second:02d}")


def message(group_uuid: str, second: int, sender: User, recipient_uuid: str) -> Message:
    return Message(group_uuid, sort_key(second), f"text {second}", sender, recipient_uuid)


positions = st.integers(0, 20)
maybe_position = st.none() | positions

# A member item in any state pattern E or the read marker could have left it in, and some they could not.
items = st.builds(
    lambda last, read, unread, version: (last, read, unread, version),
    maybe_position,
    maybe_position,
    st.none() | st.integers(0, 150),
    st.none() | st.integers(0, 3),
)
# A batch: its oldest and newest messages, the owner's last message in it (if any), and what came from the other.
batches = st.tuples(positions, st.integers(0, 5), st.none() | st.integers(0, 5), st.integers(0, 5)).map(
    lambda t: (t[0], t[0] + t[1], None if t[2] is None else t[0] + min(t[2], t[1]), t[3])
)


def stored_item(stack: EmulatedStack, state: MemberItem) -> None:
    """The member item as the table holds it (the preview attributes included, as pattern D writes them)."""
    item = {
        "pk": {"S": f"GRP#{state.owner_uuid}"},
        "sk": {"S": f"GRP#{state.group_uuid}"},
        "message_group_uuid": {"S": state.group_uuid},
        "user_uuid": {"S": state.other_uuid},
        "user_display_name": {"S": OTHER.display_name},
        "user_handle": {"S": OTHER.handle},
        "message": {"S": "first"},
        "last_message_at": {"S": at(0)},
    }
    if state.last_message_sk is not None:
        item["last_message_sk"] = {"S": state.last_message_sk}
    if state.last_message_version is not None:
        item["last_message_version"] = {"N": str(state.last_message_version)}
    if state.last_read_sk is not None:
        item["last_read_sk"] = {"S": state.last_read_sk}
    if state.stored_unread is not None:
        item["unread_count"] = {"N": str(state.stored_unread)}
    stack.client("dynamodb").put_item(TableName=stack.template.table_name("MessagesTable"), Item=item)


def raw_item(stack: EmulatedStack, owner_uuid: str, group_uuid: str) -> dict | None:
    return (
        stack.client("dynamodb")
        .get_item(
            TableName=stack.template.table_name("MessagesTable"),
            Key={"pk": {"S": f"GRP#{owner_uuid}"}, "sk": {"S": f"GRP#{group_uuid}"}},
            ConsistentRead=True,
        )
        .get("Item")
    )


def new_item(last: int | None, read: int | None, unread: int | None, version: int | None = None) -> MemberItem:
    return MemberItem(
        owner_uuid=str(uuid.uuid4()),
        group_uuid=str(uuid.uuid4()),
        other_uuid=OTHER.uuid,
        last_message_sk=None if last is None else sort_key(last),
        last_message_version=version,
        last_read_sk=None if read is None else sort_key(read),
        stored_unread=unread,
    )


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(state=items, batch=batches)
def test_pattern_e_s_one_write_is_rules_after_batch(
    stack: EmulatedStack,
    state: tuple[int | None, int | None, int | None, int | None],
    batch: tuple[int, int, int | None, int],
) -> None:
    before = new_item(*state)
    stored_item(stack, before)
    oldest, newest, read_through, incoming = batch
    owner = User(before.owner_uuid, "Owner", "owner")
    activity = MemberActivity(
        owner_uuid=before.owner_uuid,
        other_uuid=before.other_uuid,
        newest=message(before.group_uuid, newest, owner if newest == read_through else OTHER, before.owner_uuid),
        oldest_sort_key=sort_key(oldest),
        read_through=None if read_through is None else sort_key(read_through),
        incoming=incoming,
    )

    expected = rules.after_batch(before, activity)
    found = store.show_batch(activity)
    after = raw_item(stack, before.owner_uuid, before.group_uuid)

    assert after is not None
    if expected is None:
        assert found == before  # nothing written; the item as it was, typed, for the recount
        assert store.member_item_of(after) == before
        assert after["message"] == {"S": "first"}
    else:
        assert found is None
        assert store.member_item_of(after) == expected
        assert (after["message"], after["last_message_at"]) == ({"S": activity.newest.text}, {"S": at(newest)})


def test_a_batch_for_a_member_without_an_item_writes_nothing(stack: EmulatedStack) -> None:
    missing = new_item(None, None, None)
    activity = MemberActivity(
        missing.owner_uuid, OTHER.uuid, message(missing.group_uuid, 1, OTHER, missing.owner_uuid), sort_key(1), None, 1
    )
    assert rules.after_batch(missing, activity) is not None  # the rule has no item to refuse: the condition does
    with pytest.raises(MessageGroupItemMissing):
        store.show_batch(activity)
    assert raw_item(stack, missing.owner_uuid, missing.group_uuid) is None  # never resurrected


CHANGES = {
    "unchanged": lambda item: item,
    "a newer last message": lambda item: replace(item, last_message_sk=sort_key(19)),
    "a moved marker": lambda item: replace(item, last_read_sk=sort_key(18)),
    "a marker set for the first time": lambda item: replace(item, last_read_sk=item.last_read_sk or sort_key(17)),
    "another count": lambda item: replace(item, stored_unread=(item.stored_unread or 0) + 1),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
@pytest.mark.parametrize("state", [(5, 3, 2), (None, None, None), (5, None, 120)], ids=["set", "fresh", "capped"])
def test_a_recount_is_written_only_on_the_item_it_was_computed_from(
    stack: EmulatedStack, change, state: tuple[int | None, int | None, int | None]
) -> None:
    read = new_item(*state)
    stored_item(stack, read)
    now = change(read)
    if now != read:  # someone else changed the item between the read and the write
        stored_item(stack, now)
    newest = message(read.group_uuid, 8, OTHER, read.owner_uuid)
    plan = rules.recount(read, read_through=sort_key(4), newest=newest)
    settled = ReadState(plan.read_through, 3)

    found = store.write_settled(read, settled, plan.newest)
    after = store.member_item_of(raw_item(stack, read.owner_uuid, read.group_uuid))

    if now == read:
        assert found is None
        assert after == replace(
            read, last_message_sk=sort_key(8), last_message_version=0, last_read_sk=plan.read_through, stored_unread=3
        )
    else:
        assert found == now == after  # not written; the item as it now is, to settle again


# An edit or a deletion (a version) of a message at some position, and whether it is a deletion.
changes = st.tuples(positions, st.integers(1, 4), st.booleans())


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(state=items, change=changes)
def test_a_change_s_one_write_shows_it_exactly_when_the_rules_say_it_is_newer(
    stack: EmulatedStack, state: tuple[int | None, int | None, int | None, int | None], change: tuple[int, int, bool]
) -> None:
    before = new_item(*state)
    stored_item(stack, before)
    position, version, deleted = change
    changed = replace(message(before.group_uuid, position, OTHER, before.owner_uuid), text="edited", version=version)
    if deleted:
        changed = replace(changed, text=None, deleted_at=at(59))
    shows = before.last_message_sk == changed.sort_key and rules.shows_newer(before, changed)

    found = store.show_change(before.owner_uuid, changed)
    after = raw_item(stack, before.owner_uuid, before.group_uuid)

    assert after is not None
    assert found == store.member_item_of(after)
    if shows:
        assert found == replace(before, last_message_version=version)
        assert after.get("message") == (None if deleted else {"S": "edited"})  # a deletion leaves no text
    else:
        assert found == before
        assert after["message"] == {"S": "first"}


def test_the_recount_rules() -> None:
    item = new_item(6, 4, 1)
    # The marker only moves forward, the last message only to a newer one, and the count stops at what is shown.
    older = rules.recount(item, read_through=sort_key(2), newest=message(item.group_uuid, 5, OTHER, "x"))
    assert (older.read_through, older.newest, older.count_through) == (sort_key(4), None, sort_key(6))
    newer = rules.recount(item, read_through=sort_key(9), newest=message(item.group_uuid, 7, OTHER, "x"))
    assert (newer.read_through, newer.count_through) == (sort_key(9), None)  # read past the newest: none unread
    assert rules.recount(new_item(None, None, None), read_through=None, newest=None).count_through is None
    # A duplicate changes nothing: nothing to write. The same state without a stored count is written.
    same = rules.recount(item, read_through=None, newest=None)
    assert rules.is_settled(item, same, 1)
    assert not rules.is_settled(item, same, 2)
    assert not rules.is_settled(replace(item, stored_unread=None), same, 0)
    # A newer state of the message the item shows is shown; the same or an older one never is.
    shown = message(item.group_uuid, 6, OTHER, "x")
    assert rules.recount(item, read_through=None, newest=replace(shown, version=1)).newest is not None
    versioned = replace(item, last_message_version=2)
    assert rules.recount(versioned, read_through=None, newest=replace(shown, version=2)).newest is None
    assert rules.recount(versioned, read_through=None, newest=replace(shown, version=1)).newest is None
