"""The WebSocket edge without a server: $default answers a ping and turns anything else into an error frame,
never a failure; the authorizer allows any valid token, naming its sub, and fails the rest as API Gateway
expects; $connect stores a registered user's connection and refuses a sign-in without a profile (403);
$disconnect forgets exactly its own connection, found by its id. The connections table is the template's,
in moto's in-process mock."""

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from messaging.core import aws
from messaging.core.config import settings
from messaging.core.domain import User
from messaging.core.errors import Unauthenticated, UserNotRegistered
from messaging.realtime import authorizer
from messaging.realtime import connect as connect_route
from messaging.realtime.connect import connect
from messaging.realtime.routes import answer_frame, disconnect, websocket_handler
from tests.unit.function_environment import use_function_environment
from tooling.tables import ensure_table, table_definitions
from tooling.template import Template

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/$connect"


class Context:
    function_name = "WebSocketDefaultFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:WebSocketDefaultFunction"
    aws_request_id = "request-1"


TEMPLATE = Template(parameter_overrides={"UserPoolId": "us-east-1_testpool", "UserPoolClientId": "testclient"})
TOKEN_EXPIRES_AT = 1_795_595_000  # seconds; the events below connect at 1_795_592_297


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The WebSocket functions' environment as the template declares it, and its tables in moto's mock."""
    use_function_environment(
        monkeypatch, TEMPLATE, "WebSocketConnectFunction", "WebSocketDefaultFunction", "WebSocketDisconnectFunction"
    )
    settings.cache_clear()
    aws.dynamodb.cache_clear()
    with mock_aws():
        for definition in table_definitions(TEMPLATE):
            if definition.logical_id in {"ConnectionsTable", "RateLimitsTable"}:
                ensure_table(aws.dynamodb(), definition)
        yield
    aws.dynamodb.cache_clear()
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
        return {"sub": self.sub, "exp": TOKEN_EXPIRES_AT}


def authorizer_event(query: dict | None) -> dict:
    event: dict = {"type": "REQUEST", "methodArn": METHOD_ARN, "requestContext": {"routeKey": "$connect"}}
    if query is not None:
        event["queryStringParameters"] = query
    return event


@pytest.mark.parametrize("sub", ["alice-sub", "ghost-sub"])
def test_a_valid_token_is_allowed_with_its_sub_as_principal_and_context(sub: str) -> None:
    # Whether the sign-in has a Cruddur profile is $connect's question: the authorizer reads no database.
    policy = authorizer.authorize(authorizer_event({"token": "good"}), Verifier(sub))
    assert policy == {
        "principalId": sub,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}],
        },
        "context": {"sub": sub, "exp": TOKEN_EXPIRES_AT},
    }


@pytest.mark.parametrize("query", [None, {}, {"token": ""}, {"token": "forged"}])
def test_a_missing_or_bad_token_fails_with_unauthorized_which_api_gateway_answers_401(query: dict | None) -> None:
    with pytest.raises(authorizer.Unauthorized) as refused:
        authorizer.authorize(authorizer_event(query), Verifier("alice-sub"))
    assert str(refused.value) == "Unauthorized"


# -----------------------------------------------------------------------------------------------------------------
# $connect and $disconnect, against the template's connections table
# -----------------------------------------------------------------------------------------------------------------
ALICE = User("alice-uuid", "Alice", "alice")
BOB = User("bob-uuid", "Bob", "bob")
PROFILES = {"alice-sub": ALICE, "bob-sub": BOB}


@pytest.fixture
def connections_table() -> str:
    """The template's ConnectionsTable (keys, GSI, TTL) in moto's in-process mock; its name."""
    return TEMPLATE.table_name("ConnectionsTable")


@pytest.fixture(autouse=True)
def directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user directory $connect asks: alice-sub and bob-sub have profiles, nobody else."""

    def caller(sub: str) -> User:
        if sub not in PROFILES:
            raise UserNotRegistered("Your sign-in is valid but no Cruddur profile is linked to it.")
        return PROFILES[sub]

    monkeypatch.setattr(connect_route, "caller", caller)


def route_event(route_key: str, connection_id: str, sub: str | None) -> dict[str, Any]:
    """A $connect or $disconnect event as API Gateway sends it once the authorizer allowed ``sub``."""
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": route_key.removeprefix("$").upper(),
        "connectionId": connection_id,
        "connectedAt": 1_795_592_297_123,
        "requestId": f"request-{connection_id}",
    }
    if sub is not None:
        context["authorizer"] = {"principalId": sub, "sub": sub, "exp": TOKEN_EXPIRES_AT, "integrationLatency": 12}
    return {"requestContext": context, "isBase64Encoded": False}


