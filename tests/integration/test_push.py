"""Push: the stream's second consumer posts each batch's new messages to every open connection of both members,
through the local WebSocket API's management endpoint (the function's botocore client, unchanged).

Connections are opened as the WebSocket API opens them ($connect runs with the authorizer's context, the token's
``sub``, and stores the connection under that sign-in's user) and stand for client sockets that record what they
are sent; the real sockets are proven in tests/e2e/test_realtime.py.
"""

import functools
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from local.stack import PUSH_FUNCTION, STREAM_FUNCTION, EmulatedStack
from local.streams.records import stream_batch
from local.websocket.connections import ConnectionIdentity
from local.websocket.events import Connection, connect_event, disconnect_event
from messaging.core.aws import dynamodb
from tests.api_client import ApiClient
from tests.conftest import SetEnvironment, TestUser
from tests.integration.conftest import Conversation
from tests.integration.test_message_stream import (
    MALFORMED_MESSAGE_RECORD,
    failure_notices,
    notices_of,
    stream_records,
)

MAX_POST_BYTES = 128 * 1024
WIDEST_TEXT = "\N{GRINNING FACE}" * 1024  # the longest message the API takes, four bytes a character


class Socket:
    """A client's socket as the management API reaches it; the first ``busy`` sends fail as a full buffer."""

    def __init__(self, busy: int = 0) -> None:
        self.busy = busy
        self.raw: list[bytes] = []
        self.closed = False

    def send(self, data: bytes) -> None:
        if self.busy:
            self.busy -= 1
            raise TimeoutError
        self.raw.append(data)

    def close(self) -> None:
        self.closed = True

    @property
    def frames(self) -> list[dict]:
        return [json.loads(data) for data in self.raw]

    @property
    def message_uuids(self) -> list[str]:
        return [message["uuid"] for frame in self.frames for message in frame["messages"]]


type Opener = Callable[..., tuple[str, Socket]]


def connection_of(
    user: TestUser,
    connected_at: float | None = None,
    token_expires_at: float | None = None,
    session: str | None = None,
) -> Connection:
    return Connection(
        connection_id=f"{uuid.uuid4().hex[:15]}=",
        api_id="WebSocketApi",
        stage="dev",
        domain_name="127.0.0.1",
        region="us-east-1",
        source_ip="127.0.0.1",
        user_agent="test",
        connected_at_ms=int((time.time() if connected_at is None else connected_at) * 1000),
        headers=(),
        query=(("token", "checked-by-the-authorizer"),) + ((("session", session),) if session else ()),
        # What the authorizer allows: the token's sub, and its expiry (an hour, as Cognito's access tokens).
        authorizer={
            "principalId": user.sub,
            "sub": user.sub,
            "exp": int(time.time() + 3600 if token_expires_at is None else token_expires_at),
        },
    )


@pytest.fixture
def open_connection(stack: EmulatedStack) -> Iterator[Opener]:
    """Opens a user's connection as the WebSocket API does: $connect stores it, then the socket is live."""
    opened: list[str] = []

    def open_(
        user: TestUser,
        socket: Socket | None = None,
        connected_at: float | None = None,
        token_expires_at: float | None = None,
        session: str | None = None,
    ) -> tuple[str, Socket]:
        connection = connection_of(user, connected_at, token_expires_at, session)
        assert stack.functions.invoke("WebSocketConnectFunction", connect_event(connection))["statusCode"] == 200
        socket = Socket() if socket is None else socket
        identity = ConnectionIdentity(datetime.now(UTC), connection.source_ip, connection.user_agent)
        stack.connections.add(connection.connection_id, socket, identity)
        opened.append(connection.connection_id)
        return connection.connection_id, socket

    yield open_
    for connection_id in opened:
        stack.connections.remove(connection_id)


CAP = 3  # the connection cap the cap tests set, small enough to pass with a few connections


