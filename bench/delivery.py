"""What one message takes end to end, sent and delivered one at a time, and what that costs (issue 25).

Each message is sent with C and an Idempotency-Key (the web client sends every message with one), to a member who,
like the sender, has one connection open. The stream's records are then handed over as the event source mappings
deliver them when messages are not close together: pattern E gets the message's INSERT alone, push gets it alone,
and push then gets E's two group-item updates (one batch; it drops them, pushing nothing). One message a batch is
the dearest case per message: busier conversations share E's batches and its writes (the burst's figures).

Measured in-process against moto, like the routes: DynamoDB capacity units by bench/capacity.py's rules (metered
apart from the timed messages), Lambda duration as each handler's time, frames as the posts each connection got.
bench/costs.py turns them into money at bench/prices.py's list prices.
"""

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass

from bench.accepted import start_accepted
from bench.calls import CallCounter
from bench.costs import Charge, FunctionUse, MessageUse, billed_ms, charges, connection_hours, total
from bench.prices import CHECKED, REGION, US_EAST_1
from bench.push import connect_in_process
from bench.routes import Caller, signed_in
from bench.stream import empty_messages_table
from local.stack import PUSH_FUNCTION, STREAM_FUNCTION, EmulatedStack
from local.streams.filters import passes
from local.streams.records import stream_batch
from tests.api_client import ApiClient
from tooling.streams import StreamReader

C_FUNCTION = "CreateMessageFunction"
METERED_MESSAGES = 20
MESSAGES_PRICED = 1000
HOURS_A_MONTH = 730  # AWS's pricing examples' month


@dataclass(frozen=True)
class Part:
    """One function's share of a message: its invocations, their time, the capacity units they consumed."""

    function: str
    invocations_per_message: float
    handler_ms: list[float]  # each timed invocation
    write_units: float  # per message
    read_units: float


@dataclass(frozen=True)
class Delivery:
    messages: int
    parts: list[Part]
    frames_per_message: float  # WebSocket posts, both connections
    http_requests_per_message: float
    direct_frames_per_message: float = 0.0  # of those, C's direct push's


def deliver_one_at_a_time(
    stack: EmulatedStack, counter: CallCounter, new_handles: Callable[[int], list[str]], messages: int
) -> Delivery:
    """``messages`` messages timed, then METERED_MESSAGES more metered, each sent and delivered on its own."""
    empty_messages_table(stack)  # moto copies the whole table on every transaction: start small
    sender_handle, recipient_handle = new_handles(2)
    subs = signed_in(stack, [sender_handle, recipient_handle])
    sender = Caller(subs[sender_handle])
    group = start_accepted(sender.sub, recipient_handle, "hello").group_uuid
    connections = [connect_in_process(stack, sub) for sub in subs.values()]
    table = stack.client("dynamodb").describe_table(TableName=stack.template.table_name("MessagesTable"))["Table"]
    arn = table["LatestStreamArn"]
    stream = StreamReader(stack.client("dynamodbstreams"), arn)
    stream.read_new()  # the conversation's start: not a message measured
    run = _Run(stack, counter, sender, group, stream=stream, arn=arn, connections=connections)
    try:
        for _ in range(messages):
            run.one()
        timed = run.timings
        run.timings = {name: [] for name in timed}
        with counter.metered():
            for _ in range(METERED_MESSAGES):
                run.one(metered=True)
    finally:
        stack.stream.skip_to_end()  # delivered here, not again by a later drain
        for connection_id in connections:
            stack.connections.remove(connection_id)
    parts = [
        Part(
            function=name,
            invocations_per_message=len(timed[name]) / messages,
            handler_ms=timed[name],
            write_units=run.units[name][0] / METERED_MESSAGES,
            read_units=run.units[name][1] / METERED_MESSAGES,
        )
        for name in timed
    ]
    frames = run.frames / (messages + METERED_MESSAGES)
    direct = run.direct_frames / (messages + METERED_MESSAGES)
    return Delivery(
        messages, parts, frames_per_message=frames, http_requests_per_message=1.0, direct_frames_per_message=direct
    )


class _Run:
    def __init__(
        self,
        stack: EmulatedStack,
        counter: CallCounter,
        sender: Caller,
        group: str,
        *,
        stream: StreamReader,
        arn: str,
        connections: list[str],
    ) -> None:
        self.stack, self.counter, self.sender, self.group = stack, counter, sender, group
        self.stream, self.arn, self.connections = stream, arn, connections
        self.api = ApiClient(stack)
        self.timings: dict[str, list[float]] = {C_FUNCTION: [], STREAM_FUNCTION: [], PUSH_FUNCTION: []}
        self.units = {name: [0.0, 0.0] for name in self.timings}
        self.frames = 0
        self.direct_frames = 0  # posted by C itself (the direct push), before the stream's consumers run

    def one(self, *, metered: bool = False) -> None:
        posts_before = sum(self.stack.connections.posts[c] for c in self.connections)
        body = {"message_group_uuid": self.group, "message": "What a message costs"}
        sent = self._timed(
            C_FUNCTION,
            lambda: self.api.post("/api/messages", self.sender, body, headers={"Idempotency-Key": str(uuid.uuid4())}),
            metered,
        )
        if sent.status != 201:
            raise RuntimeError(f"C answered {sent.status}: {sent.body}")
        self.direct_frames += sum(self.stack.connections.posts[c] for c in self.connections) - posts_before
        # The message's INSERT, to each consumer alone; then push gets E's updates of both group items.
        inserts = self._records()
        for function in (STREAM_FUNCTION, PUSH_FUNCTION):
            self._deliver(function, inserts, metered)
        self._deliver(PUSH_FUNCTION, self._records(), metered)
        self.frames += sum(self.stack.connections.posts[c] for c in self.connections) - posts_before

    def _records(self) -> list[dict]:
        return stream_batch(self.stream.read_new(), self.arn)["Records"]

    def _deliver(self, function: str, records: list[dict], metered: bool) -> None:
        batch = [r for r in records if passes(self.stack.stream.poller(function).patterns, r)]
        if not batch:
            return
        answer = self._timed(function, lambda: self.stack.functions.invoke(function, {"Records": batch}), metered)
        if answer["batchItemFailures"]:
            raise RuntimeError(f"{function} failed records: {answer['batchItemFailures']}")

    def _timed[T](self, function: str, invocation: Callable[[], T], metered: bool) -> T:
        before = self.counter.capacity.write_units, self.counter.capacity.read_units
        started = time.perf_counter()
        result = invocation()
        elapsed_ms = (time.perf_counter() - started) * 1000
        if metered:
            units = self.units[function]
            units[0] += self.counter.capacity.write_units - before[0]
            units[1] += self.counter.capacity.read_units - before[1]
        else:
            self.timings[function].append(elapsed_ms)
        return result


