"""The sample events of events/ (for `sam local invoke -e`) are valid for their functions and behave as documented."""

import contextlib
import json
from pathlib import Path

import pytest

from local.stack import STREAM_FUNCTION, LocalStack
from local.template import PROJECT_ROOT
from messaging.dal import groups
from messaging.domain import Message, User

EVENTS = PROJECT_ROOT / "events"
SAMPLE_GROUP = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
ANDREW = User("6f0a2d3e-1f53-4e4b-9d1c-8a3c2b7e0001", "Andrew Brown", "andrewbrown")
BAYKO = User("6f0a2d3e-1f53-4e4b-9d1c-8a3c2b7e0002", "Andrew Bayko", "bayko")


def function_for(event_file: Path, stack: LocalStack) -> str:
    (logical_id,) = [f.logical_id for f in stack.template.functions.values() if f.code_dir.name == event_file.stem]
    return logical_id


@pytest.fixture(scope="module")
def sample_world(stack: LocalStack) -> None:
    """The seeded conversation the samples refer to, and andrewbrown signed in as the samples' sub."""
    claims = json.loads((EVENTS / "list_messages.json").read_text())["requestContext"]["authorizer"]["jwt"]["claims"]
    with stack.postgres_connection() as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE users SET cognito_user_id = %s WHERE handle = 'andrewbrown'", (claims["sub"],))
    connection.close()
    first = Message(
        SAMPLE_GROUP, "b0d4c7e2-1a2b-4c3d-9e8f-000000000001", "2026-11-25T07:00:00.000000+00:00", "Hi!", BAYKO
    )
    with contextlib.suppress(groups.PairExists):
        groups.create_group(BAYKO, ANDREW, first)


def test_there_is_one_sample_per_function(stack: LocalStack) -> None:
    assert {p.stem for p in EVENTS.glob("*.json")} == {f.code_dir.name for f in stack.template.functions.values()}


@pytest.mark.usefixtures("sample_world")
@pytest.mark.parametrize(
    ("name", "status"),
    [("list_messages", 200), ("list_message_groups", 200), ("create_message", 201), ("create_message_group", 200)],
)
def test_http_samples_are_served(stack: LocalStack, name: str, status: int) -> None:
    path = EVENTS / f"{name}.json"
    response = stack.functions.invoke(function_for(path, stack), json.loads(path.read_text()))
    assert response["statusCode"] == status, response["body"]


@pytest.mark.usefixtures("sample_world")
def test_the_stream_sample_fails_only_the_group_without_members(stack: LocalStack) -> None:
    event = json.loads((EVENTS / "message_stream.json").read_text())
    inserts = [r for r in event["Records"] if r["eventName"] == "INSERT"]
    assert len(inserts) < len(event["Records"]), "the sample should include a record the filter drops"

    response = stack.functions.invoke(STREAM_FUNCTION, event)

    # The sample group has both member items; the other group has none, so its record must be retried.
    unknown_group = [r for r in inserts if SAMPLE_GROUP not in r["dynamodb"]["Keys"]["pk"]["S"]]
    assert response["batchItemFailures"] == [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in unknown_group]
