"""The moderation store (``REPORTS_TABLE``, template.yaml ReportsTable): one item per report, ``report_id`` (pk).

A report's id is derived from what it reports and who reports it (a UUIDv5 of group, message and reporter), so
"one report per message per reporter" is one conditional PutItem, with no index and no read first. The item keeps
a snapshot of the message as it was when reported (text, sender, times): a sender who deletes the message later
removes it from the messages table, not from here. The GSI ``status-reported-at-index`` (``status``,
``reported_at``) lists the reports of one status, newest first: the operators' queue of open reports.

No botocore error leaves this module: busy or unreachable is ``DependencyUnavailable`` (503 with Retry-After),
a refused call ``ReportStoreRefused`` (a misconfiguration or a bug: a 500).
"""

import base64
import binascii
import json
from contextlib import AbstractContextManager
from enum import Enum
from typing import Any
from uuid import UUID, uuid5

import msgspec
from botocore.exceptions import ClientError

from messaging.core.aws import dynamodb, error_code, store_call
from messaging.core.config import settings
from messaging.core.domain import Message, Page
from messaging.core.errors import InvalidCursor

OPEN_REPORTS_INDEX = "status-reported-at-index"
# Fixed forever: every report id is derived in it (changing it would let everyone report every message again).
_REPORT_NAMESPACE = UUID("6f1c3b0e-8d4a-5e2f-9b7c-2a1d0e9f8c34")


class ReportStoreRefused(Exception):
    """DynamoDB refused a call on the reports table; not a ``MessagingError``: where it reaches an answer it is a
    500, as any bug is."""


class ReportStatus(Enum):
    OPEN = "open"
    DISMISSED = "dismissed"
    MESSAGE_DELETED = "message_deleted"
    USER_DISABLED = "user_disabled"


class Snapshot(msgspec.Struct, frozen=True):
    """The reported message as the reporter saw it (``text`` None: it was already deleted)."""

    text: str | None
    sender_uuid: str
    sender_handle: str
    sender_display_name: str
    created_at: str
    edited_at: str | None = None

    @classmethod
    def of(cls, message: Message) -> "Snapshot":
        sender = message.sender
        return cls(message.text, sender.uuid, sender.handle, sender.display_name, message.created_at, message.edited_at)


class Report(msgspec.Struct, frozen=True):
    report_id: str
    status: ReportStatus
    reported_at: str
    reason: str
    note: str | None
    reporter_uuid: str
    reporter_handle: str
    group_uuid: str
    message_uuid: str
    snapshot: Snapshot
    resolved_at: str | None = None
    resolution_note: str | None = None


def report_id_for(group_uuid: str, message_uuid: str, reporter_uuid: str) -> str:
    return str(uuid5(_REPORT_NAMESPACE, f"{group_uuid}/{message_uuid}/{reporter_uuid}"))


def _table_call() -> AbstractContextManager[None]:
    return store_call("moderation store", ReportStoreRefused)


