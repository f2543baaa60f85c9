"""Report a message: POST /api/messages/{message_group_uuid}/{message_uuid}/report, through the function as API
Gateway calls it, against moto server and PostgreSQL; the report as the moderators' table holds it."""

import json
import uuid
from collections import Counter
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from local.stack import EmulatedStack
from messaging.core.errors import InvalidCursor
from messaging.moderation.reports import ReportStatus, report_by_id, reports_with_status, resolve
from tests.api_client import ApiClient, ApiResponse
from tests.conftest import TestUser
from tests.integration.conftest import Conversation

_plain = TypeDeserializer()


def report(api: ApiClient, caller: TestUser | None, group: str, message: str, body: Any) -> ApiResponse:
    return api.post(f"/api/messages/{group}/{message}/report", caller, body)


def post(api: ApiClient, sender: TestUser, group: str, text: str) -> dict[str, Any]:
    response = api.post("/api/messages", sender, {"message_group_uuid": group, "message": text})
    assert response.status == 201, response.body
    return response.body


def stored_reports(stack: EmulatedStack, message_uuid: str) -> list[dict[str, Any]]:
    """Every report of the message in the moderation store, as plain values (what an operator would read)."""
    table = f"{stack.template.table_name('MessagesTable')}-reports"
    pages = stack.client("dynamodb").get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    items = [{k: _plain.deserialize(v) for k, v in item.items()} for page in pages for item in page["Items"]]
    return [item for item in items if item["message_uuid"] == message_uuid]


def test_the_reports_table_of_the_template_exists_in_the_stack(stack: EmulatedStack) -> None:
    table = stack.client("dynamodb").describe_table(TableName="cruddur-messages-reports")["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["report_id"]
    (index,) = table["GlobalSecondaryIndexes"]
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["status", "reported_at"]


def test_a_member_reports_a_message_and_the_report_keeps_its_snapshot(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "buy cheap watches at example.com")
    response = report(
        api, conversation.other, conversation.group_uuid, sent["uuid"], {"reason": "spam", "note": "  again  "}
    )

    assert response.status == 202, response.body
    assert response.body == {"report_id": response.body["report_id"], "status": "open"}
    uuid.UUID(response.body["report_id"])
    (stored,) = stored_reports(stack, sent["uuid"])
    assert stored["report_id"] == response.body["report_id"]
    assert (stored["status"], stored["reason"], stored["note"]) == ("open", "spam", "again")
    assert (stored["reporter_uuid"], stored["reporter_handle"]) == (conversation.other.uuid, conversation.other.handle)
    assert stored["message_group_uuid"] == conversation.group_uuid
    assert stored["message"] == "buy cheap watches at example.com"
    assert (stored["sender_uuid"], stored["sender_handle"]) == (conversation.starter.uuid, conversation.starter.handle)
    assert stored["sender_display_name"] == conversation.starter.display_name
    assert stored["message_created_at"] == sent["created_at"]
    assert stored["reported_at"] > sent["created_at"]


def test_a_message_is_reported_once_per_reporter(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "rude")
    first = report(api, conversation.other, conversation.group_uuid, sent["uuid"], {"reason": "harassment"})
    again = report(api, conversation.other, conversation.group_uuid, sent["uuid"], {"reason": "other", "note": "x"})

    assert first.status == 202, first.body
    assert (again.status, again.error) == (409, "already_reported")
    (stored,) = stored_reports(stack, sent["uuid"])
    assert (stored["reason"], "note" in stored) == ("harassment", False)  # the first report, unchanged
    # Its other member is another reporter: a report of their own.
    own = report(api, conversation.starter, conversation.group_uuid, sent["uuid"], {"reason": "other"})
    assert own.status == 202, own.body
    assert own.body["report_id"] != first.body["report_id"]
    assert len(stored_reports(stack, sent["uuid"])) == 2


def test_a_non_member_gets_the_answer_of_a_group_that_does_not_exist(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, new_user
) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "private")
    outsider = new_user("Outsider")

    existing = report(api, outsider, conversation.group_uuid, sent["uuid"], {"reason": "spam"})
    missing_message = report(api, outsider, conversation.group_uuid, str(uuid.uuid4()), {"reason": "spam"})
    missing_group = report(api, outsider, str(uuid.uuid4()), sent["uuid"], {"reason": "spam"})

    for response in (existing, missing_message, missing_group):
        assert (response.status, response.error) == (403, "not_a_member")
    assert existing.body == missing_group.body == missing_message.body
    assert stored_reports(stack, sent["uuid"]) == []


def test_a_member_reporting_an_unknown_message_gets_404(api: ApiClient, conversation: Conversation) -> None:
    response = report(api, conversation.other, conversation.group_uuid, str(uuid.uuid4()), {"reason": "spam"})
    assert (response.status, response.error) == (404, "message_not_found")


def test_a_report_reads_the_message_once_and_writes_once(
    api: ApiClient, conversation: Conversation, dynamodb_calls: Counter
) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "count me")
    dynamodb_calls.clear()
    assert report(api, conversation.other, conversation.group_uuid, sent["uuid"], {"reason": "spam"}).status == 202
    send_limit = Counter({"GetItem": 1, "UpdateItem": 1})  # the caller's allowance, in the limits table
    # No membership read: the message names both members.
    assert dynamodb_calls == send_limit + Counter({"GetItem": 1, "PutItem": 1})


