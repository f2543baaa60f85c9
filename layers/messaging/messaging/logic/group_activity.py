"""Pattern E: after a message lands, both members' conversation items show the group's newest message.

Streams deliver at least once and may redeliver out of order, so the update is conditional on the message being
newer than the one shown; a batch is coalesced first, so a burst into one group costs one update per member.
"""

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging.dal import groups, keys
from messaging.dal.items import message_from_item
from messaging.domain import Message
from messaging.errors import GroupMembersNotVisible
from messaging.observability import logger, metrics

_MEMBERS_PER_GROUP = 2
_GROUP_WORKERS = 8  # below botocore's connection pool (10), so no worker waits for a connection


class MalformedRecord(Exception):
    """A message INSERT whose image lacks message fields: retried, then parked in the dead-letter queue."""


def process_stream_batch(event: Mapping[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    failures = apply_concurrently(plan_batch(event.get("Records", [])))

    def handle_record(record: DynamoDBRecord) -> None:
        failure = failures.get(record.event_id)
        if failure is not None:
            raise failure

    # Report failures per record (ReportBatchItemFailures) even when all fail: the stream then retries from the
    # first failure instead of bisecting a batch that raised.
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event=dict(event), record_handler=handle_record, processor=processor, context=context
    )
    metrics.add_metric(name="StreamRecordsProcessed", unit=MetricUnit.Count, value=len(processor.success_messages))
    metrics.add_metric(name="StreamRecordsFailed", unit=MetricUnit.Count, value=len(processor.fail_messages))
    return response


def plan_batch(records: Iterable[Mapping[str, Any]]) -> dict[str, Message | Exception]:
    """Maps the event id of each group's newest message in the batch to that message.

    Every other record needs no work: an older message of the same group is superseded, and anything that is not
    a message INSERT (the event source filter should have dropped it) is not ours to apply.
    """
    newest: dict[str, tuple[str, Message]] = {}
    work: dict[str, Message | Exception] = {}
    for record in records:
        if not _is_message_insert(record):
            continue
        try:
            message = message_from_item(record["dynamodb"]["NewImage"])
        except (KeyError, TypeError) as error:
            work[record["eventID"]] = MalformedRecord(f"record {record['eventID']} is not a message: {error!r}")
            continue
        current = newest.get(message.group_uuid)
        if current is None or current[1].sort_key < message.sort_key:
            newest[message.group_uuid] = (record["eventID"], message)
    work.update({event_id: message for event_id, message in newest.values()})
    return work


def apply_concurrently(work: Mapping[str, Message | Exception]) -> dict[str, Exception]:
    """Applies each planned message; returns the failure of each record that failed, by event id.

    Groups are independent and each costs a few DynamoDB round trips, so they run side by side: a burst over
    many groups takes about as long as its slowest group, not the sum of them.
    """
    failures = {event_id: job for event_id, job in work.items() if isinstance(job, Exception)}
    messages = {event_id: job for event_id, job in work.items() if isinstance(job, Message)}
    if not messages:
        return failures
    with ThreadPoolExecutor(max_workers=min(_GROUP_WORKERS, len(messages))) as pool:
        outcomes = {event_id: pool.submit(show_as_last_message, message) for event_id, message in messages.items()}
    for event_id, outcome in outcomes.items():
        if (error := outcome.exception()) is not None:
            failures[event_id] = error if isinstance(error, Exception) else RuntimeError(repr(error))
    return failures


def show_as_last_message(message: Message) -> None:
    members = groups.member_keys(message.group_uuid)
    if len(members) < _MEMBERS_PER_GROUP:
        # The GSI lags the table: skipping now would leave a member's list stale for good.
        raise GroupMembersNotVisible(f"group {message.group_uuid} shows {len(members)} member items")
    for member_key in members:
        if not groups.advance_last_message(member_key, message):
            logger.debug("newer message already shown", extra={"group": message.group_uuid})


def _is_message_insert(record: Mapping[str, Any]) -> bool:
    pk = record.get("dynamodb", {}).get("Keys", {}).get("pk", {}).get("S", "")
    return record.get("eventName") == "INSERT" and pk.startswith(keys.MESSAGE_PREFIX)
