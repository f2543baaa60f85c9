"""The WebSocket edge without a server: $default answers a ping and turns anything else into an error frame,
never a failure; the authorizer admits a registered user and refuses the rest as API Gateway expects."""

import base64
import json
from collections.abc import Iterator

import pytest

from messaging.config import settings
from messaging.domain import User
from messaging.errors import Unauthenticated, UserNotRegistered
from messaging.websocket import authorizer
from messaging.websocket.routes import answer_frame, websocket_handler

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/$connect"


class Context:
    function_name = "WebSocketDefaultFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:WebSocketDefaultFunction"
    aws_request_id = "request-1"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MESSAGES_TABLE", "cruddur-messages")
    settings.cache_clear()
    yield
    settings.cache_clear()


def frame_event(body: str | bytes) -> dict:
    binary = isinstance(body, bytes)
    return {
        "requestContext": {"routeKey": "$default", "eventType": "MESSAGE", "connectionId": "c1", "requestId": "r1"},
        "body": base64.b64encode(body).decode() if binary else body,
        "isBase64Encoded": binary,
    }


def answer(body: str | bytes) -> tuple[int, dict]:
    result = websocket_handler(answer_frame)(frame_event(body), Context())
    return result["statusCode"], json.loads(result["body"])


def test_a_ping_is_answered_with_a_pong() -> None:
    assert answer('{"action": "ping"}') == (200, {"type": "pong"})


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"action": "sendmessage", "message": "hi"}', "validation_error"),
        ('{"action": 7}', "validation_error"),
        ("{}", "validation_error"),
        ("ping", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        ('{"action": "ping"', "invalid_json"),
        ("[" * 100_000, "payload_too_large"),
        (b"\x00\xff binary", "invalid_json"),
        ("", "invalid_json"),
        ('{"action": NaN}', "invalid_json"),
    ],
)
def test_anything_else_is_an_error_frame_never_a_failure(body: str | bytes, error: str) -> None:
    status, frame = answer(body)
    assert status == 200
    assert frame["type"] == "error"
    assert frame["error"] == error
    assert frame["message"]


class Verifier:
    def __init__(self, sub: str | None) -> None:
        self.sub = sub

    def claims(self, token: str) -> dict:
        if self.sub is None or token != "good":
            raise Unauthenticated("invalid token")
        return {"sub": self.sub}


@pytest.fixture
def directory(monkeypatch: pytest.MonkeyPatch) -> None:
    def caller(sub: str) -> User:
        if sub != "alice-sub":
            raise UserNotRegistered("no profile")
        return User("alice-uuid", "Alice", "alice")

    monkeypatch.setattr(authorizer, "caller", caller)


def connect_event(query: dict | None) -> dict:
    event: dict = {"type": "REQUEST", "methodArn": METHOD_ARN, "requestContext": {"routeKey": "$connect"}}
    if query is not None:
        event["queryStringParameters"] = query
    return event


@pytest.mark.usefixtures("directory")
def test_a_registered_user_is_allowed_to_connect_and_named_in_the_context() -> None:
    policy = authorizer.authorize(connect_event({"token": "good"}), Verifier("alice-sub"))
    assert policy == {
        "principalId": "alice-uuid",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}],
        },
        "context": {"user_uuid": "alice-uuid"},
    }


@pytest.mark.usefixtures("directory")
@pytest.mark.parametrize("query", [None, {}, {"token": ""}, {"token": "forged"}])
def test_a_missing_or_bad_token_fails_with_unauthorized_which_api_gateway_answers_401(query: dict | None) -> None:
    with pytest.raises(authorizer.Unauthorized) as refused:
        authorizer.authorize(connect_event(query), Verifier("alice-sub"))
    assert str(refused.value) == "Unauthorized"


@pytest.mark.usefixtures("directory")
def test_a_valid_token_without_a_profile_is_denied() -> None:
    policy = authorizer.authorize(connect_event({"token": "good"}), Verifier("ghost-sub"))
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "context" not in policy
