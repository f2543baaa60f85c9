"""Pattern E under a burst: 1,000 messages over 50 groups, fed to the handler in the template's batch size.

The burst runs twice, on fresh groups with the same random choices: once timed, once metered (capacity units;
metering reads every written item, which would distort the timing).
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.accepted import start_accepted
from bench.calls import CallCounter
from local.stack import STREAM_FUNCTION, EmulatedStack
from local.streams.filters import passes
from local.streams.records import stream_batch
from messaging.conversations import service
from messaging.table import keys
from tooling.streams import all_stream_records
from tooling.tables import ensure_table, table_definitions


@dataclass(frozen=True)
class StreamFigures:
    records: int
    groups: int
    batch_size: int
    records_per_second: float
    dynamodb_writes_per_record: float
    dynamodb_calls: dict[str, int]
    write_units_per_record: float
    read_units_per_record: float
    write_units_per_update: float  # per group-item UpdateItem


@dataclass(frozen=True)
class _Run:
    records: int
    groups: int
    batch_size: int
    seconds: float
    calls: dict[str, int]


def burst(
    stack: EmulatedStack,
    counter: CallCounter,
    sender_sub: str,
    new_handles: Callable[[int], list[str]],
    *,
    groups: int,
    messages: int,
) -> StreamFigures:
    timed = _run(stack, counter, sender_sub, new_handles(groups), messages)
    with counter.metered():
        metered = _run(stack, counter, sender_sub, new_handles(groups), messages)
    empty_messages_table(stack)  # what runs next on this stack should not pay for moto copying our burst
    records, updates = metered.records, metered.calls.get("UpdateItem", 0) or 1
    capacity = counter.capacity
    return StreamFigures(
        records=records,
        groups=metered.groups,
        batch_size=metered.batch_size,
        records_per_second=timed.records / timed.seconds,
        dynamodb_writes_per_record=timed.calls.get("UpdateItem", 0) / timed.records,
        dynamodb_calls=timed.calls,
        write_units_per_record=capacity.write_units / records,
        read_units_per_record=capacity.read_units / records,
        write_units_per_update=capacity.write_units / updates,
    )


def _run(stack: EmulatedStack, counter: CallCounter, sender_sub: str, handles: list[str], messages: int) -> _Run:
    empty_messages_table(stack)
    rng = random.Random(7)  # the same choices in both runs
    groups = [start_accepted(sender_sub, handle, "hello").group_uuid for handle in handles]
    for n in range(messages - len(groups)):
        service.post_message(sender_sub, rng.choice(groups), f"burst {n}")

    batch_size = stack.stream.poller(STREAM_FUNCTION).batch_size
    records, arn = _message_inserts(stack, set(groups))
    batches = [records[i : i + batch_size] for i in range(0, len(records), batch_size)]
    counter.reset()
    elapsed = 0.0
    for batch in batches:
        started = time.perf_counter()
        response = stack.functions.invoke(STREAM_FUNCTION, stream_batch(batch, arn))
        elapsed += time.perf_counter() - started
        if response["batchItemFailures"]:
            raise RuntimeError(f"stream records failed: {response['batchItemFailures'][:3]}")
    return _Run(len(records), len(groups), batch_size, elapsed, dict(counter.dynamodb))


def empty_messages_table(stack: EmulatedStack) -> None:
    """Each run starts from an empty table: moto copies the whole table, stream included, on every transaction,
    so a run on a full table would be slower for moto's sake, not ours."""
    client = stack.client("dynamodb")
    definition = next(d for d in table_definitions(stack.template) if d.logical_id == "MessagesTable")
    client.delete_table(TableName=definition.name)
    client.get_waiter("table_not_exists").wait(TableName=definition.name, WaiterConfig={"Delay": 1})
    ensure_table(client, definition)


def _message_inserts(stack: EmulatedStack, groups: set[str]) -> tuple[list[dict], str]:
    """The stream's records of messages into ``groups``, as the event source mapping would deliver them."""
    table = stack.client("dynamodb").describe_table(TableName=stack.template.table_name("MessagesTable"))["Table"]
    records = all_stream_records(stack.client("dynamodbstreams"), table["LatestStreamArn"])
    wanted = stream_batch(records, table["LatestStreamArn"])["Records"]
    inserts = [
        r
        for r in wanted
        if passes(stack.stream.poller(STREAM_FUNCTION).patterns, r)
        and keys.group_uuid_of_messages_pk(r["dynamodb"]["Keys"]["pk"]["S"]) in groups
    ]
    return inserts, table["LatestStreamArn"]
