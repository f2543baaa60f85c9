"""Edit and unsend: PATCH and DELETE /api/messages/{message_group_uuid}/{message_uuid}, through the functions as
API Gateway calls them, against moto server and PostgreSQL; the stream's side with real stream records."""

import io
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from local.stack import PUSH_FUNCTION, EmulatedStack
from local.streams.records import stream_batch
from tests.api_client import ApiClient, ApiResponse
from tests.conftest import TestUser
from tests.integration.conftest import Conversation
from tests.integration.test_message_stream import apply, stream_records


def path(group: str, message: str) -> str:
    return f"/api/messages/{group}/{message}"


def edit(api: ApiClient, caller: TestUser | None, group: str, message: str, body: Any) -> ApiResponse:
    raw = body if isinstance(body, str) else json.dumps(body)
    return api.request("PATCH", path(group, message), caller, body=raw, headers={"content-type": "application/json"})


def delete(api: ApiClient, caller: TestUser | None, group: str, message: str) -> ApiResponse:
    return api.request("DELETE", path(group, message), caller)


def post(api: ApiClient, sender: TestUser, group: str, text: str = "hi", key: str | None = None) -> dict[str, Any]:
    headers = {"idempotency-key": key} if key else None
    response = api.post("/api/messages", sender, {"message_group_uuid": group, "message": text}, headers=headers)
    assert response.status == 201, response.body
    return response.body


def listed(api: ApiClient, member: TestUser, group: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/messages/{group}", member, {"limit": "100"})
    assert response.status == 200
    return response.body


def entry(api: ApiClient, member: TestUser, group: str) -> dict[str, Any]:
    (found,) = [g for g in api.get("/api/message_groups", member).body if g["uuid"] == group]
    return found


def drain(stack: EmulatedStack, group: str) -> None:
    """Pattern E over every record of the group's messages so far, in order: the stream caught up."""
    records = [r for r in stream_records(stack) if r["dynamodb"]["Keys"]["pk"]["S"] == f"MSG#{group}"]
    assert apply(stack, records) == []


def table_text(stack: EmulatedStack) -> str:
    """Every item of every table the service writes, as text: what a full scan would show anyone."""
    dynamodb = stack.client("dynamodb")
    tables = [stack.template.table_name(name) for name in ("MessagesTable", "IdempotencyTable")]
    items = [
        item
        for table in tables
        for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
        for item in page["Items"]
    ]
    return json.dumps(items, ensure_ascii=False)


# --- edit ----------------------------------------------------------------------------------------------------


def test_the_sender_edits_a_message_and_everyone_reads_the_new_text(api: ApiClient, conversation: Conversation) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "see you at 10")
    response = edit(api, conversation.starter, conversation.group_uuid, sent["uuid"], {"message": "  see you at 11 "})

    assert response.status == 200, response.body
    assert response.body["message"] == "see you at 11"
    assert response.body["edited_at"] is not None
    assert response.body["deleted_at"] is None
    assert response.body["message_group_uuid"] == conversation.group_uuid
    assert (response.body["uuid"], response.body["created_at"]) == (sent["uuid"], sent["created_at"])
    for member in (conversation.starter, conversation.other):
        (shown,) = [m for m in listed(api, member, conversation.group_uuid) if m["uuid"] == sent["uuid"]]
        assert shown == {k: v for k, v in response.body.items() if k != "message_group_uuid"}


@pytest.mark.parametrize("text", ["", "  \n ", "x" * 1025])
def test_an_edit_follows_the_text_rules_of_a_new_message(api: ApiClient, conversation: Conversation, text: str) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "keep me")
    response = edit(api, conversation.starter, conversation.group_uuid, sent["uuid"], {"message": text})
    assert (response.status, response.error) == (422, "validation_error")
    assert response.body["details"][0]["field"] == "message"
    assert [m["message"] for m in listed(api, conversation.starter, conversation.group_uuid)][-1] == "keep me"


@pytest.mark.parametrize(("body", "status", "code"), [("{", 400, "invalid_json"), ({}, 422, "validation_error")])
def test_a_malformed_edit_is_refused_and_changes_nothing(
    api: ApiClient, conversation: Conversation, body: Any, status: int, code: str
) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "keep me")
    response = edit(api, conversation.starter, conversation.group_uuid, sent["uuid"], body)
    assert (response.status, response.error) == (status, code)
    assert listed(api, conversation.starter, conversation.group_uuid)[-1]["edited_at"] is None


