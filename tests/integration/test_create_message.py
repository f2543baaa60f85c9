"""Pattern C: POST /api/messages."""

import json
import time
import uuid
from datetime import UTC, datetime

import pytest

from local.stack import EmulatedStack
from messaging.core import domain
from tests.api_client import ApiClient
from tests.integration.conftest import Conversation
from tooling.message_keys import fixed_message_uuid

PATH = "/api/messages"


def hold_key(stack: EmulatedStack, key: str, *, in_progress_until_ms: int) -> None:
    """Turns the stored record of ``key`` back into an attempt in progress until the given time."""
    dynamodb, table = stack.client("dynamodb"), stack.template.table_name("IdempotencyTable")
    (record,) = [item for item in dynamodb.scan(TableName=table)["Items"] if item["id"]["S"].endswith(f"#{key}")]
    dynamodb.update_item(
        TableName=table,
        Key={"id": record["id"]},
        UpdateExpression="SET #status = :in_progress, in_progress_expiration = :until REMOVE #data",
        ExpressionAttributeNames={"#status": "status", "#data": "data"},
        ExpressionAttributeValues={":in_progress": {"S": "INPROGRESS"}, ":until": {"N": str(in_progress_until_ms)}},
    )


def messages_of(api: ApiClient, conversation: Conversation) -> list[dict]:
    response = api.get(f"/api/messages/{conversation.group_uuid}", conversation.starter, {"limit": "100"})
    assert response.status == 200
    return response.body


def test_a_member_posts_and_gets_the_message_back(api: ApiClient, conversation: Conversation) -> None:
    response = api.post(PATH, conversation.other, {"message_group_uuid": conversation.group_uuid, "message": "hi!"})

    assert response.status == 201
    assert set(response.body) == {"uuid", "display_name", "handle", "message", "created_at", "edited_at", "deleted_at"}
    assert (response.body["edited_at"], response.body["deleted_at"]) == (None, None)
    assert response.body["handle"] == conversation.other.handle
    assert response.body["message"] == "hi!"
    assert messages_of(api, conversation)[-1] == response.body


def test_surrounding_whitespace_is_trimmed_and_length_counts_code_points(
    api: ApiClient, conversation: Conversation
) -> None:
    longest = "🙂" * 1024  # 1024 code points, 4096 bytes of UTF-8
    first = api.post(PATH, conversation.starter, {"message_group_uuid": conversation.group_uuid, "message": "  hi \n"})
    second = api.post(PATH, conversation.starter, {"message_group_uuid": conversation.group_uuid, "message": longest})

    assert (first.status, first.body["message"]) == (201, "hi")
    assert (second.status, second.body["message"]) == (201, longest)
    assert [m["message"] for m in messages_of(api, conversation)[-2:]] == ["hi", longest]


@pytest.mark.parametrize("text", ["", "   \n\t ", "x" * 1025, " " + "é" * 1025])
def test_empty_and_too_long_messages_are_422_and_not_stored(
    api: ApiClient, conversation: Conversation, text: str
) -> None:
    response = api.post(PATH, conversation.starter, {"message_group_uuid": conversation.group_uuid, "message": text})

    assert (response.status, response.error) == (422, "validation_error")
    assert response.body["details"][0]["field"] == "message"
    assert len(messages_of(api, conversation)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "hi"}, "message_group_uuid"),
        ({"message_group_uuid": "nope", "message": "hi"}, "message_group_uuid"),
        ({"message_group_uuid": str(uuid.uuid4())}, "message"),
        ({"message_group_uuid": str(uuid.uuid4()), "message": 42}, "message"),
    ],
)
def test_missing_or_mistyped_fields_are_422(api: ApiClient, conversation: Conversation, body: dict, field: str) -> None:
    response = api.post(PATH, conversation.starter, body)
    assert (response.status, response.error) == (422, "validation_error")
    assert field in [detail["field"] for detail in response.body["details"]]


@pytest.mark.parametrize("raw", ['{"message": "hi"', "not json", "", "[1, 2"])
def test_malformed_json_is_400(api: ApiClient, conversation: Conversation, raw: str) -> None:
    response = api.post(PATH, conversation.starter, raw)
    assert (response.status, response.error) == (400, "invalid_json")


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null"])
def test_a_body_that_is_not_an_object_is_422(api: ApiClient, conversation: Conversation, raw: str) -> None:
    response = api.post(PATH, conversation.starter, raw)
    assert (response.status, response.error) == (422, "validation_error")


def test_a_body_over_16_kib_is_413(api: ApiClient, conversation: Conversation) -> None:
    body = json.dumps({"message_group_uuid": conversation.group_uuid, "message": "x", "pad": "y" * 16_400})
    response = api.post(PATH, conversation.starter, body)
    assert (response.status, response.error) == (413, "payload_too_large")
    assert len(messages_of(api, conversation)) == 1


