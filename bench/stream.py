"""Pattern E under a burst: 1,000 messages over 50 groups, fed to the handler in the template's batch size."""

import random
import time
from dataclasses import dataclass

from bench.calls import CallCounter
from local.events import stream_batch
from local.filters import passes
from local.stack import STREAM_FUNCTION, LocalStack
from messaging.dal import keys
from messaging.logic import message_groups
from tooling.streams import all_stream_records


@dataclass(frozen=True)
class StreamFigures:
    records: int
    groups: int
    batch_size: int
    records_per_second: float
    dynamodb_writes_per_record: float
    dynamodb_calls: dict[str, int]


def burst(stack: LocalStack, counter: CallCounter, sender_sub: str, handles: list[str], messages: int) -> StreamFigures:
    rng = random.Random(7)
    groups = [message_groups.start_message_group(sender_sub, handle, "hello")[0].group_uuid for handle in handles]
    for n in range(messages - len(groups)):
        message_groups.post_message(sender_sub, rng.choice(groups), f"burst {n}")

    batch_size = stack.stream.batch_size
    records, arn = _message_inserts(stack, set(groups))
    batches = [records[i : i + batch_size] for i in range(0, len(records), batch_size)]
    counter.reset()
    started = time.perf_counter()
    for batch in batches:
        response = stack.functions.invoke(STREAM_FUNCTION, stream_batch(batch, arn))
        if response["batchItemFailures"]:
            raise RuntimeError(f"stream records failed: {response['batchItemFailures'][:3]}")
    elapsed = time.perf_counter() - started
    writes = counter.dynamodb["UpdateItem"]
    return StreamFigures(
        records=len(records),
        groups=len(groups),
        batch_size=batch_size,
        records_per_second=len(records) / elapsed,
        dynamodb_writes_per_record=writes / len(records),
        dynamodb_calls=dict(counter.dynamodb),
    )


def _message_inserts(stack: LocalStack, groups: set[str]) -> tuple[list[dict], str]:
    """The stream's records of messages into ``groups``, as the event source mapping would deliver them."""
    table = stack.client("dynamodb").describe_table(TableName=stack.template.table_name("MessagesTable"))["Table"]
    records = all_stream_records(stack.client("dynamodbstreams"), table["LatestStreamArn"])
    wanted = stream_batch(records, table["LatestStreamArn"])["Records"]
    inserts = [
        r
        for r in wanted
        if passes(stack.stream.patterns, r)
        and keys.group_uuid_of_messages_pk(r["dynamodb"]["Keys"]["pk"]["S"]) in groups
    ]
    return inserts, table["LatestStreamArn"]