def test_the_snapshot_survives_the_sender_deleting_the_message(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "you will regret this")
    assert (
        report(api, conversation.other, conversation.group_uuid, sent["uuid"], {"reason": "harassment"}).status == 202
    )

    deleted = api.request("DELETE", f"/api/messages/{conversation.group_uuid}/{sent['uuid']}", conversation.starter)
    assert deleted.status == 200, deleted.body
    assert deleted.body["message"] is None

    (stored,) = stored_reports(stack, sent["uuid"])
    assert stored["message"] == "you will regret this"
    assert stored["sender_uuid"] == conversation.starter.uuid
    assert stored["message_created_at"] == sent["created_at"]


def test_a_deleted_message_can_still_be_reported_without_text(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "gone soon")
    api.request("DELETE", f"/api/messages/{conversation.group_uuid}/{sent['uuid']}", conversation.starter)
    response = report(api, conversation.other, conversation.group_uuid, sent["uuid"], {"reason": "harassment"})
    assert response.status == 202, response.body
    (stored,) = stored_reports(stack, sent["uuid"])
    assert "message" not in stored  # a tombstone has no text to keep
    assert stored["sender_handle"] == conversation.starter.handle


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": "rude"}, "reason"),
        ({"reason": "spam", "note": "x" * 501}, "note"),
        ({"reason": "spam", "note": 5}, "note"),
        ({"reason": "spam", "note": "\ud800"}, "note"),
    ],
)
def test_an_invalid_report_is_422_and_stores_nothing(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, body: dict[str, Any], field: str
) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "fine")
    response = report(api, conversation.other, conversation.group_uuid, sent["uuid"], json.dumps(body))
    assert (response.status, response.error) == (422, "validation_error"), response.body
    assert response.body["details"][0]["field"] == field
    assert stored_reports(stack, sent["uuid"]) == []


def test_a_note_of_500_characters_is_kept_and_a_blank_note_is_none(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    long, blank = (post(api, conversation.starter, conversation.group_uuid, text) for text in ("one", "two"))
    note = "é" * 500
    for sent, written in ((long, note), (blank, " \n")):
        response = report(
            api, conversation.other, conversation.group_uuid, sent["uuid"], {"reason": "other", "note": written}
        )
        assert response.status == 202, response.body
    assert stored_reports(stack, long["uuid"])[0]["note"] == note
    assert "note" not in stored_reports(stack, blank["uuid"])[0]


@pytest.mark.parametrize(("body", "code"), [("{", "invalid_json"), ("", "invalid_json")])
def test_a_body_that_is_not_json_is_400(api: ApiClient, conversation: Conversation, body: str, code: str) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "fine")
    response = report(api, conversation.other, conversation.group_uuid, sent["uuid"], body)
    assert (response.status, response.error) == (400, code)


def test_a_sign_in_without_a_profile_is_403(api: ApiClient, conversation: Conversation, new_user) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "fine")
    stranger = new_user("No Profile", registered=False)
    response = report(api, stranger, conversation.group_uuid, sent["uuid"], {"reason": "spam"})
    assert (response.status, response.error) == (403, "user_not_registered")


# --- the moderators' side of the store (what bin/moderation/* call), in-process -----------------------------------


def open_report_ids(limit: int) -> tuple[list[str], int]:
    """Every open report's id, page by page (newest first), and how many pages it took."""

    ids: list[str] = []
    cursor, pages = None, 0
    while True:
        page = reports_with_status(ReportStatus.OPEN, limit, cursor)
        pages += 1
        assert len(page.items) <= limit
        ids += [report.report_id for report in page.items]
        if page.next_cursor is None:
            return ids, pages
        cursor = page.next_cursor


def test_open_reports_are_paged_newest_first_and_a_resolved_one_leaves_the_queue(
    api: ApiClient, conversation: Conversation
) -> None:

    sent = [post(api, conversation.starter, conversation.group_uuid, f"spam {n}") for n in range(3)]
    filed = [report(api, conversation.other, conversation.group_uuid, m["uuid"], {"reason": "spam"}) for m in sent]
    ids = [response.body["report_id"] for response in filed]

    listed, pages = open_report_ids(limit=2)
    # Other tests' reports may sit between ours (other workers): ours are there once each, newest first.
    assert [report_id for report_id in listed if report_id in ids] == ids[::-1]
    assert len(listed) == len(set(listed))
    assert pages >= 2

    resolved = resolve(ids[1], ReportStatus.DISMISSED, "2026-12-02T00:00:00.000000+00:00", "not spam")
    assert resolved is not None
    assert (resolved.status, resolved.resolution_note) == (ReportStatus.DISMISSED, "not spam")
    assert resolved.snapshot.text == "spam 1"
    # Resolving again changes nothing: the first resolution stands.
    assert resolve(ids[1], ReportStatus.USER_DISABLED, "2026-12-02T00:00:01.000000+00:00", None) is None
    assert report_by_id(ids[1]) == resolved
    listed, _ = open_report_ids(limit=2)
    assert [report_id for report_id in listed if report_id in ids] == [ids[2], ids[0]]


@pytest.mark.usefixtures("stack")
def test_a_report_nobody_filed_is_none_and_cannot_be_resolved() -> None:

    unknown = str(uuid.uuid4())
    assert report_by_id(unknown) is None
    assert resolve(unknown, ReportStatus.DISMISSED, "2026-12-02T00:00:00.000000+00:00", None) is None
    assert report_by_id(unknown) is None  # no item was made by the refused update


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !",
        "bm90IGpzb24",
        "W10",
        "eyJyZXBvcnRfaWQiOiAiYSJ9",
        "eyJyZXBvcnRfaWQiOiAiIiwgInJlcG9ydGVkX2F0IjogIngifQ",
    ],
)
@pytest.mark.usefixtures("stack")
def test_a_cursor_the_listing_did_not_print_is_refused(cursor: str) -> None:

    with pytest.raises(InvalidCursor):
        reports_with_status(ReportStatus.OPEN, 5, cursor)