def test_the_other_member_may_neither_edit_nor_delete(api: ApiClient, conversation: Conversation) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "mine")
    for response in (
        edit(api, conversation.other, conversation.group_uuid, sent["uuid"], {"message": "yours now"}),
        delete(api, conversation.other, conversation.group_uuid, sent["uuid"]),
    ):
        assert (response.status, response.error) == (403, "not_the_sender")
    assert listed(api, conversation.other, conversation.group_uuid)[-1] == {
        k: v for k, v in sent.items() if k != "message_group_uuid"
    }


def test_a_non_member_gets_the_answer_of_a_group_that_does_not_exist(
    api: ApiClient, conversation: Conversation, new_user: Callable[..., TestUser]
) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "private")
    stranger = new_user("Stranger")
    unknown_group, unknown_message = str(uuid.uuid4()), str(uuid.uuid4())
    answers = [
        edit(api, stranger, conversation.group_uuid, sent["uuid"], {"message": "x"}),
        delete(api, stranger, conversation.group_uuid, sent["uuid"]),
        edit(api, stranger, conversation.group_uuid, unknown_message, {"message": "x"}),
        delete(api, stranger, unknown_group, unknown_message),
        edit(api, conversation.starter, unknown_group, sent["uuid"], {"message": "x"}),
    ]
    assert [(a.status, a.error) for a in answers] == [(403, "not_a_member")] * len(answers)
    assert listed(api, conversation.starter, conversation.group_uuid)[-1]["message"] == "private"


def test_a_member_naming_no_message_of_the_conversation_gets_404(
    api: ApiClient, conversation: Conversation, start_conversation: Callable[..., Conversation]
) -> None:
    elsewhere = start_conversation("another conversation")
    foreign = post(api, elsewhere.starter, elsewhere.group_uuid, "not in the first one")
    for message in (str(uuid.uuid4()), foreign["uuid"]):
        for response in (
            edit(api, conversation.starter, conversation.group_uuid, message, {"message": "x"}),
            delete(api, conversation.starter, conversation.group_uuid, message),
        ):
            assert (response.status, response.error) == (404, "message_not_found")


@pytest.mark.parametrize("bad", ["nope", "1234"])
def test_a_path_that_is_not_a_uuid_is_422(api: ApiClient, conversation: Conversation, bad: str) -> None:
    response = delete(api, conversation.starter, conversation.group_uuid, bad)
    assert (response.status, response.error) == (422, "validation_error")
    assert response.body["details"][0]["field"] == "message_uuid"


def test_after_the_edit_window_an_edit_is_422_and_a_deletion_still_works(
    api: ApiClient, conversation: Conversation, function_environment: Callable[..., None]
) -> None:
    function_environment(MESSAGE_EDIT_WINDOW_SECONDS="1")
    sent = post(api, conversation.starter, conversation.group_uuid, "too late to fix")
    time.sleep(1.1)
    refused = edit(api, conversation.starter, conversation.group_uuid, sent["uuid"], {"message": "fixed"})
    assert (refused.status, refused.error) == (422, "edit_window_closed")
    assert listed(api, conversation.starter, conversation.group_uuid)[-1]["message"] == "too late to fix"
    deleted = delete(api, conversation.starter, conversation.group_uuid, sent["uuid"])
    assert deleted.status == 200
    assert deleted.body["deleted_at"] is not None


def test_a_deleted_message_cannot_be_edited(api: ApiClient, conversation: Conversation) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "gone soon")
    assert delete(api, conversation.starter, conversation.group_uuid, sent["uuid"]).status == 200
    response = edit(api, conversation.starter, conversation.group_uuid, sent["uuid"], {"message": "back"})
    assert (response.status, response.error) == (409, "message_deleted")
    assert listed(api, conversation.starter, conversation.group_uuid)[-1]["message"] is None


def test_edit_and_delete_cost_one_conditional_write_of_the_message(
    api: ApiClient, conversation: Conversation, dynamodb_calls: Counter
) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "count me")
    send_limit = Counter({"GetItem": 1, "UpdateItem": 1})  # the caller's allowance, in the limits table
    dynamodb_calls.clear()
    assert edit(api, conversation.starter, conversation.group_uuid, sent["uuid"], {"message": "counted"}).status == 200
    assert dynamodb_calls == send_limit + Counter({"UpdateItem": 1})
    dynamodb_calls.clear()
    assert delete(api, conversation.starter, conversation.group_uuid, sent["uuid"]).status == 200
    assert dynamodb_calls == send_limit + Counter({"UpdateItem": 1})


