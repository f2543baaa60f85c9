"""Pattern D: POST /api/groups."""

import uuid

import psycopg2.errors
import pytest

from messaging.safety import store as safety_store
from tests.api_client import ApiClient

PATH = "/api/message_groups"


def test_a_first_message_starts_a_conversation(api: ApiClient, new_user) -> None:
    me, them = new_user("Me"), new_user("Them")
    response = api.post(PATH, me, {"handle": them.handle, "message": "  nice to meet you  "})

    assert response.status == 201
    body = response.body
    assert set(body) == {
        "message_group_uuid",
        "uuid",
        "display_name",
        "handle",
        "message",
        "created_at",
        "edited_at",
        "deleted_at",
    }
    assert uuid.UUID(body["uuid"]).version == 7  # time-ordered: the message's key in its group
    assert (body["handle"], body["display_name"], body["message"]) == (me.handle, "Me", "nice to meet you")
    uuid.UUID(body["message_group_uuid"])
    for member in (me, them):
        messages = api.get(f"/api/messages/{body['message_group_uuid']}", member).body
        assert messages == [{k: v for k, v in body.items() if k != "message_group_uuid"}]


def test_both_members_see_the_new_conversation_with_the_other_member(api: ApiClient, new_user) -> None:
    me, them = new_user("Me"), new_user("Them")
    group = api.post(PATH, me, {"handle": them.handle, "message": "first"}).body["message_group_uuid"]

    mine = api.get(PATH, me).body
    theirs = api.get(PATH, them).body
    assert [(g["uuid"], g["handle"], g["display_name"], g["message"]) for g in mine] == [
        (group, them.handle, "Them", "first")
    ]
    assert [(g["uuid"], g["handle"], g["display_name"], g["message"]) for g in theirs] == [
        (group, me.handle, "Me", "first")
    ]


def test_a_pair_never_gets_a_second_conversation(api: ApiClient, new_user) -> None:
    me, them = new_user(), new_user()
    first = api.post(PATH, me, {"handle": them.handle, "message": "one"})
    again = api.post(PATH, me, {"handle": them.handle, "message": "two"})
    reverse = api.post(PATH, them, {"handle": me.handle, "message": "three"})

    assert (first.status, again.status, reverse.status) == (201, 200, 200)
    group = first.body["message_group_uuid"]
    assert again.body["message_group_uuid"] == reverse.body["message_group_uuid"] == group
    assert [m["message"] for m in api.get(f"/api/messages/{group}", me).body] == ["one", "two", "three"]
    assert len(api.get(PATH, me).body) == len(api.get(PATH, them).body) == 1