@pytest.fixture
def open_capped(conversation: Conversation, open_connection: Opener, function_environment: SetEnvironment) -> Opener:
    """Opens connections of the conversation's other member, whose user may hold CAP connections at once."""
    function_environment(MAX_CONNECTIONS_PER_USER=str(CAP))
    return functools.partial(open_connection, conversation.other)


@pytest.fixture
def connection_queries(stack: EmulatedStack) -> Iterator[list[str]]:
    """The user of every Query the push function makes on the connections table's users (botocore's own event
    hooks); $connect's (the user's cap) and $disconnect's Queries are not push's."""
    table = stack.template.table_name("ConnectionsTable")
    users: list[str] = []

    def record(params: dict, **_kwargs: object) -> None:
        pushing = os.environ.get("AWS_LAMBDA_FUNCTION_NAME") == PUSH_FUNCTION  # set by the in-process runner
        if pushing and params.get("TableName") == table and "IndexName" not in params:
            users.append(params["ExpressionAttributeValues"][":user"]["S"])

    events = dynamodb().meta.events
    events.register("provide-client-params.dynamodb.Query", record)
    yield users
    events.unregister("provide-client-params.dynamodb.Query", record)


def post(api: ApiClient, sender: TestUser, group_uuid: str, text: str) -> str:
    response = api.post("/api/messages", sender, {"message_group_uuid": group_uuid, "message": text})
    assert response.status == 201, response.body
    return response.body["uuid"]


def stored_connections(stack: EmulatedStack, user: TestUser) -> set[str]:
    items = stack.client("dynamodb").query(
        TableName=stack.template.table_name("ConnectionsTable"),
        KeyConditionExpression="user_uuid = :u",
        ExpressionAttributeValues={":u": {"S": user.uuid}},
    )["Items"]
    return {item["connection_id"]["S"] for item in items}


def test_each_connection_gets_one_frame_per_batch_with_its_new_messages_in_order(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    *,
    new_user: Callable[..., TestUser],
    open_connection: Opener,
    connection_queries: list[str],
) -> None:
    stack.stream.drain()
    connection_queries.clear()
    starter, other = conversation.starter, conversation.other
    sockets = {name: open_connection(user)[1] for name, user in [("starter", starter), ("other", other)]}
    sockets["other's phone"] = open_connection(other)[1]
    outsider = open_connection(new_user())[1]

    sent = [post(api, starter, conversation.group_uuid, f"one {n}") for n in range(3)]
    sent.append(post(api, other, conversation.group_uuid, "and a reply"))
    stack.stream.drain()

    for name, socket in sockets.items():
        assert len(socket.frames) == 1, name
        assert socket.frames[0]["type"] == "messages"
        assert socket.message_uuids == sent, name
    (first, *_, reply) = sockets["other"].frames[0]["messages"]
    assert first == {
        "uuid": sent[0],
        "display_name": starter.display_name,
        "handle": starter.handle,
        "message": "one 0",
        "created_at": first["created_at"],
        "edited_at": None,
        "deleted_at": None,
        "message_group_uuid": conversation.group_uuid,
    }
    assert (reply["handle"], reply["message"]) == (other.handle, "and a reply")
    assert outsider.raw == []
    assert sorted(connection_queries) == sorted([starter.uuid, other.uuid])  # one Query per member per batch


def test_an_edit_and_a_deletion_reach_every_connection_of_both_members_as_message_updated_frames(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, open_connection: Opener, new_user
) -> None:
    starter, other, group = conversation.starter, conversation.other, conversation.group_uuid
    secret = f"secret {uuid.uuid4()}"
    sent = post(api, starter, group, secret)
    stack.stream.drain()
    sockets = {
        "starter": open_connection(starter)[1],
        "starter's other tab": open_connection(starter)[1],
        "other": open_connection(other)[1],
    }
    outsider = open_connection(new_user())[1]

    def change(method: str, body: str | None = None) -> dict:
        headers = {"content-type": "application/json"} if body else None
        response = api.request(method, f"/api/messages/{group}/{sent}", starter, body=body, headers=headers)
        assert response.status == 200, response.body
        return response.body

    edited = change("PATCH", json.dumps({"message": "fixed"}))
    stack.stream.drain()
    deleted = change("DELETE")
    stack.stream.drain()

    for name, socket in sockets.items():
        updates = [frame for frame in socket.frames if frame["type"] == "message_updated"]
        assert [frame["message"] for frame in updates] == [edited, deleted], name
    assert deleted["message"] is None
    assert all(secret.encode() not in raw for socket in sockets.values() for raw in socket.raw)
    assert outsider.raw == []