def test_a_refusal_says_why_from_the_failed_condition_without_another_read(
    api: ApiClient, conversation: Conversation, dynamodb_calls: Counter
) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "not yours")
    dynamodb_calls.clear()
    response = edit(api, conversation.other, conversation.group_uuid, sent["uuid"], {"message": "x"})
    assert response.error == "not_the_sender"
    assert dynamodb_calls == Counter({"GetItem": 1, "UpdateItem": 2})  # the allowance, and the refused write


# --- delete ----------------------------------------------------------------------------------------------------


def test_a_deleted_message_is_a_tombstone_in_its_place_and_deleting_again_answers_it(
    api: ApiClient, conversation: Conversation
) -> None:
    first = post(api, conversation.starter, conversation.group_uuid, "one")
    doomed = post(api, conversation.starter, conversation.group_uuid, "two")
    last = post(api, conversation.other, conversation.group_uuid, "three")

    deleted = delete(api, conversation.starter, conversation.group_uuid, doomed["uuid"])
    assert deleted.status == 200
    tombstone = deleted.body
    assert tombstone["message"] is None
    assert tombstone["edited_at"] is None
    assert tombstone["deleted_at"] is not None
    assert (tombstone["uuid"], tombstone["created_at"], tombstone["handle"]) == (
        doomed["uuid"],
        doomed["created_at"],
        conversation.starter.handle,
    )
    again = delete(api, conversation.starter, conversation.group_uuid, doomed["uuid"])
    assert (again.status, again.body) == (200, tombstone)
    shown = listed(api, conversation.other, conversation.group_uuid)
    assert [m["uuid"] for m in shown[-3:]] == [first["uuid"], doomed["uuid"], last["uuid"]]  # positions kept
    assert shown[-2] == {k: v for k, v in tombstone.items() if k != "message_group_uuid"}


def test_an_edited_then_deleted_message_loses_its_edit_time_too(api: ApiClient, conversation: Conversation) -> None:
    sent = post(api, conversation.starter, conversation.group_uuid, "draft")
    assert edit(api, conversation.starter, conversation.group_uuid, sent["uuid"], {"message": "final"}).status == 200
    deleted = delete(api, conversation.starter, conversation.group_uuid, sent["uuid"]).body
    assert (deleted["message"], deleted["edited_at"]) == (None, None)


