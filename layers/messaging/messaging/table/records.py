"""Stream records of the messages table, read as messages (the same item format as the table's)."""

from collections.abc import Mapping
from typing import Any

from messaging.core.domain import Message, ReadMarker, ReadReceipt, message_time
from messaging.core.errors import MalformedStreamRecord
from messaging.table import keys
from messaging.table.items import message_from_item, unread_count_of


def sequence_number(record: Mapping[str, Any]) -> str:
    """What identifies a record in a partial batch failure report (ReportBatchItemFailures)."""
    return str(record["dynamodb"]["SequenceNumber"])


def is_message_record(record: Mapping[str, Any]) -> bool:
    """A message sent (INSERT) or changed (MODIFY: edited or deleted); messages are never removed."""
    pk = record.get("dynamodb", {}).get("Keys", {}).get("pk", {}).get("S", "")
    return record.get("eventName") in ("INSERT", "MODIFY") and pk.startswith(keys.MESSAGE_PREFIX)


def is_change(record: Mapping[str, Any]) -> bool:
    """A message record for an edit or a deletion, not for the message being sent."""
    return record.get("eventName") == "MODIFY"


def message_of(record: Mapping[str, Any]) -> Message:
    try:
        return message_from_item(record["dynamodb"]["NewImage"])
    except (KeyError, TypeError) as error:
        raise MalformedStreamRecord(f"record {sequence_number(record)} is not a message: missing {error}") from None


def read_marker_moved(record: Mapping[str, Any]) -> tuple[str, ReadMarker] | None:
    """The member and their new read state when a group item's marker or count changed without a new message.

    Pattern E also modifies group items on every message, but then the last message changes too, and the message
    itself is pushed; what is left is a marker moved by the read marker route (or a recount).
    """
    if (change := _group_item_read_change(record)) is None:
        return None
    owner, old, new = change
    if old.get("last_read_sk") == new.get("last_read_sk") and old.get("unread_count") == new.get("unread_count"):
        return None
    try:
        read_sk = new["last_read_sk"]["S"]
        marker = ReadMarker(new["message_group_uuid"]["S"], message_time(read_sk), unread_count_of(new))
    except (KeyError, TypeError):
        return None  # not a member item as pattern E writes them: nothing to tell anyone
    return owner, marker


def read_receipt_of(record: Mapping[str, Any]) -> ReadReceipt | None:
    """The reader's moved marker as the other member may see it, when a group item's read marker moved without a
    new message (the read marker route, or a recount that moved it), and the conversation is neither blocked nor
    an unaccepted message request: the item itself says so (``blocked_by``; ``pending_request`` on the
    recipient's item, ``awaiting_sent`` on the starter's), so nothing is read to know it. Whether both members
    show read receipts is their settings', not the record's."""
    if (change := _group_item_read_change(record)) is None:
        return None
    owner, old, new = change
    if old.get("last_read_sk") == new.get("last_read_sk"):
        return None
    if new.get("blocked_by", {}).get("SS") or new.get("pending_request", {}).get("BOOL") or "awaiting_sent" in new:
        return None
    try:
        return ReadReceipt(
            group_uuid=new["message_group_uuid"]["S"],
            reader_uuid=owner,
            other_uuid=new["user_uuid"]["S"],
            last_read_uuid=new["last_read_sk"]["S"],
        )
    except (KeyError, TypeError):
        return None  # not a member item as pattern E writes them


def _group_item_read_change(record: Mapping[str, Any]) -> tuple[str, Mapping[str, Any], Mapping[str, Any]] | None:
    """A group item's owner and its images before and after, when the item was modified without a new message
    (pattern E's writes for a message move ``last_message_sk``; the message itself is pushed)."""
    change = record.get("dynamodb", {})
    old, new = change.get("OldImage"), change.get("NewImage")
    if record.get("eventName") != "MODIFY" or not old or not new:
        return None
    pk = change.get("Keys", {}).get("pk", {}).get("S", "")
    if not pk.startswith(keys.GROUP_PREFIX) or old.get("last_message_sk") != new.get("last_message_sk"):
        return None
    return pk.removeprefix(keys.GROUP_PREFIX), old, new