def test_a_base64_encoded_body_is_accepted(api: ApiClient, conversation: Conversation) -> None:
    raw = json.dumps({"message_group_uuid": conversation.group_uuid, "message": "binary-safe"}).encode()
    response = api.post(PATH, conversation.starter, raw)
    assert (response.status, response.body["message"]) == (201, "binary-safe")


def test_non_members_get_403_and_nothing_is_written(api: ApiClient, conversation: Conversation, new_user) -> None:
    stranger = new_user()
    into_existing = api.post(PATH, stranger, {"message_group_uuid": conversation.group_uuid, "message": "let me in"})
    into_missing = api.post(PATH, stranger, {"message_group_uuid": str(uuid.uuid4()), "message": "anyone?"})

    assert (into_existing.status, into_existing.error) == (403, "not_a_member")
    assert (into_missing.status, into_missing.body) == (403, into_existing.body)
    assert [m["message"] for m in messages_of(api, conversation)] == ["hello there"]


def test_two_messages_created_in_the_same_millisecond_both_survive(
    api: ApiClient, conversation: Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two containers' uuids of one millisecond: the same time, the rest of the uuid apart.
    same_time = datetime(2030, 1, 1, tzinfo=UTC)
    uuids = iter([fixed_message_uuid(same_time, "first"), fixed_message_uuid(same_time, "second")])
    monkeypatch.setattr(domain, "new_message_uuid", lambda: next(uuids))
    body = {"message_group_uuid": conversation.group_uuid}
    first = api.post(PATH, conversation.starter, {**body, "message": "same time, first"})
    second = api.post(PATH, conversation.other, {**body, "message": "same time, second"})

    assert first.status == second.status == 201
    assert first.body["created_at"] == second.body["created_at"]
    stored = messages_of(api, conversation)
    assert {m["uuid"] for m in stored[-2:]} == {first.body["uuid"], second.body["uuid"]}


class TestIdempotencyKey:
    def test_a_retry_returns_the_first_answer_and_writes_one_message(
        self, api: ApiClient, conversation: Conversation
    ) -> None:
        body = {"message_group_uuid": conversation.group_uuid, "message": "only once"}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = api.post(PATH, conversation.starter, body, headers=key)
        retry = api.post(PATH, conversation.starter, body, headers=key)

        assert first.status == retry.status == 201
        assert retry.body == first.body
        assert [m["message"] for m in messages_of(api, conversation)].count("only once") == 1

    def test_the_same_key_with_another_body_is_422(self, api: ApiClient, conversation: Conversation) -> None:
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = api.post(
            PATH, conversation.starter, {"message_group_uuid": conversation.group_uuid, "message": "a"}, key
        )
        other = api.post(
            PATH, conversation.starter, {"message_group_uuid": conversation.group_uuid, "message": "b"}, key
        )

        assert first.status == 201
        assert (other.status, other.error) == (422, "idempotency_key_reused")
        assert [m["message"] for m in messages_of(api, conversation)] == ["hello there", "a"]

    def test_keys_are_per_caller(self, api: ApiClient, conversation: Conversation) -> None:
        key = {"Idempotency-Key": "shared-key-" + uuid.uuid4().hex}
        body = {"message_group_uuid": conversation.group_uuid, "message": "same words"}
        mine = api.post(PATH, conversation.starter, body, key)
        theirs = api.post(PATH, conversation.other, body, key)

        assert mine.status == theirs.status == 201
        assert mine.body["uuid"] != theirs.body["uuid"]

    def test_a_key_held_by_a_running_attempt_is_409_until_its_invocation_is_over(
        self, api: ApiClient, stack: EmulatedStack, conversation: Conversation
    ) -> None:
        body = {"message_group_uuid": conversation.group_uuid, "message": "held"}
        key = {"Idempotency-Key": "held-" + uuid.uuid4().hex}
        assert api.post(PATH, conversation.starter, body, key).status == 201
        now_ms = time.time_ns() // 1_000_000

        hold_key(stack, key["Idempotency-Key"], in_progress_until_ms=now_ms + 60_000)
        held = api.post(PATH, conversation.starter, body, key)
        assert (held.status, held.error, held.headers["retry-after"]) == (409, "request_in_progress", "1")

        # The attempt holding it timed out with its invocation: the key is free, the operation runs.
        hold_key(stack, key["Idempotency-Key"], in_progress_until_ms=now_ms - 1)
        assert api.post(PATH, conversation.starter, body, key).status == 201
        assert [m["message"] for m in messages_of(api, conversation)].count("held") == 2

    @pytest.mark.parametrize("key", ["", "k" * 129, "naïve", "tab\there"])
    def test_an_invalid_key_is_422(self, api: ApiClient, conversation: Conversation, key: str) -> None:
        body = {"message_group_uuid": conversation.group_uuid, "message": "hi"}
        response = api.post(PATH, conversation.starter, body, {"Idempotency-Key": key})
        assert (response.status, response.error) == (422, "validation_error")