def test_a_deleted_message_s_text_is_gone_from_every_table_and_its_replay(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    secret = f"my secret {uuid.uuid4()}"
    key = str(uuid.uuid4())
    sent = post(api, conversation.starter, conversation.group_uuid, secret, key=key)
    drain(stack, conversation.group_uuid)  # both previews show it
    assert secret in table_text(stack)

    assert delete(api, conversation.starter, conversation.group_uuid, sent["uuid"]).status == 200
    drain(stack, conversation.group_uuid)
    assert secret not in table_text(stack)
    # The Idempotency-Key's retry answers the message as it now is: the tombstone, not a stored copy.
    body = {"message_group_uuid": conversation.group_uuid, "message": secret}
    replay = api.post("/api/messages", conversation.starter, body, headers={"idempotency-key": key})
    assert (replay.status, replay.body["uuid"], replay.body["message"]) == (201, sent["uuid"], None)


def test_a_retry_after_an_edit_answers_the_edited_message(api: ApiClient, conversation: Conversation) -> None:
    key = str(uuid.uuid4())
    sent = post(api, conversation.starter, conversation.group_uuid, "teh plan", key=key)
    assert edit(api, conversation.starter, conversation.group_uuid, sent["uuid"], {"message": "the plan"}).status == 200
    body = {"message_group_uuid": conversation.group_uuid, "message": "teh plan"}
    replay = api.post("/api/messages", conversation.starter, body, headers={"idempotency-key": key})
    assert (replay.status, replay.body["uuid"], replay.body["message"]) == (201, sent["uuid"], "the plan")


# --- previews and unread counts (pattern E over real stream records) ----------------------------------------------


def test_editing_the_newest_message_changes_both_previews_and_no_count(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    group = conversation.group_uuid
    sent = post(api, conversation.starter, group, "lunch at noon?")
    drain(stack, group)
    before = entry(api, conversation.other, group)["unread_count"]
    assert edit(api, conversation.starter, group, sent["uuid"], {"message": "lunch at one?"}).status == 200
    drain(stack, group)
    for member in (conversation.starter, conversation.other):
        assert entry(api, member, group)["message"] == "lunch at one?"
        assert entry(api, member, group)["created_at"] == sent["created_at"]
    assert entry(api, conversation.other, group)["unread_count"] == before
    assert entry(api, conversation.starter, group)["unread_count"] == 0


def test_editing_an_older_message_leaves_the_previews_on_the_newest(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    group = conversation.group_uuid
    older = post(api, conversation.starter, group, "older")
    post(api, conversation.other, group, "newest")
    drain(stack, group)
    assert edit(api, conversation.starter, group, older["uuid"], {"message": "older, edited"}).status == 200
    drain(stack, group)
    assert {entry(api, member, group)["message"] for member in (conversation.starter, conversation.other)} == {"newest"}


def test_deleting_the_newest_message_shows_it_deleted_in_both_previews(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    group = conversation.group_uuid
    sent = post(api, conversation.starter, group, "oops, wrong chat")
    drain(stack, group)
    assert entry(api, conversation.other, group)["unread_count"] == 2  # the first message and this one
    assert delete(api, conversation.starter, group, sent["uuid"]).status == 200
    drain(stack, group)
    for member in (conversation.starter, conversation.other):
        shown = entry(api, member, group)
        assert (shown["message"], shown["created_at"]) == (None, sent["created_at"])
    assert entry(api, conversation.other, group)["unread_count"] == 1


def test_deleting_an_unread_older_message_takes_it_out_of_the_count(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    group = conversation.group_uuid
    doomed = post(api, conversation.starter, group, "unread, then deleted")
    post(api, conversation.starter, group, "still unread")
    drain(stack, group)
    assert entry(api, conversation.other, group)["unread_count"] == 3
    assert delete(api, conversation.starter, group, doomed["uuid"]).status == 200
    drain(stack, group)
    assert entry(api, conversation.other, group)["unread_count"] == 2
    assert entry(api, conversation.other, group)["message"] == "still unread"


def test_deleting_a_message_already_read_changes_no_count(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    group = conversation.group_uuid
    read = post(api, conversation.starter, group, "read already")
    drain(stack, group)
    marker = api.request(
        "PUT",
        f"/api/message_groups/{group}/read",
        conversation.other,
        body=json.dumps({"uuid": read["uuid"]}),
        headers={"content-type": "application/json"},
    )
    assert (marker.status, marker.body["unread_count"]) == (200, 0)
    post(api, conversation.starter, group, "new and unread")
    drain(stack, group)
    assert delete(api, conversation.starter, group, read["uuid"]).status == 200
    drain(stack, group)
    assert entry(api, conversation.other, group)["unread_count"] == 1


def test_redelivered_and_reordered_change_records_never_take_a_preview_back(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation
) -> None:
    group = conversation.group_uuid
    sent = post(api, conversation.starter, group, "v0")
    for text in ("v1", "v2"):
        assert edit(api, conversation.starter, group, sent["uuid"], {"message": text}).status == 200
    records = [r for r in stream_records(stack) if r["dynamodb"]["Keys"]["pk"]["S"] == f"MSG#{group}"]
    changes = [r for r in records if r["eventName"] == "MODIFY"]
    assert apply(stack, records) == []
    assert apply(stack, changes[::-1] + records[::-1]) == []  # everything again, newest first
    for member in (conversation.starter, conversation.other):
        assert entry(api, member, group)["message"] == "v2"
    assert entry(api, conversation.other, group)["unread_count"] == 2


def test_the_stream_consumers_log_no_text_of_a_deleted_message(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    log_output: io.StringIO,
) -> None:
    group, secret = conversation.group_uuid, f"secret {uuid.uuid4()}"
    sent = post(api, conversation.starter, group, secret)
    assert delete(api, conversation.starter, group, sent["uuid"]).status == 200
    records = [r for r in stream_records(stack) if r["dynamodb"]["Keys"]["pk"]["S"] == f"MSG#{group}"]
    assert any(r["eventName"] == "MODIFY" and secret in repr(r) for r in records)  # the old image has it
    assert apply(stack, records) == []
    stack.functions.invoke(PUSH_FUNCTION, stream_batch(records, ""))
    assert log_output.getvalue()  # the functions did log
    assert secret not in log_output.getvalue()
