"""The HTTP edge without a server: request parsing, the one error table, keys and items."""

import base64
import json
from typing import Any

import pytest

from messaging.api.error_table import error_response
from messaging.api.models import CreateMessageRequest
from messaging.api.request import MAX_BODY_BYTES, HttpRequest
from messaging.core import errors
from messaging.core.domain import Message, User
from messaging.table import keys
from messaging.table.items import message_from_item, message_group_from_item, message_group_item, message_item

ANN = User("11111111-1111-4111-8111-111111111111", "Ann", "ann")
BOB = User("22222222-2222-4222-8222-222222222222", "Bob", "bob")
GROUP = "33333333-3333-4333-8333-333333333333"


def request(body: Any = None, *, headers: dict[str, str] | None = None, base64_body: bool = False) -> HttpRequest:
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    event: dict[str, Any] = {"headers": headers or {}, "body": raw, "isBase64Encoded": base64_body}
    return HttpRequest(event, None)  # type: ignore[arg-type]


def error_of(call: Any) -> errors.MessagingError:
    with pytest.raises(errors.MessagingError) as raised:
        call()
    return raised.value


# Every domain error has its row: nothing falls through to a 500 by omission.


def all_subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *all_subclasses(direct)}}


@pytest.mark.parametrize("error_type", sorted(all_subclasses(errors.MessagingError), key=lambda t: t.__name__))
def test_every_domain_error_is_in_the_one_table(error_type: type[errors.MessagingError]) -> None:
    response = error_response(error_type("why"))
    assert response.body == {"error": error_type.code, "message": "why"}
    assert 400 <= response.status < 600


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.InvalidJson("x"), 400),
        (errors.InvalidCursor("x"), 400),
        (errors.Unauthenticated("x"), 401),
        (errors.NotAMember("x"), 403),
        (errors.UserNotFound("x"), 404),
        (errors.RequestInProgress("x"), 409),
        (errors.PayloadTooLarge("x"), 413),
        (errors.InvalidRequest("x"), 422),
        (errors.MessageNotInGroup("x"), 422),
        (errors.DependencyUnavailable("x"), 503),
    ],
)
def test_client_errors_map_to_their_status(error: errors.MessagingError, status: int) -> None:
    response = error_response(error)
    assert response.status == status
    assert ("retry-after" in response.headers) == (status in {409, 503})


# Request parsing.


def test_a_valid_body_is_parsed_and_the_message_trimmed() -> None:
    parsed = request({"message_group_uuid": GROUP, "message": "  hello  ", "extra": 1}).json_body(CreateMessageRequest)
    assert (str(parsed.message_group_uuid), parsed.message) == (GROUP, "hello")


@pytest.mark.parametrize(
    ("body", "base64_body", "code"),
    [
        ("", False, "invalid_json"),
        ("{", False, "invalid_json"),
        ("[" * 5000, False, "invalid_json"),
        ('{"message": NaN}', False, "invalid_json"),
        ("not base64!", True, "invalid_json"),
        ("[]", False, "validation_error"),
        ('{"message_group_uuid": "nope", "message": "x"}', False, "validation_error"),
        ("x" * (MAX_BODY_BYTES + 1), False, "payload_too_large"),
    ],
)
def test_bad_bodies_are_refused_with_their_code(body: str, base64_body: bool, code: str) -> None:
    sent = base64.b64encode(body.encode()).decode() if base64_body and body != "not base64!" else body
    assert error_of(lambda: request(sent, base64_body=base64_body).json_body(CreateMessageRequest)).code == code


@pytest.mark.parametrize("key", ["", "x" * 129, "caf\u00e9", "tab\there"])
def test_an_idempotency_key_must_be_short_printable_ascii(key: str) -> None:
    assert error_of(lambda: request(headers={"Idempotency-Key": key}).idempotency_key).code == "validation_error"


def test_without_verified_claims_there_is_no_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    bearer = request(headers={"authorization": "Bearer something.that.looks.valid"})
    assert error_of(lambda: bearer.caller_id).code == "unauthorized"


# Keys and items.


def test_a_message_survives_its_item() -> None:
    message = Message.new(GROUP, ANN, BOB.uuid, "hello")
    item = message_item(message)
    assert (item["pk"]["S"], item["sk"]["S"]) == (keys.messages_pk(GROUP), message.sort_key)
    assert message_from_item(item) == message


def test_a_new_member_item_names_the_other_member_and_leaves_counting_to_pattern_e() -> None:
    first = Message.new(GROUP, ANN, BOB.uuid, "hi")
    mine = message_group_item(ANN, BOB, first)
    assert mine["pk"]["S"] == keys.groups_pk(ANN.uuid)
    shown = message_group_from_item(mine)
    assert (shown.other, shown.last_message, shown.unread_count) == (BOB, "hi", 0)
    # Nothing accounted yet: pattern E applies the first message's record like any other, in one write.
    assert not {"last_message_sk", "last_read_sk", "unread_count"} & set(mine)


def test_a_pair_key_is_the_same_whoever_starts() -> None:
    assert keys.pair_key(ANN.uuid, BOB.uuid) == keys.pair_key(BOB.uuid, ANN.uuid)


def test_unread_counts_past_the_cap_read_as_the_cap() -> None:
    item = message_group_item(BOB, ANN, Message.new(GROUP, ANN, BOB.uuid, "hi")) | {"unread_count": {"N": "250"}}
    assert message_group_from_item(item).unread_count == 100