def test_frames_split_where_they_would_pass_api_gateway_s_128_kb(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, open_connection: Opener
) -> None:
    stack.stream.drain()
    _, socket = open_connection(conversation.other)

    sent = [post(api, conversation.starter, conversation.group_uuid, WIDEST_TEXT) for _ in range(40)]  # ~170 KB
    stack.stream.drain()

    assert len(socket.raw) == 2
    assert all(len(frame) <= MAX_POST_BYTES for frame in socket.raw)
    assert socket.message_uuids == sent


def test_a_gone_connection_is_deleted_but_one_still_connecting_is_kept(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, open_connection: Opener
) -> None:
    stack.stream.drain()
    other = conversation.other
    live, socket = open_connection(other)
    closed = connection_of(other, connected_at=time.time() - 300)
    connecting = connection_of(other)  # its $connect has stored it; API Gateway says 410 until it completes
    for connection in (closed, connecting):
        assert stack.functions.invoke("WebSocketConnectFunction", connect_event(connection))["statusCode"] == 200
    assert stored_connections(stack, other) == {live, closed.connection_id, connecting.connection_id}

    sent = post(api, conversation.starter, conversation.group_uuid, "anyone there?")
    stack.stream.drain()

    assert socket.message_uuids == [sent]
    assert stored_connections(stack, other) == {live, connecting.connection_id}


def test_a_throttled_post_is_retried_until_it_goes_through(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, open_connection: Opener
) -> None:
    stack.stream.drain()
    # Busy for the management client's three attempts: the record fails once and its retry delivers it.
    _, socket = open_connection(conversation.other, Socket(busy=3))

    sent = post(api, conversation.starter, conversation.group_uuid, "eventually")
    stack.stream.drain()

    assert socket.message_uuids == [sent]


def test_a_push_that_never_goes_through_is_parked_and_pattern_e_is_untouched(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, open_connection: Opener
) -> None:
    stack.stream.drain()
    push, stream = stack.stream.poller(PUSH_FUNCTION), stack.stream.poller(STREAM_FUNCTION)
    parked = (len(push.dead_letters), len(stream.dead_letters))
    _, socket = open_connection(conversation.other, Socket(busy=1000))

    sent = post(api, conversation.starter, conversation.group_uuid, "into the void")
    stack.stream.drain()

    assert socket.raw == []
    (dead,) = push.dead_letters[parked[0] :]
    assert dead["dynamodb"]["NewImage"]["message_uuid"]["S"] == sent
    assert len(stream.dead_letters) == parked[1]  # pattern E applied it: its own mapping, its own retries
    groups = api.get("/api/message_groups", conversation.other).body
    assert [g["message"] for g in groups if g["uuid"] == conversation.group_uuid] == ["into the void"]
    (notice,) = notices_of(failure_notices(stack, stack.queue_url("MessagePushDLQ")), dead)
    assert notice["requestContext"]["approximateInvokeCount"] == 3  # the first attempt and MaximumRetryAttempts


def test_a_malformed_record_fails_pattern_e_but_push_skips_it(stack: EmulatedStack) -> None:
    # A retry cannot mend it; failing it would make push repeat every later record of the batch.
    record = MALFORMED_MESSAGE_RECORD
    assert stack.functions.invoke(PUSH_FUNCTION, {"Records": [record]}) == {"batchItemFailures": []}
    assert stack.functions.invoke(STREAM_FUNCTION, {"Records": [record]}) == {
        "batchItemFailures": [{"itemIdentifier": "42"}]
    }


