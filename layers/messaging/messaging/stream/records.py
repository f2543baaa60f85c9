"""Stream records of the messages table, read as messages (the same item format as the table's)."""

from collections.abc import Mapping
from typing import Any

from messaging.dal import keys
from messaging.dal.items import message_from_item
from messaging.domain import Message
from messaging.errors import MalformedStreamRecord


def sequence_number(record: Mapping[str, Any]) -> str:
    """What identifies a record in a partial batch failure report (ReportBatchItemFailures)."""
    return str(record["dynamodb"]["SequenceNumber"])


def is_message_insert(record: Mapping[str, Any]) -> bool:
    pk = record.get("dynamodb", {}).get("Keys", {}).get("pk", {}).get("S", "")
    return record.get("eventName") == "INSERT" and pk.startswith(keys.MESSAGE_PREFIX)


def message_of(record: Mapping[str, Any]) -> Message:
    try:
        return message_from_item(record["dynamodb"]["NewImage"])
    except (KeyError, TypeError) as error:
        raise MalformedStreamRecord(f"record {sequence_number(record)} is not a message: missing {error}") from None