def put_report(report: Report) -> bool:
    """Stores a new report; False (and nothing written) if its reporter has reported that message already."""
    with _table_call():
        try:
            dynamodb().put_item(
                TableName=settings().reports_table,
                Item=_item(report),
                ConditionExpression="attribute_not_exists(report_id)",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
    return True


def report_by_id(report_id: str) -> Report | None:
    with _table_call():
        found = dynamodb().get_item(
            TableName=settings().reports_table, Key={"report_id": {"S": report_id}}, ConsistentRead=True
        )
    item = found.get("Item")
    return None if item is None else _report(item)


def resolve(report_id: str, status: ReportStatus, resolved_at: str, note: str | None) -> Report | None:
    """Closes an open report with what was done; None if it is not open (resolved meanwhile, or no such report)."""
    values: dict[str, Any] = {
        ":open": {"S": ReportStatus.OPEN.value},
        ":status": {"S": status.value},
        ":at": {"S": resolved_at},
    }
    update = "SET #status = :status, resolved_at = :at"
    if note:
        update += ", resolution_note = :note"
        values[":note"] = {"S": note}
    with _table_call():
        try:
            changed = dynamodb().update_item(
                TableName=settings().reports_table,
                Key={"report_id": {"S": report_id}},
                UpdateExpression=update,
                ConditionExpression="#status = :open",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
    return _report(changed["Attributes"])


def reports_with_status(status: ReportStatus, limit: int, cursor: str | None) -> Page[Report]:
    """One page of the reports of ``status``, newest first; the cursor names the next page (None: no more)."""
    request: dict[str, Any] = {
        "TableName": settings().reports_table,
        "IndexName": OPEN_REPORTS_INDEX,
        "KeyConditionExpression": "#status = :status",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":status": {"S": status.value}},
        "ScanIndexForward": False,
        # One more than asked tells whether another page exists without a second call.
        "Limit": limit + 1,
    }
    if cursor is not None:
        request["ExclusiveStartKey"] = _start_key(cursor, status)
    with _table_call():
        page = dynamodb().query(**request)
    items = page.get("Items", [])
    has_more = len(items) > limit or "LastEvaluatedKey" in page
    items = items[:limit]
    next_cursor = _cursor(items[-1]) if has_more and items else None
    return Page([_report(item) for item in items], next_cursor)


# A cursor is the GSI position of the page's last report, as base64url JSON: operators pass it back as it is.
_CURSOR_FIELDS = ("report_id", "reported_at")


def _cursor(key: dict[str, dict[str, str]]) -> str:
    position = {name: key[name]["S"] for name in _CURSOR_FIELDS}
    return base64.urlsafe_b64encode(json.dumps(position, sort_keys=True).encode()).rstrip(b"=").decode("ascii")


def _start_key(cursor: str, status: ReportStatus) -> dict[str, dict[str, str]]:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidCursor("The cursor is malformed.") from None
    if not isinstance(position, dict) or sorted(position) != sorted(_CURSOR_FIELDS):
        raise InvalidCursor("The cursor does not belong to this listing.")
    if not all(isinstance(value, str) and value for value in position.values()):
        raise InvalidCursor("The cursor does not belong to this listing.")
    return {name: {"S": position[name]} for name in _CURSOR_FIELDS} | {"status": {"S": status.value}}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _item(report: Report) -> dict[str, dict[str, str]]:
    snapshot = report.snapshot
    item = {
        "report_id": _s(report.report_id),
        "status": _s(report.status.value),
        "reported_at": _s(report.reported_at),
        "reason": _s(report.reason),
        "reporter_uuid": _s(report.reporter_uuid),
        "reporter_handle": _s(report.reporter_handle),
        "message_group_uuid": _s(report.group_uuid),
        "message_uuid": _s(report.message_uuid),
        "sender_uuid": _s(snapshot.sender_uuid),
        "sender_handle": _s(snapshot.sender_handle),
        "sender_display_name": _s(snapshot.sender_display_name),
        "message_created_at": _s(snapshot.created_at),
    }
    optional = {
        "note": report.note,
        "message": snapshot.text,
        "message_edited_at": snapshot.edited_at,
        "resolved_at": report.resolved_at,
        "resolution_note": report.resolution_note,
    }
    item.update({name: _s(value) for name, value in optional.items() if value is not None})
    return item


def _optional(item: dict[str, dict[str, str]], name: str) -> str | None:
    value = item.get(name)
    return None if value is None else value["S"]


def _report(item: dict[str, dict[str, str]]) -> Report:
    return Report(
        report_id=item["report_id"]["S"],
        status=ReportStatus(item["status"]["S"]),
        reported_at=item["reported_at"]["S"],
        reason=item["reason"]["S"],
        note=_optional(item, "note"),
        reporter_uuid=item["reporter_uuid"]["S"],
        reporter_handle=item["reporter_handle"]["S"],
        group_uuid=item["message_group_uuid"]["S"],
        message_uuid=item["message_uuid"]["S"],
        snapshot=Snapshot(
            text=_optional(item, "message"),
            sender_uuid=item["sender_uuid"]["S"],
            sender_handle=item["sender_handle"]["S"],
            sender_display_name=item["sender_display_name"]["S"],
            created_at=item["message_created_at"]["S"],
            edited_at=_optional(item, "message_edited_at"),
        ),
        resolved_at=_optional(item, "resolved_at"),
        resolution_note=_optional(item, "resolution_note"),
    )
