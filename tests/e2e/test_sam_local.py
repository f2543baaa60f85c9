"""`sam local` against the `make dev` stack, proven without Docker.

`python -m local.invoke` runs a function as SAM CLI's container does (`AWS_SAM_LOCAL=true`, the `--env-vars`
file on top of the template's environment), so every sample event of events/ is invoked here with env.local.json,
the file the README's `sam local` steps use. SAM's `start-api` passes requests on without the JWT authorizer's
claims: the layer then checks the bearer token itself, by the authorizer's rules.
"""

import json
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import jwt
import psycopg2
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from messaging.core.domain import message_time
from tests.dev_process import DevStack
from tests.e2e.test_tokens import moto_signing_key, sign
from tooling.cognito import LOCAL_PASSWORD, access_token, ensure_user_pool, ensure_users
from tooling.paths import PROJECT_ROOT
from tooling.seed import SEED_GROUP_UUID
from tooling.template import Template

EVENTS = PROJECT_ROOT / "events"
ENV_FILE = PROJECT_ROOT / "env.local.json"
# What env.local.json says of make dev's default ports; the test stack runs on free ones.
DEFAULT_MOTO_URL = "http://127.0.0.1:8000"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5433/cruddur"


@pytest.fixture(scope="module")
def env_file(dev_stack: DevStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = ENV_FILE.read_text()
    assert DEFAULT_MOTO_URL in text
    assert DEFAULT_POSTGRES_URL in text
    moved = text.replace(DEFAULT_MOTO_URL, dev_stack.state["aws_endpoint_url"]).replace(
        DEFAULT_POSTGRES_URL, dev_stack.state["postgres_tcp_url"]
    )
    path = tmp_path_factory.mktemp("sam-local") / "env.json"
    path.write_text(moved)
    return path


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def function_of(sample_name: str) -> str:
    """The function whose sample event ``sample_name`` is (its code directory's name)."""
    return next(f.logical_id for f in Template().functions.values() if f.code_dir.name == sample_name)


def invoke(function: str, event: dict[str, Any], env_file: Path, tmp_path: Path) -> dict[str, Any]:
    event_path = tmp_path / f"{function}-{time.monotonic_ns()}.json"
    event_path.write_text(json.dumps(event))
    done = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "local.invoke", function, "-e", str(event_path), "--env-vars", str(env_file)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def body(result: dict[str, Any]) -> Any:
    return json.loads(result["body"])


def test_there_is_one_sample_per_function() -> None:
    functions = Template().functions.values()
    assert {p.stem for p in EVENTS.glob("*.json")} == {f.code_dir.name for f in functions}


def test_env_file_names_the_pool_make_dev_creates(dev_stack: DevStack) -> None:
    parameters = json.loads(ENV_FILE.read_text())["Parameters"]
    pool_id = dev_stack.state["user_pool_id"]
    assert parameters["COGNITO_CLIENT_ID"] == dev_stack.state["user_pool_client_id"]
    assert parameters["COGNITO_ISSUER"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"
    assert parameters["COGNITO_JWKS_URL"] == f"{DEFAULT_MOTO_URL}/{pool_id}/.well-known/jwks.json"
    # samconfig.toml gives `sam local` the same pool as template parameters.
    samconfig = tomllib.loads((PROJECT_ROOT / "samconfig.toml").read_text())["default"]
    expected = f"UserPoolId={pool_id} UserPoolClientId={dev_stack.state['user_pool_client_id']}"
    for command in ("local_start_api", "local_invoke"):
        assert samconfig[command]["parameters"]["parameter_overrides"] == expected
        assert samconfig[command]["parameters"]["env_vars"] == "env.local.json"


def test_the_samples_speak_for_a_seeded_user(dev_stack: DevStack) -> None:
    with psycopg2.connect(dev_stack.state["connection_url"]) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT cognito_user_id FROM users WHERE handle = 'andrewbrown'")
        (andrew_sub,) = cursor.fetchone()
    connection.close()
    for name in (
        "list_messages",
        "list_message_groups",
        "create_message",
        "create_message_group",
        "mark_read",
        "edit_message",
        "delete_message",
        "report_message",
        "accept_message_group",
    ):
        assert sample(name)["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == andrew_sub, name


def test_list_messages_sample_reads_the_seeded_conversation(env_file: Path, tmp_path: Path) -> None:
    result = invoke("ListMessagesFunction", sample("list_messages"), env_file, tmp_path)
    assert result["statusCode"] == 200
    messages = body(result)
    assert len(messages) == 20
    # Its newest 20: the seeded ones, or what earlier tests of the session posted into it (the fuzzer, the samples).
    assert {m["handle"] for m in messages} <= {"andrewbrown", "bayko"}
    assert 'rel="next"' in result["headers"]["link"]


def test_list_message_groups_sample_lists_the_conversation_with_bayko(env_file: Path, tmp_path: Path) -> None:
    result = invoke("ListMessageGroupsFunction", sample("list_message_groups"), env_file, tmp_path)
    assert result["statusCode"] == 200
    assert [(g["uuid"], g["handle"]) for g in body(result) if g["uuid"] == SEED_GROUP_UUID] == [
        (SEED_GROUP_UUID, "bayko")
    ]


def test_create_message_sample_posts_into_the_seeded_conversation(env_file: Path, tmp_path: Path) -> None:
    event = sample("create_message")
    result = invoke("CreateMessageFunction", event, env_file, tmp_path)
    assert result["statusCode"] == 201
    assert body(result)["message"] == json.loads(event["body"])["message"]
    newest = body(invoke("ListMessagesFunction", sample("list_messages"), env_file, tmp_path))[-1]
    assert newest["uuid"] == body(result)["uuid"]


def test_create_message_group_sample_continues_the_pair_s_conversation(env_file: Path, tmp_path: Path) -> None:
    result = invoke("CreateMessageGroupFunction", sample("create_message_group"), env_file, tmp_path)
    assert result["statusCode"] == 200  # andrewbrown and bayko already share the seeded conversation
    assert body(result)["message_group_uuid"] == SEED_GROUP_UUID


def test_mark_read_sample_reads_the_seeded_conversation_to_its_end(env_file: Path, tmp_path: Path) -> None:
    result = invoke("MarkReadFunction", sample("mark_read"), env_file, tmp_path)
    assert result["statusCode"] == 200
    read = body(result)
    assert (read["uuid"], read["unread_count"]) == (SEED_GROUP_UUID, 0)
    # The marker is the sample's message, or andrewbrown's own later one (create_message's sample): never older.
    assert read["last_read_at"] >= message_time(json.loads(sample("mark_read")["body"])["uuid"])


def test_accept_sample_answers_that_the_seeded_conversation_is_no_request(env_file: Path, tmp_path: Path) -> None:
    result = invoke("AcceptMessageGroupFunction", sample("accept_message_group"), env_file, tmp_path)
    assert (result["statusCode"], body(result)) == (200, {"uuid": SEED_GROUP_UUID, "request": False})


def test_the_stream_sample_fails_only_the_record_of_a_group_without_members(env_file: Path, tmp_path: Path) -> None:
    event = sample("message_stream")
    result = invoke("MessageStreamFunction", event, env_file, tmp_path)
    orphans = [
        r["dynamodb"]["SequenceNumber"]
        for r in event["Records"]
        if r["eventName"] == "INSERT" and SEED_GROUP_UUID not in r["dynamodb"]["Keys"]["pk"]["S"]
    ]
    assert orphans
    assert result == {"batchItemFailures": [{"itemIdentifier": number} for number in orphans]}


# `sam local start-api`: no authorizer claims in the event, only the client's Authorization header.


def start_api_event(authorization: str | None) -> dict[str, Any]:
    event = sample("list_message_groups")
    del event["requestContext"]["authorizer"]
    event["headers"].pop("authorization", None)
    if authorization is not None:
        event["headers"]["authorization"] = authorization
    return event


def test_under_sam_local_the_layer_checks_a_real_token(dev_stack: DevStack, env_file: Path, tmp_path: Path) -> None:
    token = dev_stack.token("bayko")
    result = invoke("ListMessageGroupsFunction", start_api_event(f"Bearer {token}"), env_file, tmp_path)
    assert result["statusCode"] == 200
    assert [g["handle"] for g in body(result) if g["uuid"] == SEED_GROUP_UUID] == ["andrewbrown"]


def _foreign_pool_token(dev_stack: DevStack) -> str:
    cognito = dev_stack.cognito()
    pool = ensure_user_pool(cognito, "us-east-1", pool_name="someone-elses-pool")
    ensure_users(cognito, pool, [("andrewbrown", "andrew@elsewhere.example")], LOCAL_PASSWORD)
    return access_token(cognito, pool, "andrewbrown", LOCAL_PASSWORD)["AccessToken"]


def _refused_tokens(dev_stack: DevStack) -> dict[str, str | None]:
    valid = jwt.decode(dev_stack.token("andrewbrown"), options={"verify_signature": False})
    now = int(time.time())
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "no header": None,
        "not a token": "Bearer not.a.jwt",
        "forged": f"Bearer {sign(valid, impostor)}",
        "expired": f"Bearer {sign({**valid, 'iat': now - 7200, 'exp': now - 3600}, moto_signing_key().key)}",
        "ID token": f"Bearer {dev_stack.tokens('andrewbrown')['IdToken']}",
        "foreign pool": f"Bearer {_foreign_pool_token(dev_stack)}",
    }


def test_under_sam_local_bad_tokens_are_401(dev_stack: DevStack, env_file: Path, tmp_path: Path) -> None:
    for kind, authorization in _refused_tokens(dev_stack).items():
        result = invoke("ListMessageGroupsFunction", start_api_event(authorization), env_file, tmp_path)
        assert result["statusCode"] == 401, kind
        assert body(result)["error"] == "unauthorized", kind


# In AWS the JWT authorizer checks iss and aud-or-client_id, which an ID token passes (its aud is the app client):
# whatever reaches a function, only an access token's claims name a caller. Each HTTP function, with the claims
# API Gateway would hand it for this sign-in's ID token, then its access token.

HTTP_FUNCTIONS = sorted(f.logical_id for f in Template().functions.values() if f.http_routes)


def with_authorizer_claims(event: dict[str, Any], token: str) -> dict[str, Any]:
    claims = jwt.decode(token, options={"verify_signature": False})
    # API Gateway hands every claim over as a string, and the scopes the route asked for that the token has.
    as_text = {name: str(value).lower() if isinstance(value, bool) else str(value) for name, value in claims.items()}
    scopes = claims["scope"].split() if "scope" in claims else None
    event["requestContext"]["authorizer"] = {"jwt": {"claims": as_text, "scopes": scopes}}
    return event


# The edit sample names a seeded message sent long before the edit window (or deleted by the delete sample); a
# message is reported once (the sample again: 409).
SERVED = {"edit_message": {422, 409}, "report_message": {202, 409}}
# A sample whose effect would outlast its test on the session's shared stack, and the sample that undoes it: the
# block sample's andrewbrown blocking londo refused every later D between them (with workers, the unblock
# sample's test may run on another worker's stack, or never after it on this one).
UNDONE_BY = {"block_user": "unblock_user"}


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_every_http_function_refuses_an_id_token_s_claims(
    function: str, dev_stack: DevStack, env_file: Path, tmp_path: Path
) -> None:
    name = Template().functions[function].code_dir.name
    tokens = dev_stack.tokens("andrewbrown")
    id_claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    assert (id_claims["token_use"], id_claims["aud"]) == ("id", dev_stack.state["user_pool_client_id"])
    refused = invoke(function, with_authorizer_claims(sample(name), tokens["IdToken"]), env_file, tmp_path)
    assert (refused["statusCode"], body(refused)["error"]) == (401, "unauthorized")
    # The same sign-in's access token (same sub) is served: the route's own answer to the sample.
    served = invoke(function, with_authorizer_claims(sample(name), tokens["AccessToken"]), env_file, tmp_path)
    try:
        assert served["statusCode"] in SERVED.get(name, {200, 201}), served
    finally:
        if undo := UNDONE_BY.get(name):
            undoing = with_authorizer_claims(sample(undo), tokens["AccessToken"])
            undone = invoke(function_of(undo), undoing, env_file, tmp_path)
            assert undone["statusCode"] == 200, undone


def test_under_sam_local_an_access_token_without_the_scope_is_401(
    dev_stack: DevStack, env_file: Path, tmp_path: Path
) -> None:
    valid = jwt.decode(dev_stack.token("andrewbrown"), options={"verify_signature": False})
    unscoped = sign({name: value for name, value in valid.items() if name != "scope"}, moto_signing_key().key)
    result = invoke("ListMessageGroupsFunction", start_api_event(f"Bearer {unscoped}"), env_file, tmp_path)
    assert (result["statusCode"], body(result)["error"]) == (401, "unauthorized")
    rescoped = sign(valid, moto_signing_key().key)  # the same minting, with the scope
    assert (
        invoke("ListMessageGroupsFunction", start_api_event(f"Bearer {rescoped}"), env_file, tmp_path)["statusCode"]
        == 200
    )