def test_connect_stores_the_connection_for_two_hours_and_disconnect_forgets_it(stack: EmulatedStack, new_user) -> None:
    user = new_user()
    connection = connection_of(user, token_expires_at=time.time() + 3 * 60 * 60)  # a long-lived token: 2 h win
    assert stack.functions.invoke("WebSocketConnectFunction", connect_event(connection))["statusCode"] == 200
    (item,) = stack.client("dynamodb").query(
        TableName=stack.template.table_name("ConnectionsTable"),
        KeyConditionExpression="user_uuid = :u",
        ExpressionAttributeValues={":u": {"S": user.uuid}},
    )["Items"]
    assert item["connection_id"]["S"] == connection.connection_id
    assert int(item["expires_at"]["N"]) == connection.connected_at_ms // 1000 + 2 * 60 * 60

    result = stack.functions.invoke("WebSocketDisconnectFunction", disconnect_event(connection, 1000, ""))
    assert result["statusCode"] == 200
    assert stored_connections(stack, user) == set()


def test_disconnect_forgets_only_its_own_connection(stack: EmulatedStack, new_user) -> None:
    user, someone_else = new_user(), new_user()
    laptop, phone, theirs = connection_of(user), connection_of(user), connection_of(someone_else)
    for connection in (laptop, phone, theirs):
        assert stack.functions.invoke("WebSocketConnectFunction", connect_event(connection))["statusCode"] == 200

    result = stack.functions.invoke("WebSocketDisconnectFunction", disconnect_event(laptop, 1001, "Going away"))
    assert result["statusCode"] == 200
    assert stored_connections(stack, user) == {phone.connection_id}
    assert stored_connections(stack, someone_else) == {theirs.connection_id}


def test_connect_with_a_sign_in_without_a_profile_is_403_and_stores_nothing(stack: EmulatedStack, new_user) -> None:
    unlinked = new_user(registered=False)  # a valid Cognito sign-in, but no profile carries its sub
    connection = connection_of(unlinked)
    result = stack.functions.invoke("WebSocketConnectFunction", connect_event(connection))
    assert result["statusCode"] == 403  # not 2xx: API Gateway refuses the upgrade with it
    assert json.loads(result["body"])["error"] == "user_not_registered"
    stored = stack.client("dynamodb").query(
        TableName=stack.template.table_name("ConnectionsTable"),
        IndexName="connection-id-index",
        KeyConditionExpression="connection_id = :c",
        ExpressionAttributeValues={":c": {"S": connection.connection_id}},
    )["Items"]
    assert stored == []  # under no user at all


def test_connect_without_an_authorized_user_is_refused(stack: EmulatedStack, new_user) -> None:
    anonymous = Connection(**{**vars(connection_of(new_user())), "authorizer": {}})
    assert stack.functions.invoke("WebSocketConnectFunction", connect_event(anonymous))["statusCode"] == 401


def test_a_user_past_the_connection_cap_loses_the_oldest_connections_and_pushes_reach_the_rest(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, open_capped: Opener
) -> None:
    stack.stream.drain()
    opened = [open_capped(connected_at=time.time() - 60 + n) for n in range(5)]

    assert [socket.closed for _, socket in opened] == [True, True, False, False, False]
    assert stored_connections(stack, conversation.other) == {connection_id for connection_id, _ in opened[2:]}
    sent = post(api, conversation.starter, conversation.group_uuid, "to the three newest")
    stack.stream.drain()
    assert [socket.message_uuids for _, socket in opened] == [[], [], [sent], [sent], [sent]]


