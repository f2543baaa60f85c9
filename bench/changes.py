"""Pattern E's cost per edit and per deletion record: DynamoDB calls (and how many of them were refused conditional
writes) and capacity units per record, for the four paths a change takes (docs/architecture.md "Unread counts").

Each case runs on groups of its own, two messages of andrew's in each, applied by the stream first; then one change
per group, so a record's cost is its group's. The records are the stream's own MODIFY records, those E's filter
passes, fed to the handler as the event source mapping would (one batch per case: records of different groups are
not coalesced together, so the batch size changes nothing per record).
"""

from collections.abc import Callable
from dataclasses import dataclass

from bench.accepted import start_accepted
from bench.calls import CallCounter
from bench.routes import signed_in
from bench.stream import empty_messages_table
from local.stack import STREAM_FUNCTION, EmulatedStack
from local.streams.filters import passes
from local.streams.records import stream_batch
from messaging.conversations import service
from messaging.core.domain import Message
from messaging.table import keys
from tooling.streams import StreamReader

GROUPS_PER_CASE = 20


@dataclass(frozen=True)
class _Case:
    label: str
    older: bool  # the change is to the group's older message, not its newest
    delete: bool
    read_first: bool = False  # the recipient has read up to the newest message before the change


CASES = (
    _Case("edit of the newest message", older=False, delete=False),
    _Case("edit of an older message", older=True, delete=False),
    _Case("deletion of the newest, unread message", older=False, delete=True),
    _Case("deletion of an older, read message", older=True, delete=True, read_first=True),
)


@dataclass(frozen=True)
class ChangeFigures:
    case: str
    records: int
    dynamodb_calls: dict[str, float]  # per record, by operation
    refused_calls: dict[str, float]  # per record, by operation: of dynamodb_calls, conditional writes refused
    write_units_per_record: float
    read_units_per_record: float


@dataclass(frozen=True)
class _Group:
    recipient_sub: str
    older: Message
    newest: Message


def change_costs(
    stack: EmulatedStack,
    counter: CallCounter,
    sender_sub: str,
    new_handles: Callable[[int], list[str]],
) -> list[ChangeFigures]:
    """``new_handles(n)``: the handles of n new users, none of whom the sender has talked to."""
    empty_messages_table(stack)  # moto copies the whole table on every transaction: start small
    users = iter(signed_in(stack, new_handles(GROUPS_PER_CASE * len(CASES))).items())
    groups = {case: [_conversation(sender_sub, *next(users)) for _ in range(GROUPS_PER_CASE)] for case in CASES}
    stack.stream.drain()  # the messages as E and push leave them: previews, markers, unread counts
    for case, its_groups in groups.items():
        if case.read_first:
            for group in its_groups:
                service.mark_read(group.recipient_sub, group.newest.group_uuid, group.newest.uuid)
    stack.stream.drain()

    table = stack.client("dynamodb").describe_table(TableName=stack.template.table_name("MessagesTable"))["Table"]
    arn = table["LatestStreamArn"]
    stream = StreamReader(stack.client("dynamodbstreams"), arn)
    stream.read_new()  # from here on, only the changes' records
    for case, its_groups in groups.items():
        for group in its_groups:
            _change(case, sender_sub, group)
    changes = _records_by_group(stack, stream.read_new(), arn)
    stack.stream.skip_to_end()  # measured here, not redelivered by a later drain

    figures = [
        _measure(stack, counter, case, [changes[g.newest.group_uuid] for g in groups[case]], arn) for case in CASES
    ]
    empty_messages_table(stack)  # what runs next should not pay for moto copying these groups
    return figures


def _conversation(sender_sub: str, handle: str, recipient_sub: str) -> _Group:
    older = start_accepted(sender_sub, handle, "hello")
    newest = service.post_message(sender_sub, older.group_uuid, "still there?")
    return _Group(recipient_sub, older, newest)


def _change(case: _Case, sender_sub: str, group: _Group) -> None:
    message = group.older if case.older else group.newest
    if case.delete:
        service.delete_message(sender_sub, message.group_uuid, message.uuid)
    else:
        service.edit_message(sender_sub, message.group_uuid, message.uuid, f"{message.text}, edited")


def _records_by_group(stack: EmulatedStack, records: list[dict], arn: str) -> dict[str, dict]:
    """The change record of each group, of those E's filter passes (message MODIFYs; group items' are not E's)."""
    patterns = stack.stream.poller(STREAM_FUNCTION).patterns
    passed = [record for record in stream_batch(records, arn)["Records"] if passes(patterns, record)]
    by_group: dict[str, dict] = {}
    for record in passed:
        if record["eventName"] != "MODIFY":
            raise RuntimeError(f"expected only the changes' records, got a {record['eventName']}")
        group = keys.group_uuid_of_messages_pk(record["dynamodb"]["Keys"]["pk"]["S"])
        if group in by_group:
            raise RuntimeError(f"two change records for group {group}: one change per group was made")
        by_group[group] = record
    return by_group


def _measure(stack: EmulatedStack, counter: CallCounter, case: _Case, records: list[dict], arn: str) -> ChangeFigures:
    batch_size = stack.stream.poller(STREAM_FUNCTION).batch_size
    counter.reset()
    with counter.metered():
        for start in range(0, len(records), batch_size):
            response = stack.functions.invoke(STREAM_FUNCTION, stream_batch(records[start : start + batch_size], arn))
            if response["batchItemFailures"]:
                raise RuntimeError(f"{case.label}: stream records failed: {response['batchItemFailures'][:3]}")
    n = len(records)
    return ChangeFigures(
        case=case.label,
        records=n,
        dynamodb_calls={op: calls / n for op, calls in sorted(counter.dynamodb.items())},
        refused_calls={op: calls / n for op, calls in sorted(counter.refused.items())},
        write_units_per_record=counter.capacity.write_units / n,
        read_units_per_record=counter.capacity.read_units / n,
    )


def print_changes(figures: list[dict]) -> None:
    records = {f["records"] for f in figures}
    print(
        f"\nPattern E per change record ({', '.join(map(str, sorted(records)))} records a case, one change per group,"
        " the stream's own MODIFY records):"
    )
    print(f"  {'change':<42}{'DynamoDB calls / record':<44}{'WCU':>7}{'RCU':>7}")
    for f in figures:
        print(
            f"  {f['case']:<42}{calls_text(f['dynamodb_calls'], f['refused_calls']):<44}"
            f"{f['write_units_per_record']:>7.2f}{f['read_units_per_record']:>7.2f}"
        )


def calls_text(calls: dict[str, float], refused: dict[str, float]) -> str:
    """``UpdateItem 2 (1 refused)``: calls by operation, and how many of them were refused conditional writes."""
    return ", ".join(
        f"{op} {n:g}" + (f" ({refused[op]:g} refused)" if refused.get(op) else "") for op, n in calls.items()
    )
