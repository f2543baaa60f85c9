"""Pattern E under a burst: 1,000 messages over 50 groups, fed to the handler in the template's batch size.

The burst runs twice, on fresh groups with the same random choices: once timed, once metered (capacity units;
metering reads every written item, which would distort the timing). The metered run also bills the same writes
as the design before the GSI was dropped would have: with that index, and with its one Query per group per batch.
"""

import random
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.calls import CallCounter, MeteredWrite
from bench.capacity import Index, indexes_of, item_size, read_units
from local.stack import STREAM_FUNCTION, EmulatedStack
from local.streams.filters import passes
from local.streams.records import stream_batch
from messaging.conversations import service
from messaging.table import keys
from tooling.paths import PROJECT_ROOT
from tooling.streams import all_stream_records
from tooling.tables import ensure_table, table_definitions
from tooling.template import Template

# The commit that dropped the GSI `message-group-sk-index`; its parent's template.yaml is the design before.
GSI_DROPPED_IN = "adf5ebd"


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
    # As the design before GSI_DROPPED_IN bills the same burst: its indexes, plus one GSI Query per group per batch.
    write_units_per_record_before: float
    read_units_per_record_before: float
    write_units_per_update_before: float


@dataclass(frozen=True)
class _Run:
    records: int
    groups: int
    batch_size: int
    seconds: float
    calls: dict[str, int]
    reads_before: float  # the retired GSI Queries, in read units


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
    _empty_messages_table(stack)  # what runs next on this stack should not pay for moto copying our burst
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
        write_units_per_record_before=capacity.write_units_before / records,
        read_units_per_record_before=(capacity.read_units + metered.reads_before) / records,
        write_units_per_update_before=capacity.write_units_before / updates,
    )


def indexes_before_gsi_drop(template: Template) -> dict[str, tuple[Index, ...]]:
    """The messages table's secondary indexes as template.yaml declared them before GSI_DROPPED_IN, by the name
    the table has in ``template``."""
    shown = subprocess.run(  # noqa: S603 - git, on our own repository
        ["git", "show", f"{GSI_DROPPED_IN}~1:template.yaml"],  # noqa: S607
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    with tempfile.TemporaryDirectory(prefix="cruddur-template-") as scratch:
        path = Path(scratch) / "template.yaml"
        path.write_text(shown.stdout)
        before = next(d for d in table_definitions(Template(path)) if d.logical_id == "MessagesTable")
    return {template.table_name("MessagesTable"): indexes_of(before.create_table)}


def _run(stack: EmulatedStack, counter: CallCounter, sender_sub: str, handles: list[str], messages: int) -> _Run:
    _empty_messages_table(stack)
    rng = random.Random(7)  # the same choices in both runs
    groups = [service.start_message_group(sender_sub, handle, "hello")[0].group_uuid for handle in handles]
    for n in range(messages - len(groups)):
        service.post_message(sender_sub, rng.choice(groups), f"burst {n}")

    batch_size = stack.stream.poller(STREAM_FUNCTION).batch_size
    records, arn = _message_inserts(stack, set(groups))
    batches = [records[i : i + batch_size] for i in range(0, len(records), batch_size)]
    counter.reset()
    reads_before, elapsed = 0.0, 0.0
    for batch in batches:
        written = len(counter.writes)
        started = time.perf_counter()
        response = stack.functions.invoke(STREAM_FUNCTION, stream_batch(batch, arn))
        elapsed += time.perf_counter() - started
        if response["batchItemFailures"]:
            raise RuntimeError(f"stream records failed: {response['batchItemFailures'][:3]}")
        reads_before += _gsi_queries(counter.writes[written:])
    return _Run(len(records), len(groups), batch_size, elapsed, dict(counter.dynamodb), reads_before)


def _gsi_queries(writes: list[MeteredWrite]) -> float:
    """Read units of the Query the old design made per group of a batch: the GSI (eventually consistent, all
    attributes projected) returned the group's member items as they were before the batch's updates."""
    members: dict[str, dict[str, int]] = defaultdict(dict)  # group -> member item's pk -> its size
    for write in writes:
        if write.old is not None and "message_group_uuid" in write.old:
            group = members[write.old["message_group_uuid"]["S"]]
            group.setdefault(write.old["pk"]["S"], item_size(write.old))
    return sum(read_units(sizes.values(), consistent=False) for sizes in members.values())


def _empty_messages_table(stack: EmulatedStack) -> None:
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