def message_use(delivery: Delivery, memory_mb: dict[str, int], architecture: dict[str, str]) -> MessageUse:
    return MessageUse(
        write_units=sum(p.write_units for p in delivery.parts),
        read_units=sum(p.read_units for p in delivery.parts),
        functions=tuple(
            FunctionUse(
                p.function,
                invocations=p.invocations_per_message,
                billed_ms=billed_ms(p.handler_ms),
                memory_mb=memory_mb[p.function],
                architecture=architecture[p.function],
            )
            for p in delivery.parts
        ),
        http_requests=delivery.http_requests_per_message,
        websocket_messages=delivery.frames_per_message,
        direct_websocket_messages=delivery.direct_frames_per_message,
    )


def cost_table(delivery: Delivery, memory_mb: dict[str, int], architecture: dict[str, str]) -> dict:
    """The figures `make bench` prints and writes: per part, and the charges of MESSAGES_PRICED messages."""
    use = message_use(delivery, memory_mb, architecture)
    rows = charges(use, US_EAST_1, MESSAGES_PRICED)
    return {
        "messages_timed": delivery.messages,
        "messages_metered": METERED_MESSAGES,
        "parts": [
            {
                "function": p.function,
                "invocations_per_message": p.invocations_per_message,
                "handler_p50_ms": statistics.median(p.handler_ms),
                "billed_ms_mean": billed_ms(p.handler_ms),
                "memory_mb": memory_mb[p.function],
                "architecture": architecture[p.function],
                "write_units": p.write_units,
                "read_units": p.read_units,
            }
            for p in delivery.parts
        ],
        "frames_per_message": delivery.frames_per_message,
        "direct_frames_per_message": delivery.direct_frames_per_message,
        "messages_priced": MESSAGES_PRICED,
        "charges": [_charge(row) for row in rows],
        "total_dollars": total(rows),
        "connection_month_dollars": connection_hours(HOURS_A_MONTH, US_EAST_1),
        "prices_checked": CHECKED,
        "region": REGION,
    }


def _charge(row: Charge) -> dict:
    return asdict(row)


def print_cost(cost: dict) -> None:
    print(
        f"\nWhat a message costs: {cost['messages_priced']:,} messages, each sent with C (with an Idempotency-Key) and"
        f" pushed to two connections (one each member:\nby C, then the stream's push), one at a time (each stream"
        f" batch holds one message: the dearest case);\n{cost['region']} list prices checked"
        f" {cost['prices_checked']} (bench/prices.py)."
    )
    print(
        f"  {'function':<24}{'calls/msg':>10}{'p50 ms':>8}{'billed ms':>10}{'memory':>9}  {'arch':<8}"
        f"{'WCU':>6}{'RCU':>6}"
    )
    for p in cost["parts"]:
        print(
            f"  {p['function']:<24}{p['invocations_per_message']:>10g}{p['handler_p50_ms']:>8.1f}"
            f"{p['billed_ms_mean']:>10.1f}{p['memory_mb']:>6} MB  {p['architecture']:<8}"
            f"{p['write_units']:>6g}{p['read_units']:>6g}"
        )
    print(
        f"  WebSocket frames per message: {cost['frames_per_message']:g}, of them"
        f" {cost.get('direct_frames_per_message', 0):g} by C's direct push (the stream's push sends each again)\n"
    )
    print(f"  {'service':<13}{'item':<34}{'quantity':>12} {'unit':<9}{'USD':>11}")
    for row in cost["charges"]:
        print(
            f"  {row['service']:<13}{row['item']:<34}{row['quantity']:>12,.2f} {row['unit']:<9}{row['dollars']:>11.6f}"
        )
    print(f"  {'total':<13}{'':<34}{'':>12} {'':<9}{cost['total_dollars']:>11.6f}")
    print(
        f"  Not per message: connection minutes, per connection ($0.25 per million: one connection open all month,"
        f" {HOURS_A_MONTH} h, ${cost['connection_month_dollars']:.5f});\n  $connect and its authorizer, once a"
        " connection; storage; free tiers. Durations are handler times here against moto (billed: each rounded up"
        " to 1 ms),\n  not AWS's; cold starts' INIT (billed since August 2025) is left out."
    )
