"""The real-time functions under `sam local invoke` against the `make dev` stack, proven without Docker.

As in tests/e2e/test_sam_local.py: each sample event of events/ runs through `python -m local.invoke` with
env.local.json, the file the README's `sam local` steps use (moved to the test stack's ports). The authorizer
checks a real token with the layer's one verifier, as it does in AWS and behind the make dev WebSocket gateway,
and allows its sub; $connect maps that sub to a user (403 without a profile) and stores the connection under it.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import psycopg2

from tests.dev_process import DevStack
from tests.e2e.test_sam_local import env_file, invoke, sample
from tooling.cognito import LOCAL_PASSWORD, ensure_users
from tooling.paths import PROJECT_ROOT

__all__ = ["env_file"]  # the fixture, shared with the HTTP samples' tests

ANDREW = "6f0a2d3e-1f53-4e4b-9d1c-8a3c2b7e0001"  # db/seed.sql
ANDREW_SUB = "5bc8fbbc-bde5-4099-8164-d8399f767c45"  # the local Cognito's, the same on every start
ROUTE_SAMPLES = ("websocket_connect", "websocket_disconnect", "websocket_default", "websocket_typing")


def with_token(token: str) -> dict[str, Any]:
    event = sample("websocket_authorizer")
    event["queryStringParameters"]["token"] = token
    event["multiValueQueryStringParameters"]["token"] = [token]
    return event


def stored_by_id(dev_stack: DevStack, connection_id: str) -> list[dict[str, Any]]:
    """The items of a connection id, whoever's (the table's connection-id-index)."""
    return dev_stack.client("dynamodb").query(
        TableName=dev_stack.state["connections_table"],
        IndexName="connection-id-index",
        KeyConditionExpression="connection_id = :c",
        ExpressionAttributeValues={":c": {"S": connection_id}},
    )["Items"]


def stored_connections(dev_stack: DevStack, user_uuid: str) -> list[str]:
    items = dev_stack.client("dynamodb").query(
        TableName=dev_stack.state["connections_table"],
        KeyConditionExpression="user_uuid = :u",
        ExpressionAttributeValues={":u": {"S": user_uuid}},
    )["Items"]
    return [item["connection_id"]["S"] for item in items]


def test_the_route_samples_carry_the_context_the_authorizer_gives_a_seeded_user(dev_stack: DevStack) -> None:
    with psycopg2.connect(dev_stack.state["connection_url"]) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT cognito_user_id FROM users WHERE handle = 'andrewbrown'")
        (andrew_sub,) = cursor.fetchone()
    connection.close()
    assert andrew_sub == ANDREW_SUB
    for name in ROUTE_SAMPLES:
        context = sample(name)["requestContext"]["authorizer"]
        assert (context["principalId"], context["sub"]) == (ANDREW_SUB, ANDREW_SUB), name


def test_the_authorizer_sample_allows_a_real_token_naming_its_sub(
    dev_stack: DevStack, env_file: Path, tmp_path: Path
) -> None:
    token = dev_stack.token("andrewbrown")
    event = with_token(token)
    policy = invoke("WebSocketAuthorizerFunction", event, env_file, tmp_path)
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert policy == {
        "principalId": ANDREW_SUB,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}],
        },
        "context": {"sub": ANDREW_SUB, "exp": expires_at},  # the connection expires with the token
    }


def test_a_token_without_a_profile_passes_the_authorizer_and_connect_refuses_it_with_403(
    dev_stack: DevStack, env_file: Path, tmp_path: Path
) -> None:
    ensure_users(dev_stack.cognito(), dev_stack.pool, [("samlocal_ghost", "ghost@sam.example")], LOCAL_PASSWORD)
    policy = invoke("WebSocketAuthorizerFunction", with_token(dev_stack.token("samlocal_ghost")), env_file, tmp_path)
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"  # the token is valid: nothing more

    connect = sample("websocket_connect")
    connect["requestContext"]["connectionId"] = "GhOsTcOnNeCtIo="
    connect["requestContext"]["authorizer"].update(principalId=policy["principalId"], **policy["context"])
    result = invoke("WebSocketConnectFunction", connect, env_file, tmp_path)
    assert (result["statusCode"], json.loads(result["body"])["error"]) == (403, "user_not_registered")
    assert stored_by_id(dev_stack, connect["requestContext"]["connectionId"]) == []


def test_the_authorizer_fails_a_bad_token_with_unauthorized(env_file: Path, tmp_path: Path) -> None:
    event_path = tmp_path / "bad-token.json"
    event_path.write_text(json.dumps(with_token("not.a.jwt")))
    command = ["-m", "local.invoke", "WebSocketAuthorizerFunction", "-e", str(event_path), "--env-vars", str(env_file)]
    done = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, *command],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "Unauthorized" in done.stderr.splitlines()[-1]  # what API Gateway turns into a 401


def test_the_connect_and_disconnect_samples_store_and_forget_the_connection(
    dev_stack: DevStack, env_file: Path, tmp_path: Path
) -> None:
    connect, disconnect = sample("websocket_connect"), sample("websocket_disconnect")
    connection_id = connect["requestContext"]["connectionId"]
    assert invoke("WebSocketConnectFunction", connect, env_file, tmp_path) == {"statusCode": 200}
    assert connection_id in stored_connections(dev_stack, ANDREW)
    assert invoke("WebSocketDisconnectFunction", disconnect, env_file, tmp_path) == {"statusCode": 200}
    assert connection_id not in stored_connections(dev_stack, ANDREW)


def test_the_default_sample_is_a_ping_answered_with_a_pong(env_file: Path, tmp_path: Path) -> None:
    result = invoke("WebSocketDefaultFunction", sample("websocket_default"), env_file, tmp_path)
    assert (result["statusCode"], json.loads(result["body"])) == (200, {"type": "pong"})


def test_the_typing_sample_is_relayed_to_bayko_and_answered_with_nothing(
    dev_stack: DevStack, env_file: Path, tmp_path: Path
) -> None:
    # The sample's connection is the connect sample's: stored, it names andrewbrown, a member of the seeded
    # conversation. Relayed (to none of bayko's connections: he has none), so the relay's limiter holds its key.
    connect, typing = sample("websocket_connect"), sample("websocket_typing")
    assert invoke("WebSocketConnectFunction", connect, env_file, tmp_path) == {"statusCode": 200}
    try:
        assert invoke("WebSocketTypingFunction", typing, env_file, tmp_path) == {"statusCode": 200}
        group = json.loads(typing["body"])["message_group_uuid"]
        key = f"typing#{typing['requestContext']['connectionId']}#{group}"
        limits = dev_stack.client("dynamodb").get_item(
            TableName=f"{dev_stack.state['messages_table']}-limits", Key={"id": {"S": key}}, ConsistentRead=True
        )
        assert "Item" in limits
    finally:
        invoke("WebSocketDisconnectFunction", sample("websocket_disconnect"), env_file, tmp_path)


def test_the_push_sample_posts_to_nobody_and_fails_nothing(env_file: Path, tmp_path: Path) -> None:
    # Its members have no connection under sam local (the management endpoint is make dev's own): nothing to post.
    assert invoke("MessagePushFunction", sample("message_push"), env_file, tmp_path) == {"batchItemFailures": []}
