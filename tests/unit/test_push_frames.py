"""Push without a server: a batch's messages are grouped per member and packed into as few frames as API
Gateway's 128 KB limit allows, in sort-key order, each message once."""

import itertools
import json
from datetime import UTC, datetime, timedelta

from msgspec.structs import replace

from messaging.core.domain import Message, User
from messaging.realtime.frames import frames_of, read_frame_of
from messaging.realtime.management import MAX_POST_BYTES
from messaging.realtime.push import messages_per_member
from messaging.table.records import read_marker_moved
from tooling.message_keys import fixed_message_uuid

ALICE = User("alice-uuid", "Alice", "alice")
BOB = User("bob-uuid", "Bob", "bob")
CAROL = User("carol-uuid", "Carol", "carol")
# Four bytes in UTF-8 each: the longest message the API accepts, as bytes on the wire.
WIDEST_TEXT = "\N{GRINNING FACE}" * 1024


_START = datetime(2026, 11, 25, 7, 38, tzinfo=UTC)


def uuid_of(n: int) -> str:
    """The uuid of message ``n``, sent ``n`` milliseconds into the test's minute."""
    return fixed_message_uuid(_START + timedelta(milliseconds=n), f"m{n}")


def message(n: int, sender: User = ALICE, recipient: User = BOB, group: str = "g-ab", text: str = "hi") -> Message:
    return Message(group, uuid_of(n), text, sender, recipient.uuid)


def decoded(frames: list[tuple[bytes, list[str]]]) -> list[dict]:
    return [json.loads(frame) for frame, _ in frames]


def test_a_frame_carries_each_message_as_pattern_a_returns_it_plus_its_group() -> None:
    (frame,) = decoded(frames_of([message(1, text="héllo \N{GRINNING FACE}")]))
    assert frame == {
        "type": "messages",
        "messages": [
            {
                "uuid": uuid_of(1),
                "display_name": "Alice",
                "handle": "alice",
                "message": "héllo \N{GRINNING FACE}",
                "created_at": "2026-11-25T07:38:00.001000+00:00",
                "edited_at": None,
                "deleted_at": None,
                "message_group_uuid": "g-ab",
            }
        ],
    }


def test_a_batch_that_fits_is_one_frame() -> None:
    batch = [message(n, text=WIDEST_TEXT) for n in range(20)]  # about 82 KB
    frames = frames_of(batch)
    assert len(frames) == 1
    assert [m["uuid"] for m in decoded(frames)[0]["messages"]] == [m.uuid for m in batch]


def test_frames_split_only_where_the_next_message_would_pass_128_kb() -> None:
    batch = [message(n, text=WIDEST_TEXT) for n in range(100)]  # about 410 KB
    frames = frames_of(batch)

    assert len(frames) == 4
    assert all(len(frame) <= MAX_POST_BYTES for frame, _ in frames)
    carried = [m["uuid"] for frame in decoded(frames) for m in frame["messages"]]
    assert carried == [m.uuid for m in batch]  # all of them, once, in order
    assert [uuids for _, uuids in frames] == [[m["uuid"] for m in f["messages"]] for f in decoded(frames)]
    for (frame, _), (following, _) in itertools.pairwise(frames):
        first_of_next = json.dumps(json.loads(following)["messages"][0], ensure_ascii=False, separators=(",", ":"))
        assert len(frame) + 1 + len(first_of_next.encode()) > MAX_POST_BYTES  # it could not have been added


def test_each_member_gets_the_messages_it_is_in_in_sort_key_order_once() -> None:
    late = message(5)
    batch = [message(3), message(1, sender=BOB, recipient=ALICE), late, message(2, group="g-ac", recipient=CAROL), late]
    inbox = messages_per_member(batch)
    assert {member: [m.uuid for m in messages] for member, messages in inbox.items()} == {
        "alice-uuid": [uuid_of(1), uuid_of(2), uuid_of(3), uuid_of(5)],
        "bob-uuid": [uuid_of(1), uuid_of(3), uuid_of(5)],
        "carol-uuid": [uuid_of(2)],
    }


def test_an_edit_or_a_deletion_is_pushed_as_a_message_updated_frame_of_its_own() -> None:
    sent = message(7)
    edited = replace(sent, text="fixed", edited_at="2026-11-25T07:39:00.000000+00:00", version=1)
    deleted = replace(sent, text=None, deleted_at="2026-11-25T07:40:00.000000+00:00", version=2)
    new = message(9)
    frames = decoded(frames_of([edited, new]))
    assert [frame["type"] for frame in frames] == ["messages", "message_updated"]
    assert frames[1]["message"]["message"] == "fixed"
    assert frames[1]["message"]["edited_at"] is not None
    assert frames[1]["message"]["message_group_uuid"] == "g-ab"
    (tombstone,) = decoded(frames_of([deleted]))
    assert tombstone["message"] == {
        "uuid": sent.uuid,
        "display_name": "Alice",
        "handle": "alice",
        "message": None,
        "created_at": sent.created_at,
        "edited_at": None,
        "deleted_at": "2026-11-25T07:40:00.000000+00:00",
        "message_group_uuid": "g-ab",
    }


def test_a_message_sent_and_changed_in_one_batch_comes_as_sent_then_once_in_its_latest_state() -> None:
    # C's direct push brought the message as sent already: a client drops the first frame as a copy, and only the
    # second can bring it the change.
    sent = message(7)
    edited = replace(sent, text="fixed", edited_at="2026-11-25T07:39:00.000000+00:00", version=1)
    deleted = replace(sent, text=None, deleted_at="2026-11-25T07:40:00.000000+00:00", version=2)
    for member_messages in messages_per_member([sent, edited, deleted, sent]).values():
        assert member_messages == [sent, deleted]
        first, second = decoded(frames_of(member_messages))
        assert (first["type"], [m["message"] for m in first["messages"]]) == ("messages", ["hi"])
        assert (second["type"], second["message"]["message"], second["message"]["uuid"]) == (
            "message_updated",
            None,
            sent.uuid,
        )


KEY_0, KEY_2, KEY_3 = (fixed_message_uuid(datetime(2026, 1, 1, 0, 0, n, tzinfo=UTC), f"k{n}") for n in (0, 2, 3))


def group_change(old: dict, new: dict) -> dict:
    base = {
        "message_group_uuid": {"S": "g"},
        "last_message_sk": {"S": KEY_2},
        "unread_count": {"N": "2"},
        "last_read_sk": {"S": KEY_0},
    }
    return {
        "eventName": "MODIFY",
        "dynamodb": {"Keys": {"pk": {"S": "GRP#owner"}}, "OldImage": base | old, "NewImage": base | new},
    }


def test_a_moved_read_marker_is_pushed_to_its_member_as_an_unread_frame() -> None:
    moved = read_marker_moved(group_change({}, {"last_read_sk": {"S": KEY_2}, "unread_count": {"N": "0"}}))
    assert moved is not None
    owner, marker = moved
    assert owner == "owner"
    assert json.loads(read_frame_of(marker)) == {
        "type": "unread",
        "message_group_uuid": "g",
        "unread_count": 0,
        "last_read_at": "2026-01-01T00:00:02.000000+00:00",
    }


def test_pattern_e_s_preview_updates_are_not_read_marker_moves() -> None:
    new_message = {"last_message_sk": {"S": KEY_3}, "unread_count": {"N": "3"}}
    assert read_marker_moved(group_change({}, new_message)) is None
    assert read_marker_moved(group_change({}, {})) is None  # nothing changed