def test_a_connection_whose_token_expired_is_closed_and_forgotten_instead_of_pushed_to(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, open_connection: Opener
) -> None:
    stack.stream.drain()
    other = conversation.other
    live, live_socket = open_connection(other)
    expiring, expiring_socket = open_connection(other, token_expires_at=time.time() + 2)
    assert stored_connections(stack, other) == {live, expiring}
    time.sleep(2.5)  # the second token has expired; its socket is still open

    sent = post(api, conversation.starter, conversation.group_uuid, "only for a valid sign-in")
    stack.stream.drain()

    assert live_socket.message_uuids == [sent]
    assert (expiring_socket.raw, expiring_socket.closed) == ([], True)
    assert stored_connections(stack, other) == {live}


def test_a_stored_connection_expires_with_its_token(
    stack: EmulatedStack, conversation: Conversation, open_connection: Opener
) -> None:
    token_expires_at = int(time.time()) + 1800
    connection_id, _ = open_connection(conversation.other, token_expires_at=token_expires_at)
    item = stack.client("dynamodb").get_item(
        TableName=stack.template.table_name("ConnectionsTable"),
        Key={"user_uuid": {"S": conversation.other.uuid}, "connection_id": {"S": connection_id}},
        ConsistentRead=True,
    )["Item"]
    assert int(item["expires_at"]["N"]) == token_expires_at


class SlowSocket(Socket):
    """A client whose every post takes ``seconds`` to be taken (a congested network, say)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def send(self, data: bytes) -> None:
        time.sleep(self.seconds)
        super().send(data)


def test_what_push_cannot_post_in_its_time_is_reported_failed_and_pushed_again_never_a_timed_out_batch(
    api: ApiClient,
    stack: EmulatedStack,
    conversation: Conversation,
    open_connection: Opener,
    function_environment: SetEnvironment,
) -> None:
    function_environment(MAX_CONNECTIONS_PER_USER="50")
    stack.stream.drain()
    sockets = [open_connection(conversation.other, SlowSocket(0.5))[1] for _ in range(40)]
    sent = post(api, conversation.starter, conversation.group_uuid, "for forty slow sockets")
    records = stream_batch(stream_records(stack), "")
    (record,) = [r for r in records["Records"] if r["dynamodb"]["Keys"]["sk"]["S"] == sent]

    # One second to post in (the function's time less push's reserve for its last posts): 40 posts of 0.5 s
    # through 16 workers need about 1.5 s.
    began = time.monotonic()
    timeout = 5.0
    answer = stack.functions.invoke(PUSH_FUNCTION, {"Records": [record]}, timeout_seconds=timeout)
    took = time.monotonic() - began

    assert answer == {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    assert took < timeout  # it reported, rather than running into its timeout
    reached = [socket for socket in sockets if socket.message_uuids == [sent]]
    assert 0 < len(reached) < len(sockets)
    # The retry (Lambda's, with the record reported failed) brings it to the rest; the reached de-duplicate.
    assert stack.functions.invoke(PUSH_FUNCTION, {"Records": [record]}) == {"batchItemFailures": []}
    assert all(sent in socket.message_uuids for socket in sockets)


def test_a_page_renewing_its_connection_at_the_cap_replaces_its_own_not_another_page_s(
    stack: EmulatedStack, conversation: Conversation, open_capped: Opener
) -> None:
    pages = {name: open_capped(session=f"page-{name}") for name in ("a", "b", "c")}
    renewed = open_capped(session="page-b")  # page b's token is about to expire: a new one first

    assert [socket.closed for _, socket in pages.values()] == [False, True, False]
    assert stored_connections(stack, conversation.other) == {pages["a"][0], pages["c"][0], renewed[0]}


def test_one_session_name_on_many_connections_still_meets_the_cap(
    stack: EmulatedStack, conversation: Conversation, open_capped: Opener
) -> None:
    opened = [open_capped(session="same") for _ in range(6)]
    assert [socket.closed for _, socket in opened] == [True, True, True, False, False, False]
    assert stored_connections(stack, conversation.other) == {connection_id for connection_id, _ in opened[3:]}
