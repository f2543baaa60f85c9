"""Real-time push figures: latency from C's response to the frame's arrival over real sockets (the `make dev`
stack), and the cost of the 1,000-message burst over 50 groups with both members of every group connected
(in-process: the push function fed the stream's batches as its event source mapping would)."""

import json
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

from websockets.sync.client import ClientConnection, connect

from bench.accepted import start_accepted
from bench.routes import WARMUP, percentile, signed_in
from local.stack import PUSH_FUNCTION, EmulatedStack
from local.streams.filters import passes
from local.streams.records import stream_batch
from local.websocket.connections import ConnectionIdentity
from local.websocket.events import Connection, connect_event
from messaging.conversations import service
from messaging.core.aws import dynamodb
from messaging.people import participants
from messaging.table import keys
from tests.dev_process import DevStack
from tooling.http_client import call
from tooling.seed import SEED_GROUP_UUID
from tooling.streams import all_stream_records

_FRAME_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class PushLatency:
    messages: int
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class PushBurst:
    records: int
    groups: int
    connections: int
    batch_size: int
    batches: int
    records_per_second: float
    posts_per_connection_per_batch: float  # over the connections a batch had something for
    most_posts_to_one_connection_in_a_batch: int
    connection_queries_per_member_per_batch: float


def push_latency(stack: DevStack, messages: int) -> PushLatency:
    """andrewbrown sends with C, bayko listens: from C's response to the frame carrying that message."""
    sender = stack.token("andrewbrown")
    latencies: list[float] = []
    with connect(f"{stack.websocket_url}?token={stack.token('bayko')}", max_queue=None) as socket:
        for n in range(WARMUP + messages):
            body = {"message_group_uuid": SEED_GROUP_UUID, "message": f"push bench {n}"}
            response = call("POST", f"{stack.api_url}/api/messages", token=sender, body=body)
            responded = time.monotonic()
            if response.status != 201:
                raise RuntimeError(f"C answered {response.status}: {response.body}")
            arrived = _arrival(socket, response.body["uuid"])
            if n >= WARMUP:  # the warm-up also drains what earlier benchmarks left in the stream
                latencies.append((arrived - responded) * 1000)
    return PushLatency(messages, percentile(latencies, 50), percentile(latencies, 99))


def push_latency_beside_a_hoarder(stack: DevStack, messages: int, sockets: int) -> PushLatency:
    """As ``push_latency``, while the sender holds ``sockets`` connections of their own (the per-user cap), each
    of which every push also goes to: what one user's many sockets cost another user's delivery."""
    sender = stack.token("andrewbrown")
    with ExitStack() as opened:
        hoard = [
            opened.enter_context(connect(f"{stack.websocket_url}?token={sender}", max_queue=None))
            for _ in range(sockets)
        ]
        latency = push_latency(stack, messages)
        for socket in hoard:  # every one of them was pushed to, and is still open
            socket.ping().wait(timeout=_FRAME_TIMEOUT_SECONDS)
    return latency


def _arrival(socket: ClientConnection, message_uuid: str) -> float:
    """When the frame carrying ``message_uuid`` arrived (frames of earlier messages are skipped)."""
    deadline = time.monotonic() + _FRAME_TIMEOUT_SECONDS
    while True:
        frame = json.loads(socket.recv(timeout=max(0.0, deadline - time.monotonic())))
        arrived = time.monotonic()
        if any(message["uuid"] == message_uuid for message in frame.get("messages", [])):
            return arrived