def open_(connection_id: str, sub: str | None) -> dict[str, Any]:
    return websocket_handler(connect)(route_event("$connect", connection_id, sub), Context())


def close(connection_id: str, sub: str | None) -> dict[str, Any]:
    return websocket_handler(disconnect)(route_event("$disconnect", connection_id, sub), Context())


def stored(table: str) -> set[tuple[str, str]]:
    items = aws.dynamodb().scan(TableName=table, ConsistentRead=True)["Items"]
    return {(item["user_uuid"]["S"], item["connection_id"]["S"]) for item in items}


def test_connect_stores_the_connection_under_the_user_of_the_authorized_sub(connections_table: str) -> None:
    assert open_("c1=", "alice-sub") == {"statusCode": 200}
    assert stored(connections_table) == {("alice-uuid", "c1=")}


def test_a_connection_expires_with_its_token_or_after_two_hours_whichever_is_first(connections_table: str) -> None:
    assert open_("c1=", "alice-sub") == {"statusCode": 200}
    (item,) = aws.dynamodb().scan(TableName=connections_table, ConsistentRead=True)["Items"]
    assert int(item["expires_at"]["N"]) == TOKEN_EXPIRES_AT  # the token's, 45 minutes after the connect
    event = route_event("$connect", "c2=", "alice-sub")
    event["requestContext"]["authorizer"]["exp"] = str(1_795_592_297 + 3 * 60 * 60)  # a string, and past 2 h
    assert websocket_handler(connect)(event, Context()) == {"statusCode": 200}
    items = aws.dynamodb().scan(TableName=connections_table, ConsistentRead=True)["Items"]
    (later,) = [item for item in items if item["connection_id"]["S"] == "c2="]
    assert int(later["expires_at"]["N"]) == 1_795_592_297 + 2 * 60 * 60


def test_connect_refuses_a_sub_without_a_profile_with_403_and_stores_nothing(connections_table: str) -> None:
    result = open_("c1=", "ghost-sub")
    assert result["statusCode"] == 403  # not 2xx: API Gateway refuses the upgrade with it
    assert json.loads(result["body"])["error"] == "user_not_registered"
    assert stored(connections_table) == set()


def test_connect_without_an_authorized_sub_is_401(connections_table: str) -> None:
    assert open_("c1=", None)["statusCode"] == 401
    assert stored(connections_table) == set()


def test_disconnect_forgets_exactly_its_own_connection_found_by_its_id(connections_table: str) -> None:
    for connection_id, sub in [("a1=", "alice-sub"), ("a2=", "alice-sub"), ("b1=", "bob-sub")]:
        assert open_(connection_id, sub)["statusCode"] == 200

    assert close("a1=", "alice-sub") == {"statusCode": 200}
    assert stored(connections_table) == {("alice-uuid", "a2="), ("bob-uuid", "b1=")}
    # $disconnect needs no user: only the id is used.
    assert close("b1=", None) == {"statusCode": 200}
    assert stored(connections_table) == {("alice-uuid", "a2=")}


def test_disconnect_of_an_unknown_or_already_forgotten_connection_changes_nothing(connections_table: str) -> None:
    assert open_("a1=", "alice-sub")["statusCode"] == 200
    assert close("zz=", "alice-sub") == {"statusCode": 200}
    assert close("a1=", "alice-sub") == {"statusCode": 200}
    assert close("a1=", "alice-sub") == {"statusCode": 200}
    assert stored(connections_table) == set()


@pytest.mark.parametrize(
    ("session", "stored_as"),
    [("page-1_A", "page-1_A"), ("x" * 65, None), ("a b", None), ("", None), ("é", None), ("ok\n", None)],
)
def test_connect_keeps_a_well_formed_page_session_and_ignores_any_other(
    connections_table: str, session: str, stored_as: str | None
) -> None:
    event = route_event("$connect", "c1=", "alice-sub")
    event["queryStringParameters"] = {"token": "checked", "session": session}
    assert websocket_handler(connect)(event, Context()) == {"statusCode": 200}
    (item,) = aws.dynamodb().scan(TableName=connections_table, ConsistentRead=True)["Items"]
    assert item.get("client_session", {}).get("S") == stored_as
