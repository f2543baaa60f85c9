"""Nothing the stream pushes crosses a block (issue 24): an edit or a deletion of an earlier message reaches its
sender's connections only while either member blocks the other, and both members' again once unblocked.

Connections are opened as in tests/integration/test_push.py (its fixtures); real sockets in
tests/e2e/test_realtime_seen.py.
"""

import json
import os
import uuid
from collections.abc import Iterator

import pytest

from local.stack import PUSH_FUNCTION, EmulatedStack
from messaging.core.aws import dynamodb
from tests.api_client import ApiClient
from tests.integration.conftest import Conversation
from tests.integration.test_push import Opener, open_connection, post  # noqa: F401 - open_connection: a fixture


@pytest.fixture
def push_gets() -> Iterator[list[str]]:
    """The partition of every GetItem the push function makes (botocore's own event hooks)."""
    found: list[str] = []

    def record(params: dict, **_kwargs: object) -> None:
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") == PUSH_FUNCTION:  # set by the in-process runner
            found.append(params["Key"]["pk"]["S"])

    events = dynamodb().meta.events
    events.register("provide-client-params.dynamodb.GetItem", record)
    yield found
    events.unregister("provide-client-params.dynamodb.GetItem", record)


def set_block(api: ApiClient, blocker, handle: str, *, on: bool) -> None:
    response = api.request("PUT" if on else "DELETE", f"/api/blocks/{handle}", blocker)
    assert response.status == 200, response.body


def change(api: ApiClient, sender, group: str, message_uuid: str, method: str, *, text: str | None = None) -> dict:
    body = None if text is None else json.dumps({"message": text})
    headers = {"content-type": "application/json"} if body else None
    response = api.request(method, f"/api/messages/{group}/{message_uuid}", sender, body=body, headers=headers)
    assert response.status == 200, response.body
    return response.body


def updates(socket) -> list[dict]:
    return [frame["message"] for frame in socket.frames if frame["type"] == "message_updated"]


@pytest.mark.parametrize("who_blocks", ["sender", "recipient"])
def test_while_blocked_an_edit_and_a_deletion_reach_only_the_sender_s_connections(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    open_connection: Opener,  # noqa: F811 - the imported fixture
    who_blocks: str,
) -> None:
    sender, recipient, group = conversation.starter, conversation.other, conversation.group_uuid
    secret = f"secret {uuid.uuid4()}"
    first, second = post(api, sender, group, secret), post(api, sender, group, "second")
    stack.stream.drain()
    senders_tab, recipients = open_connection(sender)[1], open_connection(recipient)[1]
    blocker, blocked = (sender, recipient) if who_blocks == "sender" else (recipient, sender)
    set_block(api, blocker, blocked.handle, on=True)

    edited = change(api, sender, group, first, "PATCH", text="fixed while blocked")
    stack.stream.drain()
    deleted = change(api, sender, group, first, "DELETE")
    stack.stream.drain()

    assert updates(senders_tab) == [edited, deleted]
    assert recipients.raw == []  # neither the change nor anything of it

    set_block(api, blocker, blocked.handle, on=False)
    after = change(api, sender, group, second, "PATCH", text="fixed once unblocked")
    stack.stream.drain()

    assert updates(recipients) == [after]
    assert updates(senders_tab) == [edited, deleted, after]


def test_the_block_is_read_once_per_group_per_batch_and_only_for_changes(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    open_connection: Opener,  # noqa: F811 - the imported fixture
    push_gets: list[str],
) -> None:
    sender, recipient, group = conversation.starter, conversation.other, conversation.group_uuid
    sent = [post(api, sender, group, f"n {n}") for n in range(3)]
    stack.stream.drain()
    open_connection(sender), open_connection(recipient)
    push_gets.clear()
    gets = push_gets

    post(api, sender, group, "a new one, no change")
    stack.stream.drain()
    assert gets == []  # a batch of new messages reads no block: none can be sent into a blocked conversation

    for message_uuid in sent:
        change(api, sender, group, message_uuid, "PATCH", text="edited")
    stack.stream.drain()
    assert 1 <= len(gets) <= len(sent)  # once per group per batch: the poller may split the three records
    assert set(gets) == {f"GRP#{recipient.uuid}"}


def copies(socket, message_uuid: str) -> list[str | None]:
    """The text of each copy of a message that came in a ``messages`` frame (the direct push's, the stream's)."""
    frames = [frame for frame in socket.frames if frame["type"] == "messages"]
    return [message["message"] for frame in frames for message in frame["messages"] if message["uuid"] == message_uuid]


@pytest.mark.parametrize("blocked", [False, True], ids=["open", "blocked"])
def test_a_message_sent_and_changed_in_one_batch_comes_as_sent_then_changed_where_changes_may_go(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    open_connection: Opener,  # noqa: F811 - the imported fixture
    blocked: bool,
) -> None:
    # A client keeps the first copy of a message (C's direct push brought it): were the stream's copy in its
    # latest state, the change would be dropped with the copy. So copies are as sent, and the change comes after.
    sender, recipient, group = conversation.starter, conversation.other, conversation.group_uuid
    stack.stream.drain()
    senders_tab, recipients = open_connection(sender)[1], open_connection(recipient)[1]
    sent = post(api, sender, group, "as sent")
    if blocked:
        set_block(api, recipient, sender.handle, on=True)
    edited = change(api, sender, group, sent, "PATCH", text="fixed")
    deleted = change(api, sender, group, sent, "DELETE")
    stack.stream.drain()

    for socket in (senders_tab, recipients):
        assert copies(socket, sent)
        assert set(copies(socket, sent)) == {"as sent"}
    assert updates(senders_tab) in ([deleted], [edited, deleted])  # the poller may split the records
    assert updates(recipients) == ([] if blocked else updates(senders_tab))