class _Socket:
    """A connected client as the management API reaches it; the registry counts the posts."""

    def send(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def push_burst(
    stack: EmulatedStack, sender_sub: str, new_users: Callable[[int], list[str]], *, groups: int, messages: int
) -> PushBurst:
    handles = new_users(groups)
    sender = participants.caller(sender_sub)
    group_ids = [start_accepted(sender_sub, handle, "hello").group_uuid for handle in handles]
    for n in range(messages - len(group_ids)):
        service.post_message(sender_sub, group_ids[n % len(group_ids)], f"burst {n}")
    # By user uuid: $connect maps a sub to its user.
    subs = signed_in(stack, handles)
    members = {sender.uuid: sender_sub, **{participants.by_handle(h).uuid: sub for h, sub in subs.items()}}
    connection_of = {member: connect_in_process(stack, sub) for member, sub in members.items()}

    poller = stack.stream.poller(PUSH_FUNCTION)
    table = stack.client("dynamodb").describe_table(TableName=stack.template.table_name("MessagesTable"))["Table"]
    records = stream_batch(all_stream_records(stack.client("dynamodbstreams"), table["LatestStreamArn"]), "")
    wanted = set(group_ids)
    inserts = [
        record
        for record in records["Records"]
        if passes(poller.patterns, record)
        and keys.group_uuid_of_messages_pk(record["dynamodb"]["Keys"]["pk"]["S"]) in wanted
    ]
    batches = [inserts[i : i + poller.batch_size] for i in range(0, len(inserts), poller.batch_size)]

    queries: list[str] = []
    count_query = lambda **_kwargs: queries.append("Query")  # noqa: E731 - a botocore hook
    dynamodb().meta.events.register("before-call.dynamodb.Query", count_query)
    posts = stack.connections.posts
    per_batch: list[list[int]] = []
    reached_members = 0
    started = time.perf_counter()
    try:
        for batch in batches:
            before = dict(posts)
            response = stack.functions.invoke(PUSH_FUNCTION, {"Records": batch})
            if response["batchItemFailures"]:
                raise RuntimeError(f"push failed records: {response['batchItemFailures'][:3]}")
            images = [record["dynamodb"]["NewImage"] for record in batch]
            reached = {image["user_uuid"]["S"] for image in images} | {image["recipient_uuid"]["S"] for image in images}
            reached_members += len(reached)
            per_batch.append([posts[connection_of[m]] - before.get(connection_of[m], 0) for m in reached])
    finally:
        dynamodb().meta.events.unregister("before-call.dynamodb.Query", count_query)
    elapsed = time.perf_counter() - started
    for connection_id in connection_of.values():
        stack.connections.remove(connection_id)
    counts = [count for batch in per_batch for count in batch]
    return PushBurst(
        records=len(inserts),
        groups=len(group_ids),
        connections=len(connection_of),
        batch_size=poller.batch_size,
        batches=len(batches),
        records_per_second=len(inserts) / elapsed,
        posts_per_connection_per_batch=sum(counts) / len(counts),
        most_posts_to_one_connection_in_a_batch=max(counts),
        connection_queries_per_member_per_batch=len(queries) / reached_members,
    )


def connect_in_process(stack: EmulatedStack, sub: str) -> str:
    """A connection as the WebSocket API opens one: the authorizer admitted ``sub``, $connect stores it under its
    user, and the socket is live."""
    connection = Connection(
        connection_id=f"{uuid.uuid4().hex[:15]}=",
        api_id="WebSocketApi",
        stage="dev",
        domain_name="127.0.0.1",
        region=stack.region,
        source_ip="127.0.0.1",
        user_agent="bench",
        connected_at_ms=int(time.time() * 1000),
        headers=(),
        query=(),
        authorizer={"principalId": sub, "sub": sub},
    )
    answer = stack.functions.invoke("WebSocketConnectFunction", connect_event(connection))
    if answer.get("statusCode") != 200:
        raise RuntimeError(f"$connect refused the bench's connection: {answer}")
    stack.connections.add(
        connection.connection_id, _Socket(), ConnectionIdentity(datetime.now(UTC), "127.0.0.1", "bench")
    )
    return connection.connection_id


def print_push(latency: dict, burst: dict, beside_hoarder: dict, hoarded_sockets: int) -> None:
    print(
        f"\nPush: C's response to the frame's arrival over the local stack, {latency['messages']} messages: "
        f"p50 {latency['p50_ms']:.0f} ms, p99 {latency['p99_ms']:.0f} ms"
    )
    print(
        f"  the same while the sender holds {hoarded_sockets} sockets (the per-user cap), each pushed to: "
        f"p50 {beside_hoarder['p50_ms']:.0f} ms, p99 {beside_hoarder['p99_ms']:.0f} ms"
    )
    print(
        f"  burst: {burst['records']} messages over {burst['groups']} groups, {burst['connections']} connections "
        f"(both members of every group), {burst['batches']} batches of {burst['batch_size']}: "
        f"{burst['records_per_second']:.0f} records/s\n"
        f"  posts per connection per batch {burst['posts_per_connection_per_batch']:.2f} "
        f"(most to one connection in a batch: {burst['most_posts_to_one_connection_in_a_batch']}), "
        f"connection Queries per member per batch {burst['connection_queries_per_member_per_batch']:.2f}"
    )
