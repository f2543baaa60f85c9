"""bin/moderation/reports and bin/moderation/resolve, run as an operator would, against a `make dev` stack of their
own (a resolution disables users and deletes messages: no other module's stack should see that). Reports are
filed through the HTTP API as members file them."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.dev_process import DevStack, start_dev_stack
from tests.e2e.test_operator_scripts import script
from tooling.http_client import call
from tooling.seed import SEED_GROUP_UUID

_plain = TypeDeserializer()


@pytest.fixture(scope="module")
def moderation_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = start_dev_stack(tmp_path_factory.mktemp("moderation"))
    yield stack
    stack.stop()


def send(stack: DevStack, sender: str, handle: str, text: str) -> dict[str, Any]:
    """``sender`` writes to ``handle`` (pattern D: a new conversation, or their existing one)."""
    response = call(
        "POST",
        f"{stack.api_url}/api/message_groups",
        token=stack.token(sender),
        body={"handle": handle, "message": text},
    )
    assert response.status in {200, 201}, response.body
    return response.body


def file_report(stack: DevStack, reporter: str, message: dict[str, Any], reason: str, note: str | None = None) -> str:
    body = {"reason": reason} | ({"note": note} if note else {})
    response = call(
        "POST",
        f"{stack.api_url}/api/messages/{message['message_group_uuid']}/{message['uuid']}/report",
        token=stack.token(reporter),
        body=body,
    )
    assert response.status == 202, response.body
    return response.body["report_id"]


def open_reports(stack: DevStack, *args: str) -> tuple[list[dict[str, Any]], str]:
    result = script(stack, "moderation/reports", *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def stored(stack: DevStack, report_id: str) -> dict[str, Any]:
    item = stack.client("dynamodb").get_item(
        TableName=f"{stack.state['messages_table']}-reports", Key={"report_id": {"S": report_id}}, ConsistentRead=True
    )["Item"]
    return {name: _plain.deserialize(value) for name, value in item.items()}


def test_the_open_reports_are_listed_newest_first_a_page_at_a_time(moderation_stack: DevStack) -> None:
    empty, summary = open_reports(moderation_stack)
    assert empty == []
    assert "0 open report(s)" in summary

    messages = [send(moderation_stack, "garek", "worf", f"offer number {n}") for n in range(3)]
    ids = [file_report(moderation_stack, "worf", m, "spam", note=f"note {n}") for n, m in enumerate(messages)]

    first, summary = open_reports(moderation_stack, "--limit", "2")
    assert [r["report_id"] for r in first] == ids[::-1][:2]
    assert first[0] == {
        "report_id": ids[2],
        "reported_at": first[0]["reported_at"],
        "reason": "spam",
        "note": "note 2",
        "reporter": "worf",
        "sender": "garek",
        "message": "offer number 2",
        "message_created_at": messages[2]["created_at"],
        "message_group_uuid": messages[2]["message_group_uuid"],
        "message_uuid": messages[2]["uuid"],
    }
    (cursor_line,) = [line for line in summary.splitlines() if line.startswith("next page:")]
    cursor = cursor_line.split("--cursor ", 1)[1]
    rest, summary = open_reports(moderation_stack, "--limit", "2", "--cursor", cursor)
    assert [r["report_id"] for r in rest] == ids[:1]
    assert "no more open reports" in summary

    for report_id in ids:  # leave the queue empty for the other tests
        assert script(moderation_stack, "moderation/resolve", report_id, "--dismiss").returncode == 0
    assert open_reports(moderation_stack)[0] == []


def test_dismissing_closes_the_report_and_a_rerun_says_so(moderation_stack: DevStack) -> None:
    message = send(moderation_stack, "garek", "londo", "just a joke")
    report_id = file_report(moderation_stack, "londo", message, "other")

    done = script(moderation_stack, "moderation/resolve", report_id, "--dismiss", "--note", "banter between friends")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"dismissed; report {report_id} is now dismissed"
    item = stored(moderation_stack, report_id)
    assert (item["status"], item["resolution_note"]) == ("dismissed", "banter between friends")
    assert item["resolved_at"] > item["reported_at"]
    assert report_id not in [r["report_id"] for r in open_reports(moderation_stack)[0]]

    again = script(moderation_stack, "moderation/resolve", report_id, "--delete-message")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"report {report_id} is already resolved: dismissed at {item['resolved_at']}"
    # Nothing was done the second time: the message is still there, the report as it was.
    listed = call(
        "GET",
        f"{moderation_stack.api_url}/api/messages/{message['message_group_uuid']}",
        token=moderation_stack.token("londo"),
    )
    assert [m["message"] for m in listed.body if m["uuid"] == message["uuid"]] == ["just a joke"]
    assert stored(moderation_stack, report_id) == item


def test_deleting_the_message_leaves_its_tombstone_and_the_report_its_snapshot(moderation_stack: DevStack) -> None:
    message = send(moderation_stack, "bayko", "andrewbrown", "something nasty")
    assert message["message_group_uuid"] == SEED_GROUP_UUID
    report_id = file_report(moderation_stack, "andrewbrown", message, "harassment")

    done = script(moderation_stack, "moderation/resolve", report_id, "--delete-message")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("deleted the message (sent by @bayko at ")
    assert done.stdout.strip().endswith(f"report {report_id} is now message_deleted")

    for member in ("andrewbrown", "bayko"):  # both members see the tombstone, as after the sender's own DELETE
        listed = call(
            "GET", f"{moderation_stack.api_url}/api/messages/{SEED_GROUP_UUID}", token=moderation_stack.token(member)
        )
        (shown,) = [m for m in listed.body if m["uuid"] == message["uuid"]]
        assert (shown["message"], shown["deleted_at"] is not None) == (None, True)
    item = stored(moderation_stack, report_id)
    assert (item["status"], item["message"], item["sender_handle"]) == ("message_deleted", "something nasty", "bayko")

    again = script(moderation_stack, "moderation/resolve", report_id, "--delete-message")
    assert (again.returncode, again.stdout.startswith(f"report {report_id} is already resolved: message_deleted")) == (
        0,
        True,
    )


def drain(socket: ClientConnection) -> None:
    """Reads until the socket closes (ConnectionClosed), whatever was pushed before; TimeoutError if it stays open."""
    while True:
        socket.recv(timeout=10)


def test_disabling_the_user_closes_their_sockets_and_stops_their_sign_in(moderation_stack: DevStack) -> None:
    message = send(moderation_stack, "londo", "worf", "you will pay")
    report_id = file_report(moderation_stack, "worf", message, "harassment", note="threat")
    token = moderation_stack.token("londo")

    with connect(f"{moderation_stack.websocket_url}?token={token}", open_timeout=10) as socket:
        done = script(moderation_stack, "moderation/resolve", report_id, "--disable-user")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == (
            f"disabled @londo (Cognito user londo), closed 1 connection(s); report {report_id} is now user_disabled"
        )
        with pytest.raises(ConnectionClosed):
            drain(socket)

    cognito = moderation_stack.cognito()
    user = cognito.admin_get_user(UserPoolId=moderation_stack.state["user_pool_id"], Username="londo")
    assert user["Enabled"] is False
    with pytest.raises(ClientError) as refused:
        moderation_stack.tokens("londo")
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert stored(moderation_stack, report_id)["status"] == "user_disabled"

    again = script(moderation_stack, "moderation/resolve", report_id, "--disable-user")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"report {report_id} is already resolved: user_disabled at ")


def test_an_unknown_or_malformed_report_id_is_said_in_one_line(moderation_stack: DevStack) -> None:
    unknown = script(moderation_stack, "moderation/resolve", "00000000-0000-5000-8000-000000000000", "--dismiss")
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines() == [
        "bin/moderation/resolve: error: no report 00000000-0000-5000-8000-000000000000 "
        "(bin/moderation/reports lists the open ones)"
    ]
    malformed = script(moderation_stack, "moderation/resolve", "not-a-uuid", "--dismiss")
    assert malformed.returncode == 2
    assert "not a report id" in malformed.stderr
    no_action = script(moderation_stack, "moderation/resolve", "00000000-0000-5000-8000-000000000000")
    assert no_action.returncode == 2
    forged = script(moderation_stack, "moderation/reports", "--cursor", "bm90IGpzb24")
    assert forged.returncode == 1
    assert forged.stderr.strip().splitlines() == ["bin/moderation/reports: error: The cursor is malformed."]