def test_a_pair_created_after_the_lookup_still_gets_no_second_conversation(
    api: ApiClient, new_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pair read is only a shortcut: when a racing request creates the pair after it, the transaction decides."""
    me, them = new_user(), new_user()
    first = api.post(PATH, me, {"handle": them.handle, "message": "one"})
    # As if the read came before the racing request's write.
    monkeypatch.setattr(safety_store, "pair", lambda *_users: None)

    raced = api.post(PATH, them, {"handle": me.handle, "message": "two"})

    assert (first.status, raced.status) == (201, 200)
    group = first.body["message_group_uuid"]
    assert raced.body["message_group_uuid"] == group
    assert [m["message"] for m in api.get(f"/api/messages/{group}", them).body] == ["one", "two"]
    assert len(api.get(PATH, me).body) == len(api.get(PATH, them).body) == 1


@pytest.mark.parametrize("written", ["{handle}", "@{handle}", "{HANDLE}", "  @{HANDLE} "])
def test_a_handle_is_found_without_case_and_without_its_at(api: ApiClient, new_user, written: str) -> None:
    me, them = new_user(), new_user("Them")
    handle = written.format(handle=them.handle, HANDLE=them.handle.upper())
    response = api.post(PATH, me, {"handle": handle, "message": "found you"})
    assert response.status == 201, response.body
    (group,) = api.get(PATH, me).body
    assert (group["handle"], group["display_name"]) == (them.handle, "Them")


@pytest.mark.parametrize("handle", ["@", " @ ", "@@"])
def test_an_at_sign_alone_names_nobody(api: ApiClient, new_user, handle: str) -> None:
    response = api.post(PATH, new_user(), {"handle": handle, "message": "hello?"})
    assert response.status in {404, 422}, response.body  # "@@" is the handle "@", which nobody has


def test_handles_are_unique_whatever_their_case(new_user, database) -> None:
    taken = new_user()
    with pytest.raises(psycopg2.errors.UniqueViolation), database.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (display_name, handle, email) VALUES ('Twin', %s, 'twin@test.example')",
            (taken.handle.upper(),),
        )


def test_an_unknown_handle_is_404(api: ApiClient, new_user) -> None:
    me = new_user()
    response = api.post(PATH, me, {"handle": "nobody_" + uuid.uuid4().hex, "message": "hello?"})
    assert (response.status, response.error) == (404, "user_not_found")
    assert api.get(PATH, me).body == []


def test_messaging_yourself_is_422(api: ApiClient, new_user) -> None:
    me = new_user()
    response = api.post(PATH, me, {"handle": me.handle, "message": "note to self"})
    assert (response.status, response.error) == (422, "cannot_message_self")
    assert api.get(PATH, me).body == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "hi"}, "handle"),
        ({"handle": "", "message": "hi"}, "handle"),
        ({"handle": "x" * 101, "message": "hi"}, "handle"),
        ({"handle": "bayko", "message": ""}, "message"),
        ({"handle": "bayko", "message": "x" * 1025}, "message"),
    ],
)
def test_invalid_fields_are_422(api: ApiClient, new_user, body: dict, field: str) -> None:
    response = api.post(PATH, new_user(), body)
    assert (response.status, response.error) == (422, "validation_error")
    assert field in [detail["field"] for detail in response.body["details"]]


def test_malformed_json_is_400(api: ApiClient, new_user) -> None:
    response = api.post(PATH, new_user(), '{"handle": ')
    assert (response.status, response.error) == (400, "invalid_json")


class TestIdempotencyKey:
    def test_a_retry_returns_the_first_answer_and_creates_one_conversation(self, api: ApiClient, new_user) -> None:
        me, them = new_user(), new_user()
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = api.post(PATH, me, {"handle": them.handle, "message": "once"}, key)
        retry = api.post(PATH, me, {"handle": them.handle, "message": "once"}, key)

        assert (first.status, retry.status) == (201, 201)
        assert retry.body == first.body
        assert [m["message"] for m in api.get(f"/api/messages/{first.body['message_group_uuid']}", me).body] == ["once"]

    def test_a_key_used_for_a_message_is_free_for_a_conversation(self, api: ApiClient, new_user) -> None:
        me, them, third = new_user(), new_user(), new_user()
        key = {"Idempotency-Key": str(uuid.uuid4())}
        group = api.post(PATH, me, {"handle": them.handle, "message": "hi"}).body["message_group_uuid"]
        message = api.post("/api/messages", me, {"message_group_uuid": group, "message": "hi"}, key)
        conversation = api.post(PATH, me, {"handle": third.handle, "message": "hi"}, key)

        assert (message.status, conversation.status) == (201, 201)
        assert conversation.body["message_group_uuid"] != group

    def test_a_failed_request_can_be_retried_with_its_key(self, api: ApiClient, new_user, database) -> None:
        me = new_user()
        handle = "late_" + uuid.uuid4().hex[:10]
        key = {"Idempotency-Key": str(uuid.uuid4())}
        body = {"handle": handle, "message": "are you there yet?"}

        assert api.post(PATH, me, body, key).status == 404
        with database.cursor() as cursor:
            cursor.execute(
                "INSERT INTO users (display_name, handle, email) VALUES ('Late', %s, %s)", (handle, f"{handle}@x")
            )
        assert api.post(PATH, me, body, key).status == 201
